//! Token revocation (RFC 7009): `POST {issuer}/revoke`. Revoking a refresh token revokes its whole
//! family; revoking an access token records its `jti`. Unknown tokens and tokens of other clients
//! are answered 200 and left alone (RFC 7009 §2.2).

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::client_auth::{authenticate_client, AuthenticatedClient};
use crate::access_token::validate;
use crate::error::{ErrorCode, OAuthError};
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
    match form.params.get("token_type_hint") {
        None | Some("access_token") | Some("refresh_token") => {}
        Some(other) => {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedTokenType,
                format!(
                    "token_type_hint `{other}` is not supported; use `access_token` or \
                     `refresh_token` (RFC 7009 §2.2.1)"
                ),
            ))
        }
    }
    if !revoke_refresh_token(state, &client, token) {
        revoke_access_token(state, &client, token).await;
    }
    Ok(())
}

/// Revokes the family of a refresh token of this client. `true` when the value is a refresh token.
fn revoke_refresh_token(state: &IdpState, client: &AuthenticatedClient, token: &str) -> bool {
    let record = state
        .store
        .refresh_tokens
        .lock()
        .unwrap()
        .get(token)
        .cloned();
    let Some(record) = record else {
        return false;
    };
    if record.client_id == client.client_id() {
        state
            .store
            .revoked_families
            .lock()
            .unwrap()
            .insert(record.family);
    }
    true
}

/// Records the `jti` of a currently valid access token of this client as revoked.
async fn revoke_access_token(state: &IdpState, client: &AuthenticatedClient, token: &str) {
    if let Ok(claims) = validate(state, token).await {
        if claims.client_id == client.client_id() {
            state
                .store
                .revoked_access_tokens
                .lock()
                .unwrap()
                .insert(claims.jti);
        }
    }
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

    #[tokio::test]
    async fn unknown_and_foreign_tokens_get_200_but_stay_valid() {
        let state = state();
        assert_eq!(revoke(&state, APP, "token=unknown").await, StatusCode::OK);
        let issued = tokens(&state).await;
        let at = issued["access_token"].as_str().unwrap();
        let rt = issued["refresh_token"].as_str().unwrap();
        assert_eq!(
            revoke(&state, "other", &format!("token={at}")).await,
            StatusCode::OK
        );
        assert_eq!(
            revoke(&state, "other", &format!("token={rt}")).await,
            StatusCode::OK
        );
        assert!(introspect_active(&state, at).await);
        assert!(introspect_active(&state, rt).await);
    }

    #[tokio::test]
    async fn bad_hint_missing_token_and_bad_client() {
        let state = state();
        let response = post_form(
            &state,
            "/revoke",
            &format!("client_id={APP}&token=x&token_type_hint=id_token"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(json(response).await["error"], "unsupported_token_type");
        let response = post_form(&state, "/revoke", &format!("client_id={APP}")).await;
        assert_eq!(json(response).await["error"], "invalid_request");
        let response = post_form(&state, "/revoke", "client_id=ghost&token=x").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}
