//! Token introspection (RFC 7662): `POST {issuer}/introspect` by an authenticated confidential
//! client; answers `{"active": false}` for anything that is not a currently valid token.

use std::time::Instant;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::client_auth::authenticate_client;
use crate::access_token::{now_secs, validate};
use crate::error::OAuthError;
use crate::form::OAuthForm;
use crate::state::IdpState;

pub async fn introspect(State(state): State<IdpState>, form: OAuthForm) -> Response {
    match handle(&state, &form).await {
        Ok(body) => {
            let mut response = axum::Json(body).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

async fn handle(state: &IdpState, form: &OAuthForm) -> Result<Value, OAuthError> {
    let caller = authenticate_client(state, form, &state.urls.introspection_endpoint()).await?;
    if caller.is_public() {
        return Err(OAuthError::invalid_client(format!(
            "client `{}` is a public client; introspection requires client authentication \
             (RFC 7662 §2.1)",
            caller.client_id()
        )));
    }
    let token = form.params.require("token")?;
    // `token_type_hint` only orders the search (RFC 7662 §2.1); both kinds are looked up.
    if let Some(body) = refresh_token_info(state, token) {
        return Ok(body);
    }
    Ok(match validate(state, token).await {
        Ok(claims) => json!({
            "active": true,
            "scope": claims.scope,
            "client_id": claims.client_id,
            "sub": claims.sub,
            "aud": claims.aud,
            "iss": claims.iss,
            "exp": claims.exp,
            "iat": claims.iat,
            "jti": claims.jti,
            "token_type": "Bearer",
        }),
        Err(_) => json!({ "active": false }),
    })
}

/// RFC 7662 §2.2 for a refresh token of the store: active unless expired, revoked, or already
/// used under rotation. `None` when the value is not a refresh token.
fn refresh_token_info(state: &IdpState, token: &str) -> Option<Value> {
    let record = state
        .store
        .refresh_tokens
        .lock()
        .unwrap()
        .get(token)
        .cloned()?;
    let now = Instant::now();
    let revoked = state
        .store
        .revoked_families
        .lock()
        .unwrap()
        .contains(&record.family);
    let used = state.behaviour.rotate_refresh_tokens && record.used;
    if revoked || used || record.expires_at <= now {
        return Some(json!({ "active": false }));
    }
    Some(json!({
        "active": true,
        "scope": record.scopes.join(" "),
        "client_id": record.client_id,
        "sub": record.subject,
        "aud": record.resource.unwrap_or_else(|| state.urls.resource()),
        "iss": state.urls.issuer(),
        "exp": now_secs() + (record.expires_at - now).as_secs(),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::client_auth::fixtures::*;
    use super::super::token::fixtures::{tokens, APP};
    use crate::authorization_server::test_support::{json, post_form};
    use crate::state::IdpState;
    use axum::http::StatusCode;
    use serde_json::Value;

    async fn introspect(state: &IdpState, token: &str) -> (StatusCode, Value) {
        let response = post_with_auth(
            state,
            "/introspect",
            &basic("rs", SECRET),
            &format!("token={}", enc(token)),
        )
        .await;
        let status = response.status();
        (status, json(response).await)
    }

    fn state() -> IdpState {
        let state = IdpState::for_tests(&[]);
        state
            .store
            .insert_client(client("rs", "client_secret_basic"));
        state
    }

    #[tokio::test]
    async fn access_token_is_active_with_claims() {
        let state = state();
        let issued = tokens(&state).await;
        let (status, body) = introspect(&state, issued["access_token"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["active"], true);
        assert_eq!(body["client_id"], APP);
        assert_eq!(body["sub"], "test-user");
        assert_eq!(body["scope"], "mcp:tools");
        assert_eq!(body["aud"], state.urls.resource());
        assert_eq!(body["iss"], state.urls.issuer());
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["exp"].as_u64().unwrap() > body["iat"].as_u64().unwrap());
    }

    #[tokio::test]
    async fn refresh_token_is_active_until_used() {
        let state = state();
        let issued = tokens(&state).await;
        let rt = issued["refresh_token"].as_str().unwrap();
        let (_, body) = introspect(&state, rt).await;
        assert_eq!(body["active"], true);
        assert_eq!(body["client_id"], APP);
        let refresh = format!("grant_type=refresh_token&client_id={APP}&refresh_token={rt}");
        assert_eq!(
            post_form(&state, "/token", &refresh).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            introspect(&state, rt).await.1,
            serde_json::json!({"active": false})
        );
    }

    #[tokio::test]
    async fn unknown_and_foreign_tokens_are_inactive() {
        let state = state();
        let (status, body) = introspect(&state, "garbage").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, serde_json::json!({"active": false}));
        let other = IdpState::for_tests(&[]);
        let foreign = tokens(&other).await;
        let (_, body) = introspect(&state, foreign["access_token"].as_str().unwrap()).await;
        assert_eq!(body["active"], false);
        let expired = IdpState::for_tests(&["expired-tokens"]);
        expired
            .store
            .insert_client(client("rs", "client_secret_basic"));
        let issued = tokens(&expired).await;
        let (_, body) = introspect(&expired, issued["access_token"].as_str().unwrap()).await;
        assert_eq!(body["active"], false);
    }

    #[tokio::test]
    async fn caller_must_be_an_authenticated_confidential_client() {
        let state = state();
        state.store.insert_client(client("pub", "none"));
        let response = post_form(&state, "/introspect", "client_id=pub&token=x").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(json(response).await["error"], "invalid_client");
        let response =
            post_with_auth(&state, "/introspect", &basic("rs", "wrong"), "token=x").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic"));
        let response = post_with_auth(&state, "/introspect", &basic("rs", SECRET), "").await;
        assert_eq!(json(response).await["error"], "invalid_request");
    }
}
