//! The successful token response (OAuth 2.1 §3.2.3) and the recording of refresh tokens.

use std::time::{Duration, Instant};

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::access_token::{mint, Grant};
use crate::error::{ErrorCode, OAuthError};
use crate::state::IdpState;
use crate::store::{random_token, RefreshGrant};

/// What the response carries as `refresh_token`.
pub(super) enum RefreshIssue {
    None,
    /// A new refresh token recorded with this grant (its `expires_at` and `used` are reset).
    New(RefreshGrant),
    /// The same refresh token again (no rotation).
    Reuse(String),
}

/// The successful token response (OAuth 2.1 §3.2.3) for a grant: a JWT access token and, when
/// `with_refresh_token`, a refresh token recorded in the store (a new family). `Cache-Control: no-store`.
pub(crate) async fn issue_tokens(
    state: &IdpState,
    grant: &Grant,
    with_refresh_token: bool,
) -> Result<Response, OAuthError> {
    let refresh = if with_refresh_token {
        RefreshIssue::New(RefreshGrant {
            client_id: grant.client_id.clone(),
            subject: grant.subject.clone(),
            scopes: grant.scopes.clone(),
            resource: grant.resource.clone(),
            family: random_token(16),
            expires_at: Instant::now(),
            used: false,
        })
    } else {
        RefreshIssue::None
    };
    respond(state, grant, refresh).await
}

/// Mints the access token, records the refresh token, builds the JSON response. A signing failure
/// is the only `server_error` of the token endpoint.
pub(super) async fn respond(
    state: &IdpState,
    grant: &Grant,
    refresh: RefreshIssue,
) -> Result<Response, OAuthError> {
    let (access_token, _claims) = mint(state, grant).await.map_err(|e| {
        OAuthError::new(
            ErrorCode::ServerError,
            format!("could not sign the access token: {e}"),
        )
    })?;
    // `issue_refresh_tokens = false`: no grant ever returns one (nor records one).
    let refresh = if state.behaviour.issue_refresh_tokens {
        refresh
    } else {
        RefreshIssue::None
    };
    let refresh_token = match refresh {
        RefreshIssue::None => None,
        RefreshIssue::Reuse(value) => Some(value),
        RefreshIssue::New(mut record) => {
            let value = random_token(32);
            record.expires_at =
                Instant::now() + Duration::from_secs(state.config.refresh_token_ttl_secs);
            record.used = false;
            state
                .store
                .refresh_tokens
                .lock()
                .unwrap()
                .insert(value.clone(), record);
            Some(value)
        }
    };
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": state.config.access_token_ttl_secs,
    });
    if !grant.scopes.is_empty() {
        body["scope"] = json!(grant.scopes.join(" "));
    }
    if let Some(value) = refresh_token {
        body["refresh_token"] = json!(value);
    }
    let mut response = axum::Json(body).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorization_server::test_support::json as body_json;

    #[tokio::test]
    async fn response_shape_and_refresh_record() {
        let state = IdpState::for_tests(&[]);
        let grant = Grant {
            subject: "u".into(),
            client_id: "c".into(),
            scopes: vec!["mcp:tools".into(), "offline_access".into()],
            resource: None,
        };
        let response = issue_tokens(&state, &grant, true).await.unwrap();
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        assert_eq!(response.headers()[header::PRAGMA], "no-cache");
        let body = body_json(response).await;
        assert_eq!(body["token_type"], "Bearer");
        assert_eq!(body["expires_in"], 3600);
        assert_eq!(body["scope"], "mcp:tools offline_access");
        let claims = crate::access_token::validate(&state, body["access_token"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(claims.client_id, "c");
        let rt = body["refresh_token"].as_str().unwrap();
        let record = state.store.refresh_tokens.lock().unwrap()[rt].clone();
        assert_eq!(record.client_id, "c");
        assert!(!record.used);
        assert!(record.expires_at > Instant::now());

        let response = issue_tokens(&state, &grant, false).await.unwrap();
        assert!(body_json(response).await.get("refresh_token").is_none());
    }

    #[tokio::test]
    async fn no_refresh_tokens_when_switched_off() {
        let state =
            IdpState::for_tests_with(crate::Config::default(), |b| b.issue_refresh_tokens = false);
        let grant = Grant {
            subject: "u".into(),
            client_id: "c".into(),
            scopes: vec!["mcp:tools".into()],
            resource: None,
        };
        let response = issue_tokens(&state, &grant, true).await.unwrap();
        let body = body_json(response).await;
        assert!(body["access_token"].is_string());
        assert!(body.get("refresh_token").is_none(), "{body}");
        assert!(state.store.refresh_tokens.lock().unwrap().is_empty());
        let response = respond(&state, &grant, RefreshIssue::Reuse("old".into()))
            .await
            .unwrap();
        assert!(body_json(response).await.get("refresh_token").is_none());
    }
}
