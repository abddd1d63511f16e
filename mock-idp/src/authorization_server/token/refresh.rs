//! The refresh token grant (OAuth 2.1 §4.3): client binding, scope narrowing, rotation and
//! replay detection (§4.3.1). The `refresh-without-rotation` variant returns the same token again.

use std::time::Instant;

use axum::response::Response;

use super::response::{respond, RefreshIssue};
use crate::access_token::Grant;
use crate::authorization_server::client_auth::AuthenticatedClient;
use crate::authorization_server::resource;
use crate::error::OAuthError;
use crate::form::Params;
use crate::state::IdpState;
use crate::store::RefreshGrant;

pub(super) async fn refresh(
    state: &IdpState,
    client: &AuthenticatedClient,
    params: &Params,
) -> Result<Response, OAuthError> {
    let value = params.require("refresh_token")?;
    let record = state
        .store
        .refresh_tokens
        .lock()
        .unwrap()
        .get(value)
        .cloned()
        .ok_or_else(|| {
            OAuthError::invalid_grant("the refresh token is unknown (OAuth 2.1 §4.3.1)")
        })?;
    if record.client_id != client.client_id() {
        return Err(OAuthError::invalid_grant(format!(
            "the refresh token was issued to another client than `{}` (OAuth 2.1 §4.3.1)",
            client.client_id()
        )));
    }
    if state
        .store
        .revoked_families
        .lock()
        .unwrap()
        .contains(&record.family)
    {
        return Err(OAuthError::invalid_grant(
            "the refresh token has been revoked (OAuth 2.1 §4.3.1, RFC 7009 §2.1)",
        ));
    }
    if record.expires_at <= Instant::now() {
        return Err(OAuthError::invalid_grant(
            "the refresh token has expired (OAuth 2.1 §4.3.1)",
        ));
    }
    let scopes = narrowed_scopes(&record, params)?;
    let resource = resource::for_grant(state, params, record.resource.as_deref())?;
    let grant = Grant {
        subject: record.subject.clone(),
        client_id: record.client_id.clone(),
        scopes,
        resource,
    };
    if !state.behaviour.rotate_refresh_tokens {
        return respond(state, &grant, RefreshIssue::Reuse(value.to_string())).await;
    }
    if !mark_used(state, value) {
        state
            .store
            .revoked_families
            .lock()
            .unwrap()
            .insert(record.family.clone());
        return Err(OAuthError::invalid_grant(
            "refresh token reuse detected; the grant is revoked (OAuth 2.1 §4.3.1)",
        ));
    }
    // The rotated token keeps the scope and resource of the original grant (OAuth 2.1 §4.3.3).
    respond(state, &grant, RefreshIssue::New(record)).await
}

/// Marks the token used; `false` when it already was (a replay). Check and update under one lock.
fn mark_used(state: &IdpState, value: &str) -> bool {
    let mut tokens = state.store.refresh_tokens.lock().unwrap();
    match tokens.get_mut(value) {
        Some(record) if !record.used => {
            record.used = true;
            true
        }
        _ => false,
    }
}

/// A requested `scope` may narrow the original grant but not widen it (OAuth 2.1 §4.3.1,
/// RFC 6749 §6).
fn narrowed_scopes(record: &RefreshGrant, params: &Params) -> Result<Vec<String>, OAuthError> {
    let requested = params.scopes();
    if requested.is_empty() {
        return Ok(record.scopes.clone());
    }
    if let Some(extra) = requested.iter().find(|s| !record.scopes.contains(s)) {
        return Err(OAuthError::invalid_scope(format!(
            "scope `{extra}` was not part of the original grant ({}); a refresh may narrow the \
             scope but not widen it (OAuth 2.1 §4.3.1)",
            record.scopes.join(" ")
        )));
    }
    Ok(requested)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use crate::access_token::validate;
    use crate::authorization_server::client_auth::fixtures::{client, enc};
    use crate::state::IdpState;
    use axum::http::StatusCode;
    use serde_json::Value;

    fn refresh_body(rt: &str) -> String {
        format!("grant_type=refresh_token&client_id={APP}&refresh_token={rt}")
    }

    fn rt(body: &Value) -> String {
        body["refresh_token"].as_str().unwrap().to_string()
    }

    #[tokio::test]
    async fn rotation_then_replay_revokes_the_family() {
        let state = IdpState::for_tests(&[]);
        let first = rt(&tokens(&state).await);
        let (status, body) = token_request(&state, &refresh_body(&first)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let second = rt(&body);
        assert_ne!(first, second, "rotation issues a new refresh token");
        assert!(validate(&state, body["access_token"].as_str().unwrap())
            .await
            .is_ok());

        // Replay of the first token: refused and the whole family is revoked.
        let (status, body) = token_request(&state, &refresh_body(&first)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant");
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("reuse detected"));
        let (_, body) = token_request(&state, &refresh_body(&second)).await;
        assert_eq!(body["error"], "invalid_grant");
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("revoked"));
    }

    #[tokio::test]
    async fn without_rotation_the_token_is_reusable() {
        let state = IdpState::for_tests(&["refresh-without-rotation"]);
        let first = rt(&tokens(&state).await);
        for _ in 0..3 {
            let (status, body) = token_request(&state, &refresh_body(&first)).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            assert_eq!(rt(&body), first);
        }
    }

    #[tokio::test]
    async fn scope_may_narrow_but_not_widen() {
        let state = IdpState::for_tests(&[]);
        let first = rt(&tokens(&state).await);
        let wide = format!(
            "{}&scope={}",
            refresh_body(&first),
            enc("mcp:tools mcp:admin")
        );
        let (_, body) = token_request(&state, &wide).await;
        assert_eq!(body["error"], "invalid_scope");
        // The failed attempt did not consume the token.
        let narrow = format!("{}&scope=mcp%3Atools", refresh_body(&first));
        let (status, body) = token_request(&state, &narrow).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["scope"], "mcp:tools");
    }

    #[tokio::test]
    async fn other_client_unknown_token_and_wrong_resource() {
        let state = IdpState::for_tests(&[]);
        let first = rt(&tokens(&state).await);
        state.store.insert_client(client("other", "none"));
        let stolen = refresh_body(&first).replace("client_id=app", "client_id=other");
        assert_eq!(
            token_request(&state, &stolen).await.1["error"],
            "invalid_grant"
        );
        let (_, body) = token_request(&state, &refresh_body("nope")).await;
        assert_eq!(body["error"], "invalid_grant");
        let body = format!(
            "{}&resource={}",
            refresh_body(&first),
            enc("https://other.example/mcp")
        );
        assert_eq!(
            token_request(&state, &body).await.1["error"],
            "invalid_target"
        );
        let body = format!(
            "{}&resource={}",
            refresh_body(&first),
            enc(&state.urls.resource())
        );
        assert_eq!(token_request(&state, &body).await.0, StatusCode::OK);
    }
}
