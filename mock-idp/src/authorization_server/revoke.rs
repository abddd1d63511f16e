//! Token revocation (RFC 7009): `POST {issuer}/revoke`. Revoking a refresh token revokes its whole
//! family; revoking an access token records its `jti`. Unknown or already invalid tokens are
//! answered 200 (RFC 7009 §2.2); a token issued to another client is refused with `invalid_grant`
//! (RFC 7009 §2.1, §2.2.1).

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::client_auth::{authenticate_client, AuthenticatedClient};
use crate::access_token::verify;
use crate::error::OAuthError;
use crate::form::OAuthForm;
use crate::state::IdpState;

pub async fn revoke(State(state): State<IdpState>, form: OAuthForm) -> Response {
    match handle(&state, &form).await {
        Ok(()) => {
            let mut response = StatusCode::OK.into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

async fn handle(state: &IdpState, form: &OAuthForm) -> Result<(), OAuthError> {
    let client = authenticate_client(state, form, &state.urls.revocation_endpoint()).await?;
    let token = form.params.require("token")?;
    // RFC 7009 §2.1: `token_type_hint` only helps the lookup; when the token is not found with the
    // hint the server MUST extend its search to every type it supports, so an unknown or wrong hint
    // never fails the request. (`unsupported_token_type`, §2.2.1, is for a token TYPE the server
    // cannot revoke; the mock revokes both access and refresh tokens.)
    match form.params.get("token_type_hint") {
        Some("access_token") => {
            if !revoke_access_token(state, &client, token).await? {
                revoke_refresh_token(state, &client, token)?;
            }
        }
        _ => {
            if !revoke_refresh_token(state, &client, token)? {
                revoke_access_token(state, &client, token).await?;
            }
        }
    }
    // RFC 7009 §2.2: an invalid or unknown token is answered 200 as well.
    Ok(())
}

/// RFC 7009 §2.1: the server verifies that the token was issued to the requesting client; "if this
/// validation fails, the request is refused and the client is informed of the error". §2.2.1
/// presents errors as RFC 6749 §5.2, whose `invalid_grant` covers a token "issued to another
/// client" (400).
fn not_issued_to(client: &AuthenticatedClient, kind: &str) -> OAuthError {
    OAuthError::invalid_grant(format!(
        "the {kind} was not issued to client `{}`: a client may only revoke its own tokens \
         (RFC 7009 §2.1)",
        client.client_id()
    ))
}

/// Revokes the family of a refresh token of this client. `Ok(true)` when the value is a refresh
/// token of this client, `Ok(false)` when it is no refresh token, an error when it is another's.
fn revoke_refresh_token(
    state: &IdpState,
    client: &AuthenticatedClient,
    token: &str,
) -> Result<bool, OAuthError> {
    let record = state
        .store
        .refresh_tokens
        .lock()
        .unwrap()
        .get(token)
        .cloned();
    let Some(record) = record else {
        return Ok(false);
    };
    if record.client_id != client.client_id() {
        return Err(not_issued_to(client, "refresh token"));
    }
    state
        .store
        .revoked_families
        .lock()
        .unwrap()
        .insert(record.family);
    Ok(true)
}

/// Records the `jti` of a currently valid access token (for any audience) of this client as revoked. `Ok(true)` when
/// it was revoked, `Ok(false)` when the value is no valid access token, an error when it is
/// another client's.
async fn revoke_access_token(
    state: &IdpState,
    client: &AuthenticatedClient,
    token: &str,
) -> Result<bool, OAuthError> {
    // Whatever resource it is for: the authorization server issued it (RFC 7009 §2.1).
    let Ok(claims) = verify(state, token).await else {
        return Ok(false);
    };
    if claims.client_id != client.client_id() {
        return Err(not_issued_to(client, "access token"));
    }
    state.store.revoke_access_token(&claims.jti);
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::super::client_auth::fixtures::*;
    use super::super::token::fixtures::{token_request, tokens, APP};
    use crate::access_token::validate;
    use crate::authorization_server::test_support::{json, post_form};
    use crate::state::IdpState;
    use axum::http::StatusCode;

    async fn revoke(state: &IdpState, client_id: &str, body: &str) -> StatusCode {
        post_form(state, "/revoke", &format!("client_id={client_id}&{body}"))
            .await
            .status()
    }

    async fn introspect_active(state: &IdpState, token: &str) -> bool {
        let response = post_with_auth(
            state,
            "/introspect",
            &basic("rs", SECRET),
            &format!("token={}", enc(token)),
        )
        .await;
        json(response).await["active"].as_bool().unwrap()
    }

    fn state() -> IdpState {
        let state = IdpState::for_tests(&[]);
        state
            .store
            .insert_client(client("rs", "client_secret_basic"));
        state.store.insert_client(client("other", "none"));
        state.store.insert_client(client(APP, "none"));
        state
    }

    #[tokio::test]
    async fn revoked_access_token_introspects_inactive() {
        let state = state();
        let issued = tokens(&state).await;
        let at = issued["access_token"].as_str().unwrap();
        assert!(introspect_active(&state, at).await);
        let status = revoke(
            &state,
            APP,
            &format!("token={at}&token_type_hint=access_token"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(!introspect_active(&state, at).await);
        assert!(validate(&state, at).await.is_err());
    }

    #[tokio::test]
    async fn revoked_refresh_token_cannot_be_used() {
        let state = state();
        let issued = tokens(&state).await;
        let rt = issued["refresh_token"].as_str().unwrap();
        assert_eq!(
            revoke(&state, APP, &format!("token={rt}")).await,
            StatusCode::OK
        );
        assert!(!introspect_active(&state, rt).await);
        let (_, body) = token_request(
            &state,
            &format!("grant_type=refresh_token&client_id={APP}&refresh_token={rt}"),
        )
        .await;
        assert_eq!(body["error"], "invalid_grant");
    }

    async fn revoke_error(state: &IdpState, client_id: &str, body: &str) -> serde_json::Value {
        let response = post_form(state, "/revoke", &format!("client_id={client_id}&{body}")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        json(response).await
    }

    #[tokio::test]
    async fn unknown_tokens_get_200() {
        let state = state();
        assert_eq!(revoke(&state, APP, "token=unknown").await, StatusCode::OK);
        assert_eq!(
            revoke(&state, APP, "token=unknown&token_type_hint=refresh_token").await,
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn foreign_tokens_are_refused_and_stay_valid() {
        let state = state();
        let issued = tokens(&state).await;
        let at = issued["access_token"].as_str().unwrap();
        let rt = issued["refresh_token"].as_str().unwrap();
        for (token, kind) in [(at, "access token"), (rt, "refresh token")] {
            let body = revoke_error(&state, "other", &format!("token={token}")).await;
            assert_eq!(body["error"], "invalid_grant", "{body}");
            let description = body["error_description"].as_str().unwrap();
            assert!(
                description.contains(kind) && description.contains("RFC 7009 section 2.1"),
                "{description}"
            );
        }
        assert!(introspect_active(&state, at).await);
        assert!(introspect_active(&state, rt).await);
    }

    #[tokio::test]
    async fn unknown_or_wrong_hint_extends_the_search() {
        let state = state();
        let issued = tokens(&state).await;
        let at = issued["access_token"].as_str().unwrap();
        let rt = issued["refresh_token"].as_str().unwrap();
        let status = revoke(&state, APP, &format!("token={at}&token_type_hint=id_token")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(!introspect_active(&state, at).await);
        let status = revoke(
            &state,
            APP,
            &format!("token={rt}&token_type_hint=access_token"),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(!introspect_active(&state, rt).await);
        let status = revoke(&state, APP, "token=unknown&token_type_hint=made_up").await;
        assert_eq!(status, StatusCode::OK);
    }

    #[tokio::test]
    async fn missing_token_and_bad_client() {
        let state = state();
        let response = post_form(&state, "/revoke", &format!("client_id={APP}")).await;
        assert_eq!(json(response).await["error"], "invalid_request");
        let response = post_form(&state, "/revoke", "client_id=ghost&token=x").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}
