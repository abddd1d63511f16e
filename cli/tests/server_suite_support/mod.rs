//! What the real-SDK server tests share: running `mcp-authlab server` (with a JSON report) and
//! reading what it judged.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::support::stdout::read_stdout;
use crate::support::suite::start_suite;
use crate::support::{tail, CA_VARIABLES, PROXY_VARIABLES};

/// The whole server suite takes a few seconds; a hang is cut off well after.
pub const SUITE_TIMEOUT: Duration = Duration::from_secs(180);

/// Variables of the test's own environment the suite (and the server it starts) must not see: a
/// token from the outside, a proxy (everything here is loopback), CA settings.
const CLEARED_VARIABLES: [&[&str]; 3] = [
    &["MCP_AUTHLAB_TOKEN", "MCP_AUTHLAB_CLIENT_SECRET"],
    &CA_VARIABLES,
    &PROXY_VARIABLES,
];

/// What one `mcp-authlab server` run did.
pub struct SuiteRun {
    /// The command line, for messages (a token given by environment is not in it).
    pub describe: String,
    /// `None` when it did not finish within [`SUITE_TIMEOUT`] and was killed.
    pub status: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The JSON report, when one was written.
    pub report: Option<Value>,
    /// The snapshot report (`--report snapshot=`), when one was written: for
    /// `matrix_support::assert_text_matches`.
    #[allow(dead_code)] // not every test binary compares with the matrix
    pub snapshot: Option<String>,
}

impl SuiteRun {
    /// The run's output, for assertion messages (`secret`, if given, replaced).
    pub fn context(&self, secret: Option<&str>) -> String {
        let text = format!(
            "`mcp-authlab {}` exit {:?}\n--- stdout\n{}\n--- stderr (tail)\n{}",
            self.describe,
            self.status,
            self.stdout,
            tail(&self.stderr, 40)
        );
        match secret {
            Some(secret) if !secret.is_empty() => text.replace(secret, "[token]"),
            _ => text,
        }
    }

    pub fn report(&self) -> &Value {
        self.report
            .as_ref()
            .unwrap_or_else(|| panic!("no JSON report\n{}", self.context(None)))
    }

    /// The report's result of scenario `id`.
    pub fn scenario(&self, id: &str) -> &Value {
        self.report()["scenarios"]
            .as_array()
            .and_then(|all| all.iter().find(|s| s["id"] == id))
            .unwrap_or_else(|| {
                panic!(
                    "scenario `{id}` is not in the report\n{}",
                    self.context(None)
                )
            })
    }

    pub fn verdict(&self, scenario: &str) -> String {
        self.scenario(scenario)["verdict"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// The outcome of check `check` of scenario `scenario` (`None`: not in the report).
    pub fn outcome(&self, scenario: &str, check: &str) -> Option<String> {
        self.scenario(scenario)["checks"]
            .as_array()?
            .iter()
            .find(|c| c["id"] == check)
            .and_then(|c| c["outcome"].as_str())
            .map(str::to_string)
    }

    /// Asserts what exit 0 with `--expected-failures` means: it finished, nothing failed beyond
    /// the file's entries and none of them is stale.
    pub fn assert_matches_baseline(&self, what: &str, baseline: &Path, secret: Option<&str>) {
        assert_eq!(
            self.status,
            Some(0),
            "{what}: the results differ from {} (see \"Unexpected failures\" and \"Stale baseline \
             entries\" in the stdout below)\n{}",
            baseline.display(),
            self.context(secret)
        );
        assert!(
            self.stdout.contains("Baseline check passed"),
            "{what}: exit 0 without the baseline verdict\n{}",
            self.context(secret)
        );
    }
}

/// Runs `mcp-authlab server ARGS --jobs 2 --report json=<temp>` in `dir`, with `env` added to its
/// environment, and collects what it did. Kills its process group after [`SUITE_TIMEOUT`].
pub fn run_server_suite(args: &[String], env: &[(&str, &str)], dir: &Path) -> SuiteRun {
    let (mut suite, files) = start_suite("server", args, &CLEARED_VARIABLES, env, dir);
    let deadline = Instant::now() + SUITE_TIMEOUT;
    // Until the deadline passes, or stdout closes (it exited).
    let stdout = read_stdout(&mut suite, SUITE_TIMEOUT, |_| false).text();
    let status = suite
        .wait_timeout(deadline.saturating_duration_since(Instant::now()) + Duration::from_secs(5))
        .expect("wait for `mcp-authlab server`")
        .and_then(|s| s.code());
    let report = std::fs::read_to_string(&files.report)
        .ok()
        .map(|text| serde_json::from_str(&text).expect("the JSON report is JSON"));
    SuiteRun {
        describe: format!("server {}", args.join(" ")),
        status,
        stdout,
        stderr: std::fs::read_to_string(&files.stderr).unwrap_or_default(),
        report,
        snapshot: std::fs::read_to_string(&files.snapshot).ok(),
    }
}
