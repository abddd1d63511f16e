//! The MCP endpoint: one JSON-RPC 2.0 message per `POST`, answered with `application/json`
//! (MCP Basic › Transports › Streamable HTTP; JSON-RPC 2.0 §4-§5). No SSE stream is offered.
//! A 2026-07-28 request (per-request `_meta`, no `initialize`, no session) is served by
//! [`super::modern`]; `initialize` and the requests after it follow the earlier revisions here.
//!
//! Authentication has already happened ([`super::auth::require_bearer`]); the validated claims
//! are in the request extensions.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde_json::{json, Value};

use super::auth::AuthFailure;
use super::modern;
use super::session::{self, SessionCheck};
use super::tools::{self, CallOutcome};
use crate::access_token::AccessTokenClaims;
use crate::state::IdpState;

/// Protocol revisions this server speaks (MCP Basic › Lifecycle › Version Negotiation).
pub const SUPPORTED_VERSIONS: &[&str] = &["2025-03-26", "2025-06-18", "2025-11-25"];
pub const LATEST_VERSION: &str = "2025-11-25";

pub const PARSE_ERROR: i64 = -32700;
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
/// Implementation-defined server error used for an unknown or ended session.
pub const SESSION_NOT_FOUND: i64 = -32001;

/// A JSON-RPC error response with the given HTTP status.
pub fn rpc_error(status: StatusCode, id: Value, code: i64, message: impl Into<String>) -> Response {
    let body = json!({
        "jsonrpc": "2.0",
        "id": id,
        "error": { "code": code, "message": message.into() },
    });
    (status, Json(body)).into_response()
}

fn rpc_result(id: Value, result: Value) -> Response {
    Json(json!({ "jsonrpc": "2.0", "id": id, "result": result })).into_response()
}

fn media_type(value: &str) -> String {
    value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

/// Transport checks before the body is parsed (the error response, if one fails): `Content-Type`
/// and a lenient `Accept`.
fn transport_problem(headers: &HeaderMap) -> Option<Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(media_type);
    if content_type.as_deref() != Some("application/json") {
        return Some(rpc_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Value::Null,
            INVALID_REQUEST,
            "Content-Type must be application/json (MCP Streamable HTTP: every message is a JSON-RPC POST)",
        ));
    }
    if let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) {
        let takes_json = accept
            .split(',')
            .map(media_type)
            .any(|m| matches!(m.as_str(), "application/json" | "application/*" | "*/*"));
        if !takes_json {
            return Some(rpc_error(
                StatusCode::NOT_ACCEPTABLE,
                Value::Null,
                INVALID_REQUEST,
                "this server answers application/json; the Accept header must allow it (MCP Streamable HTTP › Sending Messages)",
            ));
        }
    }
    None
}

/// A request of the `initialize`-based revisions: a supported `MCP-Protocol-Version` when one is
/// sent (the error response otherwise).
fn legacy_version_problem(headers: &HeaderMap) -> Option<Response> {
    if let Some(version) = headers.get("mcp-protocol-version") {
        let version = version.to_str().unwrap_or("");
        if !SUPPORTED_VERSIONS.contains(&version) {
            return Some(rpc_error(
                StatusCode::BAD_REQUEST,
                Value::Null,
                INVALID_REQUEST,
                format!(
                    "unsupported MCP-Protocol-Version `{version}`; supported: {} (MCP Streamable HTTP › Protocol Version Header)",
                    SUPPORTED_VERSIONS.join(", ")
                ),
            ));
        }
    }
    None
}

/// `POST /mcp`: one JSON-RPC request, notification or response.
pub async fn post(
    State(state): State<IdpState>,
    claims: Option<Extension<AccessTokenClaims>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // `None` only for what `unauthenticated_initialize` lets through without a token.
    let claims = claims.map(|Extension(claims)| claims);
    if let Some(response) = transport_problem(&headers) {
        return response;
    }
    let message: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return rpc_error(
                StatusCode::BAD_REQUEST,
                Value::Null,
                PARSE_ERROR,
                format!("Parse error: {e}"),
            )
        }
    };
    let bad = |id: Value, why: &str| {
        rpc_error(
            StatusCode::BAD_REQUEST,
            id,
            INVALID_REQUEST,
            why.to_string(),
        )
    };
    let Some(object) = message.as_object() else {
        return if message.is_array() {
            bad(Value::Null, "JSON-RPC batches are not supported (removed in MCP 2025-06-18); send one message per POST")
        } else {
            bad(
                Value::Null,
                "a JSON-RPC message must be an object (JSON-RPC 2.0 §4)",
            )
        };
    };
    let id = object.get("id").cloned();
    let valid_id = matches!(&id, Some(Value::String(_)))
        || matches!(&id, Some(Value::Number(n)) if n.is_i64() || n.is_u64());
    let echo_id = if valid_id {
        id.clone().unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    if object.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return bad(echo_id, "`jsonrpc` must be \"2.0\" (JSON-RPC 2.0 §4)");
    }
    let Some(method) = object.get("method").and_then(Value::as_str) else {
        if object.contains_key("result") || object.contains_key("error") {
            return StatusCode::ACCEPTED.into_response();
        }
        return bad(
            echo_id,
            "a request needs a string `method` (JSON-RPC 2.0 §4)",
        );
    };
    if id.is_some() && !valid_id {
        return bad(
            Value::Null,
            "`id` must be a string or an integer, never null (MCP Basic › Requests)",
        );
    }
    if state.behaviour.serve_modern_requests && modern::is_modern(&headers, object) {
        return modern::handle(&state, claims.as_ref(), &headers, object, method, id);
    }
    if let Some(response) = legacy_version_problem(&headers) {
        return response;
    }
    // An anonymous request (initialize or a notification) has no subject to check a session
    // against, and never gets one.
    if let (false, Some(claims)) = (method == "initialize", &claims) {
        if let SessionCheck::NotFound = session::check(&state, &headers, &claims.sub) {
            return rpc_error(
                StatusCode::NOT_FOUND,
                echo_id,
                SESSION_NOT_FOUND,
                "session not found for this user; send a new initialize (MCP Streamable HTTP › Session Management)",
            );
        }
    }
    let Some(id) = id else {
        // A notification (`notifications/initialized`, `notifications/cancelled`, ...).
        return StatusCode::ACCEPTED.into_response();
    };
    let params = object.get("params").cloned().unwrap_or(json!({}));
    if !params.is_object() {
        return rpc_error(
            StatusCode::OK,
            id,
            INVALID_PARAMS,
            "`params` must be an object",
        );
    }
    if method == "initialize" {
        return initialize(&state, claims.as_ref(), id, &params);
    }
    let Some(claims) = claims else {
        return AuthFailure::NoCredentials(format!(
            "`{method}` needs an access token in `Authorization: Bearer <token>` (RFC 6750 §2.1)"
        ))
        .response(&state);
    };
    dispatch(&state, &claims, method, id, &params)
}

fn dispatch(
    state: &IdpState,
    claims: &AccessTokenClaims,
    method: &str,
    id: Value,
    params: &Value,
) -> Response {
    match method {
        "ping" => rpc_result(id, json!({})),
        "tools/list" => rpc_result(id, tools::list(state)),
        "tools/call" => match tools::call(state, claims, params) {
            CallOutcome::Result(result) => rpc_result(id, result),
            CallOutcome::InvalidParams(message) => {
                rpc_error(StatusCode::OK, id, INVALID_PARAMS, message)
            }
            CallOutcome::InsufficientScope { scope, description } => {
                AuthFailure::InsufficientScope { scope, description }.response(state)
            }
        },
        other => rpc_error(
            StatusCode::OK,
            id,
            METHOD_NOT_FOUND,
            format!("method `{other}` not found"),
        ),
    }
}

/// `initialize`: version negotiation and a new session bound to the token's subject (none for an
/// anonymous `initialize`, see `Behaviour::unauthenticated_initialize`).
fn initialize(
    state: &IdpState,
    claims: Option<&AccessTokenClaims>,
    id: Value,
    params: &Value,
) -> Response {
    let requested = params
        .get("protocolVersion")
        .and_then(Value::as_str)
        .unwrap_or("");
    let version = if SUPPORTED_VERSIONS.contains(&requested) {
        requested
    } else {
        LATEST_VERSION
    };
    let result = json!({
        "protocolVersion": version,
        "capabilities": { "tools": {} },
        "serverInfo": { "name": "mcp-authlab-mock", "version": env!("CARGO_PKG_VERSION") },
    });
    let mut response = rpc_result(id, result);
    if let Some(claims) = claims {
        let session = session::open(state, claims);
        if let Ok(value) = HeaderValue::from_str(&session) {
            response.headers_mut().insert(session::HEADER, value);
        }
    }
    response
}

/// `DELETE /mcp`: ends the session named in `Mcp-Session-Id` (MCP Streamable HTTP › Session Management).
pub async fn delete(
    State(state): State<IdpState>,
    Extension(claims): Extension<AccessTokenClaims>,
    headers: HeaderMap,
) -> Response {
    match session::check(&state, &headers, &claims.sub) {
        SessionCheck::Valid(id) => {
            session::close(&state, &id);
            StatusCode::NO_CONTENT.into_response()
        }
        SessionCheck::NotFound => rpc_error(
            StatusCode::NOT_FOUND,
            Value::Null,
            SESSION_NOT_FOUND,
            "session not found for this user",
        ),
        SessionCheck::Absent => rpc_error(
            StatusCode::BAD_REQUEST,
            Value::Null,
            INVALID_REQUEST,
            "DELETE ends a session and needs the Mcp-Session-Id header",
        ),
    }
}

/// Any other method, including `GET` (no server-sent event stream is offered): 405 with `Allow`.
pub async fn method_not_allowed() -> Response {
    let mut response = rpc_error(
        StatusCode::METHOD_NOT_ALLOWED,
        Value::Null,
        INVALID_REQUEST,
        "method not allowed: this server offers no SSE stream; use POST for messages and DELETE to end a session",
    );
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("POST, DELETE"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp_server::test_support::*;
    use axum::body::Body;
    use axum::http::Request;

    async fn authed(state: &IdpState) -> String {
        token(state, &["mcp:tools"]).await
    }

    #[tokio::test]
    async fn initialize_negotiates_and_opens_a_session() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let response = rpc(&state, Some(&t), &initialize_msg("2025-06-18")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let session = response.headers()["mcp-session-id"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(session.len() >= 32);
        let body = json(response).await;
        assert_eq!(body["id"], 1);
        assert_eq!(body["result"]["protocolVersion"], "2025-06-18");
        assert_eq!(body["result"]["capabilities"], json!({"tools": {}}));
        assert_eq!(body["result"]["serverInfo"]["name"], "mcp-authlab-mock");

        let body = json(rpc(&state, Some(&t), &initialize_msg("2099-01-01")).await).await;
        assert_eq!(body["result"]["protocolVersion"], LATEST_VERSION);
    }

    #[tokio::test]
    async fn session_is_never_authentication() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let response = rpc(&state, Some(&t), &initialize_msg(LATEST_VERSION)).await;
        let session = response.headers()["mcp-session-id"].clone();
        for token in [None, Some("garbage")] {
            let mut request = post_json("/mcp", token, &list_msg());
            request
                .headers_mut()
                .insert("mcp-session-id", session.clone());
            let response = send(&state, request).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token:?}");
        }
        let mut request = post_json("/mcp", Some(&t), &list_msg());
        request.headers_mut().insert("mcp-session-id", session);
        assert_eq!(send(&state, request).await.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn session_of_another_user_or_ended_is_404() {
        let state = IdpState::for_tests(&[]);
        let alice = authed(&state).await;
        let bob = token_for(&state, "bob", &["mcp:tools"]).await;
        let response = rpc(&state, Some(&alice), &initialize_msg(LATEST_VERSION)).await;
        let session = response.headers()["mcp-session-id"].clone();

        let mut request = post_json("/mcp", Some(&bob), &list_msg());
        request
            .headers_mut()
            .insert("mcp-session-id", session.clone());
        assert_eq!(send(&state, request).await.status(), StatusCode::NOT_FOUND);

        let delete = |token: &str| {
            Request::delete("/mcp")
                .header("authorization", format!("Bearer {token}"))
                .header("mcp-session-id", session.clone())
                .body(Body::empty())
                .unwrap()
        };
        assert_eq!(
            send(&state, delete(&alice)).await.status(),
            StatusCode::NO_CONTENT
        );
        assert_eq!(
            send(&state, delete(&alice)).await.status(),
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn tools_list_and_whoami() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let body = json(rpc(&state, Some(&t), &list_msg()).await).await;
        let names: Vec<&str> = body["result"]["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["test-tool", "whoami", "echo", "admin_action"]);

        let body = json(rpc(&state, Some(&t), &call_msg("test-tool", json!({}))).await).await;
        assert_eq!(body["result"]["content"][0]["text"], "ok");

        let body = json(rpc(&state, Some(&t), &call_msg("whoami", json!({}))).await).await;
        let who = &body["result"]["structuredContent"];
        assert_eq!(who["sub"], "test-user");
        assert_eq!(who["client_id"], "test-client");
        assert_eq!(who["aud"], "http://127.0.0.1:2/mcp");
    }

    #[tokio::test]
    async fn admin_action_steps_up() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let response = rpc(&state, Some(&t), &call_msg("admin_action", json!({}))).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let params = challenge(&response);
        assert_eq!(params["error"], "insufficient_scope");
        assert_eq!(params["scope"], "mcp:tools mcp:admin");
        assert_eq!(
            params["resource_metadata"],
            "http://127.0.0.1:2/.well-known/oauth-protected-resource/mcp"
        );

        let admin = token(&state, &["mcp:tools", "mcp:admin"]).await;
        let response = rpc(&state, Some(&admin), &call_msg("admin_action", json!({}))).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json(response).await["result"]["isError"], false);
    }

    #[tokio::test]
    async fn step_up_on_tools_call_is_403_with_the_complete_scope() {
        let state =
            IdpState::for_tests_with(crate::Config::default(), |b| b.step_up_on_tools_call = true);
        let basic = authed(&state).await;
        assert_eq!(
            rpc(&state, Some(&basic), &list_msg()).await.status(),
            StatusCode::OK
        );
        let response = rpc(&state, Some(&basic), &call_msg("test-tool", json!({}))).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let params = challenge(&response);
        assert_eq!(params["error"], "insufficient_scope");
        assert_eq!(params["scope"], "mcp:tools mcp:admin");
        assert_eq!(
            params["resource_metadata"],
            "http://127.0.0.1:2/.well-known/oauth-protected-resource/mcp"
        );
        let both = token(&state, &["mcp:tools", "mcp:admin"]).await;
        let response = rpc(&state, Some(&both), &call_msg("test-tool", json!({}))).await;
        assert_eq!(response.status(), StatusCode::OK);
        // Off by default: test-tool needs only the required scope.
        let strict = IdpState::for_tests(&[]);
        let basic = authed(&strict).await;
        let response = rpc(&strict, Some(&basic), &call_msg("test-tool", json!({}))).await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn anonymous_initialize_opens_no_session_and_notifications_skip_the_session_check() {
        let state = IdpState::for_tests_with(crate::Config::default(), |b| {
            b.unauthenticated_initialize = true
        });
        let response = rpc(&state, None, &initialize_msg(LATEST_VERSION)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get("mcp-session-id").is_none());
        let mut request = post_json(
            "/mcp",
            None,
            &json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        );
        request
            .headers_mut()
            .insert("mcp-session-id", HeaderValue::from_static("unknown"));
        assert_eq!(send(&state, request).await.status(), StatusCode::ACCEPTED);
        // With a token, initialize is still answered anonymously (no session).
        let t = authed(&state).await;
        let response = rpc(&state, Some(&t), &initialize_msg(LATEST_VERSION)).await;
        assert!(response.headers().get("mcp-session-id").is_none());
        // Without the switch a token's initialize opens one.
        let strict = IdpState::for_tests(&[]);
        let t = authed(&strict).await;
        let response = rpc(&strict, Some(&t), &initialize_msg(LATEST_VERSION)).await;
        assert!(response.headers().get("mcp-session-id").is_some());
    }

    #[tokio::test]
    async fn jsonrpc_errors() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let body = json(
            rpc(
                &state,
                Some(&t),
                &json!({"jsonrpc":"2.0","id":7,"method":"nope"}),
            )
            .await,
        )
        .await;
        assert_eq!(body["error"]["code"], METHOD_NOT_FOUND);
        assert_eq!(body["id"], 7);
        let body = json(rpc(&state, Some(&t), &call_msg("nope", json!({}))).await).await;
        assert_eq!(body["error"]["code"], INVALID_PARAMS);

        let response = send(&state, post_raw(Some(&t), "application/json", "{not json")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(json(response).await["error"]["code"], PARSE_ERROR);

        let response = send(&state, post_raw(Some(&t), "text/plain", "{}")).await;
        assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

        let response = rpc(&state, Some(&t), &json!([ping()])).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(json(response).await["error"]["code"], INVALID_REQUEST);

        let response = rpc(
            &state,
            Some(&t),
            &json!({"jsonrpc":"2.0","id":null,"method":"ping"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn notifications_and_responses_are_202() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        for msg in [
            json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
            json!({"jsonrpc":"2.0","id":"s1","result":{}}),
        ] {
            let response = rpc(&state, Some(&t), &msg).await;
            assert_eq!(response.status(), StatusCode::ACCEPTED, "{msg}");
            assert!(body_bytes(response).await.is_empty());
        }
        // Still authenticated first.
        let response = rpc(
            &state,
            None,
            &json!({"jsonrpc":"2.0","method":"notifications/initialized"}),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn accept_and_protocol_version_headers() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        for (accept, status) in [
            ("application/json", StatusCode::OK),
            ("application/json, text/event-stream", StatusCode::OK),
            ("*/*", StatusCode::OK),
            ("text/event-stream", StatusCode::NOT_ACCEPTABLE),
        ] {
            let mut request = post_json("/mcp", Some(&t), &ping());
            request
                .headers_mut()
                .insert("accept", HeaderValue::from_static(accept));
            assert_eq!(send(&state, request).await.status(), status, "{accept}");
        }
        let mut request = post_json("/mcp", Some(&t), &ping());
        request.headers_mut().insert(
            "mcp-protocol-version",
            HeaderValue::from_static("1999-01-01"),
        );
        assert_eq!(
            send(&state, request).await.status(),
            StatusCode::BAD_REQUEST
        );
        let mut request = post_json("/mcp", Some(&t), &ping());
        request.headers_mut().insert(
            "mcp-protocol-version",
            HeaderValue::from_static("2025-06-18"),
        );
        assert_eq!(send(&state, request).await.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn get_is_405_and_preflight_needs_no_token() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let request = Request::get("/mcp")
            .header("authorization", format!("Bearer {t}"))
            .header("accept", "text/event-stream")
            .body(Body::empty())
            .unwrap();
        let response = send(&state, request).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "POST, DELETE");

        let request = Request::options("/mcp")
            .header("origin", "http://localhost:6274")
            .header("access-control-request-method", "POST")
            .body(Body::empty())
            .unwrap();
        let response = send(&state, request).await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        assert!(response.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("Authorization"));
    }
}
