//! Server checks: what the protected resource metadata says. RFC 9728 §2 (`authorization_servers`,
//! `scopes_supported` RECOMMENDED, `bearer_methods_supported`), §3.2 (parameters with zero values
//! omitted), §3.3 and §6 (`resource` identical to the identifier the client used) and MCP
//! 2025-11-25 "Authorization Server Location", "Protected Resource Metadata Discovery
//! Requirements" (the challenged scopes and `scopes_supported`).

use serde_json::Value;

use crate::check::Finding;
use crate::server::observation::{label, scope_set, ServerObservation};

use super::prm::{documents, prm, NO_PRM};
use super::support::{is_absolute_http_url, judged};

/// `prm-resource-matches` (S-PRM-4, RFC 9728 §3.3): in every PRM served, `resource` is identical
/// (code point for code point, §6) to the identifier the client used: the MCP URL for the
/// challenge's URL and the path-inserted one; for the root well-known URL the origin (the
/// identifier into which nothing was inserted) or the MCP URL.
pub fn prm_resource_matches(obs: &ServerObservation) -> Finding {
    let docs = documents(obs);
    if docs.is_empty() {
        return Finding::not_judged(NO_PRM);
    }
    let origin = url::Url::parse(&obs.url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (probe, doc) in &docs {
        let mut expected = vec![obs.url.clone()];
        if probe.label == label::PRM_AT_ROOT {
            expected.push(origin.clone());
            expected.push(format!("{origin}/"));
        }
        match doc.get("resource").and_then(Value::as_str) {
            Some(resource) if expected.iter().any(|e| e == resource) => {
                good.push(format!("{} says `{resource}`", probe.url));
            }
            Some(resource) => {
                let prefix = obs.url.starts_with(resource) && resource.starts_with(&origin);
                bad.push(format!(
                    "{} says resource `{resource}`, the MCP server is `{}`{}",
                    probe.url,
                    obs.url,
                    if prefix {
                        " (a prefix of it: some SDK clients accept that, RFC 9728 §3.3 does not)"
                    } else {
                        ""
                    }
                ));
            }
            None => bad.push(format!("{} has no `resource` (string)", probe.url)),
        }
    }
    if bad.is_empty() {
        Finding::met(good.join("; "))
    } else {
        Finding::violated(format!(
            "{}: a client MUST NOT use metadata whose resource differs",
            bad.join("; ")
        ))
    }
}

/// `prm-authorization-servers` (S-PRM-1): `authorization_servers` is a non-empty array of
/// absolute http(s) issuer URLs without query or fragment (RFC 8414 §2).
pub fn prm_authorization_servers(obs: &ServerObservation) -> Finding {
    judged(|| {
        let (probe, doc) = prm(obs)?;
        let Some(servers) = doc.get("authorization_servers") else {
            return Ok(Finding::violated(format!(
                "the metadata at {} has no authorization_servers",
                probe.url
            )));
        };
        let Some(list) = servers.as_array().filter(|a| !a.is_empty()) else {
            return Ok(Finding::violated(format!(
                "authorization_servers at {} is `{servers}`, not a non-empty array",
                probe.url
            )));
        };
        let bad: Vec<String> = list
            .iter()
            .filter(|v| {
                !v.as_str().is_some_and(|s| {
                    is_absolute_http_url(s)
                        && url::Url::parse(s)
                            .is_ok_and(|u| u.query().is_none() && u.fragment().is_none())
                })
            })
            .map(Value::to_string)
            .collect();
        Ok(if bad.is_empty() {
            Finding::met(format!("authorization_servers: {servers}"))
        } else {
            Finding::violated(format!(
                "authorization_servers has entries that are not issuer URLs (absolute, no query \
                 or fragment): {}",
                bad.join(", ")
            ))
        })
    })
}

/// `prm-no-empty-arrays` (S-PRM-04, RFC 9728 §3.2: "Parameters with zero values MUST be omitted").
pub fn prm_no_empty_arrays(obs: &ServerObservation) -> Finding {
    judged(|| {
        let (probe, doc) = prm(obs)?;
        let empty: Vec<&str> = doc
            .as_object()
            .map(|o| {
                o.iter()
                    .filter(|(_, v)| v.as_array().is_some_and(Vec::is_empty))
                    .map(|(k, _)| k.as_str())
                    .collect()
            })
            .unwrap_or_default();
        Ok(if empty.is_empty() {
            Finding::met(format!("no empty arrays in the metadata at {}", probe.url))
        } else {
            Finding::violated(format!(
                "the metadata at {} has empty arrays: {} (leave them out)",
                probe.url,
                empty.join(", ")
            ))
        })
    })
}

/// The PRM's `scopes_supported` strings, when it is an array.
fn scopes_supported(doc: &Value) -> Option<Vec<String>> {
    doc.get("scopes_supported")?.as_array().map(|a| {
        a.iter()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect()
    })
}

/// `prm-scopes-supported` (S-PRM-05, RFC 9728 §2: RECOMMENDED): the PRM lists `scopes_supported`.
pub fn prm_scopes_supported(obs: &ServerObservation) -> Finding {
    judged(|| {
        let (probe, doc) = prm(obs)?;
        Ok(match scopes_supported(&doc) {
            Some(scopes) if !scopes.is_empty() => {
                Finding::met(format!("scopes_supported: {}", scopes.join(" ")))
            }
            _ => Finding::violated(format!(
                "the metadata at {} lists no scopes_supported: a client that gets no scope in \
                 the challenge asks for none",
                probe.url
            )),
        })
    })
}

/// `challenge-scopes-listed` (S-SCOPE-03): the scopes of the first challenge are in
/// `scopes_supported`. MCP 2025-11-25 lets the two differ ("MAY match scopes_supported, be a
/// subset or superset of it, or an alternative collection"; servers "SHOULD strive for
/// consistency"), so a difference is a note, never a failure.
pub fn challenge_scopes_listed(obs: &ServerObservation) -> Finding {
    judged(|| {
        let challenged = obs
            .first_challenge()
            .map(|c| c.scopes())
            .unwrap_or_default();
        if challenged.is_empty() {
            return Err(Finding::not_judged("the challenge names no scope"));
        }
        let (_, doc) = prm(obs)?;
        let Some(supported) = scopes_supported(&doc) else {
            return Err(Finding::not_judged(
                "the metadata lists no scopes_supported",
            ));
        };
        let supported = scope_set(Some(&supported.join(" ")));
        let missing: Vec<&str> = challenged
            .difference(&supported)
            .map(String::as_str)
            .collect();
        Ok(if missing.is_empty() {
            Finding::met("every challenged scope is in scopes_supported")
        } else {
            Finding::note(format!(
                "the challenge names {} that scopes_supported does not list (allowed by MCP \
                 2025-11-25; a client that falls back to scopes_supported will not ask for it)",
                missing.join(", ")
            ))
        })
    })
}

/// `prm-no-query-bearer-method` (S-PRM-06): `bearer_methods_supported` does not offer `query`
/// (MCP "Access tokens MUST NOT be included in the URI query string").
pub fn prm_no_query_bearer_method(obs: &ServerObservation) -> Finding {
    judged(|| {
        let (probe, doc) = prm(obs)?;
        let methods = doc.get("bearer_methods_supported");
        let lists_query = methods
            .and_then(Value::as_array)
            .is_some_and(|a| a.iter().any(|m| m.as_str() == Some("query")));
        Ok(match methods {
            _ if lists_query => Finding::violated(format!(
                "the metadata at {} lists `query` in bearer_methods_supported ({}): MCP forbids \
                 tokens in the query string",
                probe.url,
                methods.map(Value::to_string).unwrap_or_default()
            )),
            Some(m) => Finding::met(format!("bearer_methods_supported: {m}")),
            None => Finding::met("no bearer_methods_supported (the header method is assumed)"),
        })
    })
}

/// The scope a resource does not advertise (MCP 2026-07-28 Refresh Tokens).
pub const OFFLINE_ACCESS: &str = "offline_access";

/// `prm-no-offline-access` (S-PRM-07, SHOULD NOT): neither the 401 challenge's `scope` nor the
/// metadata's `scopes_supported` names `offline_access`: refresh tokens are the authorization
/// server's business, not a resource requirement (MCP 2026-07-28 Refresh Tokens).
pub fn prm_no_offline_access(obs: &ServerObservation) -> Finding {
    let challenged = obs.first_challenge().map(|c| c.scopes());
    let listed = obs.prm().map(|(probe, doc)| {
        (
            probe.url.clone(),
            scopes_supported(&doc).unwrap_or_default(),
        )
    });
    if challenged.is_none() && listed.is_none() {
        return Finding::not_judged("neither a challenge nor protected resource metadata was seen");
    }
    let mut where_named = Vec::new();
    if challenged.is_some_and(|c| c.contains(OFFLINE_ACCESS)) {
        where_named.push("the 401 challenge's scope".to_string());
    }
    if let Some((url, scopes)) = &listed {
        if scopes.iter().any(|s| s == OFFLINE_ACCESS) {
            where_named.push(format!("scopes_supported of {url} ({})", scopes.join(" ")));
        }
    }
    if where_named.is_empty() {
        Finding::met(
            "offline_access is advertised neither in the challenge nor in scopes_supported",
        )
    } else {
        Finding::violated(format!(
            "offline_access is advertised in {}: refresh tokens are not a resource requirement \
             (clients ask for offline_access when the authorization server lists it)",
            where_named.join(" and ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::checks::prm::tests::{good, good_prm, served, with};
    use serde_json::json;

    #[test]
    fn prm_resource_matches() {
        assert!(super::prm_resource_matches(&good()).is_met());
        let finding =
            super::prm_resource_matches(&with("resource", json!("http://127.0.0.1:1000")));
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("a prefix of it"), "{finding:?}");
        // At the root, the origin is the identifier a client formed the URL from.
        let mut root = good_prm();
        root["resource"] = json!("http://127.0.0.1:1000");
        assert!(super::prm_resource_matches(&served(None, Some(root))).is_met());
        let other = with("resource", json!("https://other.example/mcp"));
        assert!(super::prm_resource_matches(&other)
            .message()
            .contains("https://other.example/mcp"));
    }

    #[test]
    fn prm_authorization_servers() {
        assert!(super::prm_authorization_servers(&good()).is_met());
        assert!(
            super::prm_authorization_servers(&with("authorization_servers", json!([])))
                .is_violated()
        );
        let relative = with("authorization_servers", json!(["/as", "http://h?x=1"]));
        let finding = super::prm_authorization_servers(&relative);
        assert!(finding.message().contains("/as") && finding.message().contains("x=1"));
        let mut none = good_prm();
        none.as_object_mut()
            .unwrap()
            .remove("authorization_servers");
        assert!(super::prm_authorization_servers(&served(Some(none), None)).is_violated());
    }

    #[test]
    fn prm_no_empty_arrays() {
        assert!(super::prm_no_empty_arrays(&good()).is_met());
        let finding = super::prm_no_empty_arrays(&with("scopes_supported", json!([])));
        assert!(finding.is_violated() && finding.message().contains("scopes_supported"));
    }

    #[test]
    fn prm_scopes_supported() {
        assert!(super::prm_scopes_supported(&good()).is_met());
        let mut doc = good_prm();
        doc.as_object_mut().unwrap().remove("scopes_supported");
        assert!(super::prm_scopes_supported(&served(Some(doc), None)).is_violated());
    }

    #[test]
    fn challenge_scopes_listed() {
        assert!(super::challenge_scopes_listed(&good()).is_met());
        let other = with("scopes_supported", json!(["mcp:other"]));
        assert!(matches!(
            super::challenge_scopes_listed(&other),
            Finding::Note(_)
        ));
    }

    #[test]
    fn prm_no_offline_access() {
        assert!(super::prm_no_offline_access(&good()).is_met());
        let listed = with("scopes_supported", json!(["mcp:tools", "offline_access"]));
        let finding = super::prm_no_offline_access(&listed);
        assert!(
            finding.is_violated() && finding.message().contains("scopes_supported of"),
            "{finding:?}"
        );
        assert!(matches!(
            super::prm_no_offline_access(&crate::server::observation::test_support::observation()),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn prm_no_query_bearer_method() {
        assert!(super::prm_no_query_bearer_method(&good()).is_met());
        let query = with("bearer_methods_supported", json!(["header", "query"]));
        assert!(super::prm_no_query_bearer_method(&query).is_violated());
    }
}
