//! Server checks: the answer to an MCP request without credentials. OAuth 2.1 §5.3 and RFC 6750 §3
//! (401 with a `WWW-Authenticate: Bearer` challenge, no `error` when no credentials were sent),
//! RFC 9728 §5.1 (`resource_metadata`: the URL of the protected resource metadata) and MCP
//! 2025-11-25 "Protected Resource Metadata Discovery Requirements" (`scope` in the challenge).

use crate::check::Finding;
use crate::server::observation::{label, ServerObservation};

use super::support::{answered, challenge_text, expect_401, is_absolute_http_url, judged, probed};

const NO_CHALLENGE: &str = "the answer to the request without credentials has no Bearer challenge \
                            (www-authenticate-bearer judges that)";

/// `unauthenticated-401` (S-401-01): a request without credentials gets 401, and no data.
pub fn unauthenticated_request_gets_401(obs: &ServerObservation) -> Finding {
    judged(|| {
        let probe = probed(obs, label::UNAUTHENTICATED)?;
        expect_401(probe, "the MCP request without credentials")
    })
}

/// `www-authenticate-present` (S-401-04): the refusal carries `WWW-Authenticate` (RFC 6750 §3:
/// "MUST include the HTTP WWW-Authenticate response header field").
pub fn www_authenticate_present(obs: &ServerObservation) -> Finding {
    judged(|| {
        let probe = probed(obs, label::UNAUTHENTICATED)?;
        let response = answered(probe)?;
        if response.is_success() {
            return Err(Finding::not_judged(format!(
                "the request without credentials was accepted ({}), so there was no challenge to \
                 make (unauthenticated-401 judges that)",
                response.status
            )));
        }
        Ok(if response.header("www-authenticate").is_some() {
            Finding::met(format!(
                "{} carries {}",
                response.status,
                challenge_text(response)
            ))
        } else {
            Finding::violated(format!(
                "the {} to the request without credentials has no WWW-Authenticate header: a \
                 client cannot tell how to authorize",
                response.status
            ))
        })
    })
}

/// `www-authenticate-bearer` (S-WWWA-1): every `WWW-Authenticate` value parses as RFC 9110
/// §11.6.1 challenges, one of them uses the `Bearer` scheme (any case), and no attribute of it
/// appears twice (RFC 6750 §3).
pub fn bearer_challenge_well_formed(obs: &ServerObservation) -> Finding {
    judged(|| {
        let response = answered(probed(obs, label::UNAUTHENTICATED)?)?;
        let values: Vec<&str> = response.header_values("www-authenticate").collect();
        if values.is_empty() {
            return Err(Finding::not_judged(
                "no WWW-Authenticate header (www-authenticate-present judges that)",
            ));
        }
        let mut schemes = Vec::new();
        for value in &values {
            let challenges = http_auth::parse_challenges(value).map_err(|e| {
                Finding::violated(format!(
                    "`WWW-Authenticate: {value}` does not parse as RFC 9110 §11.6.1 challenges: {e}"
                ))
            })?;
            for challenge in challenges {
                if !challenge.scheme.eq_ignore_ascii_case("bearer") {
                    schemes.push(challenge.scheme.to_string());
                    continue;
                }
                let mut names: Vec<String> = challenge
                    .params
                    .iter()
                    .map(|(name, _)| name.to_ascii_lowercase())
                    .collect();
                names.sort();
                if let Some(pair) = names.windows(2).find(|w| w[0] == w[1]) {
                    return Ok(Finding::violated(format!(
                        "the Bearer challenge of `WWW-Authenticate: {value}` has `{}` twice (RFC \
                         6750 §3: attributes MUST NOT appear more than once)",
                        pair[0]
                    )));
                }
                return Ok(Finding::met(format!(
                    "`WWW-Authenticate: {value}` parses: a Bearer challenge with {}",
                    if names.is_empty() {
                        "no attributes".to_string()
                    } else {
                        names.join(", ")
                    }
                )));
            }
        }
        Ok(Finding::violated(format!(
            "no Bearer challenge: {} (scheme(s) {})",
            challenge_text(response),
            schemes.join(", ")
        )))
    })
}

/// `resource-metadata-in-challenge` (S-PRM-3, MCP 2025-06-18 "Authorization Server Location":
/// the 401 names the metadata URL in `resource_metadata`).
pub fn resource_metadata_in_challenge(obs: &ServerObservation) -> Finding {
    judged(|| {
        answered(probed(obs, label::UNAUTHENTICATED)?)?;
        let Some(challenge) = obs.first_challenge() else {
            return Ok(Finding::violated(
                "no Bearer challenge, so no resource_metadata: an MCP 2025-06-18 client finds \
                 the protected resource metadata only through it",
            ));
        };
        Ok(match challenge.param("resource_metadata") {
            Some(url) => Finding::met(format!("the challenge names resource_metadata `{url}`")),
            None => Finding::violated(
                "the Bearer challenge has no resource_metadata: an MCP 2025-06-18 client finds the \
                 protected resource metadata only through it",
            ),
        })
    })
}

/// `resource-metadata-absolute-url` (S-WWWA-1, RFC 9728 §5.1): `resource_metadata`, when present,
/// is an absolute http(s) URL.
pub fn resource_metadata_is_absolute(obs: &ServerObservation) -> Finding {
    let Some(challenge) = obs.first_challenge() else {
        return Finding::not_judged(NO_CHALLENGE);
    };
    match challenge.param("resource_metadata") {
        None => Finding::not_judged("the challenge names no resource_metadata"),
        Some(url) if is_absolute_http_url(url) => {
            Finding::met(format!("resource_metadata `{url}` is an absolute URL"))
        }
        Some(url) => Finding::violated(format!(
            "resource_metadata `{url}` is not an absolute http(s) URL: a client cannot fetch it"
        )),
    }
}

/// `no-error-without-credentials` (S-401-05, RFC 6750 §3.1: with no authentication information
/// in the request, the challenge SHOULD NOT carry an error code).
pub fn no_error_without_credentials(obs: &ServerObservation) -> Finding {
    let Some(challenge) = obs.first_challenge() else {
        return Finding::not_judged(NO_CHALLENGE);
    };
    match challenge.param("error") {
        None => Finding::met("the challenge to the request without credentials has no error"),
        Some(error) => Finding::violated(format!(
            "the challenge to a request that carried no credentials says error=\"{error}\": \
             RFC 6750 §3.1 reserves error codes for requests that presented a token"
        )),
    }
}

/// `scope-in-challenge` (S-SCOPE-1): the challenge names the scopes needed in `scope`.
pub fn scope_in_challenge(obs: &ServerObservation) -> Finding {
    let Some(challenge) = obs.first_challenge() else {
        return Finding::not_judged(NO_CHALLENGE);
    };
    match challenge.param("scope") {
        Some(scope) if !scope.trim().is_empty() => {
            Finding::met(format!("the challenge names scope=\"{scope}\""))
        }
        Some(_) => Finding::violated("the challenge has an empty scope"),
        None => Finding::violated(
            "the challenge names no scope: clients fall back to every scope of scopes_supported, \
             or to none",
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observation::test_support::*;

    fn answer(status: u16, challenge: Option<&str>) -> ServerObservation {
        let mut obs = observation();
        let mut p = probe(label::UNAUTHENTICATED, status);
        if let Some(value) = challenge {
            p = p.header("www-authenticate", value);
        }
        p.push(&mut obs);
        obs
    }

    const GOOD: &str = r#"Bearer resource_metadata="http://127.0.0.1:1000/.well-known/oauth-protected-resource/mcp", scope="mcp:tools""#;

    #[test]
    fn unauthenticated_request_gets_401() {
        assert!(super::unauthenticated_request_gets_401(&answer(401, Some(GOOD))).is_met());
        let ok = answer(200, None);
        let finding = super::unauthenticated_request_gets_401(&ok);
        assert!(finding.is_violated() && finding.message().contains("accepted"));
        assert!(super::unauthenticated_request_gets_401(&answer(500, None)).is_violated());
        let mut silent = observation();
        failed_probe(label::UNAUTHENTICATED, "connection refused").push(&mut silent);
        assert!(super::unauthenticated_request_gets_401(&silent).is_violated());
    }

    #[test]
    fn www_authenticate_present() {
        assert!(super::www_authenticate_present(&answer(401, Some(GOOD))).is_met());
        assert!(super::www_authenticate_present(&answer(401, None)).is_violated());
        assert!(matches!(
            super::www_authenticate_present(&answer(200, None)),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn bearer_challenge_well_formed() {
        assert!(super::bearer_challenge_well_formed(&answer(401, Some(GOOD))).is_met());
        assert!(super::bearer_challenge_well_formed(&answer(401, Some("bearer"))).is_met());
        let basic = super::bearer_challenge_well_formed(&answer(401, Some(r#"Basic realm="x""#)));
        assert!(
            basic.is_violated() && basic.message().contains("Basic"),
            "{basic:?}"
        );
        let broken = answer(401, Some(r#"Bearer realm="unterminated"#));
        assert!(super::bearer_challenge_well_formed(&broken).is_violated());
        let twice = answer(401, Some(r#"Bearer scope="a", scope="b""#));
        assert!(super::bearer_challenge_well_formed(&twice)
            .message()
            .contains("twice"));
    }

    #[test]
    fn resource_metadata_in_challenge() {
        assert!(super::resource_metadata_in_challenge(&answer(401, Some(GOOD))).is_met());
        let bare = answer(401, Some(r#"Bearer scope="x""#));
        assert!(super::resource_metadata_in_challenge(&bare).is_violated());
    }

    #[test]
    fn resource_metadata_is_absolute() {
        assert!(super::resource_metadata_is_absolute(&answer(401, Some(GOOD))).is_met());
        let relative = answer(
            401,
            Some(r#"Bearer resource_metadata="/.well-known/oauth-protected-resource""#),
        );
        assert!(super::resource_metadata_is_absolute(&relative).is_violated());
        assert!(matches!(
            super::resource_metadata_is_absolute(&answer(401, Some("Bearer"))),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn no_error_without_credentials() {
        assert!(super::no_error_without_credentials(&answer(401, Some(GOOD))).is_met());
        let error = answer(401, Some(r#"Bearer error="invalid_token""#));
        let finding = super::no_error_without_credentials(&error);
        assert!(finding.is_violated() && finding.message().contains("invalid_token"));
    }

    #[test]
    fn scope_in_challenge() {
        assert!(super::scope_in_challenge(&answer(401, Some(GOOD))).is_met());
        let none = answer(401, Some(r#"Bearer resource_metadata="http://h/prm""#));
        assert!(super::scope_in_challenge(&none).is_violated());
    }
}
