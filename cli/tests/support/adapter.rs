//! Running an SDK's client adapter (`targets/<dir>/client.*`, which follows the conformance client
//! contract: one JSON result line with `ok` on stdout) and asserting what it did.

use std::fs::File;
use std::process::{Command, Stdio};
use std::time::Duration;

use mcp_authlab_harness::process::{ProcessError, ProcessGroup};
use serde_json::Value;

use super::stdout::read_stdout;

/// What the adapter did.
pub struct ClientRun {
    /// `None` when it had to be killed.
    pub status: Option<i32>,
    /// The stdout lines read.
    pub stdout: Vec<String>,
    /// Its result: the first line of `stdout` that is a JSON object with `ok`.
    pub result: Option<Value>,
    pub stderr: String,
}

/// `line` as an adapter's result line: a JSON object with `ok` (anything else, an SDK's
/// `console.log`, is not).
pub fn result_line(line: &str) -> Option<Value> {
    serde_json::from_str::<Value>(line)
        .ok()
        .filter(|value| value.get("ok").is_some())
}

/// Runs `command` (an adapter) in its own process group, stdin closed and stderr to a log: reads
/// its stdout until it closes, `timeout` passes or `last` holds for a line (kept), then gives it 5 s
/// to exit before its group is killed. `Err`: it could not be started, or waited for.
pub fn run_client(
    command: &mut Command,
    timeout: Duration,
    last: impl Fn(&str) -> bool,
) -> Result<ClientRun, ProcessError> {
    let log_dir = tempfile::tempdir().expect("temp dir");
    let log_path = log_dir.path().join("client.stderr");
    let log = File::create(&log_path).expect("create the client's stderr log");
    command.stdin(Stdio::null()).stderr(Stdio::from(log));
    let mut client = ProcessGroup::spawn(command)?;
    let stdout = read_stdout(&mut client, timeout, last).lines;
    let status = client
        .wait_timeout(Duration::from_secs(5))
        .expect("wait for the adapter")
        .and_then(|s| s.code());
    Ok(ClientRun {
        status,
        result: stdout.iter().find_map(|line| result_line(line)),
        stdout,
        stderr: std::fs::read_to_string(&log_path).unwrap_or_default(),
    })
}

/// For `run_client(…).unwrap_or_else(node_missing)`: a Node.js adapter could not run.
pub fn node_missing(e: ProcessError) -> ClientRun {
    panic!("could not run the adapter ({e}): Node.js >= 20 must be on PATH")
}

impl ClientRun {
    /// Asserts that the SDK completed the flow: the adapter printed its result, with `ok: true`,
    /// exited 0 and listed `test-tool`. Returns the result. `context` is added to every message.
    pub fn assert_completed_listing_test_tool(&self, context: &dyn Fn() -> String) -> Value {
        let result = self
            .result
            .clone()
            .unwrap_or_else(|| panic!("the adapter printed no JSON result\n{}", context()));
        assert_eq!(
            result["ok"],
            Value::Bool(true),
            "the SDK did not complete the flow\n{}",
            context()
        );
        assert_eq!(self.status, Some(0), "{}", context());
        let tools = result["tools"].as_array().cloned().unwrap_or_default();
        assert!(
            tools.iter().any(|t| t == "test-tool"),
            "`test-tool` is not among the listed tools {tools:?}\n{}",
            context()
        );
        result
    }
}

/// Asserts that `result` (an adapter's result) has `test-tool` answering `ok`, not as an error.
pub fn assert_test_tool_answered_ok(result: &Value, context: &dyn Fn() -> String) {
    assert_eq!(result["test_tool"]["is_error"], false, "{}", context());
    assert_eq!(result["test_tool"]["output"]["text"], "ok", "{}", context());
}
