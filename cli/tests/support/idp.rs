//! A running `mcp-authlab idp`, for the tests that run an SDK's client adapter against it.

use std::fs::File;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mcp_authlab_harness::process::ProcessGroup;
use serde_json::Value;

use super::BIN;

const READY_TIMEOUT: Duration = Duration::from_secs(20);

/// A running `mcp-authlab idp`, in its own process group.
pub struct Idp {
    process: ProcessGroup,
    ready_line: String,
    ready: Value,
    dir: tempfile::TempDir,
}

impl Idp {
    /// Starts `mcp-authlab idp ARGS --config <config> --trace <trace.jsonl>` with `config` as its
    /// configuration file, and reads its ready line.
    pub fn start(args: &[&str], config: &str) -> Idp {
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
        let ready_line = process.next_line(READY_TIMEOUT).unwrap_or_else(|e| {
            panic!(
                "`mcp-authlab idp {}`: {e}; stderr:\n{}",
                args.join(" "),
                std::fs::read_to_string(dir.path().join("idp.stderr")).unwrap_or_default()
            )
        });
        let ready: Value = serde_json::from_str(&ready_line)
            .unwrap_or_else(|e| panic!("the ready line is not JSON ({e}): {ready_line}"));
        Idp {
            process,
            ready_line,
            ready,
            dir,
        }
    }

    /// Asserts that the ready line has every one of `fields`.
    pub fn assert_ready_has(&self, fields: &[&str]) {
        for field in fields {
            assert!(
                self.ready.get(field).is_some(),
                "ready line lacks `{field}`: {}",
                self.ready_line
            );
        }
    }

    /// A string field of the ready line.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.ready[name].as_str()
    }

    pub fn mcp_url(&self) -> &str {
        self.field("mcp_url").expect("the ready line has mcp_url")
    }

    /// The readable trace printed on stderr so far.
    pub fn trace(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("idp.stderr")).unwrap_or_default()
    }

    /// The JSON-lines trace; waits briefly for `until` to hold, since the idp writes it
    /// asynchronously.
    pub fn trace_events(&self, until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
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

    /// Stops the idp and asserts it exited cleanly (0, or by the signal).
    pub fn stop(mut self) {
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

/// Whether `event` (of the idp's JSON-lines trace) is a `POST` with a bearer token calling
/// `test-tool` that was accepted (2xx).
pub fn is_accepted_test_tool_call(event: &Value) -> bool {
    event["method"] == "POST"
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
