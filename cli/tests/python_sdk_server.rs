//! The server suite (`mcp-authlab server --command`) against a resource server written with the real
//! Python MCP SDK (`mcp` from PyPI, locked in `targets/python/requirements.txt`):
//! `targets/python/server/server.py`, an `MCPServer` whose `TokenVerifier` introspects tokens at the
//! mock IdP the harness starts (RFC 7662), with `AuthSettings(validate_token_resource=True)`. Judged
//! against `targets/python/server/expected-failures.yml`: a new failure and a stale entry both fail.
//!
//! Needs `targets/python/.venv` (made by `targets/python/install`, which `ci/test` runs). When it is missing
//! the tests are skipped with a message, unless `CI` is set: then they fail. The harness gives the
//! server a loopback port and kills its process group at the end.

mod matrix_support;
mod server_suite_support;
mod support;

use std::path::{Path, PathBuf};

use server_suite_support::{run_server_suite, SuiteRun};
use support::targets::python_venv;

/// Where the harness-minted token for "another resource" is meant to be used (the suite's constant).
const OTHER_RESOURCE: &str = "https://other-resource.example/mcp";

fn target_dir() -> PathBuf {
    support::targets::target_dir("python")
}

fn baseline() -> PathBuf {
    target_dir().join("server").join("expected-failures.yml")
}

/// `.venv/bin/python server/server.py EXTRA…`, relative to `targets/python/` where the suite runs
/// (so reports and the committed matrix snapshot name no checkout path).
fn server_command(python: &Path, extra: &[&str]) -> String {
    assert!(
        python.ends_with(".venv/bin/python") && target_dir().join("server/server.py").exists(),
        "the venv's interpreter and server/server.py are expected under {}",
        target_dir().display()
    );
    let mut command = ".venv/bin/python server/server.py".to_string();
    for arg in extra {
        command.push(' ');
        command.push_str(arg);
    }
    command
}

fn run_suite(python: &Path, extra: &[&str], more_args: &[&str]) -> SuiteRun {
    let mut args = vec![
        "--command".to_string(),
        server_command(python, extra),
        "--url".to_string(),
        "http://127.0.0.1:{port}/mcp".to_string(),
    ];
    args.extend(more_args.iter().map(|a| a.to_string()));
    run_server_suite(&args, &[], &target_dir())
}

/// Whether the scenario's trace shows the server introspecting a token the mock IdP called active
/// with `aud` = [`OTHER_RESOURCE`]: then the refusal was the SDK's own audience check, not the IdP's.
fn introspected_active_for_other_resource(run: &SuiteRun, scenario: &str) -> bool {
    run.scenario(scenario)["trace"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|exchange| {
            exchange["to"] == "authorization_server"
                && exchange["url"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("/introspect"))
                && exchange["response_body"]
                    .as_str()
                    .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
                    .is_some_and(|b| b["active"] == true && b["aud"] == OTHER_RESOURCE)
        })
}

/// The whole server suite, as CI runs it: every scenario is judged (the harness mints every token),
/// and nothing fails beyond the SDK findings in `expected-failures.yml`, none of which is stale. The
/// run's snapshot must match the committed `reports/matrix/python-sdk-<version>.server.json`.
#[test]
fn python_sdk_server_fails_exactly_its_expected_failures() {
    let Some(python) = python_venv() else { return };
    let run = run_suite(
        &python,
        &[],
        &["--expected-failures", &baseline().display().to_string()],
    );
    run.assert_matches_baseline("the Python SDK resource server", &baseline(), None);
    let skipped: Vec<String> = run.report()["scenarios"]
        .as_array()
        .into_iter()
        .flatten()
        // Judged at the default revision (2026-07-28): a scenario of an older revision only (the
        // session one) is skipped by design; any other skip means the server was not judged.
        .filter(|s| {
            s["verdict"] == "skip"
                && !s["error"]
                    .as_str()
                    .is_some_and(|e| e.starts_with("not part of MCP"))
        })
        .map(|s| s["id"].as_str().unwrap_or_default().to_string())
        .collect();
    assert!(
        skipped.is_empty(),
        "scenarios skipped although the server trusts the mock IdP: {skipped:?}\n{}",
        run.context(None)
    );
    assert_eq!(
        run.verdict("server/valid-token"),
        "pass",
        "the positive control failed\n{}",
        run.context(None)
    );
    assert_eq!(
        run.outcome("server/wrong-audience-token", "wrong-audience-rejected")
            .as_deref(),
        Some("pass"),
        "{}",
        run.context(None)
    );
    assert!(
        introspected_active_for_other_resource(&run, "server/wrong-audience-token"),
        "the wrong-audience token was not introspected as active: the refusal may not be the SDK's \
         audience check\n{}",
        run.context(None)
    );
    matrix_support::assert_text_matches(
        &format!(
            "python-sdk-{}.server",
            matrix_support::pip_locked_version(&target_dir()).expect("the lock pins mcp")
        ),
        run.snapshot.as_deref().expect("the run wrote its snapshot"),
    );
}

/// S-TOK-2 (MUST; MCP 2025-11-25 "Token Audience Binding and Validation"): a server must refuse a
/// token issued for another resource.
///
/// FINDING (recorded, not hidden): with `AuthSettings.validate_token_resource` left unset, the
/// default of `mcp` 2.3.0 (it only emits an `MCPDeprecationWarning`; 3.0 is to default to True), the
/// SDK accepts a token whose introspected `aud` is another resource. The adapter sets it to True for
/// the main run; `--unset-validate-token-resource` leaves it unset. Fails the day the default
/// changes: then update targets/python/README.md.
#[test]
fn python_sdk_default_settings_accept_a_token_for_another_resource_violating_s_tok_2() {
    let Some(python) = python_venv() else { return };
    let run = run_suite(
        &python,
        &["--unset-validate-token-resource"],
        &[
            "--scenario",
            "server/valid-token",
            "--scenario",
            "server/wrong-audience-token",
        ],
    );
    assert_eq!(
        run.outcome("server/valid-token", "valid-token-accepted")
            .as_deref(),
        Some("pass"),
        "the positive control failed\n{}",
        run.context(None)
    );
    assert_eq!(
        run.outcome("server/wrong-audience-token", "wrong-audience-rejected")
            .as_deref(),
        Some("fail"),
        "with validate_token_resource unset the SDK now refuses a token for another resource: \
         update this test and targets/python/README.md\n{}",
        run.context(None)
    );
    assert!(
        introspected_active_for_other_resource(&run, "server/wrong-audience-token"),
        "{}",
        run.context(None)
    );
    assert_eq!(run.status, Some(1), "{}", run.context(None));
}

/// A free loopback port (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// `--url URL --idp-bind ADDR`: the server is started by hand (here: by the test, before the
/// harness) with the mock IdP's future address and the introspection secret both sides read from
/// `MCP_AUTHLAB_CLIENT_SECRET`; the harness then starts the mock IdP there and judges every
/// scenario, exactly as with `--command`.
#[test]
fn a_hand_started_python_server_trusting_the_idp_at_a_fixed_address_is_judged_fully() {
    use mcp_authlab_harness::process::ProcessGroup;
    use std::process::{Command, Stdio};
    use std::time::{Duration, Instant};

    let Some(python) = python_venv() else { return };
    let (idp_port, server_port) = (free_port(), free_port());
    let issuer = format!("http://127.0.0.1:{idp_port}");
    let url = format!("http://127.0.0.1:{server_port}/mcp");
    let secret = "hand-started-secret";
    let mut command = Command::new(&python);
    command
        .arg(target_dir().join("server").join("server.py"))
        .env("PORT", server_port.to_string())
        .env("MCP_AUTHLAB_ISSUER", &issuer)
        .env("MCP_AUTHLAB_JWKS_URI", format!("{issuer}/jwks"))
        .env(
            "MCP_AUTHLAB_INTROSPECTION_ENDPOINT",
            format!("{issuer}/introspect"),
        )
        .env("MCP_AUTHLAB_CLIENT_ID", "mcp-authlab-resource-server")
        .env("MCP_AUTHLAB_CLIENT_SECRET", secret)
        .env("MCP_AUTHLAB_RESOURCE", &url)
        .env("MCP_AUTHLAB_SCOPES", "mcp:tools")
        .stdin(Stdio::null())
        .stderr(Stdio::null());
    let mut server = ProcessGroup::spawn(&mut command).expect("start the Python server");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", server_port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "the Python server did not listen on {server_port} within 30 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let run = run_server_suite(
        &[
            "--url".to_string(),
            url.clone(),
            "--idp-bind".to_string(),
            format!("127.0.0.1:{idp_port}"),
            "--expected-failures".to_string(),
            baseline().display().to_string(),
        ],
        &[("MCP_AUTHLAB_CLIENT_SECRET", secret)],
        &target_dir(),
    );
    let _ = server.terminate(Duration::from_secs(2));
    run.assert_matches_baseline("the hand-started Python server", &baseline(), Some(secret));
    assert_eq!(
        run.verdict("server/valid-token"),
        "pass",
        "the positive control failed: the server did not trust the mock IdP at {issuer}\n{}",
        run.context(Some(secret))
    );
    assert_eq!(run.report()["target"], url);
}

/// Two runs against the same introspecting server give byte-identical snapshots: each scenario
/// sees only the mock IdP requests its own tokens caused, although scenarios run in parallel.
#[test]
fn python_sdk_server_snapshots_are_identical_across_runs() {
    let Some(python) = python_venv() else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let snapshot = |name: &str| {
        let path = dir.path().join(name);
        let run = run_suite(
            &python,
            &[],
            &["--report", &format!("snapshot={}", path.display())],
        );
        assert!(
            matches!(run.status, Some(0) | Some(1)),
            "{}",
            run.context(None)
        );
        std::fs::read_to_string(&path).expect("the snapshot was written")
    };
    let first = snapshot("a.json");
    let second = snapshot("b.json");
    assert_eq!(first, second, "two runs gave different snapshots");
}
