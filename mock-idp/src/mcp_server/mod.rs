//! The protected MCP server (Streamable HTTP, MCP 2025-06-18 / 2025-11-25 Basic › Transports) in
//! front of the mock authorization server: raw JSON-RPC on axum so every byte of the exchange can
//! be seen and broken.
//!
//! - `/mcp`: every request but a CORS preflight needs a valid Bearer token ([`auth`]; with
//!   `Behaviour::unauthenticated_initialize`, `initialize` and notifications need none); then
//!   [`jsonrpc`] answers `initialize`, `ping`, `tools/list`, `tools/call` ([`tools`]), and
//!   [`modern`] the MCP 2026-07-28 requests (`server/discover`, per-request `_meta`, no session).
//! - The protected resource metadata (RFC 9728) at the well-known URLs the behaviour selects ([`prm`]).
//! - The broken resource-server variants change one rule each ([`auth`], [`prm`], [`passthrough`];
//!   tested in `variant_tests.rs`).

mod auth;
mod challenge;
mod cors;
mod jsonrpc;
mod modern;
mod passthrough;
mod prm;
mod scopes;
mod session;
mod tools;
#[cfg(test)]
mod variant_tests;

use axum::middleware;
use axum::routing::{delete, get, post};
use axum::Router;

use crate::state::IdpState;
use crate::urls;

pub use auth::AuthFailure;
pub use challenge::Challenge;
pub use jsonrpc::{LATEST_VERSION, SUPPORTED_VERSIONS};
pub use modern::{
    CLIENT_CAPABILITIES_META, CLIENT_INFO_META, HEADER_MISMATCH, MODERN_VERSIONS,
    PROTOCOL_VERSION_META, UNSUPPORTED_PROTOCOL_VERSION,
};
pub use prm::document as protected_resource_metadata;

/// The MCP server's routes. No fallback is set, so the router merges with the authorization
/// server's (2025-03-26 layout: both on one origin).
pub fn app(state: IdpState) -> Router {
    let mcp = post(jsonrpc::post)
        .merge(delete(jsonrpc::delete))
        .merge(get(jsonrpc::method_not_allowed))
        .fallback(jsonrpc::method_not_allowed)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            auth::require_bearer,
        ))
        .options(cors::preflight);
    let mcp = Router::new()
        .route(&state.urls.mcp_path, mcp)
        .route_layer(middleware::map_response(cors::allow_any_origin));
    mcp.merge(prm_routes(&state)).with_state(state)
}

/// The protected resource metadata routes, with CORS (a preflight answer and the headers) unless
/// the broken `Behaviour::prm_cors` is off.
fn prm_routes(state: &IdpState) -> Router<IdpState> {
    let cors = state.behaviour.prm_cors;
    let paths = prm::paths(state);
    let mut router = Router::new();
    let redirect = state.behaviour.prm_redirect;
    for path in &paths {
        let route = if redirect {
            get(prm::redirect).fallback(prm::method_not_allowed)
        } else {
            get(prm::metadata).fallback(prm::method_not_allowed)
        };
        let route = if cors {
            route.options(cors::preflight)
        } else {
            route
        };
        router = router.route(path, route);
    }
    if redirect && !paths.is_empty() {
        let route = get(prm::metadata).fallback(prm::method_not_allowed);
        let route = if cors {
            route.options(cors::preflight)
        } else {
            route
        };
        router = router.route(urls::PRM_REDIRECT_TARGET, route);
    }
    // `route_layer` on a router without routes panics (and there is nothing to add CORS to).
    if cors && !paths.is_empty() {
        router = router.route_layer(middleware::map_response(cors::allow_any_origin));
    }
    router
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers for the in-memory tests of the MCP server (`tower::ServiceExt::oneshot`).
    use std::collections::HashMap;

    use axum::body::{Body, Bytes};
    use axum::http::{header, Request, Response};
    use http_body_util::BodyExt;
    use serde_json::{json, Value};
    use tower::ServiceExt;

    use crate::access_token::{mint, Grant};
    use crate::state::IdpState;

    pub async fn send(state: &IdpState, request: Request<Body>) -> Response<Body> {
        super::app(state.clone()).oneshot(request).await.unwrap()
    }

    pub async fn get(state: &IdpState, uri: &str) -> Response<Body> {
        send(state, Request::get(uri).body(Body::empty()).unwrap()).await
    }

    /// A token for `test-user` / `test-client` with these scopes, for this deployment.
    pub async fn token(state: &IdpState, scopes: &[&str]) -> String {
        token_for(state, "test-user", scopes).await
    }

    pub async fn token_for(state: &IdpState, subject: &str, scopes: &[&str]) -> String {
        let grant = Grant {
            subject: subject.into(),
            client_id: "test-client".into(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            resource: Some(state.urls.resource()),
        };
        mint(state, &grant).await.unwrap().0
    }

    pub fn post_raw(token: Option<&str>, content_type: &str, body: &str) -> Request<Body> {
        let mut builder = Request::post("/mcp")
            .header(header::CONTENT_TYPE, content_type)
            .header(header::ACCEPT, "application/json, text/event-stream");
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        builder.body(Body::from(body.to_string())).unwrap()
    }

    pub fn post_json(uri: &str, token: Option<&str>, message: &Value) -> Request<Body> {
        let mut request = post_raw(token, "application/json", &message.to_string());
        *request.uri_mut() = uri.parse().unwrap();
        request
    }

    pub async fn rpc(state: &IdpState, token: Option<&str>, message: &Value) -> Response<Body> {
        send(state, post_json("/mcp", token, message)).await
    }

    pub fn ping() -> Value {
        json!({"jsonrpc": "2.0", "id": 1, "method": "ping"})
    }

    pub fn list_msg() -> Value {
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
    }

    pub fn initialize_msg(version: &str) -> Value {
        json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "test", "version": "0"}
        }})
    }

    pub fn call_msg(name: &str, arguments: Value) -> Value {
        json!({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
               "params": {"name": name, "arguments": arguments}})
    }

    pub async fn body_bytes(response: Response<Body>) -> Bytes {
        response.into_body().collect().await.unwrap().to_bytes()
    }

    pub async fn json(response: Response<Body>) -> Value {
        let bytes = body_bytes(response).await;
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
    }

    /// The auth-params of the single `Bearer` challenge in `WWW-Authenticate` (test-only parser:
    /// `Bearer k="v", k2=token`, backslash escapes in quoted strings). Panics on anything else.
    pub fn challenge(response: &Response<Body>) -> HashMap<String, String> {
        let value = response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap();
        let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
        assert!(scheme.eq_ignore_ascii_case("bearer"), "{value}");
        let mut params = HashMap::new();
        let mut chars = rest.chars().peekable();
        loop {
            while matches!(chars.peek(), Some(' ' | ',')) {
                chars.next();
            }
            let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
            if name.is_empty() {
                break;
            }
            let mut val = String::new();
            if chars.peek() == Some(&'"') {
                chars.next();
                while let Some(c) = chars.next() {
                    match c {
                        '\\' => val.extend(chars.next()),
                        '"' => break,
                        c => val.push(c),
                    }
                }
            } else {
                val = chars.by_ref().take_while(|c| *c != ',').collect();
            }
            assert!(
                params.insert(name.trim().to_string(), val).is_none(),
                "repeated param: {value}"
            );
        }
        params
    }

    #[test]
    fn challenge_parser_handles_escapes() {
        let response = Response::builder()
            .header(
                header::WWW_AUTHENTICATE,
                r#"Bearer error="x", error_description="a \"b\", c", scope=s1"#,
            )
            .body(Body::empty())
            .unwrap();
        let p = challenge(&response);
        assert_eq!(p["error_description"], r#"a "b", c"#);
        assert_eq!(p["scope"], "s1");
        assert_eq!(p.len(), 3);
    }

    #[tokio::test]
    async fn merges_with_the_authorization_server_in_the_legacy_layout() {
        let state = IdpState::for_tests(&["legacy-2025-03-26"]);
        let router =
            super::app(state.clone()).merge(crate::authorization_server::app(state.clone()));
        let response = router
            .oneshot(Request::get("/mcp").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), axum::http::StatusCode::UNAUTHORIZED);
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer scope=\"mcp:tools\""
        );
    }
}
