//! Test fixtures for the token endpoint and the endpoints that consume its tokens.

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use serde_json::Value;

use crate::authorization_server::client_auth::fixtures::{client, enc, REDIRECT};
use crate::authorization_server::pkce::s256_challenge;
use crate::authorization_server::test_support::{json, post_form};
use crate::state::IdpState;
use crate::store::AuthorizationCode;

/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// The public client every code fixture belongs to.
pub const APP: &str = "app";

/// Registers the public client [`APP`] (idempotent).
pub fn public_app(state: &IdpState) {
    state.store.insert_client(client(APP, "none"));
}

/// Stores a code for [`APP`] with an S256 challenge of [`VERIFIER`] and the MCP server as resource.
pub fn code(state: &IdpState) -> String {
    code_with(
        state,
        Some(s256_challenge(VERIFIER)),
        Some(state.urls.resource()),
    )
}

pub fn code_with(state: &IdpState, challenge: Option<String>, resource: Option<String>) -> String {
    public_app(state);
    state.store.insert_code(code_record(challenge, resource))
}

/// Stores a code like [`code`] whose authorization request had no `redirect_uri` (the client has
/// a single registered one, OAuth 2.1 §4.1.1).
pub fn code_without_redirect_uri(state: &IdpState) -> String {
    public_app(state);
    let mut record = code_record(Some(s256_challenge(VERIFIER)), Some(state.urls.resource()));
    record.redirect_uri_sent = false;
    state.store.insert_code(record)
}

fn code_record(challenge: Option<String>, resource: Option<String>) -> AuthorizationCode {
    AuthorizationCode {
        client_id: APP.into(),
        redirect_uri: REDIRECT.into(),
        redirect_uri_sent: true,
        code_challenge_method: challenge.as_ref().map(|_| "S256".into()),
        code_challenge: challenge,
        scopes: vec!["mcp:tools".into()],
        resource,
        subject: "test-user".into(),
        expires_at: Instant::now() + Duration::from_secs(60),
    }
}

/// The form of a correct code exchange by [`APP`].
pub fn code_body(code: &str) -> String {
    format!(
        "grant_type=authorization_code&client_id={APP}&code={code}&redirect_uri={}&code_verifier={VERIFIER}",
        enc(REDIRECT)
    )
}

/// POSTs a form to `/token`; the status and the JSON body.
pub async fn token_request(state: &IdpState, body: &str) -> (StatusCode, Value) {
    let response = post_form(state, "/token", body).await;
    let status = response.status();
    (status, json(response).await)
}

/// A successful code exchange by [`APP`]: the token response.
pub async fn tokens(state: &IdpState) -> Value {
    let code = code(state);
    let (status, body) = token_request(state, &code_body(&code)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}
