//! The token endpoint (OAuth 2.1 §3.2): client authentication (§2.4), grant dispatch, and the rules
//! for `resource` (RFC 8707 §2) and `scope` (RFC 6749 §3.3) shared by the grants.

mod authorization_code;
mod client_credentials;
mod jwt_bearer;
mod refresh;
mod response;

use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub(crate) use response::issue_tokens;

use super::client_auth::{authenticate_client, AuthenticatedClient};
use crate::error::{ErrorCode, OAuthError};
use crate::form::{OAuthForm, Params};
use crate::state::IdpState;

/// RFC 8628 §3.4.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 7523 §2.1.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

const SUPPORTED_GRANTS: [&str; 5] = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    DEVICE_CODE_GRANT,
    JWT_BEARER_GRANT,
];

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
    if !SUPPORTED_GRANTS.contains(&grant_type) {
        return Err(OAuthError::new(
            ErrorCode::UnsupportedGrantType,
            format!(
                "grant_type `{grant_type}` is not supported; supported: {} (OAuth 2.1 §3.2.4)",
                SUPPORTED_GRANTS.join(", ")
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
        "authorization_code" => authorization_code::exchange(state, &client, params).await,
        "refresh_token" => refresh::refresh(state, &client, params).await,
        "client_credentials" => client_credentials::grant(state, &client, params).await,
        DEVICE_CODE_GRANT => super::device::device_code_grant(state, &client, params).await,
        JWT_BEARER_GRANT => jwt_bearer::grant(state, &client, params).await,
        _ => unreachable!("checked against SUPPORTED_GRANTS"),
    }
}

/// RFC 8707 §2: the resource the tokens are for. A requested `resource` must be an absolute URI
/// naming this deployment's MCP server and, when the grant is already bound to a resource, that
/// one (§2.2). Without the parameter the bound resource (if any) applies.
pub(super) fn resource_for(
    state: &IdpState,
    params: &Params,
    bound: Option<&str>,
) -> Result<Option<String>, OAuthError> {
    let Some(requested) = params.get("resource") else {
        return Ok(bound.map(str::to_owned));
    };
    let parsed = url::Url::parse(requested).map_err(|e| {
        OAuthError::invalid_target(format!(
            "resource `{requested}` is not an absolute URI ({e}; RFC 8707 §2)"
        ))
    })?;
    if parsed.fragment().is_some() {
        return Err(OAuthError::invalid_target(format!(
            "resource `{requested}` must not contain a fragment (RFC 8707 §2)"
        )));
    }
    let served = state.urls.resource();
    if !same_resource(&parsed, &served) {
        return Err(OAuthError::invalid_target(format!(
            "resource `{requested}` is not served by this authorization server; the only \
             resource is `{served}` (RFC 8707 §2)"
        )));
    }
    if let Some(bound) = bound {
        if !same_resource(&parsed, bound) {
            return Err(OAuthError::invalid_target(format!(
                "resource `{requested}` differs from `{bound}`, the resource this grant was \
                 issued for (RFC 8707 §2.2)"
            )));
        }
    }
    Ok(Some(served))
}

/// Compares resource URIs after URL parsing (so `HTTP://Host` equals `http://host`).
fn same_resource(requested: &url::Url, other: &str) -> bool {
    url::Url::parse(other).is_ok_and(|o| &o == requested)
}

/// Scopes of a grant without an earlier authorization (client credentials, JWT bearer): the
/// requested ones, each in `scopes_supported` (RFC 6749 §3.3), or else the client's registered
/// `scope`, or else the deployment's required scope.
pub(super) fn scopes_or_default(
    state: &IdpState,
    client: &AuthenticatedClient,
    params: &Params,
) -> Result<Vec<String>, OAuthError> {
    let requested = params.scopes();
    if !requested.is_empty() {
        if let Some(bad) = requested
            .iter()
            .find(|s| !state.config.scopes_supported.contains(s))
        {
            return Err(OAuthError::invalid_scope(format!(
                "scope `{bad}` is not supported; supported: {} (RFC 6749 §3.3)",
                state.config.scopes_supported.join(" ")
            )));
        }
        return Ok(requested);
    }
    let registered: Vec<String> = client
        .client
        .scope
        .as_deref()
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    if !registered.is_empty() {
        return Ok(registered);
    }
    Ok(state.config.required_scope.iter().cloned().collect())
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

    #[tokio::test]
    async fn resource_rules() {
        let state = IdpState::for_tests(&[]);
        let served = state.urls.resource();
        let params = |r: &str| {
            crate::form::Params::parse(format!("resource={}", enc(r)).as_bytes()).unwrap()
        };
        assert_eq!(
            super::resource_for(&state, &params(&served), None).unwrap(),
            Some(served.clone())
        );
        assert_eq!(
            super::resource_for(&state, &params("HTTP://127.0.0.1:2/mcp"), Some(&served)).unwrap(),
            Some(served.clone())
        );
        for bad in [
            "not-a-uri",
            "http://127.0.0.1:2/mcp#x",
            "http://127.0.0.1:2/other",
        ] {
            let err = super::resource_for(&state, &params(bad), None).unwrap_err();
            assert_eq!(err.code, crate::error::ErrorCode::InvalidTarget, "{bad}");
        }
        let err = super::resource_for(&state, &params(&served), Some("http://127.0.0.1:2/else"))
            .unwrap_err();
        assert!(err.description.contains("RFC 8707 §2.2"));
    }
}
