//! The mock's MCP tools (MCP Server Features › Tools): `test-tool` (first, as the official
//! conformance clients call it, or the first tool, with `{}`) answers "ok", `whoami` shows the
//! validated token, `echo` echoes, and `admin_action` needs the step-up scope (MCP 2025-11-25
//! Step-Up Authorization Flow). With `Behaviour::step_up_on_tools_call` every tool needs it.

use serde_json::{json, Value};

use crate::access_token::AccessTokenClaims;
use crate::state::IdpState;

/// What a `tools/call` comes to.
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutcome {
    /// A `CallToolResult` (possibly with `isError: true` for a tool execution error).
    Result(Value),
    /// JSON-RPC -32602: unknown tool or unusable `params`.
    InvalidParams(String),
    /// The token lacks a scope the tool needs: HTTP 403 with this complete `scope` set.
    InsufficientScope { scope: String, description: String },
}

/// The tool the official conformance clients call with `{}`; listed first.
pub const TEST_TOOL: &str = "test-tool";

/// The `tools/list` result.
pub fn list(state: &IdpState) -> Value {
    let no_args = json!({ "type": "object", "properties": {}, "additionalProperties": false });
    json!({ "tools": [
        {
            "name": TEST_TOOL,
            "title": "Test tool",
            "description": "Takes any arguments and returns the text `ok` (the tool the official conformance clients call).",
            "inputSchema": { "type": "object" }
        },
        {
            "name": "whoami",
            "title": "Who am I",
            "description": "Returns the subject, client, scopes, audience and issuer of the access token this request carried.",
            "inputSchema": no_args,
            "outputSchema": {
                "type": "object",
                "properties": {
                    "sub": { "type": "string" },
                    "client_id": { "type": "string" },
                    "scope": { "type": "string" },
                    "aud": { "type": "string" },
                    "iss": { "type": "string" }
                },
                "required": ["sub", "client_id", "scope", "aud", "iss"]
            }
        },
        {
            "name": "echo",
            "title": "Echo",
            "description": "Returns `message` unchanged.",
            "inputSchema": {
                "type": "object",
                "properties": { "message": { "type": "string", "description": "Text to echo" } },
                "required": ["message"]
            }
        },
        {
            "name": "admin_action",
            "title": "Admin action",
            "description": format!("A privileged no-op that needs the `{}` scope: without it the server answers 403 insufficient_scope (step-up authorization).", state.config.step_up_scope),
            "inputSchema": no_args
        }
    ]})
}

/// Runs `tools/call` with its `params` for the holder of `claims`.
pub fn call(state: &IdpState, claims: &AccessTokenClaims, params: &Value) -> CallOutcome {
    if let Some(step_up) = step_up_needed(state, claims) {
        return step_up;
    }
    let Some(name) = params.get("name").and_then(Value::as_str) else {
        return CallOutcome::InvalidParams("tools/call needs `params.name`, a string".into());
    };
    let args = params.get("arguments").cloned().unwrap_or(json!({}));
    if !args.is_object() {
        return CallOutcome::InvalidParams("`params.arguments` must be an object".into());
    }
    match name {
        TEST_TOOL => CallOutcome::Result(text_result("ok".into(), None, false)),
        "whoami" => {
            let who = json!({
                "sub": claims.sub,
                "client_id": claims.client_id,
                "scope": claims.scope,
                "aud": claims.aud,
                "iss": claims.iss,
            });
            CallOutcome::Result(text_result(who.to_string(), Some(who), false))
        }
        "echo" => match args.get("message").and_then(Value::as_str) {
            Some(message) => CallOutcome::Result(text_result(message.to_string(), None, false)),
            None => CallOutcome::Result(text_result(
                "`message` is required and must be a string".into(),
                None,
                true,
            )),
        },
        "admin_action" => admin_action(state, claims),
        other => CallOutcome::InvalidParams(format!("unknown tool `{other}`")),
    }
}

/// `step_up_on_tools_call`: a call without the step-up scope is refused with the complete set the
/// client needs, the required scopes and the step-up scope (MCP 2025-11-25 Runtime Insufficient
/// Scope Errors).
fn step_up_needed(state: &IdpState, claims: &AccessTokenClaims) -> Option<CallOutcome> {
    let step_up = &state.config.step_up_scope;
    if !state.behaviour.step_up_on_tools_call || claims.has_scope(step_up) {
        return None;
    }
    let mut scopes = state.config.required_scopes();
    if !scopes.contains(&step_up.as_str()) {
        scopes.push(step_up);
    }
    Some(CallOutcome::InsufficientScope {
        scope: scopes.join(" "),
        description: format!(
            "every tool of this server needs the `{step_up}` scope (RFC 6750 §3.1)"
        ),
    })
}

fn admin_action(state: &IdpState, claims: &AccessTokenClaims) -> CallOutcome {
    let needed = &state.config.step_up_scope;
    if claims.has_scope(needed) {
        return CallOutcome::Result(text_result(
            format!("admin action performed for `{}`", claims.sub),
            None,
            false,
        ));
    }
    // One complete challenge: everything already granted plus what this tool needs, so a client
    // that replaces its scopes with the challenged ones loses nothing (MCP 2025-11-25 Runtime
    // Insufficient Scope Errors).
    let mut scopes: Vec<&str> = claims.scopes().collect();
    scopes.push(needed);
    CallOutcome::InsufficientScope {
        scope: scopes.join(" "),
        description: format!("the `admin_action` tool needs the `{needed}` scope (RFC 6750 §3.1)"),
    }
}

fn text_result(text: String, structured: Option<Value>, is_error: bool) -> Value {
    let mut result = json!({
        "content": [{ "type": "text", "text": text }],
        "isError": is_error,
    });
    if let Some(structured) = structured {
        result["structuredContent"] = structured;
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(scope: &str) -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "http://127.0.0.1:1".into(),
            sub: "test-user".into(),
            aud: "http://127.0.0.1:2/mcp".into(),
            client_id: "c1".into(),
            scope: scope.into(),
            iat: 0,
            exp: 0,
            nbf: None,
            jti: "j".into(),
        }
    }

    #[test]
    fn list_has_test_tool_first_and_four_tools_with_schemas() {
        let tools = list(&IdpState::for_tests(&[]));
        let tools = tools["tools"].as_array().unwrap();
        assert_eq!(tools.len(), 4);
        assert_eq!(tools[0]["name"], TEST_TOOL);
        assert_eq!(tools[0]["inputSchema"], json!({"type": "object"}));
        for tool in tools {
            assert_eq!(tool["inputSchema"]["type"], "object", "{tool}");
            assert!(tool["description"].is_string());
        }
    }

    #[test]
    fn whoami_and_echo() {
        let state = IdpState::for_tests(&[]);
        let CallOutcome::Result(r) = call(&state, &claims("mcp:tools"), &json!({"name": "whoami"}))
        else {
            panic!("whoami failed");
        };
        assert_eq!(r["structuredContent"]["sub"], "test-user");
        let text: Value = serde_json::from_str(r["content"][0]["text"].as_str().unwrap()).unwrap();
        assert_eq!(text, r["structuredContent"]);

        let echo = json!({"name": "echo", "arguments": {"message": "hi"}});
        let CallOutcome::Result(r) = call(&state, &claims(""), &echo) else {
            panic!("echo failed");
        };
        assert_eq!(r["content"][0]["text"], "hi");
        let CallOutcome::Result(r) = call(&state, &claims(""), &json!({"name": "echo"})) else {
            panic!("echo without message");
        };
        assert_eq!(r["isError"], true);
    }

    #[test]
    fn test_tool_answers_ok_with_any_object() {
        let state = IdpState::for_tests(&[]);
        for params in [
            json!({"name": "test-tool"}),
            json!({"name": "test-tool", "arguments": {}}),
            json!({"name": "test-tool", "arguments": {"x": 1}}),
        ] {
            let CallOutcome::Result(r) = call(&state, &claims("mcp:tools"), &params) else {
                panic!("{params}");
            };
            assert_eq!(r["content"][0]["text"], "ok");
            assert_eq!(r["isError"], false);
        }
        let bad = json!({"name": "test-tool", "arguments": "x"});
        assert!(matches!(
            call(&state, &claims("mcp:tools"), &bad),
            CallOutcome::InvalidParams(_)
        ));
    }

    #[test]
    fn step_up_on_tools_call_needs_the_step_up_scope_for_every_tool() {
        let state =
            IdpState::for_tests_with(crate::Config::default(), |b| b.step_up_on_tools_call = true);
        for name in [TEST_TOOL, "whoami", "nope"] {
            match call(&state, &claims("mcp:tools"), &json!({"name": name})) {
                CallOutcome::InsufficientScope { scope, .. } => {
                    assert_eq!(scope, "mcp:tools mcp:admin", "{name}")
                }
                other => panic!("{name}: {other:?}"),
            }
        }
        assert!(matches!(
            call(
                &state,
                &claims("mcp:tools mcp:admin"),
                &json!({"name": TEST_TOOL})
            ),
            CallOutcome::Result(_)
        ));
        // Off by default.
        let strict = IdpState::for_tests(&[]);
        assert!(matches!(
            call(&strict, &claims("mcp:tools"), &json!({"name": TEST_TOOL})),
            CallOutcome::Result(_)
        ));
    }

    #[test]
    fn unknown_tool_and_bad_params_are_invalid_params() {
        let state = IdpState::for_tests(&[]);
        let c = claims("mcp:tools");
        for params in [
            json!({"name": "nope"}),
            json!({}),
            json!({"name": "echo", "arguments": [1]}),
        ] {
            assert!(
                matches!(call(&state, &c, &params), CallOutcome::InvalidParams(_)),
                "{params}"
            );
        }
    }

    #[test]
    fn admin_action_needs_the_step_up_scope() {
        let state = IdpState::for_tests(&[]);
        let params = json!({"name": "admin_action"});
        match call(&state, &claims("mcp:tools"), &params) {
            CallOutcome::InsufficientScope { scope, .. } => {
                assert_eq!(scope, "mcp:tools mcp:admin")
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            call(&state, &claims("mcp:tools mcp:admin"), &params),
            CallOutcome::Result(_)
        ));
    }
}
