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

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mcp_authlab_harness::process::ProcessGroup;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-authlab");
const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// The adapter sets no timeout of its own; this is the backstop.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(40);

/// Variables of the test's own environment that must not reach the suite or the SDK.
const CLEARED_VARIABLES: [&str; 11] = [
    "MCP_CONFORMANCE_SCENARIO",
    "MCP_CONFORMANCE_CONTEXT",
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

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

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .join("targets")
        .join("typescript-1.11")
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The SDK version pinned in `targets/typescript-1.11/package.json`.
fn pinned_sdk_version() -> String {
    let text = std::fs::read_to_string(target_dir().join("package.json"))
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
    let manifest = target_dir().join("node_modules/@modelcontextprotocol/sdk/package.json");
    let text = match std::fs::read_to_string(&manifest) {
        Ok(text) => text,
        Err(e) => {
            let message = format!(
                "the TypeScript MCP SDK 1.11 is not installed ({}: {e}): run `ci/test`, or by hand \
                 `targets/typescript-1.11/install`",
                manifest.display()
            );
            if std::env::var_os("CI").is_some() {
                panic!("{message} (CI is set, so this is a failure, not a skip)");
            }
            // Written to the real stderr: libtest captures `eprintln!` of passing tests.
            let _ = writeln!(std::io::stderr(), "SKIPPED: {message}");
            return None;
        }
    };
    let installed: Value = serde_json::from_str(&text).expect("the SDK's package.json is JSON");
    let installed = installed["version"]
        .as_str()
        .unwrap_or("unknown")
        .to_string();
    let pinned = pinned_sdk_version();
    assert_eq!(
        installed, pinned,
        "node_modules holds SDK {installed}, package.json pins {pinned}: run \
         `targets/typescript-1.11/install`"
    );
    Some(installed)
}

/// The adapter's result line (the JSON object with `ok`) among output lines.
fn result_line<'a>(lines: impl IntoIterator<Item = &'a str>) -> Option<Value> {
    lines
        .into_iter()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|value| value.get("ok").is_some())
}

/// A running `mcp-authlab idp`, in its own process group.
struct Idp {
    process: ProcessGroup,
    ready: Value,
    dir: tempfile::TempDir,
}

impl Idp {
    fn start(args: &[&str], config: &str) -> Idp {
        let dir = tempfile::tempdir().expect("temp dir");
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, config).expect("write the idp config");
        let log = File::create(dir.path().join("idp.stderr")).expect("create the idp's stderr log");
        let mut command = Command::new(BIN);
        command
            .arg("idp")
            .args(args)
            .arg("--config")
            .arg(&config_path)
            .arg("--trace")
            .arg(dir.path().join("trace.jsonl"))
            .stdin(Stdio::null())
            .stderr(Stdio::from(log));
        let mut process = ProcessGroup::spawn(&mut command).expect("start `mcp-authlab idp`");
        let line = process.next_line(READY_TIMEOUT).unwrap_or_else(|e| {
            panic!(
                "`mcp-authlab idp {}`: {e}; stderr:\n{}",
                args.join(" "),
                std::fs::read_to_string(dir.path().join("idp.stderr")).unwrap_or_default()
            )
        });
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the ready line is not JSON ({e}): {line}"));
        Idp {
            process,
            ready,
            dir,
        }
    }

    fn mcp_url(&self) -> &str {
        self.ready["mcp_url"]
            .as_str()
            .expect("the ready line has mcp_url")
    }

    /// The readable trace printed on stderr so far.
    fn trace(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("idp.stderr")).unwrap_or_default()
    }

    /// The JSON-lines trace; waits briefly for `until` to hold, since the idp writes it
    /// asynchronously.
    fn trace_events(&self, until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let events: Vec<Value> = std::fs::read_to_string(self.dir.path().join("trace.jsonl"))
                .unwrap_or_default()
                .lines()
                .filter_map(|line| serde_json::from_str(line).ok())
                .collect();
            if until(&events) || Instant::now() > deadline {
                return events;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(mut self) {
        let status = self
            .process
            .terminate(Duration::from_secs(5))
            .expect("stop the idp");
        assert!(
            status.code().is_none() || status.code() == Some(0),
            "the idp exited with {status}; stderr:\n{}",
            self.trace()
        );
    }
}

fn is_tools_call_accepted(event: &Value) -> bool {
    event["method"] == "POST"
        && event["path"] == "/mcp"
        && event["status"]
            .as_u64()
            .is_some_and(|s| (200..300).contains(&s))
        && event["request_headers"]["authorization"]
            .as_str()
            .is_some_and(|a| a.starts_with("Bearer "))
        && event["request_body"]
            .as_str()
            .is_some_and(|b| b.contains("\"tools/call\"") && b.contains("\"test-tool\""))
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
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log_path = log_dir.path().join("client.stderr");
    let log = File::create(&log_path).expect("create the client's stderr log");
    let mut command = Command::new("node");
    command
        .arg("client.mjs")
        .arg(idp.mcp_url())
        .current_dir(target_dir())
        .stdin(Stdio::null())
        .stderr(Stdio::from(log));
    for variable in CLEARED_VARIABLES {
        command.env_remove(variable);
    }
    command.env("MCP_CONFORMANCE_CONTEXT", LEGACY_CONTEXT);
    let mut client = ProcessGroup::spawn(&mut command).unwrap_or_else(|e| {
        panic!("could not run the adapter ({e}): Node.js >= 20 must be on PATH")
    });
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let mut stdout = Vec::new();
    while let Ok(line) = client.next_line(deadline.saturating_duration_since(Instant::now())) {
        stdout.push(line);
    }
    let status = client
        .wait_timeout(Duration::from_secs(5))
        .expect("wait for the adapter")
        .and_then(|s| s.code());
    let events = idp.trace_events(|events| events.iter().any(is_tools_call_accepted));
    let context = || {
        format!(
            "SDK {sdk}\nadapter exit: {status:?}\nadapter stdout: {stdout:?}\nadapter stderr (tail):\n{}\n\
             idp trace (tail):\n{}",
            tail(&std::fs::read_to_string(&log_path).unwrap_or_default(), 40),
            tail(&idp.trace(), 40)
        )
    };
    let result = result_line(stdout.iter().map(String::as_str))
        .unwrap_or_else(|| panic!("the adapter printed no JSON result\n{}", context()));
    assert_eq!(result["ok"], Value::Bool(true), "{}", context());
    assert_eq!(status, Some(0), "{}", context());
    assert_eq!(result["sdk"], Value::String(sdk.clone()), "{}", context());
    assert_eq!(result["test_tool"]["is_error"], false, "{}", context());
    assert_eq!(result["test_tool"]["output"]["text"], "ok", "{}", context());
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
