//! Server check: one complete scope challenge. MCP 2026-07-28 "Scope Challenge Handling" › Server
//! Scope Management: "servers SHOULD include all scopes required for the current operation in a
//! single challenge" (no one missing scope, then another on the retry). Black box: after a client
//! steps up to the union of what it had (nothing) and what the 403 named, the same request must
//! not be refused again for a scope the first challenge did not name.

use std::collections::BTreeSet;

use crate::check::Finding;
use crate::server::observation::ServerObservation;

use super::scope::NO_SCOPES;
use super::support::{answered, challenge_text, control, judged, probed, shown};

/// The token with exactly the scopes the 403 to the scope-less token named.
pub const CHALLENGED_SCOPES: &str = "token:challenged-scopes";

fn joined(scopes: &BTreeSet<String>) -> String {
    scopes.iter().cloned().collect::<Vec<_>>().join(" ")
}

/// `scope-challenge-complete` (S-SCOPE-04): a token with the challenged scopes is accepted for the
/// same request; a second `insufficient_scope` naming a scope the first did not is the violation.
pub fn scope_challenge_complete(obs: &ServerObservation) -> Finding {
    judged(|| {
        control(obs)?;
        let first = probed(obs, NO_SCOPES)?;
        let challenged = answered(first)?
            .bearer_challenge()
            .map(|c| c.scopes())
            .unwrap_or_default();
        let probe = probed(obs, CHALLENGED_SCOPES)?;
        let response = answered(probe)?;
        if response.is_success() {
            return Ok(Finding::met(format!(
                "a token with the challenged scopes `{}` was accepted for the same request ({})",
                joined(&challenged),
                shown(probe)
            )));
        }
        let again = response
            .bearer_challenge()
            .filter(|c| c.param("error") == Some("insufficient_scope"));
        Ok(match again {
            Some(again) => {
                let new: BTreeSet<String> =
                    again.scopes().difference(&challenged).cloned().collect();
                if new.is_empty() {
                    Finding::violated(format!(
                        "a token with every challenged scope (`{}`) is still refused for \
                         insufficient scope ({}, {})",
                        joined(&challenged),
                        shown(probe),
                        challenge_text(response)
                    ))
                } else {
                    Finding::violated(format!(
                        "the first 403 named `{}`; a token with exactly those was refused again, \
                         now naming `{}` ({}): the scopes of one operation come one challenge at a \
                         time, each costing the client an authorization round-trip",
                        joined(&challenged),
                        joined(&new),
                        shown(probe)
                    ))
                }
            }
            None => Finding::violated(format!(
                "a token with the challenged scopes `{}` was refused: {} with {}",
                joined(&challenged),
                shown(probe),
                challenge_text(response)
            )),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observation::label;
    use crate::server::observation::test_support::*;
    use serde_json::json;

    const RM: &str =
        r#"resource_metadata="http://127.0.0.1:1000/.well-known/oauth-protected-resource/mcp""#;

    /// The scope-less token gets 403 naming `first`; the step-up token gets `status`/`challenge`.
    fn server(first: &str, status: u16, challenge: Option<&str>) -> ServerObservation {
        let mut obs = observation();
        probe(label::VALID, 200)
            .json(json!({"jsonrpc": "2.0", "id": 1, "result": {}}))
            .push(&mut obs);
        probe(NO_SCOPES, 403)
            .header(
                "www-authenticate",
                &format!(r#"Bearer error="insufficient_scope", scope="{first}", {RM}"#),
            )
            .push(&mut obs);
        let mut step_up = probe(CHALLENGED_SCOPES, status);
        if let Some(challenge) = challenge {
            step_up = step_up.header("www-authenticate", challenge);
        }
        step_up.push(&mut obs);
        obs
    }

    #[test]
    fn one_complete_challenge_passes_and_a_drip_fails() {
        assert!(scope_challenge_complete(&server("mcp:tools mcp:admin", 200, None)).is_met());
        let drip = scope_challenge_complete(&server(
            "mcp:tools",
            403,
            Some(&format!(
                r#"Bearer error="insufficient_scope", scope="mcp:admin", {RM}"#
            )),
        ));
        assert!(drip.is_violated(), "{drip:?}");
        assert!(
            drip.message().contains("now naming `mcp:admin`"),
            "{drip:?}"
        );
        let stuck = scope_challenge_complete(&server(
            "mcp:tools",
            403,
            Some(r#"Bearer error="insufficient_scope", scope="mcp:tools""#),
        ));
        assert!(stuck.message().contains("still refused"), "{stuck:?}");
        let refused = scope_challenge_complete(&server("mcp:tools", 401, None));
        assert!(refused.is_violated(), "{refused:?}");
    }

    #[test]
    fn without_a_step_up_probe_it_is_not_judged() {
        let mut obs = server("mcp:tools", 200, None);
        obs.probes.pop();
        obs.not_probed
            .insert(CHALLENGED_SCOPES.into(), "no scope was named".into());
        let finding = scope_challenge_complete(&obs);
        assert!(
            matches!(&finding, Finding::NotJudged(m) if m.contains("no scope was named")),
            "{finding:?}"
        );
    }
}
