//! MCP 2026-07-28 requests (Basic › Versioning; Transports › Streamable HTTP › Request Metadata):
//! no `initialize` and no session. Every request names its protocol version in `params._meta`
//! (`io.modelcontextprotocol/protocolVersion`) and in `MCP-Protocol-Version`, its method in
//! `Mcp-Method`, the tool it calls in `Mcp-Name`. The server checks that the headers mirror the
//! body (400 `HeaderMismatch`, -32020) and that it speaks the version (400
//! `UnsupportedProtocolVersion`, -32022, listing the versions it does), answers
//! `server/discover`, and serves `tools/list` and `tools/call` statelessly: an `Mcp-Session-Id` is
//! ignored and none is minted. Results carry `resultType: "complete"`; an unknown method is 404
//! with -32601.
//!
//! A dual-era server (Versioning › Backward Compatibility): `initialize` still selects the
//! revisions before 2026-07-28 ([`super::jsonrpc`]); [`is_modern`] decides which era a request is.

use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::jsonrpc::{rpc_error, INVALID_PARAMS, METHOD_NOT_FOUND, SUPPORTED_VERSIONS};
use super::tools::{self, CallOutcome};
use super::AuthFailure;
use crate::access_token::AccessTokenClaims;
use crate::state::IdpState;

/// The revisions served with per-request metadata (what `server/discover` lists).
pub const MODERN_VERSIONS: &[&str] = &["2026-07-28"];
/// `_meta` keys of a 2026-07-28 request (Transports › Streamable HTTP › Standard Request Headers).
pub const PROTOCOL_VERSION_META: &str = "io.modelcontextprotocol/protocolVersion";
pub const CLIENT_INFO_META: &str = "io.modelcontextprotocol/clientInfo";
pub const CLIENT_CAPABILITIES_META: &str = "io.modelcontextprotocol/clientCapabilities";
/// Basic › Error Codes.
pub const HEADER_MISMATCH: i64 = -32020;
pub const UNSUPPORTED_PROTOCOL_VERSION: i64 = -32022;

const PROTOCOL_VERSION_HEADER: &str = "mcp-protocol-version";
const METHOD_HEADER: &str = "mcp-method";
const NAME_HEADER: &str = "mcp-name";

/// Whether the message is a 2026-07-28 request: its `MCP-Protocol-Version` header names no
/// `initialize`-based revision, or its `params._meta` names a protocol version. `initialize`
/// itself always selects the older revisions.
pub fn is_modern(headers: &HeaderMap, message: &Map<String, Value>) -> bool {
    if message.get("method").and_then(Value::as_str) == Some("initialize") {
        return false;
    }
    let header_is_modern = headers
        .get(PROTOCOL_VERSION_HEADER)
        .is_some_and(|v| !SUPPORTED_VERSIONS.contains(&v.to_str().unwrap_or("")));
    header_is_modern || meta(message).is_some_and(|m| m.contains_key(PROTOCOL_VERSION_META))
}

fn meta(message: &Map<String, Value>) -> Option<&Map<String, Value>> {
    message.get("params")?.get("_meta")?.as_object()
}

/// The methods whose `Mcp-Name` mirrors a body parameter, and which parameter.
fn name_parameter(method: &str) -> Option<&'static str> {
    match method {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        _ => None,
    }
}

/// A header value as sent, or decoded from the `=?base64?…?=` sentinel (Value Encoding).
fn decoded_header(value: &str) -> Option<String> {
    match value
        .strip_prefix("=?base64?")
        .and_then(|v| v.strip_suffix("?="))
    {
        Some(encoded) => base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok()),
        None => Some(value.to_string()),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// 400 with a JSON-RPC error and `data`.
fn bad_request(id: &Value, code: i64, message: String, data: Option<Value>) -> Response {
    let mut error = json!({ "code": code, "message": message });
    if let Some(data) = data {
        error["data"] = data;
    }
    let body = json!({ "jsonrpc": "2.0", "id": id, "error": error });
    (StatusCode::BAD_REQUEST, Json(body)).into_response()
}

/// The validation of a 2026-07-28 request (the error response when it fails; first failure wins):
/// `_meta` names the protocol version; the headers mirror the body (Server Validation); the
/// version is one this server speaks (Protocol Version Header).
fn problem(
    state: &IdpState,
    headers: &HeaderMap,
    message: &Map<String, Value>,
    method: &str,
    id: &Value,
) -> Option<Response> {
    let Some(version) = meta(message).and_then(|m| m.get(PROTOCOL_VERSION_META)) else {
        return Some(bad_request(
            id,
            INVALID_PARAMS,
            format!(
                "a 2026-07-28 request carries its protocol version in params._meta[\"{PROTOCOL_VERSION_META}\"] \
                 (MCP Basic › Versioning); send initialize to use an earlier revision"
            ),
            None,
        ));
    };
    let mismatch = |what: String| Some(bad_request(id, HEADER_MISMATCH, what, None));
    let version_header = header(headers, PROTOCOL_VERSION_HEADER);
    if version.as_str() != version_header || version_header.is_none() {
        return mismatch(format!(
            "Header mismatch: MCP-Protocol-Version {} does not match params._meta protocol version {version} \
             (MCP Streamable HTTP › Server Validation)",
            version_header.map_or("(missing)".to_string(), |v| format!("`{v}`"))
        ));
    }
    if header(headers, METHOD_HEADER) != Some(method) {
        return mismatch(format!(
            "Header mismatch: Mcp-Method {} does not match the body's method `{method}` (MCP \
             Streamable HTTP › Server Validation)",
            header(headers, METHOD_HEADER).map_or("(missing)".to_string(), |v| format!("`{v}`"))
        ));
    }
    if let Some(parameter) = name_parameter(method) {
        let body_value = message
            .get("params")
            .and_then(|p| p.get(parameter))
            .and_then(Value::as_str);
        let sent = header(headers, NAME_HEADER).and_then(decoded_header);
        if let Some(body_value) = body_value {
            if sent.as_deref() != Some(body_value) {
                return mismatch(format!(
                    "Header mismatch: Mcp-Name {} does not match the body's {parameter} \
                     `{body_value}` (MCP Streamable HTTP › Server Validation)",
                    sent.map_or("(missing or not decodable)".to_string(), |v| format!(
                        "`{v}`"
                    ))
                ));
            }
        }
    }
    let version = version.as_str().unwrap_or("");
    if !MODERN_VERSIONS.contains(&version) && !state.behaviour.modern_accepts_any_version {
        let mut supported: Vec<&str> = MODERN_VERSIONS.to_vec();
        supported.extend(SUPPORTED_VERSIONS.iter().rev());
        return Some(bad_request(
            id,
            UNSUPPORTED_PROTOCOL_VERSION,
            "Unsupported protocol version".into(),
            Some(json!({ "supported": supported, "requested": version })),
        ));
    }
    None
}

/// The `server/discover` result (MCP 2026-07-28 Server › Discovery).
pub fn discover_result() -> Value {
    json!({
        "resultType": "complete",
        "supportedVersions": MODERN_VERSIONS,
        "capabilities": { "tools": {} },
        "serverInfo": { "name": "mcp-authlab-mock", "version": env!("CARGO_PKG_VERSION") },
        "ttlMs": 0,
        "cacheScope": "public",
    })
}

fn complete(id: Value, mut result: Value) -> Response {
    result["resultType"] = json!("complete");
    Json(json!({ "jsonrpc": "2.0", "id": id, "result": result })).into_response()
}

/// Serves one 2026-07-28 message (`id` is `None` for a notification: 202, nothing to act on).
/// `claims` is `None` only for what `Behaviour::unauthenticated_initialize` lets through.
pub fn handle(
    state: &IdpState,
    claims: Option<&AccessTokenClaims>,
    headers: &HeaderMap,
    message: &Map<String, Value>,
    method: &str,
    id: Option<Value>,
) -> Response {
    let Some(id) = id else {
        return StatusCode::ACCEPTED.into_response();
    };
    if let Some(response) = problem(state, headers, message, method, &id) {
        return response;
    }
    let mut response = answer(state, claims, message, method, id);
    if state.behaviour.modern_mints_sessions {
        if let Ok(value) = HeaderValue::from_str(&crate::store::random_token(16)) {
            response.headers_mut().insert("mcp-session-id", value);
        }
    }
    response
}

/// The answer to one 2026-07-28 request that passed [`problem`].
fn answer(
    state: &IdpState,
    claims: Option<&AccessTokenClaims>,
    message: &Map<String, Value>,
    method: &str,
    id: Value,
) -> Response {
    let Some(claims) = claims else {
        return AuthFailure::NoCredentials(format!(
            "`{method}` needs an access token in `Authorization: Bearer <token>` (RFC 6750 §2.1)"
        ))
        .response(state);
    };
    let params = message.get("params").cloned().unwrap_or(json!({}));
    match method {
        "server/discover" => complete(id, discover_result()),
        "tools/list" => {
            // A cacheable result (Server › Utilities › Caching): the same for every caller.
            let mut list = tools::list(state);
            list["ttlMs"] = json!(0);
            list["cacheScope"] = json!("public");
            complete(id, list)
        }
        "tools/call" => match tools::call(state, claims, &params) {
            CallOutcome::Result(result) => complete(id, result),
            CallOutcome::InvalidParams(message) => {
                rpc_error(StatusCode::OK, id, INVALID_PARAMS, message)
            }
            CallOutcome::InsufficientScope { scope, description } => {
                AuthFailure::InsufficientScope { scope, description }.response(state)
            }
        },
        other => rpc_error(
            StatusCode::NOT_FOUND,
            id,
            METHOD_NOT_FOUND,
            format!("method `{other}` not found (MCP 2026-07-28 Streamable HTTP: 404 and -32601)"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp_server::test_support::*;
    use axum::body::Body;
    use axum::http::{HeaderValue, Request};

    const V: &str = "2026-07-28";

    fn message(method: &str, params: Value, version: &str) -> Value {
        let mut params = params;
        params["_meta"] = json!({
            PROTOCOL_VERSION_META: version,
            CLIENT_INFO_META: {"name": "test", "version": "0"},
            CLIENT_CAPABILITIES_META: {},
        });
        json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params})
    }

    /// A 2026-07-28 request with its headers (`name`: the `Mcp-Name` value, if any).
    fn modern(
        token: Option<&str>,
        method: &str,
        params: Value,
        name: Option<&str>,
    ) -> Request<Body> {
        let mut request = post_json("/mcp", token, &message(method, params, V));
        let h = request.headers_mut();
        h.insert("mcp-protocol-version", HeaderValue::from_static(V));
        h.insert("mcp-method", HeaderValue::from_str(method).unwrap());
        if let Some(name) = name {
            h.insert("mcp-name", HeaderValue::from_str(name).unwrap());
        }
        request
    }

    async fn authed(state: &IdpState) -> String {
        token(state, &["mcp:tools"]).await
    }

    #[test]
    fn initialize_and_unmarked_requests_are_not_modern() {
        let headers = |v: Option<&'static str>| {
            let mut h = HeaderMap::new();
            if let Some(v) = v {
                h.insert("mcp-protocol-version", HeaderValue::from_static(v));
            }
            h
        };
        let obj = |v: Value| v.as_object().unwrap().clone();
        let plain = obj(list_msg());
        assert!(!is_modern(&headers(None), &plain));
        assert!(!is_modern(&headers(Some("2025-06-18")), &plain));
        assert!(is_modern(&headers(Some(V)), &plain));
        assert!(is_modern(&headers(Some("1999-01-01")), &plain));
        assert!(is_modern(
            &headers(None),
            &obj(message("tools/list", json!({}), V))
        ));
        let init = obj(initialize_msg("2025-11-25"));
        assert!(!is_modern(&headers(Some(V)), &init));
    }

    #[tokio::test]
    async fn discover_needs_no_initialize_and_opens_no_session() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let response = send(&state, modern(Some(&t), "server/discover", json!({}), None)).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get("mcp-session-id").is_none());
        let body = json(response).await;
        assert_eq!(body["id"], 7);
        assert_eq!(body["result"]["resultType"], "complete");
        assert_eq!(body["result"]["supportedVersions"], json!([V]));
        assert_eq!(body["result"]["capabilities"], json!({"tools": {}}));
        assert!(body["result"]["ttlMs"].is_u64());
    }

    #[tokio::test]
    async fn discover_without_a_token_is_401_like_every_request() {
        let state = IdpState::for_tests(&[]);
        let response = send(&state, modern(None, "server/discover", json!({}), None)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let p = challenge(&response);
        assert!(!p.contains_key("error"), "{p:?}");
        assert_eq!(p["scope"], "mcp:tools");
    }

    #[tokio::test]
    async fn tools_are_served_statelessly_and_a_session_id_is_ignored() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let mut request = modern(Some(&t), "tools/list", json!({}), None);
        request.headers_mut().insert(
            "mcp-session-id",
            HeaderValue::from_static("no-such-session"),
        );
        let response = send(&state, request).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get("mcp-session-id").is_none());
        let body = json(response).await;
        assert_eq!(body["result"]["resultType"], "complete");
        assert_eq!(body["result"]["tools"][0]["name"], "test-tool");
        assert_eq!(body["result"]["ttlMs"], 0);
        assert_eq!(body["result"]["cacheScope"], "public");

        let call = json!({"name": "echo", "arguments": {"message": "hi"}});
        let response = send(
            &state,
            modern(Some(&t), "tools/call", call.clone(), Some("echo")),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json(response).await;
        assert_eq!(body["result"]["content"][0]["text"], "hi");
        assert_eq!(body["result"]["resultType"], "complete");
        // The name may be sent base64-encoded.
        let response = send(
            &state,
            modern(Some(&t), "tools/call", call, Some("=?base64?ZWNobw==?=")),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn headers_must_mirror_the_body() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let call = json!({"name": "echo", "arguments": {"message": "hi"}});
        let mut wrong_method = modern(Some(&t), "tools/list", json!({}), None);
        wrong_method
            .headers_mut()
            .insert("mcp-method", HeaderValue::from_static("tools/call"));
        let mut no_version = modern(Some(&t), "tools/list", json!({}), None);
        no_version.headers_mut().remove("mcp-protocol-version");
        let mut other_version = modern(Some(&t), "tools/list", json!({}), None);
        other_version.headers_mut().insert(
            "mcp-protocol-version",
            HeaderValue::from_static("2025-11-25"),
        );
        for request in [
            wrong_method,
            no_version,
            other_version,
            modern(Some(&t), "tools/call", call.clone(), None),
            modern(Some(&t), "tools/call", call, Some("whoami")),
        ] {
            let response = send(&state, request).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST);
            assert_eq!(json(response).await["error"]["code"], HEADER_MISMATCH);
        }
    }

    #[tokio::test]
    async fn an_unsupported_version_lists_the_supported_ones() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let mut request = post_json(
            "/mcp",
            Some(&t),
            &message("server/discover", json!({}), "1999-01-01"),
        );
        let h = request.headers_mut();
        h.insert(
            "mcp-protocol-version",
            HeaderValue::from_static("1999-01-01"),
        );
        h.insert("mcp-method", HeaderValue::from_static("server/discover"));
        let response = send(&state, request).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body = json(response).await;
        assert_eq!(body["error"]["code"], UNSUPPORTED_PROTOCOL_VERSION);
        assert_eq!(body["error"]["data"]["requested"], "1999-01-01");
        let supported = body["error"]["data"]["supported"].as_array().unwrap();
        assert!(supported.contains(&json!(V)) && supported.contains(&json!("2025-11-25")));
    }

    #[tokio::test]
    async fn a_modern_header_without_meta_and_unknown_methods() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let mut request = post_json("/mcp", Some(&t), &list_msg());
        let h = request.headers_mut();
        h.insert("mcp-protocol-version", HeaderValue::from_static(V));
        h.insert("mcp-method", HeaderValue::from_static("tools/list"));
        let response = send(&state, request).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(json(response).await["error"]["code"], INVALID_PARAMS);

        let response = send(&state, modern(Some(&t), "ping", json!({}), None)).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(json(response).await["error"]["code"], METHOD_NOT_FOUND);
    }

    #[tokio::test]
    async fn scopes_are_enforced_as_for_every_request() {
        let state = IdpState::for_tests(&[]);
        let none = token(&state, &[]).await;
        let response = send(
            &state,
            modern(Some(&none), "server/discover", json!({}), None),
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let p = challenge(&response);
        assert_eq!(p["error"], "insufficient_scope");
        assert_eq!(p["scope"], "mcp:tools");
        let t = authed(&state).await;
        let admin = json!({"name": "admin_action"});
        let response = send(
            &state,
            modern(Some(&t), "tools/call", admin, Some("admin_action")),
        )
        .await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(challenge(&response)["scope"], "mcp:tools mcp:admin");
    }

    #[tokio::test]
    async fn initialize_still_works_and_legacy_requests_are_unchanged() {
        let state = IdpState::for_tests(&[]);
        let t = authed(&state).await;
        let response = rpc(&state, Some(&t), &initialize_msg("2025-11-25")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get("mcp-session-id").is_some());
        let body = json(rpc(&state, Some(&t), &list_msg()).await).await;
        assert!(body["result"].get("resultType").is_none(), "{body}");
    }

    #[tokio::test]
    async fn a_server_without_modern_requests_answers_them_400() {
        let state = IdpState::for_tests(&["server-2026-requires-initialize"]);
        let t = authed(&state).await;
        let response = send(&state, modern(Some(&t), "server/discover", json!({}), None)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_ne!(
            json(response).await["error"]["code"],
            UNSUPPORTED_PROTOCOL_VERSION
        );
        let response = rpc(&state, Some(&t), &initialize_msg("2025-11-25")).await;
        assert_eq!(response.status(), StatusCode::OK);
    }
}
