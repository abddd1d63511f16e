//! What the real-SDK tests share: running the whole client suite on an SDK's adapter against its
//! expected-failures file, and asserting that the baseline holds; the environment a run must not
//! inherit. The submodules hold the rest: where the SDKs are installed and what a test does when
//! one is not (`targets`), a running `mcp-authlab idp` (`idp`), running a client adapter
//! (`adapter`), starting a suite (`suite`), reading a child's stdout (`stdout`).
//!
//! Each test binary uses a part of it.
#![allow(dead_code)]

pub mod adapter;
pub mod idp;
pub mod stdout;
pub mod suite;
pub mod targets;

use std::ffi::OsStr;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

pub const BIN: &str = env!("CARGO_BIN_EXE_mcp-authlab");

/// The whole suite on 2 jobs takes about a minute per SDK here; a hang is cut off well after.
pub const SUITE_TIMEOUT: Duration = Duration::from_secs(600);

/// The conformance client contract's variables: a test's own must not reach a suite or an adapter.
pub const CONFORMANCE_VARIABLES: [&str; 2] =
    ["MCP_CONFORMANCE_SCENARIO", "MCP_CONFORMANCE_CONTEXT"];

/// CA settings of the test's own environment.
pub const CA_VARIABLES: [&str; 2] = ["SSL_CERT_FILE", "SSL_CERT_DIR"];

/// Proxy variables (everything here is loopback).
pub const PROXY_VARIABLES: [&str; 6] = [
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// Removes every variable of `groups` from `command`'s environment.
pub fn clear_env(command: &mut Command, groups: &[&[&str]]) {
    for variable in groups.iter().copied().flatten() {
        command.env_remove(variable);
    }
}

pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs `mcp-authlab client --command COMMAND_LINE --expected-failures BASELINE --jobs 2` (with a
/// JSON and a snapshot report) in `dir`, and asserts: it finished in time, exited 0 with the
/// baseline verdict, and the SDK really ran: every `scenario:check` of `proof` passed, or, when
/// `proof` is empty, at least one scenario passed. `what` names the SDK in messages. The returned
/// files (the snapshot report for `matrix_support::assert_matches`) live as long as the value.
pub fn assert_suite_matches_baseline(
    what: &str,
    command_line: &str,
    baseline: &Path,
    dir: &Path,
    proof: &[&str],
) -> suite::SuiteFiles {
    let args = [
        OsStr::new("--command"),
        OsStr::new(command_line),
        OsStr::new("--expected-failures"),
        baseline.as_os_str(),
    ];
    // Variables of the test's own environment the suite must not pass on to the SDK.
    let cleared: [&[&str]; 3] = [&CONFORMANCE_VARIABLES, &CA_VARIABLES, &PROXY_VARIABLES];
    let (mut suite, files) = suite::start_suite("client", &args, &cleared, &[], dir);
    let read = stdout::read_stdout(&mut suite, SUITE_TIMEOUT, |_| false);
    let (stdout, timed_out) = (read.text(), read.timed_out);
    let status = suite
        .wait_timeout(Duration::from_secs(10))
        .expect("wait for `mcp-authlab client`");
    let stderr = std::fs::read_to_string(&files.stderr).unwrap_or_default();
    let context = || {
        format!(
            "{what}; `mcp-authlab client --command \"{command_line}\" --expected-failures {} \
             --jobs 2`\n--- stdout\n{stdout}\n--- stderr (tail)\n{}",
            baseline.display(),
            tail(&stderr, 40)
        )
    };
    assert!(
        !timed_out,
        "the suite did not finish within {SUITE_TIMEOUT:?}\n{}",
        context()
    );
    assert_eq!(
        status.and_then(|s| s.code()),
        Some(0),
        "the SDK's results differ from {} (see \"Unexpected failures\" and \"Stale baseline \
         entries\" in the stdout below)\n{}",
        baseline.display(),
        context()
    );
    assert!(
        stdout.contains("Baseline check passed"),
        "exit 0 without the baseline verdict\n{}",
        context()
    );
    // The SDK really ran: the report has the scenarios, and the SDK completed a flow in some of them.
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(&files.report).expect("the suite wrote its JSON report"),
    )
    .expect("the report is JSON");
    let scenarios = report["scenarios"].as_array().cloned().unwrap_or_default();
    assert!(
        !proof.is_empty() || scenarios.iter().any(|s| s["verdict"] == "pass"),
        "no scenario passed: {} scenario(s) in the report\n{}",
        scenarios.len(),
        context()
    );
    for entry in proof {
        let (scenario, check) = entry
            .split_once(':')
            .expect("proof entries are scenario:check");
        let outcome = scenarios
            .iter()
            .find(|s| s["id"] == scenario)
            .and_then(|s| s["checks"].as_array())
            .and_then(|checks| checks.iter().find(|c| c["id"] == check))
            .and_then(|c| c["outcome"].as_str());
        assert_eq!(
            outcome,
            Some("pass"),
            "{entry} did not pass: the SDK no longer gets as far as it did\n{}",
            context()
        );
    }
    files
}

/// Whether `text` holds something shaped like a JWT: `eyJ…` (a base64url JSON header), a dot, then
/// the payload, also `eyJ…`. A bare `eyJ` can occur by chance inside a random base64url value (an
/// RSA modulus in a JWKS), so that alone proves no leak.
pub fn contains_jwt(text: &str) -> bool {
    let base64url = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
    text.split(|c: char| !(base64url(c) || c == '.'))
        .any(|word| {
            let mut parts = word.split('.');
            matches!((parts.next(), parts.next()), (Some(h), Some(p)) if h.starts_with("eyJ") && p.starts_with("eyJ"))
        })
}
