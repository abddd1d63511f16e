//! The real Python MCP SDK (`mcp` from PyPI, locked in `targets/python/requirements.txt`) as an MCP
//! client against the mock deployment (`mcp_authlab_mock_idp::Deployment`, in process).
//!
//! Needs `targets/python/.venv` (made by `targets/python/install`, which `ci/test` runs). When it is missing
//! the tests are skipped with a message, unless `CI` is set: then they fail, so CI can never pass
//! without having run the SDK. The adapter, `targets/python/client.py`, follows the conformance
//! client contract and prints one JSON line on stdout.
//!
//! The whole client suite on the adapter, judged against `targets/python/expected-failures.yml` and
//! the committed matrix snapshot, is the `python` entry of `matrix.rs`.

mod support;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use mcp_authlab_harness::process::ProcessGroup;
use mcp_authlab_mock_idp::trace::{Role, TraceEvent};
use mcp_authlab_mock_idp::{Behaviour, Deployment, Options};
use serde_json::Value;
use support::tail;

/// The adapter has no overall limit of its own (every request has a 10 s timeout); a complete flow
/// takes a few seconds, SDK import included.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(40);
/// Proxy variables httpx would honour; the client must talk to the loopback mock directly.
const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

fn target_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .join("targets")
        .join("python")
}

/// The venv's interpreter; `None` (skip) when the venv is missing outside CI, a failure inside CI.
fn venv_python() -> Option<PathBuf> {
    let python = target_dir().join(".venv/bin/python");
    if python.exists() {
        return Some(python);
    }
    let message = format!(
        "the Python MCP SDK is not installed ({} is missing): run `ci/test`, or by hand \
         `python3 -m venv targets/python/.venv && targets/python/.venv/bin/pip install --no-deps -r \
         targets/python/requirements.txt`",
        python.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{message} (CI is set, so this is a failure, not a skip)");
    }
    // Written to the real stderr: libtest captures `eprintln!` of passing tests, and a skip must show.
    let _ = writeln!(std::io::stderr(), "SKIPPED: {message}");
    None
}

/// The base tweak the client suite applies to every deployment: the official conformance clients
/// (this adapter too) offer `https://conformance-test.local/client-metadata.json` as a CIMD client
/// id, a URL nobody serves.
fn accept_unfetchable_cimd(behaviour: &mut Behaviour) {
    behaviour.cimd_accept_unfetchable = true;
}

fn without_cimd(behaviour: &mut Behaviour) {
    behaviour.cimd_supported = false;
}

/// What the adapter did.
struct ClientRun {
    /// `None` when it had to be killed.
    status: Option<i32>,
    result: Option<Value>,
    stderr: String,
}

fn run_client(python: &Path, deployment: &Deployment) -> ClientRun {
    let ready = deployment.ready();
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log_path = log_dir.path().join("client.stderr");
    let log = File::create(&log_path).expect("create the client's stderr log");
    let mut command = Command::new(python);
    command
        .arg(target_dir().join("client.py"))
        .arg(&ready.mcp_url)
        .current_dir(target_dir())
        .env_remove("MCP_CONFORMANCE_SCENARIO")
        .env_remove("MCP_CONFORMANCE_CONTEXT")
        .env_remove("SSL_CERT_DIR")
        .stdin(Stdio::null())
        .stderr(Stdio::from(log));
    for variable in PROXY_VARIABLES {
        command.env_remove(variable);
    }
    match &ready.ca_cert {
        Some(ca) => command.env("SSL_CERT_FILE", ca),
        None => command.env_remove("SSL_CERT_FILE"),
    };
    let mut client = ProcessGroup::spawn(&mut command)
        .unwrap_or_else(|e| panic!("could not run the Python adapter: {e}"));
    let line = client.next_line(CLIENT_TIMEOUT).ok();
    let status = client
        .wait_timeout(Duration::from_secs(5))
        .expect("wait for the Python adapter")
        .and_then(|s| s.code());
    ClientRun {
        status,
        result: line.and_then(|l| serde_json::from_str(&l).ok()),
        stderr: std::fs::read_to_string(&log_path).unwrap_or_default(),
    }
}

fn trace_summary(events: &[TraceEvent]) -> String {
    events.iter().map(|e| e.summary() + "\n").collect()
}

fn is_authorized_mcp_request(event: &TraceEvent) -> bool {
    event.role == Role::McpServer
        && (200..300).contains(&event.status)
        && event
            .raw
            .as_ref()
            .and_then(|raw| raw.header("authorization"))
            .is_some_and(|value| value.starts_with("Bearer "))
}

fn is_request_to(event: &TraceEvent, role: Role, path: &str) -> bool {
    event.role == role && event.path.split('?').next() == Some(path)
}

/// Starts a deployment with `tweaks` (after the suite's base tweak), runs the adapter against it
/// and asserts the whole flow; returns the trace for further assertions.
fn assert_full_flow(python: &Path, tls: bool, tweaks: Vec<fn(&mut Behaviour)>) -> Vec<TraceEvent> {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let mut all_tweaks: Vec<fn(&mut Behaviour)> = vec![accept_unfetchable_cimd];
    all_tweaks.extend(tweaks);
    let deployment = runtime
        .block_on(Deployment::start(Options {
            tls,
            tweaks: all_tweaks,
            ..Options::default()
        }))
        .expect("start the mock deployment");
    let run = run_client(python, &deployment);
    let events = deployment.state().trace.events();
    runtime.block_on(deployment.shutdown());
    let context = || {
        format!(
            "adapter exit: {:?}\nadapter result: {:?}\nadapter stderr (tail):\n{}\ntrace:\n{}",
            run.status,
            run.result,
            tail(&run.stderr, 60),
            trace_summary(&events)
        )
    };
    let result = run.result.clone().unwrap_or_else(|| {
        panic!("the adapter printed no JSON result\n{}", context());
    });
    assert_eq!(
        result["ok"],
        Value::Bool(true),
        "the SDK did not complete the flow\n{}",
        context()
    );
    assert_eq!(run.status, Some(0), "{}", context());
    let tools = result["tools"].as_array().cloned().unwrap_or_default();
    assert!(
        tools.iter().any(|t| t == "test-tool"),
        "`test-tool` is not among the listed tools {tools:?}\n{}",
        context()
    );
    assert!(
        events.iter().any(is_authorized_mcp_request),
        "no MCP request with a bearer token was accepted\n{}",
        context()
    );
    let tools_call = events.iter().any(|e| {
        is_authorized_mcp_request(e)
            && e.raw
                .as_ref()
                .is_some_and(|raw| raw.body_text().contains("\"tools/call\""))
    });
    assert!(
        tools_call,
        "no authorized tools/call reached the MCP server\n{}",
        context()
    );
    events
}

#[test]
fn python_sdk_completes_the_flow_against_the_default_deployment() {
    let Some(python) = venv_python() else { return };
    let events = assert_full_flow(&python, false, Vec::new());
    // The default deployment advertises CIMD, so the SDK uses its client_metadata_url as client_id.
    let authorize = events
        .iter()
        .find(|e| is_request_to(e, Role::AuthorizationServer, "/authorize"))
        .expect("an authorization request");
    let client_id = authorize.raw.as_ref().and_then(|raw| {
        raw.query_pairs()
            .into_iter()
            .find_map(|(name, value)| (name == "client_id").then_some(value))
    });
    assert_eq!(
        client_id.as_deref(),
        Some("https://conformance-test.local/client-metadata.json"),
        "the SDK did not use its CIMD URL as client_id: {}",
        authorize.path
    );
}

#[test]
fn python_sdk_registers_dynamically_when_cimd_is_not_supported() {
    let Some(python) = venv_python() else { return };
    let events = assert_full_flow(&python, false, vec![without_cimd]);
    assert!(
        events.iter().any(|e| {
            is_request_to(e, Role::AuthorizationServer, "/register") && e.status == 201
        }),
        "the SDK did not register dynamically:\n{}",
        trace_summary(&events)
    );
}

#[test]
fn python_sdk_completes_the_flow_over_tls_trusting_ssl_cert_file() {
    let Some(python) = venv_python() else { return };
    assert_full_flow(&python, true, Vec::new());
}
