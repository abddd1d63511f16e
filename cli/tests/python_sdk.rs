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

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mcp_authlab_mock_idp::trace::{Role, TraceEvent};
use mcp_authlab_mock_idp::{Behaviour, Deployment, Options};
use support::adapter::{run_client, ClientRun};
use support::targets::python_venv;
use support::{clear_env, tail, CA_VARIABLES, CONFORMANCE_VARIABLES, PROXY_VARIABLES};

/// The adapter has no overall limit of its own (every request has a 10 s timeout); a complete flow
/// takes a few seconds, SDK import included.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(40);

fn target_dir() -> PathBuf {
    support::targets::target_dir("python")
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

/// Runs `targets/python/client.py <mcp_url>` (no scenario, no context, no proxy, trusting the
/// deployment's CA by `SSL_CERT_FILE`); its first stdout line is its result.
fn run_python_client(python: &Path, deployment: &Deployment) -> ClientRun {
    let ready = deployment.ready();
    let mut command = Command::new(python);
    command
        .arg(target_dir().join("client.py"))
        .arg(&ready.mcp_url)
        .current_dir(target_dir());
    clear_env(
        &mut command,
        &[&CONFORMANCE_VARIABLES, &CA_VARIABLES, &PROXY_VARIABLES],
    );
    if let Some(ca) = &ready.ca_cert {
        command.env("SSL_CERT_FILE", ca);
    }
    run_client(&mut command, CLIENT_TIMEOUT, |_| true)
        .unwrap_or_else(|e| panic!("could not run the Python adapter: {e}"))
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
    let run = run_python_client(python, &deployment);
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
    run.assert_completed_listing_test_tool(&context);
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
    let Some(python) = python_venv() else { return };
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
    let Some(python) = python_venv() else { return };
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
    let Some(python) = python_venv() else { return };
    assert_full_flow(&python, true, Vec::new());
}
