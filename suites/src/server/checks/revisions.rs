//! Server checks: which protocol revisions the server speaks, and what MCP 2026-07-28 asks of a
//! server that speaks it. Basic › Versioning (servers MUST implement `server/discover`; a server
//! that does not implement the requested version MUST answer `UnsupportedProtocolVersionError`
//! listing the versions it supports); Basic › Statelessness and Transports › Streamable HTTP
//! (every request carries its own metadata; no `initialize`, no `Mcp-Session-Id`: a server that
//! speaks only 2026-07-28 SHOULD not mint one, and a dual-era server serves a request with
//! per-request `_meta` statelessly).

use mcp_authlab_mock_idp::mcp_server::UNSUPPORTED_PROTOCOL_VERSION;
use serde_json::Value;

use crate::check::Finding;
use crate::server::observation::{label, ProbeResponse, Probed, ServerObservation};
use crate::server::request::MODERN_VERSION;
use crate::server::revision_probes::{INITIALIZE_REVISIONS, UNKNOWN_VERSION};

use super::support::{answered, jsonrpc_error, judged, probed, shown};

/// The `result` of the first JSON-RPC response in the body.
fn result(response: &ProbeResponse) -> Option<Value> {
    response
        .jsonrpc_messages()
        .into_iter()
        .find_map(|m| m.get("result").cloned())
}

/// `200 (application/json) with -32601 method not found`: what came back, with the JSON-RPC error.
fn seen(probe: &Probed) -> String {
    match probe.ok().and_then(jsonrpc_error) {
        Some(error) => format!("{} with JSON-RPC error {error}", shown(probe)),
        None => shown(probe),
    }
}

/// The `supportedVersions` of a successful `server/discover`, or why there are none.
fn discovered_versions(probe: &Probed) -> Result<Vec<String>, String> {
    let response = probe.ok().ok_or_else(|| shown(probe))?;
    if !response.is_success() {
        return Err(seen(probe));
    }
    let result = result(response).ok_or_else(|| seen(probe))?;
    let versions = result
        .get("supportedVersions")
        .and_then(Value::as_array)
        .ok_or_else(|| format!("{}, a result without supportedVersions", shown(probe)))?;
    Ok(versions
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect())
}

/// The revision an `initialize` proposing `version` was answered with (`protocolVersion`).
fn negotiated(probe: &Probed) -> Option<String> {
    let response = probe.ok().filter(|r| r.is_success())?;
    result(response)?
        .get("protocolVersion")?
        .as_str()
        .map(str::to_string)
}

/// Whether any probe with the valid token got 2xx: the token is good, so a refusal of one
/// request shape is about the shape.
fn token_accepted(obs: &ServerObservation) -> bool {
    obs.valid_token_accepted()
        || obs
            .probes_with_prefix("revision:initialize:")
            .chain(obs.probes_with_prefix(label::REVISION_STATELESS))
            .any(|p| p.ok().is_some_and(ProbeResponse::is_success))
}

/// The 2026-07-28 probe under `label`, once the valid token is known to be good.
fn modern_probe<'a>(obs: &'a ServerObservation, label: &str) -> Result<&'a Probed, Finding> {
    let probe = probed(obs, label)?;
    answered(probe)?;
    if !token_accepted(obs) && !probe.ok().is_some_and(ProbeResponse::is_success) {
        return Err(Finding::not_judged(format!(
            "the valid token was accepted by no request ({}), so a refusal proves nothing",
            seen(probe)
        )));
    }
    Ok(probe)
}

/// `revisions-spoken` (S-VER-0, informational): the revisions `initialize` agrees to and what
/// `server/discover` lists; a note when the token opened none.
pub fn revisions_spoken(obs: &ServerObservation) -> Finding {
    let mut spoken = Vec::new();
    let mut seen_probes = Vec::new();
    for version in INITIALIZE_REVISIONS {
        let Some(probe) = obs.probe(&label::revision_initialize(version.as_str())) else {
            continue;
        };
        match negotiated(probe) {
            Some(answer) if answer == version.as_str() => spoken.push(answer),
            Some(answer) => seen_probes.push(format!("initialize {version} → {answer}")),
            None => seen_probes.push(format!("initialize {version}: {}", seen(probe))),
        }
    }
    if let Some(probe) = obs.probe(label::REVISION_DISCOVER) {
        match discovered_versions(probe) {
            Ok(versions) => {
                for version in &versions {
                    if !spoken.contains(version) {
                        spoken.push(version.clone());
                    }
                }
                seen_probes.push(format!(
                    "server/discover lists supportedVersions [{}]",
                    versions.join(", ")
                ));
            }
            Err(why) => seen_probes.push(format!("server/discover: {why}")),
        }
    }
    if spoken.is_empty() && seen_probes.is_empty() {
        return Finding::not_judged(
            obs.why_not_probed(label::REVISION_DISCOVER)
                .unwrap_or("the revision probes were not made")
                .to_string(),
        );
    }
    if spoken.is_empty() {
        return Finding::note(format!(
            "speaks no revision with this token ({})",
            seen_probes.join("; ")
        ));
    }
    Finding::met(format!(
        "speaks {} ({})",
        spoken.join(", "),
        seen_probes.join("; ")
    ))
}

/// `discover-answered` (S-VER-1): `server/discover` in the 2026-07-28 shape, with a valid token,
/// gets a result whose `supportedVersions` lists 2026-07-28.
pub fn discover_answered(obs: &ServerObservation) -> Finding {
    judged(|| {
        let probe = modern_probe(obs, label::REVISION_DISCOVER)?;
        Ok(match discovered_versions(probe) {
            Ok(versions) if versions.iter().any(|v| v == MODERN_VERSION) => Finding::met(format!(
                "server/discover: {} listing supportedVersions [{}]",
                shown(probe),
                versions.join(", ")
            )),
            Ok(versions) => Finding::violated(format!(
                "server/discover lists supportedVersions [{}], without {MODERN_VERSION}",
                versions.join(", ")
            )),
            Err(why) => Finding::violated(format!(
                "a {MODERN_VERSION} server/discover with a valid token got {why}: the server does \
                 not speak {MODERN_VERSION} (no initialize, per-request _meta)"
            )),
        })
    })
}

/// `stateless-request-answered` (S-VER-2): a plain `tools/list` with per-request `_meta` and a
/// valid token, without `initialize` and without a session, gets a result.
pub fn stateless_request_answered(obs: &ServerObservation) -> Finding {
    judged(|| {
        let probe = modern_probe(obs, label::REVISION_STATELESS)?;
        let response = probe.ok().expect("answered");
        Ok(match result(response) {
            Some(_) if response.is_success() => Finding::met(format!(
                "tools/list without initialize or session: {} with a result",
                shown(probe)
            )),
            _ => Finding::violated(format!(
                "tools/list with per-request _meta and a valid token, without initialize or \
                 session, got {}: a {MODERN_VERSION} request must stand on its own",
                seen(probe)
            )),
        })
    })
}

/// `no-session-for-modern-requests` (S-VER-2): the answers to 2026-07-28 requests mint no
/// `Mcp-Session-Id`.
pub fn no_session_for_modern_requests(obs: &ServerObservation) -> Finding {
    let answered: Vec<&Probed> = [label::REVISION_DISCOVER, label::REVISION_STATELESS]
        .into_iter()
        .filter_map(|l| obs.probe(l))
        .filter(|p| p.ok().is_some_and(ProbeResponse::is_success))
        .collect();
    if answered.is_empty() {
        return Finding::not_judged(
            "no 2026-07-28 request was answered (discover-answered judges that)",
        );
    }
    let minted: Vec<String> = answered
        .iter()
        .filter(|p| p.ok().and_then(|r| r.header("mcp-session-id")).is_some())
        .map(|p| shown(p))
        .collect();
    if minted.is_empty() {
        Finding::met("no Mcp-Session-Id in the answers to 2026-07-28 requests")
    } else {
        Finding::violated(format!(
            "a 2026-07-28 request got an Mcp-Session-Id ({}): the revision has no sessions",
            minted.join("; ")
        ))
    }
}

/// `unsupported-version-rejected` (S-VER-3): a request for a version nobody speaks gets 400 with
/// `UnsupportedProtocolVersionError` (-32022) whose `data.supported` lists the server's versions.
/// Judged only at a server that answers 2026-07-28 requests.
pub fn unsupported_version_rejected(obs: &ServerObservation) -> Finding {
    judged(|| {
        let discover = probed(obs, label::REVISION_DISCOVER)?;
        if discovered_versions(discover).is_err() {
            return Err(Finding::not_judged(format!(
                "the server does not answer {MODERN_VERSION} requests (discover-answered judges \
                 that)"
            )));
        }
        let probe = probed(obs, label::REVISION_UNSUPPORTED)?;
        let response = answered(probe)?;
        let error = response
            .jsonrpc_messages()
            .into_iter()
            .find_map(|m| m.get("error").cloned());
        let code = error.as_ref().and_then(|e| e.get("code")?.as_i64());
        let supported: Vec<String> = error
            .as_ref()
            .and_then(|e| e.get("data")?.get("supported")?.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect();
        Ok(
            if response.status == 400
                && code == Some(UNSUPPORTED_PROTOCOL_VERSION)
                && !supported.is_empty()
            {
                Finding::met(format!(
                    "protocol version {UNKNOWN_VERSION}: {} listing supported [{}]",
                    seen(probe),
                    supported.join(", ")
                ))
            } else {
                Finding::violated(format!(
                    "protocol version {UNKNOWN_VERSION} got {}; expected 400 with error \
                     {UNSUPPORTED_PROTOCOL_VERSION} (UnsupportedProtocolVersionError) and \
                     data.supported",
                    seen(probe)
                ))
            },
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observation::test_support::*;
    use serde_json::json;

    fn discover(versions: &[&str]) -> Value {
        json!({"jsonrpc": "2.0", "id": 1, "result": {
            "resultType": "complete", "supportedVersions": versions, "capabilities": {}}})
    }

    fn initialize(version: &str) -> Value {
        json!({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": version}})
    }

    fn unsupported() -> Value {
        json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32022, "message": "Unsupported",
            "data": {"supported": ["2026-07-28", "2025-11-25"], "requested": "1999-01-01"}}})
    }

    /// A dual-era server: every revision, 2026-07-28 statelessly.
    fn dual_era() -> ServerObservation {
        let mut obs = observation();
        probe(label::VALID, 200)
            .json(initialize("2025-11-25"))
            .push(&mut obs);
        probe(label::REVISION_DISCOVER, 200)
            .json(discover(&["2026-07-28"]))
            .push(&mut obs);
        probe(label::REVISION_STATELESS, 200)
            .json(json!({"jsonrpc": "2.0", "id": 1, "result": {"tools": []}}))
            .push(&mut obs);
        probe(label::REVISION_UNSUPPORTED, 400)
            .json(unsupported())
            .push(&mut obs);
        for v in ["2025-03-26", "2025-06-18", "2025-11-25"] {
            probe(&label::revision_initialize(v), 200)
                .json(initialize(v))
                .push(&mut obs);
        }
        obs
    }

    /// A server of the earlier revisions only: 2026-07-28 requests get 400.
    fn legacy_only() -> ServerObservation {
        let mut obs = observation();
        probe(label::VALID, 200)
            .json(initialize("2025-11-25"))
            .push(&mut obs);
        let bad = json!({"jsonrpc": "2.0", "id": null, "error": {"code": -32600, "message": "Bad Request: Unsupported protocol version"}});
        for l in [
            label::REVISION_DISCOVER,
            label::REVISION_STATELESS,
            label::REVISION_UNSUPPORTED,
        ] {
            probe(l, 400).json(bad.clone()).push(&mut obs);
        }
        for (v, answer) in [
            ("2025-03-26", "2025-11-25"),
            ("2025-06-18", "2025-06-18"),
            ("2025-11-25", "2025-11-25"),
        ] {
            probe(&label::revision_initialize(v), 200)
                .json(initialize(answer))
                .push(&mut obs);
        }
        obs
    }

    #[test]
    fn revisions_spoken() {
        let note = super::revisions_spoken(&dual_era());
        assert!(
            note.message()
                .starts_with("speaks 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28"),
            "{note:?}"
        );
        let note = super::revisions_spoken(&legacy_only());
        assert!(
            note.message()
                .starts_with("speaks 2025-06-18, 2025-11-25 ("),
            "{note:?}"
        );
        assert!(note
            .message()
            .contains("initialize 2025-03-26 → 2025-11-25"));
        assert!(note.message().contains("server/discover: POST"), "{note:?}");
        assert!(matches!(
            super::revisions_spoken(&observation()),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn discover_answered() {
        assert!(super::discover_answered(&dual_era()).is_met());
        let legacy = super::discover_answered(&legacy_only());
        assert!(
            legacy.is_violated() && legacy.message().contains("-32600"),
            "{legacy:?}"
        );
        let mut old_list = dual_era();
        old_list.probes[1] = {
            let mut o = observation();
            probe(label::REVISION_DISCOVER, 200)
                .json(discover(&["2025-11-25"]))
                .push(&mut o);
            o.probes.remove(0)
        };
        assert!(super::discover_answered(&old_list).is_violated());
    }

    #[test]
    fn a_token_nothing_accepts_proves_nothing() {
        let mut obs = observation();
        for l in [
            label::VALID,
            label::REVISION_DISCOVER,
            label::REVISION_STATELESS,
        ] {
            probe(l, 401).push(&mut obs);
        }
        assert!(matches!(
            super::discover_answered(&obs),
            Finding::NotJudged(_)
        ));
        assert!(matches!(
            super::stateless_request_answered(&obs),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn stateless_request_answered() {
        assert!(super::stateless_request_answered(&dual_era()).is_met());
        assert!(super::stateless_request_answered(&legacy_only()).is_violated());
    }

    #[test]
    fn no_session_for_modern_requests() {
        assert!(super::no_session_for_modern_requests(&dual_era()).is_met());
        let mut minted = dual_era();
        if let Ok(r) = minted.probes[2].response.as_mut() {
            r.headers.push(("mcp-session-id".into(), "s1".into()));
        }
        assert!(super::no_session_for_modern_requests(&minted).is_violated());
        assert!(matches!(
            super::no_session_for_modern_requests(&legacy_only()),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn unsupported_version_rejected() {
        assert!(super::unsupported_version_rejected(&dual_era()).is_met());
        let mut plain = dual_era();
        plain.probes[3] = {
            let mut o = observation();
            probe(label::REVISION_UNSUPPORTED, 200)
                .json(discover(&["2026-07-28"]))
                .push(&mut o);
            o.probes.remove(0)
        };
        assert!(super::unsupported_version_rejected(&plain).is_violated());
        assert!(matches!(
            super::unsupported_version_rejected(&legacy_only()),
            Finding::NotJudged(_)
        ));
    }
}
