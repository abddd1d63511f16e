//! An OLD release of the TypeScript MCP SDK (`@modelcontextprotocol/sdk` 1.11.x, locked in
//! `targets/typescript-1.11/`: 2025-03-26 authorization, before protected resource metadata) as an
//! MCP client, through the adapter `targets/typescript-1.11/client.mjs`:
//!
//! - a positive control: against `mcp-authlab idp --variant legacy-2025-03-26` with a pre-registered
//!   `client_secret_post` client and no required scope the SDK completes the whole flow, so the
//!   suite's failures are the SDK's and not the adapter's.
//!
//! The whole client suite against its `expected-failures.yml` and the committed matrix snapshot runs
//! in `matrix.rs` (entry `typescript-1.11`).
//!
//! Needs `node` (>= 20) on PATH and `targets/typescript-1.11/install` (`ci/test` runs it). When the
//! SDK is not installed the tests are skipped with a message, unless `CI` is set: then they fail.

mod support;

use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::adapter::{assert_test_tool_answered_ok, node_missing, run_client};
use support::idp::{is_accepted_test_tool_call, Idp};
use support::targets::{installed_typescript_sdk, target_dir};
use support::{clear_env, tail, CA_VARIABLES, CONFORMANCE_VARIABLES, PROXY_VARIABLES};

/// The adapter sets no timeout of its own; this is the backstop.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(40);

/// The positive control's deployment: the MCP server needs no scope (1.11 requests none), and one
/// pre-registered client authenticates with `client_secret_post` (the only method 1.11 has).
const LEGACY_CONFIG: &str = r#"
required_scope = ""

[[clients]]
client_id = "legacy-post-client"
client_secret = "legacy-post-secret"
redirect_uris = ["http://localhost:3000/callback"]
token_endpoint_auth_method = "client_secret_post"
"#;
const LEGACY_CONTEXT: &str =
    r#"{"client_id":"legacy-post-client","client_secret":"legacy-post-secret"}"#;

/// The SDK version pinned in `targets/typescript-1.11/package.json`.
fn pinned_sdk_version() -> String {
    let text = std::fs::read_to_string(target_dir("typescript-1.11").join("package.json"))
        .expect("targets/typescript-1.11/package.json");
    let manifest: Value = serde_json::from_str(&text).expect("package.json is JSON");
    manifest["dependencies"]["@modelcontextprotocol/sdk"]
        .as_str()
        .expect("package.json pins @modelcontextprotocol/sdk")
        .to_string()
}

/// The installed SDK's version (it must be the pinned one); `None` (skip) when it is not installed
/// outside CI, a failure in CI.
fn installed_sdk_version() -> Option<String> {
    let installed = installed_typescript_sdk("typescript-1.11", "the TypeScript MCP SDK 1.11")?;
    let pinned = pinned_sdk_version();
    assert_eq!(
        installed, pinned,
        "node_modules holds SDK {installed}, package.json pins {pinned}: run \
         `targets/typescript-1.11/install`"
    );
    Some(installed)
}

fn is_tools_call_accepted(event: &Value) -> bool {
    event["path"] == "/mcp" && is_accepted_test_tool_call(event)
}

/// Positive control for the adapter: where SDK 1.11 can succeed — the 2025-03-26 layout, a
/// pre-registered client registered for `client_secret_post`, no scope required — it completes the
/// whole flow through `client.mjs` (401 → metadata at the MCP origin → authorization request →
/// `transport.finishAuth` → a new connection with the token → tools/list → tools/call). The token
/// request carries the secret in the body and no `Authorization` header: client_secret_post, the only
/// method 1.11 has (finding F2 in targets/typescript-1.11/README.md).
#[test]
fn sdk_1_11_completes_a_2025_03_26_flow_with_a_client_secret_post_client() {
    let Some(sdk) = installed_sdk_version() else {
        return;
    };
    let idp = Idp::start(&["--variant", "legacy-2025-03-26"], LEGACY_CONFIG);
    let mut command = Command::new("node");
    command
        .arg("client.mjs")
        .arg(idp.mcp_url())
        .current_dir(target_dir("typescript-1.11"));
    // Variables of the test's own environment that must not reach the SDK.
    clear_env(
        &mut command,
        &[
            &CONFORMANCE_VARIABLES,
            &["NODE_EXTRA_CA_CERTS"],
            &CA_VARIABLES,
            &PROXY_VARIABLES,
        ],
    );
    command.env("MCP_CONFORMANCE_CONTEXT", LEGACY_CONTEXT);
    let run = run_client(&mut command, CLIENT_TIMEOUT, |_| false).unwrap_or_else(node_missing);
    let (status, stdout) = (run.status, &run.stdout);
    let events = idp.trace_events(|events| events.iter().any(is_tools_call_accepted));
    let context = || {
        format!(
            "SDK {sdk}\nadapter exit: {status:?}\nadapter stdout: {stdout:?}\nadapter stderr (tail):\n{}\n\
             idp trace (tail):\n{}",
            tail(&run.stderr, 40),
            tail(&idp.trace(), 40)
        )
    };
    let result = run
        .result
        .clone()
        .unwrap_or_else(|| panic!("the adapter printed no JSON result\n{}", context()));
    assert_eq!(result["ok"], Value::Bool(true), "{}", context());
    assert_eq!(status, Some(0), "{}", context());
    assert_eq!(result["sdk"], Value::String(sdk.clone()), "{}", context());
    assert_test_tool_answered_ok(&result, &context);
    assert!(
        events.iter().any(is_tools_call_accepted),
        "no tools/call with a bearer token was accepted\n{}",
        context()
    );
    let token_request = events
        .iter()
        // The token endpoint the 2025-03-26 metadata names (the mock serves it under /oauth/).
        .find(|e| e["method"] == "POST" && e["path"] == "/oauth/token")
        .unwrap_or_else(|| panic!("no token request in the trace\n{}", context()));
    assert!(
        token_request["request_body"]
            .as_str()
            .is_some_and(|b| b.contains("client_secret=")),
        "the token request has no client_secret in its body\n{}",
        context()
    );
    assert!(
        token_request["request_headers"]["authorization"].is_null(),
        "the token request has an Authorization header: 1.11 now supports client_secret_basic; \
         update targets/typescript-1.11/README.md\n{}",
        context()
    );
    idp.stop();
}
