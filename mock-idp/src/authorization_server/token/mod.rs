//! The token endpoint (OAuth 2.1 §3.2): client authentication (§2.4), grant dispatch, and the
//! `scope` rules (RFC 6749 §3.3) shared by the grants. `resource` (RFC 8707 §2) is checked by
//! [`super::resource`].

mod authorization_code;
mod client_credentials;
mod jwt_bearer;
mod refresh;
mod response;

use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub(crate) use response::issue_tokens;

use super::client_auth::authenticate_client;
use super::metadata::{
    check_scopes, AUTHORIZATION_CODE_GRANT, CLIENT_CREDENTIALS_GRANT, DEVICE_CODE_GRANT,
    GRANT_TYPES, JWT_BEARER_GRANT, REFRESH_TOKEN_GRANT,
};
use crate::error::{ErrorCode, OAuthError};
use crate::form::{OAuthForm, Params};
use crate::state::IdpState;
use crate::store::Client;

/// `POST {issuer}/token`. A malformed body or wrong content type is rejected by [`OAuthForm`]
/// with `invalid_request`.
pub async fn token(State(state): State<IdpState>, form: OAuthForm) -> Response {
    match handle(&state, &form).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn handle(state: &IdpState, form: &OAuthForm) -> Result<Response, OAuthError> {
    let params = &form.params;
    let grant_type = params.get("grant_type").ok_or_else(|| {
        OAuthError::invalid_request("missing required parameter `grant_type` (OAuth 2.1 §3.2.2)")
    })?;
    if !GRANT_TYPES.contains(&grant_type) {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!(
                "grant_type `{grant_type}` is not supported; supported: {} (OAuth 2.1 §3.2.4)",
                GRANT_TYPES.join(", ")
            ),
        ));
    }
    let client = authenticate_client(state, form, &state.urls.token_endpoint()).await?;
    if !client.client.allows_grant(grant_type) {
        return Err(OAuthError::unauthorized_client(format!(
            "client `{}` is not registered for grant_type `{grant_type}` (its grant_types: {}; \
             OAuth 2.1 §3.2.4)",
            client.client_id(),
            client.client.grant_types.join(", ")
        )));
    }
    match grant_type {
        AUTHORIZATION_CODE_GRANT => authorization_code::exchange(state, &client, params).await,
        REFRESH_TOKEN_GRANT => refresh::refresh(state, &client, params).await,
        CLIENT_CREDENTIALS_GRANT => client_credentials::grant(state, &client, params).await,
        DEVICE_CODE_GRANT => super::device::device_code_grant(state, &client, params).await,
        JWT_BEARER_GRANT => jwt_bearer::grant(state, &client, params).await,
        _ => unreachable!("checked against GRANT_TYPES"),
    }
}

/// Scopes of a grant without an earlier authorization by the user's consent at the authorization
/// endpoint (client credentials, JWT bearer, device authorization): the requested ones, each in
/// `scopes_supported` (RFC 6749 §3.3), or else [`default_scopes`].
pub(crate) fn scopes_or_default(
    state: &IdpState,
    client: &Client,
    params: &Params,
) -> Result<Vec<String>, OAuthError> {
    let requested = params.scopes();
    check_scopes(state, requested.iter().map(String::as_str))?;
    if requested.is_empty() {
        return Ok(default_scopes(state, client));
    }
    Ok(requested)
}

/// The pre-defined default scope when a request has none (RFC 6749 §3.3): the client's registered
/// `scope`, or else the deployment's required scope.
pub(crate) fn default_scopes(state: &IdpState, client: &Client) -> Vec<String> {
    let registered: Vec<String> = client
        .scope
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if !registered.is_empty() {
        return registered;
    }
    state
        .config
        .required_scopes()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
pub(crate) mod fixtures;

#[cfg(test)]
mod tests {
    use crate::authorization_server::client_auth::fixtures::*;
    use crate::authorization_server::test_support::{json, post_form, send};
    use crate::state::IdpState;
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};

    #[tokio::test]
    async fn wrong_content_type_is_invalid_request() {
        let state = IdpState::for_tests(&[]);
        let request = Request::post("/token")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(r#"{"grant_type":"client_credentials"}"#))
            .unwrap();
        let response = send(&state, request).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = json(response).await;
        assert_eq!(body["error"], "invalid_request");
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("Content-Type"));
    }

    #[tokio::test]
    async fn malformed_body_is_invalid_request() {
        let state = IdpState::for_tests(&[]);
        for body in [
            "grant_type=a&grant_type=b",
            "grant_type=%FF%FE",
            "client_id=x",
        ] {
            let response = post_form(&state, "/token", body).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(json(response).await["error"], "invalid_request", "{body}");
        }
    }

    #[tokio::test]
    async fn unknown_grant_type_is_unsupported() {
        let state = IdpState::for_tests(&[]);
        let response = post_form(&state, "/token", "grant_type=password&client_id=x").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(json(response).await["error"], "unsupported_grant_type");
    }

    #[tokio::test]
    async fn grant_not_registered_is_unauthorized_client() {
        let state = IdpState::for_tests(&[]);
        let mut c = client("narrow", "none");
        c.grant_types = vec!["authorization_code".into()];
        state.store.insert_client(c);
        let response = post_form(
            &state,
            "/token",
            "grant_type=refresh_token&client_id=narrow&refresh_token=x",
        )
        .await;
        assert_eq!(json(response).await["error"], "unauthorized_client");
    }

    #[tokio::test]
    async fn unauthenticated_request_is_invalid_client() {
        let state = IdpState::for_tests(&[]);
        let response = post_form(&state, "/token", "grant_type=client_credentials").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(json(response).await["error"], "invalid_client");
    }

    #[test]
    fn default_scopes_are_the_registered_ones_else_the_required_one() {
        let state = IdpState::for_tests(&[]);
        let mut c = client("scoped", "none");
        assert_eq!(super::default_scopes(&state, &c), vec!["mcp:tools"]);
        c.scope = Some("mcp:admin  offline_access".into());
        assert_eq!(
            super::default_scopes(&state, &c),
            vec!["mcp:admin", "offline_access"]
        );
        let empty = crate::form::Params::default();
        assert_eq!(
            super::scopes_or_default(&state, &c, &empty).unwrap(),
            vec!["mcp:admin", "offline_access"]
        );
        let asked = crate::form::Params::parse(b"scope=mcp%3Atools").unwrap();
        assert_eq!(
            super::scopes_or_default(&state, &c, &asked).unwrap(),
            vec!["mcp:tools"]
        );
        let bad = crate::form::Params::parse(b"scope=mcp%3Atools+root").unwrap();
        let err = super::scopes_or_default(&state, &c, &bad).unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::InvalidScope);
    }
}
