//! Server checks: a valid token without any scope, at a server that advertises scopes. OAuth 2.1
//! §5.2 (the resource server MUST ensure the token's scope covers the request), MCP 2025-11-25
//! "Runtime Insufficient Scope Errors" (SHOULD: 403, `error="insufficient_scope"`, the needed
//! `scope`, `resource_metadata`), RFC 6750 §3.1.

use std::collections::BTreeSet;

use crate::check::Finding;
use crate::server::observation::{Challenge, Probed, ServerObservation};

use super::support::{answered, challenge_text, control, judged, probed, shown};

/// A valid token carrying no scope at all.
pub const NO_SCOPES: &str = "token:no-scopes";

fn shown_scopes(scopes: &BTreeSet<String>) -> String {
    scopes.iter().cloned().collect::<Vec<_>>().join(" ")
}

/// The probe of the scope-less token, after the control and with advertised scopes.
fn scopeless(obs: &ServerObservation) -> Result<(&Probed, BTreeSet<String>), Finding> {
    let probe = probed(obs, NO_SCOPES)?;
    control(obs)?;
    let advertised = obs.advertised_scopes();
    if advertised.is_empty() {
        return Err(Finding::not_judged(
            "the server advertises no scope (none in the challenge, no scopes_supported)",
        ));
    }
    answered(probe)?;
    Ok((probe, advertised))
}

/// The challenge of the refusal of the scope-less token, or not judged when it was accepted.
fn refusal(obs: &ServerObservation) -> Result<(&Probed, Option<Challenge>), Finding> {
    let (probe, _) = scopeless(obs)?;
    let response = probe.ok().expect("answered");
    if response.is_success() {
        return Err(Finding::not_judged(format!(
            "the token without scope was accepted ({}): scope-enforced judges that",
            shown(probe)
        )));
    }
    Ok((probe, response.bearer_challenge()))
}

/// `scope-enforced` (S-TOK-01): a token with none of the advertised scopes is refused. When only
/// the PRM's `scopes_supported` names scopes (the challenge to this very request named none), the
/// server may need them only for other operations: acceptance is then a note.
pub fn scope_enforced(obs: &ServerObservation) -> Finding {
    judged(|| {
        let (probe, advertised) = scopeless(obs)?;
        let response = probe.ok().expect("answered");
        if !response.is_success() {
            return Ok(Finding::met(format!(
                "a token without scope was refused: {}",
                shown(probe)
            )));
        }
        let challenged = obs
            .first_challenge()
            .map(|c| c.scopes())
            .unwrap_or_default();
        Ok(if challenged.is_empty() {
            Finding::note(format!(
                "a token without scope was accepted ({}); scopes_supported lists `{}`, but the \
                 challenge to this request named none, so it may need no scope",
                shown(probe),
                shown_scopes(&advertised)
            ))
        } else {
            Finding::violated(format!(
                "a token without scope was accepted ({}) although the challenge to the same \
                 request asked for `{}`: the server does not enforce its scopes",
                shown(probe),
                shown_scopes(&challenged)
            ))
        })
    })
}

/// `insufficient-scope-403` (S-TOK-4): the refusal is 403 (the token is valid, its scope is not
/// enough), not 401, which tells a client its token is bad.
pub fn insufficient_scope_403(obs: &ServerObservation) -> Finding {
    judged(|| {
        let (probe, _) = refusal(obs)?;
        Ok(match probe.status() {
            Some(403) => Finding::met(format!("403: {}", shown(probe))),
            _ => Finding::violated(format!(
                "a valid token with too little scope got {}, not 403",
                shown(probe)
            )),
        })
    })
}

/// `insufficient-scope-error` (S-SCOPE-01): the refusal's challenge says
/// `error="insufficient_scope"`.
pub fn insufficient_scope_error(obs: &ServerObservation) -> Finding {
    judged(|| {
        let (probe, challenge) = refusal(obs)?;
        let error = challenge.as_ref().and_then(|c| c.param("error"));
        Ok(if error == Some("insufficient_scope") {
            Finding::met("the challenge says error=\"insufficient_scope\"")
        } else {
            Finding::violated(format!(
                "the refusal of a token with too little scope does not say \
                 error=\"insufficient_scope\" ({})",
                challenge_text(probe.ok().expect("answered"))
            ))
        })
    })
}

/// `insufficient-scope-names-scope` (S-SCOPE-01): the refusal's challenge names the scopes needed
/// in `scope`, so the client knows what to ask for in the step-up.
pub fn insufficient_scope_names_scope(obs: &ServerObservation) -> Finding {
    judged(|| {
        let (probe, challenge) = refusal(obs)?;
        let scopes = challenge.map(|c| c.scopes()).unwrap_or_default();
        Ok(if scopes.is_empty() {
            Finding::violated(format!(
                "the refusal names no scope, so a client cannot step up ({})",
                challenge_text(probe.ok().expect("answered"))
            ))
        } else {
            Finding::met(format!(
                "the challenge names scope=\"{}\"",
                shown_scopes(&scopes)
            ))
        })
    })
}

/// `insufficient-scope-resource-metadata` (S-TOK-4): the refusal's challenge names
/// `resource_metadata` ("for consistency with 401 responses").
pub fn insufficient_scope_resource_metadata(obs: &ServerObservation) -> Finding {
    judged(|| {
        let (probe, challenge) = refusal(obs)?;
        Ok(
            match challenge
                .as_ref()
                .and_then(|c| c.param("resource_metadata"))
            {
                Some(url) => Finding::met(format!("the challenge names resource_metadata `{url}`")),
                None => Finding::violated(format!(
                    "the refusal has no resource_metadata ({})",
                    challenge_text(probe.ok().expect("answered"))
                )),
            },
        )
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

    /// A server that challenges for `mcp:tools` (or names no scope when `challenge_scope` is
    /// false but lists it in the PRM) and answers the scope-less token with `status`/`challenge`.
    fn server(challenge_scope: bool, status: u16, challenge: &str) -> ServerObservation {
        let mut obs = observation();
        let first = if challenge_scope {
            format!(r#"Bearer {RM}, scope="mcp:tools""#)
        } else {
            format!("Bearer {RM}")
        };
        probe(label::UNAUTHENTICATED, 401)
            .header("www-authenticate", &first)
            .push(&mut obs);
        probe(label::PRM_FROM_CHALLENGE, 200)
            .json(json!({"resource": obs.url, "scopes_supported": ["mcp:tools"]}))
            .push(&mut obs);
        probe(label::VALID, 200)
            .json(json!({"jsonrpc": "2.0", "id": 1, "result": {}}))
            .push(&mut obs);
        probe(NO_SCOPES, status)
            .header("www-authenticate", challenge)
            .push(&mut obs);
        obs
    }

    fn good() -> ServerObservation {
        server(
            true,
            403,
            &format!(r#"Bearer error="insufficient_scope", scope="mcp:tools", {RM}"#),
        )
    }

    #[test]
    fn scope_enforced() {
        assert!(super::scope_enforced(&good()).is_met());
        let open = super::scope_enforced(&server(true, 200, "x"));
        assert!(
            open.is_violated() && open.message().contains("mcp:tools"),
            "{open:?}"
        );
        assert!(matches!(
            super::scope_enforced(&server(false, 200, "x")),
            Finding::Note(_)
        ));
    }

    #[test]
    fn no_advertised_scope_is_not_judged() {
        let mut obs = server(false, 200, "x");
        obs.probes.retain(|p| p.label != label::PRM_FROM_CHALLENGE);
        assert!(matches!(super::scope_enforced(&obs), Finding::NotJudged(_)));
    }

    #[test]
    fn insufficient_scope_403() {
        assert!(super::insufficient_scope_403(&good()).is_met());
        let unauthorized = server(true, 401, r#"Bearer error="invalid_token""#);
        assert!(super::insufficient_scope_403(&unauthorized).is_violated());
    }

    #[test]
    fn insufficient_scope_error() {
        assert!(super::insufficient_scope_error(&good()).is_met());
        let bare = server(true, 403, &format!("Bearer {RM}"));
        assert!(super::insufficient_scope_error(&bare).is_violated());
    }

    #[test]
    fn insufficient_scope_names_scope() {
        assert!(super::insufficient_scope_names_scope(&good()).is_met());
        let bare = server(true, 403, r#"Bearer error="insufficient_scope""#);
        assert!(super::insufficient_scope_names_scope(&bare).is_violated());
    }

    #[test]
    fn insufficient_scope_resource_metadata() {
        assert!(super::insufficient_scope_resource_metadata(&good()).is_met());
        let bare = server(
            true,
            403,
            r#"Bearer error="insufficient_scope", scope="mcp:tools""#,
        );
        assert!(super::insufficient_scope_resource_metadata(&bare).is_violated());
    }
}
