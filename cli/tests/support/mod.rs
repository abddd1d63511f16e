//! What the real-SDK tests share: running the whole client suite on an SDK's adapter against its
//! expected-failures file, and asserting that the baseline holds.
//!
//! Each test binary uses a part of it.
#![allow(dead_code)]

use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mcp_authlab_harness::process::{ProcessError, ProcessGroup};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-authlab");

/// The whole suite on 2 jobs takes about a minute per SDK here; a hang is cut off well after.
pub const SUITE_TIMEOUT: Duration = Duration::from_secs(600);

/// Variables of the test's own environment the suite must not pass on to the SDK.
const CLEARED_VARIABLES: [&str; 10] = [
    "MCP_CONFORMANCE_SCENARIO",
    "MCP_CONFORMANCE_CONTEXT",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

pub fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// The reports a suite run wrote; they live as long as this value.
pub struct SuiteReports {
    _dir: tempfile::TempDir,
    /// The snapshot report (`--report snapshot=`), for `matrix_support::assert_matches`.
    pub snapshot: PathBuf,
}

/// Runs `mcp-authlab client --command COMMAND_LINE --expected-failures BASELINE --jobs 2` (with a
/// JSON and a snapshot report) in `dir`, and asserts: it finished in time, exited 0 with the
/// baseline verdict, and the SDK really ran: every `scenario:check` of `proof` passed, or, when
/// `proof` is empty, at least one scenario passed. `what` names the SDK in messages.
pub fn assert_suite_matches_baseline(
    what: &str,
    command_line: &str,
    baseline: &Path,
    dir: &Path,
    proof: &[&str],
) -> SuiteReports {
    let temp = tempfile::tempdir().expect("temp dir");
    let log_path = temp.path().join("suite.stderr");
    let report_path = temp.path().join("report.json");
    let snapshot_path = temp.path().join("snapshot.json");
    let log = File::create(&log_path).expect("create the suite's stderr log");
    let mut command = Command::new(BIN);
    command
        .arg("client")
        .arg("--command")
        .arg(command_line)
        .arg("--expected-failures")
        .arg(baseline)
        .args(["--jobs", "2"])
        .arg("--report")
        .arg(format!("json={}", report_path.display()))
        .arg("--report")
        .arg(format!("snapshot={}", snapshot_path.display()))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::from(log));
    for variable in CLEARED_VARIABLES {
        command.env_remove(variable);
    }
    let mut suite = ProcessGroup::spawn(&mut command).expect("start `mcp-authlab client`");
    let deadline = Instant::now() + SUITE_TIMEOUT;
    let mut stdout = String::new();
    let timed_out = loop {
        match suite.next_line(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                stdout.push_str(&line);
                stdout.push('\n');
            }
            Err(ProcessError::ReadyTimeout { .. }) => break true,
            Err(_) => break false,
        }
    };
    let status = suite
        .wait_timeout(Duration::from_secs(10))
        .expect("wait for `mcp-authlab client`");
    let stderr = std::fs::read_to_string(&log_path).unwrap_or_default();
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
        &std::fs::read_to_string(&report_path).expect("the suite wrote its JSON report"),
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
    SuiteReports {
        _dir: temp,
        snapshot: snapshot_path,
    }
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
