//! The JWT bearer grant (RFC 7523 §2.1, §3): an assertion signed by the mock's own keys or by a
//! configured trusted issuer is exchanged for an access token for its `sub`.

use axum::response::Response;
use jsonwebtoken::decode_header;
use serde_json::Value;

use super::issue_tokens;
use crate::access_token::{Grant, AT_JWT_TYPE};
use crate::authorization_server::client_auth::{
    verify_with_jwk_set, verify_with_key, AuthenticatedClient, Expected,
};
use crate::authorization_server::resource;
use crate::error::OAuthError;
use crate::form::Params;
use crate::state::IdpState;

pub(super) async fn grant(
    state: &IdpState,
    client: &AuthenticatedClient,
    params: &Params,
) -> Result<Response, OAuthError> {
    let assertion = params.require("assertion")?;
    let claims = verify_assertion(state, assertion).await?;
    let subject = claims["sub"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| reject("`sub` must be a non-empty string".into()))?;
    let scopes = super::scopes_or_default(state, &client.client, params)?;
    let resource = resource::requested(state, params)?;
    let grant = Grant {
        subject: subject.to_string(),
        client_id: client.client_id().to_string(),
        scopes,
        resource,
    };
    issue_tokens(state, &grant, false).await
}

fn reject(why: String) -> OAuthError {
    OAuthError::invalid_grant(format!("assertion rejected: {why} (RFC 7523 §3)"))
}

/// RFC 7523 §3: signature by the issuer's key, `iss`, `sub`, `aud` (the token endpoint or the
/// issuer), `exp`. Access tokens of the mock (`typ` `at+jwt`) are not assertions.
async fn verify_assertion(state: &IdpState, assertion: &str) -> Result<Value, OAuthError> {
    let header =
        decode_header(assertion).map_err(|e| reject(format!("not a well-formed JWT ({e})")))?;
    if header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(AT_JWT_TYPE) || t.ends_with("/at+jwt"))
    {
        return Err(reject(
            "an access token (`typ` at+jwt) is not an assertion".into(),
        ));
    }
    let unverified: Value = jsonwebtoken::dangerous::insecure_decode_claims(assertion)
        .map_err(|e| reject(format!("not a well-formed JWT ({e})")))?;
    let iss = unverified["iss"]
        .as_str()
        .ok_or_else(|| reject("`iss` is missing".into()))?;
    let own_issuer = state.urls.issuer();
    let audiences = [
        state.urls.token_endpoint(),
        own_issuer.clone(),
        format!("{own_issuer}/"),
    ];
    let expected = Expected {
        issuer: iss,
        subject: None,
        audiences: &audiences,
    };
    if iss == own_issuer {
        let kid = header
            .kid
            .ok_or_else(|| reject("the header has no `kid`".into()))?;
        let key = state
            .keys
            .by_kid(&kid)
            .await
            .ok_or_else(|| reject(format!("kid `{kid}` is not a key of this server")))?;
        return verify_with_key(assertion, &key.decoding, &expected).map_err(reject);
    }
    let trusted = state
        .config
        .trusted_assertion_issuers
        .iter()
        .find(|t| t.issuer == iss)
        .ok_or_else(|| reject(format!("issuer `{iss}` is not trusted")))?;
    verify_with_jwk_set(assertion, &trusted.jwks, &expected).map_err(reject)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::token_request;
    use crate::access_token::{now_secs, validate};
    use crate::authorization_server::client_auth::fixtures::*;
    use crate::config::{Config, SigningAlg, TrustedIssuer};
    use crate::keys::SigningKey;
    use crate::state::IdpState;
    use axum::http::StatusCode;
    use serde_json::json;

    fn body(assertion: &str) -> String {
        format!(
            "grant_type={}&client_id=app&assertion={assertion}",
            enc(crate::authorization_server::metadata::JWT_BEARER_GRANT)
        )
    }

    async fn signed_by_mock(state: &IdpState, claims: serde_json::Value) -> String {
        let key = state.keys.signing_key(SigningAlg::ES256).await.unwrap();
        assertion(key, claims)
    }

    #[tokio::test]
    async fn assertion_signed_by_the_mock_is_accepted() {
        let state = IdpState::for_tests(&[]);
        state.store.insert_client(client("app", "none"));
        let a = signed_by_mock(
            &state,
            json!({"iss": state.urls.issuer(), "sub": "alice",
                   "aud": state.urls.token_endpoint(), "exp": now_secs() + 60}),
        )
        .await;
        let (status, body) = token_request(&state, &body(&a)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let claims = validate(&state, body["access_token"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(claims.sub, "alice");
        assert_eq!(claims.client_id, "app");
    }

    #[tokio::test]
    async fn bad_assertions_are_invalid_grant() {
        let state = IdpState::for_tests(&[]);
        state.store.insert_client(client("app", "none"));
        let iss = state.urls.issuer();
        let aud = state.urls.token_endpoint();
        let stranger = SigningKey::generate(SigningAlg::ES256).unwrap();
        let cases = [
            signed_by_mock(
                &state,
                json!({"iss": iss, "sub": "a", "aud": "https://x.example", "exp": now_secs() + 60}),
            )
            .await,
            signed_by_mock(
                &state,
                json!({"iss": iss, "sub": "a", "aud": aud, "exp": now_secs() - 600}),
            )
            .await,
            signed_by_mock(
                &state,
                json!({"iss": iss, "aud": aud, "exp": now_secs() + 60}),
            )
            .await,
            assertion(
                &stranger,
                json!({"iss": iss, "sub": "a", "aud": aud, "exp": now_secs() + 60}),
            ),
            assertion(
                &stranger,
                json!({"iss": "https://untrusted.example", "sub": "a", "aud": aud, "exp": now_secs() + 60}),
            ),
            "not-a-jwt".to_string(),
        ];
        for a in cases {
            let (status, body) = token_request(&state, &body(&a)).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["error"], "invalid_grant", "{body}");
        }
        // An access token of the mock is not an assertion.
        let (at, _) = crate::access_token::mint(
            &state,
            &crate::access_token::Grant {
                subject: "a".into(),
                client_id: "app".into(),
                scopes: vec![],
                resource: None,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            token_request(&state, &body(&at)).await.1["error"],
            "invalid_grant"
        );
    }

    #[tokio::test]
    async fn trusted_issuer_assertion_is_accepted() {
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let mut config = Config::default();
        config.trusted_assertion_issuers.push(TrustedIssuer {
            issuer: "https://idp.example".into(),
            jwks: json!({"keys": [key.jwk]}),
        });
        let base = IdpState::for_tests(&[]);
        let state = IdpState::new(config, base.behaviour.clone(), base.urls.clone()).unwrap();
        state.store.insert_client(client("app", "none"));
        let a = assertion(
            &key,
            json!({"iss": "https://idp.example", "sub": "bob", "aud": state.urls.issuer(),
                   "exp": now_secs() + 60}),
        );
        let (status, body) = token_request(&state, &body(&a)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
}
