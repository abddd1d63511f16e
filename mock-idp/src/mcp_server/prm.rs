//! OAuth 2.0 Protected Resource Metadata (RFC 9728 §2-§3) of the MCP server, served at the
//! well-known URLs the deployment's behaviour selects (RFC 9728 §3.1 path insertion, or the root).

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::OAuthError;
use crate::state::IdpState;
use crate::urls;

/// The `resource` the `prm-resource-mismatch` variant names instead of this server (RFC 9728 §3.3).
pub const OTHER_RESOURCE: &str = "https://other-resource.example/mcp";

/// Scopes a resource server should not advertise: `offline_access` is the authorization server's
/// business (MCP 2026-07-28 Scope Selection Strategy).
const NOT_ADVERTISED: &[&str] = &["offline_access"];

/// Paths (on the MCP origin) where the document is served.
pub fn paths(state: &IdpState) -> Vec<String> {
    let b = &state.behaviour;
    let mut urls_served = Vec::new();
    if b.prm_at_path {
        urls_served.push(state.urls.prm_path_url());
    }
    if b.prm_at_root {
        urls_served.push(state.urls.prm_root_url());
    }
    let mut paths: Vec<String> = urls_served
        .iter()
        .filter_map(|u| urls::origin_and_path(u).ok())
        .map(|(_, path)| path)
        .collect();
    paths.dedup();
    paths
}

/// The RFC 9728 §2 document.
pub fn document(state: &IdpState) -> Value {
    let resource = if state.behaviour.prm_resource_mismatch {
        OTHER_RESOURCE.to_string()
    } else {
        state.urls.resource()
    };
    let scopes: Vec<&String> = state
        .config
        .scopes_supported
        .iter()
        .filter(|s| !NOT_ADVERTISED.contains(&s.as_str()))
        .collect();
    json!({
        "resource": resource,
        "authorization_servers": [state.urls.issuer()],
        "scopes_supported": scopes,
        "bearer_methods_supported": ["header"],
        "resource_name": "mcp-authlab mock MCP server",
    })
}

/// `GET` of a well-known URL: the document as `application/json` (RFC 9728 §3.2).
pub async fn metadata(State(state): State<IdpState>) -> Json<Value> {
    Json(document(&state))
}

/// A wrong method on a metadata URL: 405 with `Allow` and an OAuth error body.
pub async fn method_not_allowed() -> Response {
    let mut response = OAuthError::invalid_request(
        "method not allowed on protected resource metadata; use GET (RFC 9728 §3.1)",
    )
    .with_status(StatusCode::METHOD_NOT_ALLOWED)
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp_server::test_support::*;
    use axum::body::Body;
    use axum::http::Request;

    const AT_PATH: &str = "/.well-known/oauth-protected-resource/mcp";
    const AT_ROOT: &str = "/.well-known/oauth-protected-resource";

    #[tokio::test]
    async fn served_at_the_path_inserted_url_with_resource_and_issuer() {
        let state = IdpState::for_tests(&[]);
        let response = get(&state, AT_PATH).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        let doc = json(response).await;
        assert_eq!(doc["resource"], "http://127.0.0.1:2/mcp");
        assert_eq!(doc["authorization_servers"], json!(["http://127.0.0.1:1"]));
        assert_eq!(doc["scopes_supported"], json!(["mcp:tools", "mcp:admin"]));
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
        assert_eq!(get(&state, AT_ROOT).await.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn issuer_with_path_is_named_in_full() {
        let state = IdpState::for_tests(&["issuer-with-path"]);
        let doc = json(get(&state, AT_PATH).await).await;
        assert_eq!(
            doc["authorization_servers"],
            json!(["http://127.0.0.1:1/tenant1"])
        );
    }

    #[tokio::test]
    async fn root_only_variant_serves_only_the_root() {
        let state = IdpState::for_tests(&["prm-root-only"]);
        assert_eq!(get(&state, AT_ROOT).await.status(), StatusCode::OK);
        assert_eq!(get(&state, AT_PATH).await.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn missing_variant_serves_nothing() {
        for variant in ["prm-missing", "legacy-2025-03-26"] {
            let state = IdpState::for_tests(&[variant]);
            assert_eq!(get(&state, AT_ROOT).await.status(), StatusCode::NOT_FOUND);
            assert_eq!(get(&state, AT_PATH).await.status(), StatusCode::NOT_FOUND);
        }
    }

    #[tokio::test]
    async fn mismatch_variant_names_another_resource() {
        let state = IdpState::for_tests(&["prm-resource-mismatch"]);
        let doc = json(get(&state, AT_PATH).await).await;
        assert_eq!(doc["resource"], OTHER_RESOURCE);
        assert_ne!(doc["resource"], state.urls.resource());
    }

    #[tokio::test]
    async fn wrong_method_is_405_and_preflight_is_answered() {
        let state = IdpState::for_tests(&[]);
        let response = send(&state, Request::post(AT_PATH).body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "GET, HEAD");
        assert_eq!(json(response).await["error"], "invalid_request");

        let response = send(
            &state,
            Request::options(AT_PATH).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
    }
}
