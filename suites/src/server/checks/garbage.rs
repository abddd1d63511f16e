//! Server checks: credentials that are not tokens at all (a random string, a bare scheme, another
//! scheme, two tokens). MCP "Error Handling" (401 for a missing or invalid token, 400 for a
//! malformed request), RFC 6750 §3 and §3.1 (a request with another scheme gets the Bearer
//! challenge). They need no token, so they run against any server.

use crate::check::Finding;
use crate::server::observation::{label, ServerObservation};

use super::support::{
    answered, challenge_text, expect_401, judged, no_server_error, probed, shown,
};

/// `Authorization: Bearer this-is-not-a-token`.
pub const RANDOM: &str = "garbage:random";
/// `Authorization: Bearer` (no token).
pub const EMPTY_BEARER: &str = "garbage:empty-bearer";
/// `Authorization: Basic dXNlcjpwYXNz`.
pub const BASIC: &str = "garbage:basic";
/// `Authorization: Bearer a b`.
pub const TWO_TOKENS: &str = "garbage:two-tokens";

/// `random-token-401` (S-TOK-3): a well-formed bearer value that is no token gets 401.
pub fn random_token_401(obs: &ServerObservation) -> Finding {
    judged(|| expect_401(probed(obs, RANDOM)?, "a random string as bearer token"))
}

/// `malformed-header-400-or-401` (S-401-08): `Bearer` without a token and `Bearer a b` get 400
/// (malformed request) or 401 (no usable token), never 2xx or a server error.
pub fn malformed_header_400_or_401(obs: &ServerObservation) -> Finding {
    let probes: Vec<_> = [EMPTY_BEARER, TWO_TOKENS]
        .iter()
        .filter_map(|l| obs.probe(l))
        .collect();
    if probes.is_empty() {
        return Finding::not_judged("no malformed Authorization header was sent");
    }
    let bad: Vec<String> = probes
        .iter()
        .filter(|p| !matches!(p.status(), Some(400 | 401)))
        .map(|p| format!("`{}`: {}", p.label, shown(p)))
        .collect();
    if bad.is_empty() {
        let seen: Vec<String> = probes
            .iter()
            .map(|p| format!("`{}` {}", p.label, p.outcome_summary()))
            .collect();
        Finding::met(seen.join(", "))
    } else {
        Finding::violated(format!(
            "a malformed Authorization header must get 400 or 401: {}",
            bad.join("; ")
        ))
    }
}

/// `basic-scheme-bearer-challenge` (S-401-04): a request with `Basic` credentials carries no bearer
/// token, so it gets 401 with a `Bearer` challenge telling the client what to use.
pub fn basic_scheme_bearer_challenge(obs: &ServerObservation) -> Finding {
    judged(|| {
        let probe = probed(obs, BASIC)?;
        let status = expect_401(probe, "a request with Basic credentials")?;
        if !status.is_met() {
            return Ok(status);
        }
        let response = answered(probe)?;
        Ok(if response.bearer_challenge().is_some() {
            Finding::met(format!("401 with {}", challenge_text(response)))
        } else {
            Finding::violated(format!(
                "the 401 to Basic credentials has no Bearer challenge ({})",
                challenge_text(response)
            ))
        })
    })
}

/// `garbage-no-server-error` (S-TOK-3): no garbage credential (nor the request without any) made
/// the server fail or hang up.
pub fn garbage_no_server_error(obs: &ServerObservation) -> Finding {
    no_server_error(
        [
            label::UNAUTHENTICATED,
            RANDOM,
            EMPTY_BEARER,
            BASIC,
            TWO_TOKENS,
        ]
        .iter()
        .filter_map(|l| obs.probe(l)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observation::test_support::*;

    const BEARER: &str = r#"Bearer error="invalid_token""#;

    fn server(random: u16, empty: u16, basic: (u16, &str), two: u16) -> ServerObservation {
        let mut obs = observation();
        probe(label::UNAUTHENTICATED, 401)
            .header("www-authenticate", "Bearer")
            .push(&mut obs);
        probe(RANDOM, random)
            .header("www-authenticate", BEARER)
            .push(&mut obs);
        probe(EMPTY_BEARER, empty).push(&mut obs);
        probe(BASIC, basic.0)
            .header("www-authenticate", basic.1)
            .push(&mut obs);
        probe(TWO_TOKENS, two).push(&mut obs);
        obs
    }

    fn good() -> ServerObservation {
        server(401, 400, (401, "Bearer"), 401)
    }

    #[test]
    fn random_token_401() {
        assert!(super::random_token_401(&good()).is_met());
        assert!(super::random_token_401(&server(200, 400, (401, "Bearer"), 401)).is_violated());
    }

    #[test]
    fn malformed_header_400_or_401() {
        assert!(super::malformed_header_400_or_401(&good()).is_met());
        let finding = super::malformed_header_400_or_401(&server(401, 500, (401, "Bearer"), 200));
        assert!(finding.message().contains(EMPTY_BEARER) && finding.message().contains(TWO_TOKENS));
    }

    #[test]
    fn basic_scheme_bearer_challenge() {
        assert!(super::basic_scheme_bearer_challenge(&good()).is_met());
        let basic_only = server(401, 400, (401, r#"Basic realm="x""#), 401);
        assert!(super::basic_scheme_bearer_challenge(&basic_only).is_violated());
        let bad_request = server(401, 400, (400, "Bearer"), 401);
        assert!(super::basic_scheme_bearer_challenge(&bad_request).is_violated());
    }

    #[test]
    fn garbage_no_server_error() {
        assert!(super::garbage_no_server_error(&good()).is_met());
        let crash = super::garbage_no_server_error(&server(401, 500, (401, "Bearer"), 401));
        assert!(crash.is_violated() && crash.message().contains(EMPTY_BEARER));
    }
}
