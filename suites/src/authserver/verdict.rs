//! The verdict per spec version: will an MCP client of that version work with this authorization
//! server? It is the discovery scenario of that version: every failed check there (its MUSTs:
//! the metadata found, issuer, code flow, endpoints, HTTPS, S256 from 2025-11-25 on, the issuer
//! identical with no normalisation at 2026-07-28) is a reason, in a sentence, with the fix when
//! one is known. At 2026-07-28 the failed checks of the authorization response's RFC 9207 `iss`
//! (`authserver/authorization-response-iss`, with `--register`) are reasons too: a 2026-07-28
//! client rejects a response whose `iss` is wrong, or missing when advertised.

use std::fmt;

use mcp_authlab_mock_idp::urls::{oidc_inserted_url, origin_and_path, rfc8414_metadata_url};
use mcp_authlab_reports::{Outcome, ScenarioResult, SpecVersion, Verdict};

use super::checks::split::hosting_fix;
use super::run::AuthServerTarget;

/// What a client of one version will do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Works {
    Yes,
    /// The reasons, a sentence each (with the fix when known).
    No(Vec<String>),
    /// The scenario could not judge (why).
    Unknown(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionVerdict {
    pub version: SpecVersion,
    pub works: Works,
    /// What the verdict assumes or leaves out.
    pub notes: Vec<String>,
}

/// The scenario whose verdict is the version's.
pub fn discovery_scenario_id(version: SpecVersion) -> String {
    format!("authserver/discovery-{version}")
}

/// The scenario of the authorization response's `iss`, part of the 2026-07-28 verdict.
pub const ISS_SCENARIO_ID: &str = "authserver/authorization-response-iss";

/// The verdicts of the versions whose discovery scenario ran, oldest first.
pub fn verdicts(results: &[ScenarioResult], target: &AuthServerTarget) -> Vec<VersionVerdict> {
    let split = results
        .iter()
        .find(|r| r.id == "authserver/split-or-custom-metadata");
    let named_invisible = split.is_some_and(|r| {
        r.checks
            .iter()
            .any(|c| c.id == "metadata-url-discoverable" && c.outcome == Outcome::Fail)
    });
    let registration_warned = results.iter().any(|r| {
        r.checks
            .iter()
            .any(|c| c.id == "as-client-registration" && c.outcome == Outcome::Warn)
    });
    SpecVersion::ALL
        .iter()
        .filter_map(|&version| {
            let result = results
                .iter()
                .find(|r| r.id == discovery_scenario_id(version))?;
            let iss = results
                .iter()
                .find(|r| r.id == ISS_SCENARIO_ID)
                .filter(|_| version == SpecVersion::V2026_07_28);
            let works = match result.verdict {
                Verdict::Error | Verdict::Skip => {
                    Works::Unknown(result.error.clone().unwrap_or_else(|| "not judged".into()))
                }
                _ => {
                    let reasons: Vec<String> = result
                        .checks
                        .iter()
                        .chain(iss.iter().flat_map(|r| r.checks.iter()))
                        .filter(|c| c.outcome == Outcome::Fail)
                        .map(|c| {
                            let fix = fix(&c.id, version, target, named_invisible);
                            match fix {
                                Some(fix) => format!("{}. Fix: {fix}.", sentence(&c.message)),
                                None => format!("{}.", sentence(&c.message)),
                            }
                        })
                        .collect();
                    if reasons.is_empty() {
                        Works::Yes
                    } else {
                        Works::No(reasons)
                    }
                }
            };
            let mut notes = Vec::new();
            let fallback = result.checks.iter().any(|c| {
                c.id == "as-metadata-found"
                    && c.outcome == Outcome::Pass
                    && c.message.starts_with("no metadata")
            });
            if fallback && works == Works::Yes {
                notes.push(
                    "through the default /authorize and /token: there is no metadata at the origin"
                        .into(),
                );
            }
            if version == SpecVersion::V2025_03_26 && works == Works::Yes {
                let origin = origin_and_path(&target.issuer)
                    .map(|(o, _)| o)
                    .unwrap_or_else(|_| target.issuer.clone());
                notes.push(format!(
                    "if the MCP server is served from {origin}: 2025-03-26 clients look for the \
                     authorization server on the MCP server's origin"
                ));
            }
            if registration_warned && works == Works::Yes && version != SpecVersion::V2025_03_26 {
                notes.push("with a pre-registered client only: there is no way to register".into());
            }
            if version == SpecVersion::V2026_07_28 && works == Works::Yes {
                notes.extend(iss_notes(result, iss));
            }
            Some(VersionVerdict {
                version,
                works,
                notes,
            })
        })
        .collect()
}

/// What the 2026-07-28 verdict leaves out about RFC 9207 `iss`: not advertised (clients cannot
/// detect mix-up attacks), or the authorization response not seen.
fn iss_notes(discovery: &ScenarioResult, iss: Option<&ScenarioResult>) -> Vec<String> {
    let mut notes = Vec::new();
    let unadvertised = discovery
        .checks
        .iter()
        .any(|c| c.id == "iss-parameter-supported" && c.outcome == Outcome::Warn);
    if unadvertised {
        notes.push(
            "without RFC 9207 iss: clients cannot detect mix-up attacks, which 2026-07-28 asks \
             authorization servers to prevent (SHOULD)"
                .into(),
        );
    }
    match iss {
        Some(r) if r.verdict == Verdict::Skip => notes.push(format!(
            "the iss of authorization responses was not checked: {}",
            r.error.as_deref().unwrap_or("not judged")
        )),
        None => notes.push(
            "the iss of authorization responses was not checked (it needs --register)".into(),
        ),
        Some(_) => {}
    }
    notes
}

/// The message as a sentence (no trailing period: the caller adds one).
fn sentence(message: &str) -> String {
    message.trim_end_matches('.').to_string()
}

/// What to change for a failed check of a discovery scenario, when it is known.
fn fix(
    check: &str,
    version: SpecVersion,
    target: &AuthServerTarget,
    named_invisible: bool,
) -> Option<String> {
    let issuer = &target.issuer;
    let rfc8414 = rfc8414_metadata_url(issuer).unwrap_or_else(|_| issuer.clone());
    Some(match check {
        "as-metadata-found" if named_invisible => format!(
            "the metadata at {} cannot be found from the issuer: {}",
            target.metadata_url.as_deref().unwrap_or("--metadata-url"),
            hosting_fix(issuer)
        ),
        "as-metadata-found" => match version {
            SpecVersion::V2025_03_26 => {
                let origin = origin_and_path(issuer)
                    .map(|(o, _)| o)
                    .unwrap_or_else(|_| issuer.clone());
                format!(
                    "serve the metadata at {origin}/.well-known/oauth-authorization-server, or \
                     /authorize and /token at {origin}"
                )
            }
            SpecVersion::V2025_06_18 => format!(
                "serve RFC 8414 metadata at {rfc8414} (2025-06-18 clients try nothing else); if \
                 it is elsewhere, run again with --metadata-url URL to have it diagnosed"
            ),
            _ => format!(
                "serve the metadata at {rfc8414} or {}; if it is elsewhere, run again with \
                 --metadata-url URL to have it diagnosed",
                oidc_inserted_url(issuer).unwrap_or_else(|_| issuer.clone())
            ),
        },
        "as-issuer-matches" | "as-issuer-identical" => format!(
            "make `issuer` in the metadata exactly {issuer}, or give MCP servers the issuer the \
             metadata names"
        ),
        "iss-matches-issuer" => format!(
            "send iss exactly as {issuer}, character for character (no trailing slash, case or \
             port change)"
        ),
        "iss-advertised-consistently" => {
            "advertise \"authorization_response_iss_parameter_supported\": \
                                          true exactly when authorization responses carry iss"
                .into()
        }
        "as-pkce-s256" => {
            "support PKCE with S256 and advertise it: \"code_challenge_methods_supported\": \
             [\"S256\"]"
                .into()
        }
        "as-response-type-code" => "support the authorization code flow and list \"code\" in \
                                    response_types_supported"
            .into(),
        "as-endpoints-present" => "publish authorization_endpoint and token_endpoint".into(),
        "grant-type-authorization-code" => {
            "enable the authorization_code grant and list it in grant_types_supported".into()
        }
        "as-https" => "serve the issuer and every endpoint over HTTPS".into(),
        _ => return None,
    })
}

impl fmt::Display for VersionVerdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let notes = if self.notes.is_empty() {
            String::new()
        } else {
            format!(" ({})", self.notes.join("; "))
        };
        match &self.works {
            Works::Yes => writeln!(f, "MCP {} clients: will work{notes}", self.version),
            Works::No(reasons) => {
                writeln!(f, "MCP {} clients: will NOT work:", self.version)?;
                reasons
                    .iter()
                    .try_for_each(|reason| writeln!(f, "  - {reason}"))
            }
            Works::Unknown(why) => {
                writeln!(f, "MCP {} clients: not judged ({why})", self.version)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_authlab_reports::{CheckResult, Level};

    fn result(version: SpecVersion, failed: Option<(&str, &str)>) -> ScenarioResult {
        let checks = failed
            .map(|(id, message)| {
                vec![CheckResult {
                    id: id.into(),
                    level: Level::Must,
                    requirement: "AS-META-1".into(),
                    section: "s".into(),
                    outcome: Outcome::Fail,
                    message: message.into(),
                    expected_failure: false,
                    expected: None,
                    evidence: Vec::new(),
                }]
            })
            .unwrap_or_default();
        ScenarioResult {
            id: discovery_scenario_id(version),
            description: "d".into(),
            spec_version: version,
            verdict: if checks.is_empty() {
                Verdict::Pass
            } else {
                Verdict::Fail
            },
            duration_ms: 0,
            checks,
            error: None,
            expected_failure: false,
            output: Vec::new(),
            trace: Vec::new(),
        }
    }

    #[test]
    fn a_failed_check_is_a_reason_with_its_fix() {
        let target = AuthServerTarget::new("https://idp.example");
        let results = [
            result(SpecVersion::V2025_06_18, None),
            result(
                SpecVersion::V2025_11_25,
                Some(("as-pkce-s256", "no code_challenge_methods_supported")),
            ),
        ];
        let v = verdicts(&results, &target);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].works, Works::Yes);
        let text = v[1].to_string();
        assert!(
            text.starts_with("MCP 2025-11-25 clients: will NOT work:"),
            "{text}"
        );
        assert!(
            text.contains("no code_challenge_methods_supported. Fix: support PKCE"),
            "{text}"
        );
    }

    #[test]
    fn at_2026_07_28_a_wrong_iss_is_a_reason_and_an_unchecked_one_a_note() {
        let target = AuthServerTarget::new("https://idp.example");
        let mut iss = result(
            SpecVersion::V2026_07_28,
            Some((
                "iss-matches-issuer",
                "`https://idp.example/` is not identical",
            )),
        );
        iss.id = ISS_SCENARIO_ID.into();
        let results = [
            result(SpecVersion::V2025_11_25, None),
            result(SpecVersion::V2026_07_28, None),
            iss,
        ];
        let v = verdicts(&results, &target);
        assert_eq!(
            v[0].works,
            Works::Yes,
            "the iss scenario is 2026-07-28's only"
        );
        let text = v[1].to_string();
        assert!(
            text.contains("is not identical. Fix: send iss exactly as https://idp.example"),
            "{text}"
        );

        let mut skipped = result(SpecVersion::V2026_07_28, None);
        skipped.id = ISS_SCENARIO_ID.into();
        skipped.verdict = Verdict::Skip;
        skipped.error = Some("only with --register".into());
        let v = verdicts(&[result(SpecVersion::V2026_07_28, None), skipped], &target);
        assert_eq!(v[0].works, Works::Yes);
        assert!(
            v[0].to_string().contains(
                "the iss of authorization responses was not checked: only with --register"
            ),
            "{}",
            v[0]
        );
    }

    #[test]
    fn the_2025_03_26_verdict_says_what_it_assumes() {
        let target = AuthServerTarget::new("https://idp.example/t1");
        let v = verdicts(&[result(SpecVersion::V2025_03_26, None)], &target);
        assert!(v[0]
            .to_string()
            .contains("if the MCP server is served from https://idp.example"));
    }
}
