//! The MCP requests the probes send, shaped as a client of the spec version sends them: before
//! 2026-07-28 the first request is `initialize` (Basic › Lifecycle); from 2026-07-28 there is no
//! `initialize` and no session, and the first request is `server/discover` with the protocol
//! version, client info and capabilities in `params._meta`, mirrored in the `MCP-Protocol-Version`
//! and `Mcp-Method` headers (Basic › Versioning; Transports › Streamable HTTP › Request Metadata).

use mcp_authlab_mock_idp::mcp_server::{
    CLIENT_CAPABILITIES_META, CLIENT_INFO_META, PROTOCOL_VERSION_META,
};
use mcp_authlab_reports::SpecVersion;
use serde_json::{json, Value};

/// The protocol version of the 2026-07-28 requests.
pub const MODERN_VERSION: &str = "2026-07-28";
/// The method of the first 2026-07-28 request.
pub const DISCOVER: &str = "server/discover";

/// One MCP request: its headers (besides credentials) and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct McpRequest {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// Whether clients of `spec` send per-request metadata instead of `initialize`.
pub fn is_modern(spec: SpecVersion) -> bool {
    spec == SpecVersion::V2026_07_28
}

/// The first request of a client of `spec` (the one the unauthenticated and token probes send).
pub fn first_request(spec: SpecVersion) -> McpRequest {
    if is_modern(spec) {
        modern(DISCOVER, json!({}), MODERN_VERSION)
    } else {
        initialize(spec.as_str())
    }
}

fn base_headers() -> Vec<(String, String)> {
    vec![
        ("content-type".into(), "application/json".into()),
        (
            "accept".into(),
            "application/json, text/event-stream".into(),
        ),
    ]
}

fn client_info() -> Value {
    json!({"name": "mcp-authlab", "version": env!("CARGO_PKG_VERSION")})
}

/// `initialize` proposing `version` (the revisions before 2026-07-28).
pub fn initialize(version: &str) -> McpRequest {
    let body = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": client_info(),
        }
    });
    McpRequest {
        headers: base_headers(),
        body: body.to_string(),
    }
}

/// A 2026-07-28 request: `method` with `params` and the per-request `_meta` naming `version`, and
/// the headers that mirror them (`Mcp-Name` for the methods that name a tool, prompt or resource).
pub fn modern(method: &str, params: Value, version: &str) -> McpRequest {
    let mut params = if params.is_object() {
        params
    } else {
        json!({})
    };
    params["_meta"] = json!({
        PROTOCOL_VERSION_META: version,
        CLIENT_INFO_META: client_info(),
        CLIENT_CAPABILITIES_META: {},
    });
    let mut headers = base_headers();
    headers.push(("mcp-protocol-version".into(), version.into()));
    headers.push(("mcp-method".into(), method.into()));
    let name = match method {
        "tools/call" | "prompts/get" => params.get("name"),
        "resources/read" => params.get("uri"),
        _ => None,
    };
    if let Some(name) = name.and_then(Value::as_str) {
        headers.push(("mcp-name".into(), name.into()));
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    McpRequest {
        headers,
        body: body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header<'a>(r: &'a McpRequest, name: &str) -> Option<&'a str> {
        r.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn the_first_request_is_initialize_before_2026_and_server_discover_after() {
        let legacy = first_request(SpecVersion::V2025_11_25);
        let body: Value = serde_json::from_str(&legacy.body).unwrap();
        assert_eq!(body["method"], "initialize");
        assert_eq!(body["params"]["protocolVersion"], "2025-11-25");
        assert_eq!(header(&legacy, "mcp-protocol-version"), None);

        let modern = first_request(SpecVersion::V2026_07_28);
        let body: Value = serde_json::from_str(&modern.body).unwrap();
        assert_eq!(body["method"], "server/discover");
        assert_eq!(body["params"]["_meta"][PROTOCOL_VERSION_META], "2026-07-28");
        assert!(body["params"]["_meta"][CLIENT_CAPABILITIES_META].is_object());
        assert_eq!(header(&modern, "mcp-protocol-version"), Some("2026-07-28"));
        assert_eq!(header(&modern, "mcp-method"), Some("server/discover"));
        assert_eq!(header(&modern, "mcp-name"), None);
    }

    #[test]
    fn a_tool_call_names_its_tool_in_a_header() {
        let call = modern("tools/call", json!({"name": "echo"}), MODERN_VERSION);
        assert_eq!(header(&call, "mcp-name"), Some("echo"));
        let body: Value = serde_json::from_str(&call.body).unwrap();
        assert_eq!(body["params"]["name"], "echo");
    }
}
