//! The authorization code grant at the token endpoint (OAuth 2.1 §4.1.3, RFC 7636 §4.5-4.6,
//! RFC 8707 §2.2).

use std::time::Instant;

use axum::response::Response;

use super::issue_tokens;
use crate::access_token::Grant;
use crate::authorization_server::client_auth::AuthenticatedClient;
use crate::authorization_server::metadata::REFRESH_TOKEN_GRANT;
use crate::authorization_server::pkce;
use crate::authorization_server::resource;
use crate::error::OAuthError;
use crate::form::Params;
use crate::state::IdpState;
use crate::store::AuthorizationCode;

pub(super) async fn exchange(
    state: &IdpState,
    client: &AuthenticatedClient,
    params: &Params,
) -> Result<Response, OAuthError> {
    let code_value = params.require("code")?;
    let code = state.store.take_code(code_value).ok_or_else(|| {
        OAuthError::invalid_grant(
            "the authorization code is unknown, expired or was already used; codes are single-use \
             (OAuth 2.1 §4.1.2, §4.1.3)",
        )
    })?;
    if code.expires_at <= Instant::now() {
        return Err(OAuthError::invalid_grant(
            "the authorization code has expired (OAuth 2.1 §4.1.2)",
        ));
    }
    if code.client_id != client.client_id() {
        return Err(OAuthError::invalid_grant(format!(
            "the authorization code was issued to another client than `{}` (OAuth 2.1 §4.1.3)",
            client.client_id()
        )));
    }
    check_redirect_uri(&code, params.get("redirect_uri"))?;
    check_pkce(state, &code, params.get("code_verifier"))?;
    let resource = resource::for_grant(state, params, code.resource.as_deref())?;
    let grant = Grant {
        subject: code.subject,
        client_id: code.client_id,
        scopes: code.scopes,
        resource,
    };
    // A refresh token only for a client registered for the refresh grant (OAuth 2.1 §4.3, §3.2.4).
    let with_refresh_token = client.client.allows_grant(REFRESH_TOKEN_GRANT);
    issue_tokens(state, &grant, with_refresh_token).await
}

/// OAuth 2.1 §4.1.3: `redirect_uri` is required if it was included in the authorization request,
/// and must then be identical; when it was not (a client with a single registered redirect URI),
/// it may be omitted, but one that is sent must still be that registered redirect URI.
fn check_redirect_uri(code: &AuthorizationCode, sent: Option<&str>) -> Result<(), OAuthError> {
    match sent {
        None if code.redirect_uri_sent => Err(OAuthError::invalid_request(
            "missing required parameter `redirect_uri`; it was included in the authorization \
             request, so the token request must repeat it (OAuth 2.1 §4.1.3)",
        )),
        None => Ok(()),
        Some(sent) if sent != code.redirect_uri => Err(OAuthError::invalid_grant(format!(
            "redirect_uri `{sent}` is not `{}`, the redirect URI of the authorization request \
             (OAuth 2.1 §4.1.3)",
            code.redirect_uri
        ))),
        Some(_) => Ok(()),
    }
}

/// RFC 7636 §4.6 and OAuth 2.1 §4.1.3. Skipped entirely by the `pkce-not-enforced` variant.
fn check_pkce(
    state: &IdpState,
    code: &AuthorizationCode,
    verifier: Option<&str>,
) -> Result<(), OAuthError> {
    if !state.behaviour.enforce_pkce {
        return Ok(());
    }
    let Some(challenge) = code.code_challenge.as_deref() else {
        return Err(match verifier {
            Some(_) => OAuthError::invalid_request(
                "code_verifier is sent but the authorization request had no code_challenge \
                 (OAuth 2.1 §4.1.3, §3.2.4)",
            ),
            None => OAuthError::invalid_grant(
                "the authorization code was issued without a code_challenge; PKCE is required \
                 (OAuth 2.1 §4.1.1)",
            ),
        });
    };
    let verifier = verifier.ok_or_else(|| {
        OAuthError::invalid_grant(
            "code_verifier is missing; the authorization request had a code_challenge \
             (RFC 7636 §4.5, OAuth 2.1 §4.1.3)",
        )
    })?;
    if !pkce::is_valid_verifier(verifier) {
        return Err(OAuthError::invalid_grant(
            "code_verifier must be 43 to 128 characters of [A-Z] [a-z] [0-9] - . _ ~ \
             (RFC 7636 §4.1)",
        ));
    }
    let method = code.code_challenge_method.as_deref().unwrap_or("plain");
    if !pkce::verify(method, challenge, verifier) {
        return Err(OAuthError::invalid_grant(format!(
            "code_verifier does not match the code_challenge (method {method}, RFC 7636 §4.6)"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use crate::access_token::validate;
    use crate::authorization_server::client_auth::fixtures::{enc, REDIRECT};
    use crate::authorization_server::pkce::s256_challenge;
    use crate::state::IdpState;
    use axum::http::StatusCode;

    #[tokio::test]
    async fn code_exchange_issues_valid_tokens() {
        let state = IdpState::for_tests(&[]);
        let body = tokens(&state).await;
        let claims = validate(&state, body["access_token"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(claims.sub, "test-user");
        assert_eq!(claims.client_id, APP);
        assert_eq!(claims.aud, state.urls.resource());
        assert!(claims.has_scope("mcp:tools"));
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["refresh_token"].is_string());
    }

    #[tokio::test]
    async fn code_reuse_is_invalid_grant() {
        let state = IdpState::for_tests(&[]);
        let code = code(&state);
        let (status, _) = token_request(&state, &code_body(&code)).await;
        assert_eq!(status, StatusCode::OK);
        let (status, body) = token_request(&state, &code_body(&code)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
    }

    #[tokio::test]
    async fn wrong_verifier_is_invalid_grant() {
        let state = IdpState::for_tests(&[]);
        let code = code(&state);
        let body = code_body(&code).replace(VERIFIER, &"a".repeat(43));
        let (status, body) = token_request(&state, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("does not match"));
    }

    #[tokio::test]
    async fn malformed_verifier_is_invalid_grant() {
        let state = IdpState::for_tests(&[]);
        let code = code(&state);
        let body = code_body(&code).replace(VERIFIER, "short");
        let (_, body) = token_request(&state, &body).await;
        assert_eq!(body["error"], "invalid_grant");
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("section 4.1"));
    }

    #[tokio::test]
    async fn missing_verifier_is_invalid_grant() {
        let state = IdpState::for_tests(&[]);
        let code = code(&state);
        let body = code_body(&code).replace(&format!("&code_verifier={VERIFIER}"), "");
        let (status, body) = token_request(&state, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("missing"));
    }

    #[tokio::test]
    async fn verifier_without_challenge_is_invalid_request() {
        let state = IdpState::for_tests(&[]);
        let code = code_with(&state, None, None);
        let (_, body) = token_request(&state, &code_body(&code)).await;
        assert_eq!(body["error"], "invalid_request");
    }

    #[tokio::test]
    async fn pkce_not_enforced_accepts_missing_verifier() {
        let state = IdpState::for_tests(&["pkce-not-enforced"]);
        let code = code(&state);
        let body = code_body(&code).replace(&format!("&code_verifier={VERIFIER}"), "");
        let (status, body) = token_request(&state, &body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // And a wrong verifier too.
        let code = code_with(&state, Some(s256_challenge(VERIFIER)), None);
        let body = code_body(&code).replace(VERIFIER, &"b".repeat(50));
        assert_eq!(token_request(&state, &body).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn wrong_redirect_uri_is_invalid_grant() {
        let state = IdpState::for_tests(&[]);
        let code = code(&state);
        let body = code_body(&code).replace(&enc(REDIRECT), &enc("http://127.0.0.1:9/other"));
        let (status, body) = token_request(&state, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("redirect_uri"));
    }

    #[tokio::test]
    async fn missing_redirect_uri_is_invalid_request() {
        let state = IdpState::for_tests(&[]);
        let code = code(&state);
        let body = code_body(&code).replace(&format!("&redirect_uri={}", enc(REDIRECT)), "");
        let (_, body) = token_request(&state, &body).await;
        assert_eq!(body["error"], "invalid_request");
    }

    #[tokio::test]
    async fn redirect_uri_may_be_omitted_when_the_authorization_request_omitted_it() {
        let state = IdpState::for_tests(&[]);
        let without = format!("&redirect_uri={}", enc(REDIRECT));
        let code = code_without_redirect_uri(&state);
        let (status, body) = token_request(&state, &code_body(&code).replace(&without, "")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        // Sent anyway, it must be the registered one the code was issued for.
        let code = code_without_redirect_uri(&state);
        let body = code_body(&code).replace(&enc(REDIRECT), &enc("http://127.0.0.1:9/other"));
        let (status, body) = token_request(&state, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
        let code = code_without_redirect_uri(&state);
        assert_eq!(
            token_request(&state, &code_body(&code)).await.0,
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn refresh_token_only_for_clients_registered_for_the_refresh_grant() {
        let state = IdpState::for_tests(&[]);
        let code = code(&state);
        let mut app = state.store.client(APP).unwrap();
        app.grant_types = vec!["authorization_code".into()];
        state.store.insert_client(app);
        let (status, body) = token_request(&state, &code_body(&code)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("refresh_token").is_none(), "{body}");
        assert!(state.store.refresh_tokens.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn repeated_resource_must_each_be_the_served_one() {
        let state = IdpState::for_tests(&[]);
        let served = enc(&state.urls.resource());
        let first = code(&state);
        let body = format!("{}&resource={served}&resource={served}", code_body(&first));
        let (status, body) = token_request(&state, &body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let second = code(&state);
        let other = enc("https://other.example/mcp");
        let body = format!("{}&resource={served}&resource={other}", code_body(&second));
        let (status, body) = token_request(&state, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_target", "{body}");
    }

    #[tokio::test]
    async fn wrong_resource_is_invalid_target() {
        let state = IdpState::for_tests(&[]);
        let code = code(&state);
        let body = format!(
            "{}&resource={}",
            code_body(&code),
            enc("https://other.example/mcp")
        );
        let (status, body) = token_request(&state, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_target");
        // The matching resource is accepted.
        let code = code_with(&state, Some(s256_challenge(VERIFIER)), None);
        let body = format!(
            "{}&resource={}",
            code_body(&code),
            enc(&state.urls.resource())
        );
        assert_eq!(token_request(&state, &body).await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn code_of_another_client_is_invalid_grant() {
        let state = IdpState::for_tests(&[]);
        let code = code(&state);
        state
            .store
            .insert_client(crate::authorization_server::client_auth::fixtures::client(
                "thief", "none",
            ));
        let body = code_body(&code).replace("client_id=app", "client_id=thief");
        let (_, body) = token_request(&state, &body).await;
        assert_eq!(body["error"], "invalid_grant");
    }
}
