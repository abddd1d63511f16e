//! Server checks: tokens with exactly one flaw (expired, foreign audience, forged, ...). OAuth 2.1
//! §5.2 (validate the token), §5.3 and RFC 6750 §3.1 (401 with `error="invalid_token"`), MCP
//! "Token Handling" (invalid or expired tokens MUST receive 401; only tokens issued for this server),
//! RFC 9728 §5.1 (`resource_metadata` in the challenge), RFC 9068 §4 (JWT access token validation).
//!
//! The checks are generic over an index into [`FLAWS`] (one probe label per flaw), so each flaw
//! scenario gets its own function pointers: `rejected::<0>` judges the expired token.

use mcp_authlab_mock_idp::forge::TokenFlaw;

use crate::check::Finding;
use crate::server::observation::{Probed, ServerObservation, TokenSourceKind};

use super::support::{answered, challenge_text, control, expect_401, judged, probed, shown};

/// How accepting a flawed token is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Acceptance {
    /// Accepting it is always a violation.
    Wrong,
    /// A revoked token: only a server that introspects can know (a JWT validated locally stays
    /// valid until it expires), so acceptance is a violation when the server asked the
    /// introspection endpoint, a note when no introspection request was seen.
    KnowableByIntrospection,
    /// `typ: JWT` instead of `at+jwt`: RFC 9068 §4 binds servers that validate JWT access tokens
    /// themselves; a server that introspects relies on the authorization server's answer and never
    /// looks at `typ`, so acceptance after introspection is a note.
    KnowableByJwtValidation,
}

/// One flawed token and the probe label it is presented under (`token:<flaw-name>`).
#[derive(Debug, Clone, Copy)]
pub struct FlawCase {
    pub flaw: TokenFlaw,
    pub label: &'static str,
    pub acceptance: Acceptance,
}

/// Every flaw the server suite presents, in catalogue order.
pub const FLAWS: [FlawCase; 9] = [
    case(TokenFlaw::Expired, "token:expired", Acceptance::Wrong),
    case(
        TokenFlaw::NotYetValid,
        "token:not-yet-valid",
        Acceptance::Wrong,
    ),
    case(
        TokenFlaw::WrongAudience,
        "token:wrong-audience",
        Acceptance::Wrong,
    ),
    case(
        TokenFlaw::WrongIssuer,
        "token:wrong-issuer",
        Acceptance::Wrong,
    ),
    case(
        TokenFlaw::BadSignature,
        "token:bad-signature",
        Acceptance::Wrong,
    ),
    case(TokenFlaw::AlgNone, "token:alg-none", Acceptance::Wrong),
    case(
        TokenFlaw::UnknownKid,
        "token:unknown-kid",
        Acceptance::Wrong,
    ),
    case(
        TokenFlaw::WrongType,
        "token:wrong-type",
        Acceptance::KnowableByJwtValidation,
    ),
    case(
        TokenFlaw::Revoked,
        "token:revoked",
        Acceptance::KnowableByIntrospection,
    ),
];

const fn case(flaw: TokenFlaw, label: &'static str, acceptance: Acceptance) -> FlawCase {
    FlawCase {
        flaw,
        label,
        acceptance,
    }
}

/// The token in words: the mock's description of a minted one, the flaw's name for a given one.
fn what(obs: &ServerObservation, case: &FlawCase) -> String {
    match obs.token_source {
        TokenSourceKind::MockIdp => case.flaw.description().to_string(),
        _ => format!("the given token made `{}`", case.flaw.name()),
    }
}

/// The flawed probe, after the positive control: or the not-judged finding.
fn flawed<'a>(obs: &'a ServerObservation, case: &FlawCase) -> Result<&'a Probed, Finding> {
    let probe = probed(obs, case.label)?;
    control(obs)?;
    Ok(probe)
}

/// Requests to the mock IdP's introspection endpoint during the scenario.
fn introspections(obs: &ServerObservation) -> usize {
    obs.idp_events
        .iter()
        .filter(|e| {
            e.method == "POST"
                && e.path
                    .split('?')
                    .next()
                    .unwrap_or("")
                    .ends_with("/introspect")
        })
        .count()
}

/// `<flaw>-rejected` (S-TOK-1, S-TOK-2, S-TOK-07): the flawed token is not accepted.
pub fn rejected<const I: usize>(obs: &ServerObservation) -> Finding {
    let case = &FLAWS[I];
    judged(|| {
        let probe = flawed(obs, case)?;
        let response = answered(probe)?;
        let token = what(obs, case);
        if !response.is_success() {
            return Ok(Finding::met(format!(
                "{token} was refused: {}",
                shown(probe)
            )));
        }
        let asked = introspections(obs);
        Ok(match case.acceptance {
            Acceptance::Wrong => {
                Finding::violated(format!("{token} was accepted: {}", shown(probe)))
            }
            // The mock IdP's introspection answers `active: false` for every flaw but the
            // audience: a server that asked and accepted ignored the answer (RFC 7662 §2.2).
            Acceptance::KnowableByIntrospection | Acceptance::KnowableByJwtValidation
                if asked > 0 =>
            {
                Finding::violated(format!(
                    "{token} was accepted ({}) although the server asked the introspection \
                     endpoint about it, which reports it inactive (RFC 7662 §2.2)",
                    shown(probe)
                ))
            }
            Acceptance::KnowableByIntrospection => Finding::note(format!(
                "{token} was accepted ({}); no introspection request reached the mock IdP, so the \
                 server validates the JWT locally and cannot know of a revocation before the \
                 token expires (keep access tokens short-lived)",
                shown(probe)
            )),
            Acceptance::KnowableByJwtValidation => Finding::violated(format!(
                "{token} was accepted ({}): a server validating JWT access tokens MUST reject a \
                 `typ` other than at+jwt (RFC 9068 §4), or it accepts ID tokens and other JWTs \
                 signed by the same key",
                shown(probe)
            )),
        })
    })
}

/// `<flaw>-status-401` (S-TOK-3): a refused flawed token gets 401 (not 400, 403 or a 5xx), with
/// no data in the body.
pub fn status_401<const I: usize>(obs: &ServerObservation) -> Finding {
    let case = &FLAWS[I];
    judged(|| {
        let probe = flawed(obs, case)?;
        if answered(probe)?.is_success() {
            return Err(Finding::not_judged(format!(
                "the token was accepted ({}): the rejection check judges that",
                shown(probe)
            )));
        }
        expect_401(probe, &what(obs, case))
    })
}

/// The 401 answer to the flawed token, or the not-judged finding.
fn unauthorized<'a>(obs: &'a ServerObservation, case: &FlawCase) -> Result<&'a Probed, Finding> {
    let probe = flawed(obs, case)?;
    let response = answered(probe).map_err(|_| Finding::not_judged("no response to judge"))?;
    if response.status != 401 {
        return Err(Finding::not_judged(format!(
            "not a 401 ({}): the status check judges that",
            shown(probe)
        )));
    }
    Ok(probe)
}

/// `<flaw>-invalid-token-error` (S-401-07, RFC 6750 §3.1): the 401's challenge says
/// `error="invalid_token"`, which tells a client to get a new token rather than re-authorize
/// blindly.
pub fn invalid_token_error<const I: usize>(obs: &ServerObservation) -> Finding {
    let case = &FLAWS[I];
    judged(|| {
        let probe = unauthorized(obs, case)?;
        let response = probe.ok().expect("a 401");
        let error = response
            .bearer_challenge()
            .and_then(|c| c.param("error").map(str::to_string));
        Ok(match error.as_deref() {
            Some("invalid_token") => Finding::met(format!("401 with {}", challenge_text(response))),
            Some(other) => Finding::violated(format!(
                "the 401 says error=\"{other}\", not invalid_token ({})",
                challenge_text(response)
            )),
            None => Finding::violated(format!(
                "the 401 has no error=\"invalid_token\" ({})",
                challenge_text(response)
            )),
        })
    })
}

/// `<flaw>-challenge-has-resource-metadata` (S-PRM-3, RFC 9728 §5.1): the 401 to a bad token still
/// names the metadata URL, as the first 401 did (a client whose token went bad re-discovers from
/// it). Not judged for a server that names it in no challenge (it relies on the well-known URLs).
pub fn challenge_has_resource_metadata<const I: usize>(obs: &ServerObservation) -> Finding {
    let case = &FLAWS[I];
    judged(|| {
        let probe = unauthorized(obs, case)?;
        let Some(first) = obs
            .first_challenge()
            .and_then(|c| c.param("resource_metadata").map(str::to_string))
        else {
            return Err(Finding::not_judged(
                "the first 401 names no resource_metadata either: the server relies on the \
                 well-known URLs",
            ));
        };
        let response = probe.ok().expect("a 401");
        let here = response
            .bearer_challenge()
            .and_then(|c| c.param("resource_metadata").map(str::to_string));
        Ok(match here {
            Some(url) => Finding::met(format!("the 401 names resource_metadata `{url}`")),
            None => Finding::violated(format!(
                "the 401 to the bad token has no resource_metadata ({}), unlike the first 401 \
                 (`{first}`)",
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
    use mcp_authlab_mock_idp::trace::{Role, TraceEvent};
    use serde_json::json;

    const EXPIRED: usize = 0;
    const WRONG_TYPE: usize = 7;
    const REVOKED: usize = 8;
    const RM: &str =
        r#"resource_metadata="http://127.0.0.1:1000/.well-known/oauth-protected-resource/mcp""#;

    #[test]
    fn labels_are_token_and_the_flaw_name_and_every_flaw_is_listed() {
        for case in FLAWS {
            assert_eq!(case.label, format!("token:{}", case.flaw.name()));
        }
        let listed: Vec<TokenFlaw> = FLAWS.iter().map(|c| c.flaw).collect();
        for flaw in TokenFlaw::ALL.iter().filter(|f| f.is_flawed()) {
            assert!(listed.contains(flaw), "{flaw:?} has no case");
        }
        assert_eq!(FLAWS[EXPIRED].flaw, TokenFlaw::Expired);
        assert_eq!(FLAWS[WRONG_TYPE].flaw, TokenFlaw::WrongType);
        assert_eq!(FLAWS[REVOKED].flaw, TokenFlaw::Revoked);
    }

    /// A server that challenges with resource_metadata, accepts the valid token, and answers the
    /// flawed one (`index`) with `status` and `challenge`.
    fn answered(index: usize, status: u16, challenge: &str) -> ServerObservation {
        let mut obs = observation();
        probe(label::UNAUTHENTICATED, 401)
            .header("www-authenticate", &format!("Bearer {RM}"))
            .push(&mut obs);
        probe(label::VALID, 200)
            .json(json!({"jsonrpc": "2.0", "id": 1, "result": {}}))
            .push(&mut obs);
        probe(FLAWS[index].label, status)
            .header("www-authenticate", challenge)
            .push(&mut obs);
        obs
    }

    fn good() -> ServerObservation {
        answered(
            EXPIRED,
            401,
            &format!(r#"Bearer error="invalid_token", {RM}"#),
        )
    }

    fn introspected(obs: &mut ServerObservation) {
        obs.idp_events.push(TraceEvent {
            seq: 1,
            timestamp_ms: 0,
            role: Role::AuthorizationServer,
            method: "POST".into(),
            path: "/introspect".into(),
            status: 200,
            completed: true,
            duration_ms: 1,
            request_headers: Default::default(),
            request_body: None,
            response_headers: Default::default(),
            response_body: None,
            raw: None,
            raw_response: None,
        });
    }

    #[test]
    fn rejected() {
        assert!(super::rejected::<EXPIRED>(&good()).is_met());
        let accepted = super::rejected::<EXPIRED>(&answered(EXPIRED, 200, "x"));
        assert!(accepted.is_violated() && accepted.message().contains("expired"));
    }

    #[test]
    fn a_revoked_token_is_wrongly_accepted_only_after_introspection() {
        let mut obs = answered(REVOKED, 200, "x");
        assert!(matches!(super::rejected::<REVOKED>(&obs), Finding::Note(_)));
        introspected(&mut obs);
        assert!(super::rejected::<REVOKED>(&obs).is_violated());
    }

    #[test]
    fn a_wrong_typ_accepted_is_wrong_with_or_without_introspection() {
        let mut obs = answered(WRONG_TYPE, 200, "x");
        assert!(super::rejected::<WRONG_TYPE>(&obs).is_violated());
        // The mock IdP's introspection says `active: false` for it: accepting it ignores that.
        introspected(&mut obs);
        let finding = super::rejected::<WRONG_TYPE>(&obs);
        assert!(
            finding.is_violated() && finding.message().contains("inactive"),
            "{finding:?}"
        );
    }

    #[test]
    fn nothing_is_judged_without_the_probe_or_the_positive_control() {
        let mut obs = answered(EXPIRED, 200, "x");
        obs.probes.retain(|p| p.label != label::VALID);
        let finding = super::rejected::<EXPIRED>(&obs);
        assert!(matches!(&finding, Finding::NotJudged(m) if m.contains("positive control")));
        let mut missing = observation();
        missing.not_probed.insert(
            FLAWS[EXPIRED].label.into(),
            "needs the issuer's signing key".into(),
        );
        let finding = super::rejected::<EXPIRED>(&missing);
        assert!(matches!(&finding, Finding::NotJudged(m) if m.contains("signing key")));
    }

    #[test]
    fn status_401() {
        assert!(super::status_401::<EXPIRED>(&good()).is_met());
        let forbidden = super::status_401::<EXPIRED>(&answered(EXPIRED, 403, "Bearer"));
        assert!(forbidden.is_violated() && forbidden.message().contains("403"));
        assert!(super::status_401::<EXPIRED>(&answered(EXPIRED, 500, "Bearer")).is_violated());
        assert!(matches!(
            super::status_401::<EXPIRED>(&answered(EXPIRED, 200, "x")),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn invalid_token_error() {
        assert!(super::invalid_token_error::<EXPIRED>(&good()).is_met());
        let bare = answered(EXPIRED, 401, &format!("Bearer {RM}"));
        assert!(super::invalid_token_error::<EXPIRED>(&bare).is_violated());
    }

    #[test]
    fn challenge_has_resource_metadata() {
        assert!(super::challenge_has_resource_metadata::<EXPIRED>(&good()).is_met());
        let bare = answered(EXPIRED, 401, r#"Bearer error="invalid_token""#);
        assert!(super::challenge_has_resource_metadata::<EXPIRED>(&bare).is_violated());
    }
}
