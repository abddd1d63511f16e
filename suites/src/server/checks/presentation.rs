//! Server checks: how a valid token is presented. OAuth 2.1 §5.1 (tokens in the query string are
//! not accepted), §5.1.1 and RFC 6750 §2.1 (`credentials = "Bearer" 1*SP b64token`), RFC 9110
//! §11.1 (the authentication scheme is case-insensitive).

use crate::check::Finding;
use crate::server::observation::ServerObservation;

use super::support::{answered, control, expect_401, judged, no_server_error, probed, shown};

/// The valid token only as `?access_token=` (no header).
pub const QUERY: &str = "token:query";
/// `Authorization: bearer <token>`.
pub const LOWERCASE_SCHEME: &str = "token:lowercase-scheme";
/// `Authorization: BEARER <token>`.
pub const UPPERCASE_SCHEME: &str = "token:uppercase-scheme";
/// `Authorization: Bearer  <token>` (two spaces).
pub const EXTRA_SPACES: &str = "token:extra-spaces";

/// `token-in-query-rejected` (S-TOK-04): a valid token sent only in the query string is ignored,
/// so the request counts as unauthenticated: 401.
pub fn token_in_query_rejected(obs: &ServerObservation) -> Finding {
    judged(|| {
        let probe = probed(obs, QUERY)?;
        control(obs)?;
        expect_401(
            probe,
            "a valid token in the query string (and none in the header)",
        )
    })
}

/// `bearer-scheme-case-insensitive` (S-TOK-06): `bearer <token>` and `BEARER <token>` are accepted
/// like `Bearer <token>`. RFC 9110 §11.1 makes the scheme name case-insensitive and OAuth 2.1
/// §5.1.1 uses that syntax, so a 401 here is the server's bug, not the expected rejection issue 4
/// first asked for.
pub fn bearer_scheme_case_insensitive(obs: &ServerObservation) -> Finding {
    judged(|| {
        let probes = [
            probed(obs, LOWERCASE_SCHEME)?,
            probed(obs, UPPERCASE_SCHEME)?,
        ];
        control(obs)?;
        let refused: Vec<String> = probes
            .iter()
            .filter(|p| !p.ok().is_some_and(|r| r.is_success()))
            .map(|p| format!("`{}`: {}", p.label, shown(p)))
            .collect();
        Ok(if refused.is_empty() {
            Finding::met("the valid token was accepted with `bearer` and `BEARER`")
        } else {
            Finding::violated(format!(
                "the scheme name is case-insensitive (RFC 9110 §11.1), yet the valid token was \
                 refused with another spelling: {}",
                refused.join("; ")
            ))
        })
    })
}

/// `scheme-case-no-server-error` (S-TOK-3): another spelling of the scheme never crashes it.
pub fn scheme_case_no_server_error(obs: &ServerObservation) -> Finding {
    no_server_error(
        [LOWERCASE_SCHEME, UPPERCASE_SCHEME]
            .iter()
            .filter_map(|l| obs.probe(l)),
    )
}

/// `extra-spaces-accepted` (S-TOK-06, SHOULD): `Bearer` followed by two spaces and the valid token
/// is accepted: RFC 6750 §2.1 (`"Bearer" 1*SP b64token`) and RFC 9110 §11.4 allow one or more
/// spaces. Many parsers split on a single space and refuse it: an interoperability warning, since
/// clients send one space.
pub fn extra_spaces_accepted(obs: &ServerObservation) -> Finding {
    judged(|| {
        let probe = probed(obs, EXTRA_SPACES)?;
        control(obs)?;
        let response = answered(probe)?;
        Ok(if response.is_success() {
            Finding::met(format!("accepted with two spaces: {}", shown(probe)))
        } else {
            Finding::violated(format!(
                "`Bearer` + two spaces + the valid token was refused ({}): RFC 6750 §2.1 allows \
                 1*SP after the scheme",
                shown(probe)
            ))
        })
    })
}

/// `extra-spaces-no-server-error` (S-TOK-3): extra spaces never crash the server.
pub fn extra_spaces_no_server_error(obs: &ServerObservation) -> Finding {
    no_server_error(obs.probe(EXTRA_SPACES))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observation::label;
    use crate::server::observation::test_support::*;
    use serde_json::json;

    fn server(answers: &[(&str, u16)]) -> ServerObservation {
        let mut obs = observation();
        probe(label::VALID, 200)
            .json(json!({"jsonrpc": "2.0", "id": 1, "result": {}}))
            .push(&mut obs);
        for (l, status) in answers {
            probe(l, *status).push(&mut obs);
        }
        obs
    }

    #[test]
    fn token_in_query_rejected() {
        assert!(super::token_in_query_rejected(&server(&[(QUERY, 401)])).is_met());
        assert!(super::token_in_query_rejected(&server(&[(QUERY, 200)])).is_violated());
    }

    #[test]
    fn bearer_scheme_case_insensitive() {
        let good = server(&[(LOWERCASE_SCHEME, 200), (UPPERCASE_SCHEME, 200)]);
        assert!(super::bearer_scheme_case_insensitive(&good).is_met());
        let strict = server(&[(LOWERCASE_SCHEME, 401), (UPPERCASE_SCHEME, 200)]);
        let finding = super::bearer_scheme_case_insensitive(&strict);
        assert!(finding.is_violated() && finding.message().contains(LOWERCASE_SCHEME));
        let mut no_control = good.clone();
        no_control.probes.remove(0);
        assert!(matches!(
            super::bearer_scheme_case_insensitive(&no_control),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn scheme_case_no_server_error() {
        let good = server(&[(LOWERCASE_SCHEME, 401), (UPPERCASE_SCHEME, 200)]);
        assert!(super::scheme_case_no_server_error(&good).is_met());
        let crash = server(&[(LOWERCASE_SCHEME, 500), (UPPERCASE_SCHEME, 200)]);
        assert!(super::scheme_case_no_server_error(&crash).is_violated());
    }

    #[test]
    fn extra_spaces_accepted() {
        assert!(super::extra_spaces_accepted(&server(&[(EXTRA_SPACES, 200)])).is_met());
        assert!(super::extra_spaces_accepted(&server(&[(EXTRA_SPACES, 401)])).is_violated());
    }

    #[test]
    fn extra_spaces_no_server_error() {
        assert!(super::extra_spaces_no_server_error(&server(&[(EXTRA_SPACES, 401)])).is_met());
        assert!(super::extra_spaces_no_server_error(&server(&[(EXTRA_SPACES, 502)])).is_violated());
    }
}
