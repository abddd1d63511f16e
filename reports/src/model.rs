//! The report model: a run of one suite against one target, scenario by scenario, check by check.

use std::fmt;
use std::str::FromStr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Bumped when a field changes meaning or disappears (adding a field does not bump it).
pub const SCHEMA_VERSION: u32 = 1;

/// RFC 2119 level of the requirement a check enforces.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
pub enum Level {
    Must,
    Should,
    May,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Must => "MUST",
            Level::Should => "SHOULD",
            Level::May => "MAY",
        })
    }
}

/// A revision of the MCP specification.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
pub enum SpecVersion {
    #[serde(rename = "2025-03-26")]
    V2025_03_26,
    #[serde(rename = "2025-06-18")]
    V2025_06_18,
    #[serde(rename = "2025-11-25")]
    V2025_11_25,
    #[serde(rename = "2026-07-28")]
    V2026_07_28,
}

impl SpecVersion {
    pub const ALL: [SpecVersion; 4] = [
        SpecVersion::V2025_03_26,
        SpecVersion::V2025_06_18,
        SpecVersion::V2025_11_25,
        SpecVersion::V2026_07_28,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V2025_03_26 => "2025-03-26",
            SpecVersion::V2025_06_18 => "2025-06-18",
            SpecVersion::V2025_11_25 => "2025-11-25",
            SpecVersion::V2026_07_28 => "2026-07-28",
        }
    }
}

impl fmt::Display for SpecVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown spec version `{0}` (known: 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28)")]
pub struct UnknownSpecVersion(pub String);

impl FromStr for SpecVersion {
    type Err = UnknownSpecVersion;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SpecVersion::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| UnknownSpecVersion(s.to_string()))
    }
}

/// What one check concluded.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Pass,
    /// A MUST that was not met.
    Fail,
    /// A SHOULD or MAY that was not met (or a MUST the harness can only suspect).
    Warn,
    /// Not judged: the check does not apply to this spec version, or what it needs did not happen.
    Skip,
    /// Something worth knowing that is neither good nor bad.
    Info,
}

/// What one scenario concluded.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    Warn,
    Skip,
    /// The harness could not judge: the target timed out, could not be started, or the harness failed.
    Error,
}

impl Verdict {
    /// The verdict of a scenario whose checks concluded `outcomes` (no outcomes: skip).
    pub fn from_outcomes(outcomes: impl IntoIterator<Item = Outcome>) -> Verdict {
        let severity = |v: Verdict| match v {
            Verdict::Skip => 0,
            Verdict::Pass => 1,
            Verdict::Warn => 2,
            _ => 3,
        };
        outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Outcome::Fail => Verdict::Fail,
                Outcome::Warn => Verdict::Warn,
                Outcome::Pass | Outcome::Info => Verdict::Pass,
                Outcome::Skip => Verdict::Skip,
            })
            .max_by_key(|v| severity(*v))
            .unwrap_or(Verdict::Skip)
    }
}

/// One check as it concluded in one scenario.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct CheckResult {
    /// Stable id (the official suite's id where it has one).
    pub id: String,
    pub level: Level,
    /// Requirement id from the spec digest (`C-PKCE-1`).
    pub requirement: String,
    /// The spec or RFC section enforced.
    pub section: String,
    pub outcome: Outcome,
    /// What was observed, in a sentence.
    pub message: String,
    /// Listed in the expected-failures file.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expected_failure: bool,
    /// What the requirement asks, in one sentence (from the suite's requirement catalogue).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
    /// The `seq` of the trace exchanges the conclusion is about (the failing step of a flow);
    /// empty when unknown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<u64>,
}

/// One HTTP exchange the target took part in, secrets redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Exchange {
    pub seq: u64,
    /// Who sent the request (`client`, `harness`).
    pub from: String,
    /// Who answered (`mcp_server`, `authorization_server`, `metadata_host`).
    pub to: String,
    pub method: String,
    pub url: String,
    /// The response status; 0 when no response was sent (`answered` is false).
    pub status: u16,
    /// False for a request the server never answered (a deliberately hanging endpoint).
    #[serde(default = "answered_default", skip_serializing_if = "is_true")]
    pub answered: bool,
    pub duration_ms: u64,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub request_headers: std::collections::BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub response_headers: std::collections::BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
}

fn answered_default() -> bool {
    true
}

fn is_true(value: &bool) -> bool {
    *value
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ScenarioResult {
    pub id: String,
    pub description: String,
    /// The spec version the scenario was judged against.
    pub spec_version: SpecVersion,
    pub verdict: Verdict,
    pub duration_ms: u64,
    pub checks: Vec<CheckResult>,
    /// Why the verdict is `error` (or `skip`), in a sentence.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Listed in the expected-failures file (as a whole scenario).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expected_failure: bool,
    /// The last lines the target wrote (stdout and stderr), secrets redacted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<String>,
    /// The observed flow.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub trace: Vec<Exchange>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Tool {
    pub name: String,
    pub version: String,
}

impl Default for Tool {
    fn default() -> Self {
        Tool {
            name: "mcp-authlab".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Summary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
    pub errors: usize,
    /// Failures listed in the expected-failures file: a scenario listed whole that failed, warned
    /// or errored counts once; otherwise each listed check that failed or warned (a warning counts
    /// as a failure, as in the official suite).
    pub expected_failures: usize,
    /// Expected-failure entries that did not fail this time.
    pub stale_expected_failures: Vec<String>,
}

/// A run of one mcp-authlab suite against one target: the JSON report (`--report json=PATH`).
/// Fields are only added within a `schema_version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    /// `client`, `server` or `authserver`.
    pub suite: String,
    /// What was tested: the client command, the server URL, the issuer.
    pub target: String,
    pub spec_version: SpecVersion,
    pub duration_ms: u64,
    pub scenarios: Vec<ScenarioResult>,
    pub summary: Summary,
}

impl Report {
    /// Counts the verdicts into [`Report::summary`] (keeps the stale entries already there).
    pub fn summarize(&mut self) {
        let stale = std::mem::take(&mut self.summary.stale_expected_failures);
        let mut s = Summary {
            total: self.scenarios.len(),
            stale_expected_failures: stale,
            ..Summary::default()
        };
        for scenario in &self.scenarios {
            match scenario.verdict {
                Verdict::Pass => s.passed += 1,
                Verdict::Fail => s.failed += 1,
                Verdict::Warn => s.warned += 1,
                Verdict::Skip => s.skipped += 1,
                Verdict::Error => s.errors += 1,
            }
            s.expected_failures += if scenario.expected_failure {
                1
            } else {
                scenario
                    .checks
                    .iter()
                    .filter(|c| c.expected_failure && failing(c.outcome))
                    .count()
            };
        }
        self.summary = s;
    }

    /// Whether a failure remains that the expected-failures file does not cover: a failed or
    /// warned check not listed, or an `error` with no failed check to account for it, in a
    /// scenario not listed whole. As in the official suite, a warning (a SHOULD not met) counts:
    /// the expected-failures file is where a target records what it knowingly does not do.
    pub fn has_unexpected_failures(&self) -> bool {
        self.scenarios
            .iter()
            .any(ScenarioResult::has_unexpected_failures)
    }
}

impl Outcome {
    /// A failed or warned check: what the expected-failures file is about.
    pub fn is_failing(self) -> bool {
        failing(self)
    }
}

impl ScenarioResult {
    /// A scenario with nothing judged yet: no checks, no trace, the given verdict.
    pub fn empty(
        id: impl Into<String>,
        description: impl Into<String>,
        spec_version: SpecVersion,
        verdict: Verdict,
    ) -> Self {
        ScenarioResult {
            id: id.into(),
            description: description.into(),
            spec_version,
            verdict,
            duration_ms: 0,
            checks: Vec::new(),
            error: None,
            expected_failure: false,
            output: Vec::new(),
            trace: Vec::new(),
        }
    }

    /// The failed or warned checks the expected-failures file does not cover (none when the
    /// scenario is listed whole).
    pub fn unexpected_failures(&self) -> impl Iterator<Item = &CheckResult> {
        let listed = self.expected_failure;
        self.checks
            .iter()
            .filter(move |c| !listed && failing(c.outcome) && !c.expected_failure)
    }

    /// An `error` verdict that no failed check accounts for, in a scenario not listed whole.
    pub fn unexplained_error(&self) -> bool {
        !self.expected_failure
            && self.verdict == Verdict::Error
            && !self.checks.iter().any(|c| failing(c.outcome))
    }

    /// See [`Report::has_unexpected_failures`].
    pub fn has_unexpected_failures(&self) -> bool {
        self.unexpected_failures().next().is_some() || self.unexplained_error()
    }

    /// The exchange of the trace with this `seq`.
    pub fn exchange(&self, seq: u64) -> Option<&Exchange> {
        self.trace.iter().find(|e| e.seq == seq)
    }
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
            Verdict::Warn => "warn",
            Verdict::Skip => "skip",
            Verdict::Error => "error",
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Pass => "pass",
            Outcome::Fail => "fail",
            Outcome::Warn => "warn",
            Outcome::Skip => "skip",
            Outcome::Info => "info",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Exchange {
    /// `#4 POST http://127.0.0.1:46101/token -> 200` (`-> no response` when unanswered).
    pub fn summary(&self) -> String {
        if self.answered {
            format!(
                "#{} {} {} -> {}",
                self.seq, self.method, self.url, self.status
            )
        } else {
            format!("#{} {} {} -> no response", self.seq, self.method, self.url)
        }
    }
}

/// A failed or warned check: what the expected-failures file is about.
fn failing(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Fail | Outcome::Warn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdict_is_the_worst_outcome() {
        use Outcome::*;
        assert_eq!(Verdict::from_outcomes([Pass, Info, Pass]), Verdict::Pass);
        assert_eq!(Verdict::from_outcomes([Pass, Warn, Pass]), Verdict::Warn);
        assert_eq!(Verdict::from_outcomes([Fail, Warn, Pass]), Verdict::Fail);
        assert_eq!(Verdict::from_outcomes([Warn, Fail]), Verdict::Fail);
        assert_eq!(Verdict::from_outcomes([Skip, Skip]), Verdict::Skip);
        assert_eq!(Verdict::from_outcomes([Skip, Pass]), Verdict::Pass);
    }

    fn report_with(outcome: Outcome, expected: bool) -> Report {
        let check = CheckResult {
            id: "c".into(),
            level: Level::Should,
            requirement: "C-1".into(),
            section: "s".into(),
            outcome,
            message: "m".into(),
            expected_failure: expected,
            expected: None,
            evidence: Vec::new(),
        };
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            suite: "client".into(),
            target: "t".into(),
            spec_version: SpecVersion::V2025_11_25,
            duration_ms: 0,
            scenarios: vec![ScenarioResult {
                id: "auth/x".into(),
                description: "d".into(),
                spec_version: SpecVersion::V2025_11_25,
                verdict: Verdict::from_outcomes([outcome]),
                duration_ms: 0,
                checks: vec![check],
                error: None,
                expected_failure: false,
                output: Vec::new(),
                trace: Vec::new(),
            }],
            summary: Summary::default(),
        };
        report.summarize();
        report
    }

    #[test]
    fn warnings_and_failures_count_unless_expected() {
        assert!(report_with(Outcome::Warn, false).has_unexpected_failures());
        assert!(report_with(Outcome::Fail, false).has_unexpected_failures());
        assert!(!report_with(Outcome::Fail, true).has_unexpected_failures());
        assert!(!report_with(Outcome::Pass, false).has_unexpected_failures());
        let summary = report_with(Outcome::Fail, true).summary;
        assert_eq!((summary.failed, summary.expected_failures), (1, 1));
    }

    #[test]
    fn expected_warnings_and_errors_count_as_expected_failures() {
        let summary = report_with(Outcome::Warn, true).summary;
        assert_eq!((summary.warned, summary.expected_failures), (1, 1));
        // A scenario listed whole that warned or errored counts once.
        for verdict in [Verdict::Warn, Verdict::Error, Verdict::Fail] {
            let mut report = report_with(Outcome::Warn, true);
            report.scenarios[0].verdict = verdict;
            report.scenarios[0].expected_failure = true;
            let check = report.scenarios[0].checks[0].clone();
            report.scenarios[0].checks.push(check);
            report.summarize();
            assert_eq!(report.summary.expected_failures, 1, "{verdict:?}");
            assert!(!report.has_unexpected_failures());
        }
        // Not expected: counted nowhere.
        assert_eq!(
            report_with(Outcome::Warn, false).summary.expected_failures,
            0
        );
    }

    #[test]
    fn an_error_is_unexpected_unless_failed_checks_account_for_it() {
        let mut report = report_with(Outcome::Pass, false);
        report.scenarios[0].verdict = Verdict::Error;
        assert!(report.has_unexpected_failures());
        let mut report = report_with(Outcome::Fail, true);
        report.scenarios[0].verdict = Verdict::Error;
        assert!(!report.has_unexpected_failures());
    }

    #[test]
    fn unanswered_exchanges_say_so_and_answered_ones_stay_terse() {
        let mut exchange = Exchange {
            seq: 1,
            from: "client".into(),
            to: "authorization_server".into(),
            method: "POST".into(),
            url: "http://127.0.0.1:1/token".into(),
            status: 200,
            answered: true,
            duration_ms: 1,
            request_headers: Default::default(),
            request_body: None,
            response_headers: Default::default(),
            response_body: None,
        };
        let terse = serde_json::to_string(&exchange).unwrap();
        assert!(!terse.contains("answered"), "{terse}");
        assert!(serde_json::from_str::<Exchange>(&terse).unwrap().answered);
        exchange.answered = false;
        exchange.status = 0;
        let hanging = serde_json::to_string(&exchange).unwrap();
        assert!(hanging.contains(r#""answered":false"#), "{hanging}");
    }

    #[test]
    fn spec_versions_round_trip() {
        for v in SpecVersion::ALL {
            assert_eq!(v.as_str().parse::<SpecVersion>().unwrap(), v);
            assert_eq!(serde_json::to_string(&v).unwrap(), format!("\"{v}\""));
        }
        assert!("2024-11-05".parse::<SpecVersion>().is_err());
    }
}
