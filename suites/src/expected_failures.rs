//! The expected-failures file (a "baseline"), in the official conformance suite's YAML format:
//!
//! ```yaml
//! client:
//!   - auth/resource-mismatch            # the whole scenario is expected to fail
//!   - auth/metadata-default:prm-priority-order   # only this check
//! server:
//!   - dns-rebinding-protection
//! authserver:                           # mcp-authlab's own: `mcp-authlab authserver`
//!   - authserver/discovery-2025-06-18:as-metadata-found
//! ```
//!
//! As in the official suite, a scenario "fails" when a check fails or warns (a WARN counts), an entry
//! whose scenario or check now passes is *stale*, and entries for scenarios that did not run are
//! ignored. A `- scenario: check` line (YAML reads it as a mapping) is rejected with a hint.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

use mcp_authlab_reports::{Outcome, ScenarioResult, Verdict};

#[derive(Debug, thiserror::Error)]
pub enum ExpectedFailuresError {
    #[error("could not read the expected-failures file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("Invalid expected-failures file: {0}")]
    Invalid(String),
}

fn invalid(message: impl Into<String>) -> ExpectedFailuresError {
    ExpectedFailuresError::Invalid(message.into())
}

/// A whole expected-failures file: one baseline per side.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExpectedFailures {
    pub client: Baseline,
    pub server: Baseline,
    /// `authserver:`, for `mcp-authlab authserver` (not in the official suite's format).
    pub authserver: Baseline,
}

/// The entries of one side (`client:`, `server:` or `authserver:`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Baseline {
    /// Scenarios expected to fail as a whole.
    scenarios: BTreeSet<String>,
    /// Scenario id → the checks of it expected to fail.
    checks: BTreeMap<String, BTreeSet<String>>,
}

impl ExpectedFailures {
    pub fn load(path: &Path) -> Result<Self, ExpectedFailuresError> {
        let text = std::fs::read_to_string(path).map_err(|source| ExpectedFailuresError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text)
    }

    /// The file at `path`, or no expected failures at all without one.
    pub fn load_or_none(path: Option<&Path>) -> Result<Self, ExpectedFailuresError> {
        path.map_or_else(|| Ok(Self::default()), Self::load)
    }

    pub fn parse(text: &str) -> Result<Self, ExpectedFailuresError> {
        let document: serde_yaml_ng::Value =
            serde_yaml_ng::from_str(text).map_err(|e| invalid(format!("not YAML: {e}")))?;
        let top = match document {
            // An empty file (or one with only comments) is `{}`.
            serde_yaml_ng::Value::Null => return Ok(Self::default()),
            serde_yaml_ng::Value::Mapping(map) => map,
            _ => {
                return Err(invalid(
                    "expected an object with 'server' and/or 'client' keys",
                ))
            }
        };
        let side = |name: &str| match top.get(name) {
            None | Some(serde_yaml_ng::Value::Null) => Ok(Baseline::default()),
            Some(value) => Baseline::from_yaml(name, value),
        };
        Ok(Self {
            client: side("client")?,
            server: side("server")?,
            authserver: side("authserver")?,
        })
    }
}

/// What comparing a run with a baseline found; entries are `scenario` or `scenario:check`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BaselineOutcome {
    /// Failures the baseline lists.
    pub expected: Vec<String>,
    /// Baseline entries that passed this time (remove them from the file).
    pub stale: Vec<String>,
    /// Failures the baseline does not list.
    pub unexpected: Vec<String>,
}

impl BaselineOutcome {
    /// Nothing unexpected failed and no entry is stale.
    pub fn passed(&self) -> bool {
        self.stale.is_empty() && self.unexpected.is_empty()
    }
}

/// The official suite's summary lines.
impl fmt::Display for BaselineOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let section = |f: &mut fmt::Formatter<'_>, title: &str, mark: &str, entries: &[String]| {
            if entries.is_empty() {
                return Ok(());
            }
            writeln!(f, "{title}")?;
            entries
                .iter()
                .try_for_each(|entry| writeln!(f, "  {mark} {entry}"))
        };
        section(f, "Expected failures (in baseline):", "~", &self.expected)?;
        section(
            f,
            "Stale baseline entries (now passing - remove from baseline):",
            "✓",
            &self.stale,
        )?;
        section(
            f,
            "Unexpected failures (not in baseline):",
            "✗",
            &self.unexpected,
        )?;
        if !self.unexpected.is_empty() {
            writeln!(
                f,
                "Unexpected failures detected: these are not in your expected-failures baseline."
            )
        } else if !self.stale.is_empty() {
            writeln!(
                f,
                "Baseline is stale: update your expected-failures file to remove passing entries."
            )
        } else {
            writeln!(f, "Baseline check passed: all failures are expected.")
        }
    }
}

fn failing(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Fail | Outcome::Warn)
}

/// Whether the scenario ran: it erred, or judged at least one check (a scenario skipped for the
/// spec version, or whose every check found nothing to judge, did not).
fn ran(result: &ScenarioResult) -> bool {
    result.verdict == Verdict::Error || result.checks.iter().any(|c| c.outcome != Outcome::Skip)
}

impl Baseline {
    fn from_yaml(side: &str, value: &serde_yaml_ng::Value) -> Result<Self, ExpectedFailuresError> {
        let serde_yaml_ng::Value::Sequence(items) = value else {
            return Err(invalid(format!(
                "'{side}' must be an array of scenario names"
            )));
        };
        let mut baseline = Baseline::default();
        for item in items {
            let entry = match item {
                serde_yaml_ng::Value::String(s) => s.trim(),
                serde_yaml_ng::Value::Mapping(map) => {
                    let written = map
                        .iter()
                        .map(|(k, v)| format!("{}: {}", scalar(k), scalar(v)))
                        .collect::<Vec<_>>()
                        .join(", ");
                    return Err(invalid(format!(
                        "'{side}' entry `{written}` is a mapping, not a string. Remove the space \
                         after the colon: `{}`",
                        written.replacen(": ", ":", 1)
                    )));
                }
                _ => {
                    return Err(invalid(format!(
                        "'{side}' must be an array of scenario names"
                    )))
                }
            };
            baseline.add(side, entry)?;
        }
        for (scenario, checks) in &baseline.checks {
            if baseline.scenarios.contains(scenario) {
                let check = checks.iter().next().map(String::as_str).unwrap_or("");
                return Err(invalid(format!(
                    "'{side}' lists `{scenario}` as a whole scenario and also `{scenario}:{check}`; \
                     the whole-scenario entry already covers its checks, remove one of them"
                )));
            }
        }
        Ok(baseline)
    }

    fn add(&mut self, side: &str, entry: &str) -> Result<(), ExpectedFailuresError> {
        if entry.is_empty() {
            return Err(invalid(format!("'{side}' has an empty entry")));
        }
        match entry.split_once(':') {
            None => {
                self.scenarios.insert(entry.to_string());
            }
            Some((scenario, check)) => {
                let (scenario, check) = (scenario.trim(), check.trim());
                if scenario.is_empty() || check.is_empty() || check.contains(':') {
                    return Err(invalid(format!(
                        "'{side}' entry `{entry}` must be `scenario` or `scenario:check-id`"
                    )));
                }
                self.checks
                    .entry(scenario.to_string())
                    .or_default()
                    .insert(check.to_string());
            }
        }
        Ok(())
    }

    /// A baseline of these entries (`scenario` or `scenario:check`), as if read from a file.
    /// (Errors name the side `client`.)
    pub fn from_entries<'a>(
        entries: impl IntoIterator<Item = &'a str>,
    ) -> Result<Self, ExpectedFailuresError> {
        let items = entries
            .into_iter()
            .map(|e| serde_yaml_ng::Value::String(e.to_string()))
            .collect();
        Self::from_yaml("client", &serde_yaml_ng::Value::Sequence(items))
    }

    pub fn is_empty(&self) -> bool {
        self.scenarios.is_empty() && self.checks.is_empty()
    }

    /// Every entry, as written (`scenario` or `scenario:check`), sorted.
    pub fn entries(&self) -> Vec<String> {
        let mut entries: Vec<String> = self.scenarios.iter().cloned().collect();
        for (scenario, checks) in &self.checks {
            entries.extend(checks.iter().map(|check| format!("{scenario}:{check}")));
        }
        entries.sort();
        entries
    }

    /// Whether the baseline mentions this scenario at all (whole, or some of its checks).
    pub fn mentions(&self, scenario: &str) -> bool {
        self.scenarios.contains(scenario) || self.checks.contains_key(scenario)
    }

    /// Whether the whole scenario is listed.
    pub fn lists_scenario(&self, scenario: &str) -> bool {
        self.scenarios.contains(scenario)
    }

    fn lists_check(&self, scenario: &str, check: &str) -> bool {
        self.checks
            .get(scenario)
            .is_some_and(|checks| checks.contains(check))
    }

    /// Marks what the baseline expects in one result: the scenario (when it is listed whole and
    /// failed, warned or errored) and its failing checks (listed whole, or one by one).
    pub fn apply(&self, result: &mut ScenarioResult) {
        let whole = self.lists_scenario(&result.id);
        result.expected_failure = whole
            && matches!(
                result.verdict,
                Verdict::Fail | Verdict::Warn | Verdict::Error
            );
        for check in &mut result.checks {
            check.expected_failure =
                failing(check.outcome) && (whole || self.lists_check(&result.id, &check.id));
        }
    }

    /// Compares the results of a run with the baseline (see the module docs).
    pub fn evaluate(&self, results: &[ScenarioResult]) -> BaselineOutcome {
        let mut outcome = BaselineOutcome::default();
        for result in results.iter().filter(|r| ran(r)) {
            let id = &result.id;
            let failed_checks: Vec<&str> = result
                .checks
                .iter()
                .filter(|c| failing(c.outcome))
                .map(|c| c.id.as_str())
                .collect();
            let failed = !failed_checks.is_empty() || result.verdict == Verdict::Error;
            if self.lists_scenario(id) {
                if failed {
                    outcome.expected.push(id.clone());
                } else {
                    outcome.stale.push(id.clone());
                }
                continue;
            }
            let listed = self.checks.get(id);
            for check in listed.into_iter().flatten() {
                let entry = format!("{id}:{check}");
                match result.checks.iter().find(|c| &c.id == check) {
                    Some(c) if failing(c.outcome) => outcome.expected.push(entry),
                    Some(c) if c.outcome == Outcome::Pass => outcome.stale.push(entry),
                    // Absent, skipped or informational: tolerated, as in the official suite.
                    _ => {}
                }
            }
            for check in &failed_checks {
                if !self.lists_check(id, check) {
                    outcome.unexpected.push(format!("{id}:{check}"));
                }
            }
            if failed_checks.is_empty() && result.verdict == Verdict::Error {
                outcome.unexpected.push(id.clone());
            }
        }
        outcome
    }

    /// Entries naming a scenario, or a check of a scenario, that `known` (scenario id → its check
    /// ids) does not have: probably a typo or an entry from another tool's catalogue.
    pub fn unknown_entries<'a>(
        &self,
        known: impl IntoIterator<Item = (&'a str, Vec<&'a str>)>,
    ) -> Vec<String> {
        let known: BTreeMap<&str, Vec<&str>> = known.into_iter().collect();
        let mut unknown: Vec<String> = self
            .scenarios
            .iter()
            .filter(|s| !known.contains_key(s.as_str()))
            .cloned()
            .collect();
        for (scenario, checks) in &self.checks {
            for check in checks {
                let found = known
                    .get(scenario.as_str())
                    .is_some_and(|ids| ids.contains(&check.as_str()));
                if !found {
                    unknown.push(format!("{scenario}:{check}"));
                }
            }
        }
        unknown
    }
}

fn scalar(value: &serde_yaml_ng::Value) -> String {
    match value {
        serde_yaml_ng::Value::String(s) => s.clone(),
        serde_yaml_ng::Value::Null => String::new(),
        other => serde_yaml_ng::to_string(other)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_authlab_reports::{CheckResult, Level, SpecVersion};

    fn check(id: &str, outcome: Outcome) -> CheckResult {
        CheckResult {
            id: id.into(),
            level: Level::Must,
            requirement: "T-1".into(),
            section: "test".into(),
            outcome,
            message: String::new(),
            expected_failure: false,
            expected: None,
            evidence: Vec::new(),
        }
    }

    fn result(id: &str, checks: Vec<CheckResult>) -> ScenarioResult {
        let verdict = Verdict::from_outcomes(checks.iter().map(|c| c.outcome));
        ScenarioResult {
            id: id.into(),
            description: String::new(),
            spec_version: SpecVersion::V2025_11_25,
            verdict,
            duration_ms: 0,
            checks,
            error: None,
            expected_failure: false,
            output: Vec::new(),
            trace: Vec::new(),
        }
    }

    #[test]
    fn parses_the_official_format() {
        let file = ExpectedFailures::parse(
            "client:\n  - auth/resource-mismatch\n  - auth/metadata-default:prm-priority-order\n\
             server:\n  - dns-rebinding-protection\nother: ignored\n",
        )
        .unwrap();
        assert_eq!(
            file.client.entries(),
            [
                "auth/metadata-default:prm-priority-order",
                "auth/resource-mismatch"
            ]
        );
        assert_eq!(file.server.entries(), ["dns-rebinding-protection"]);
        assert!(file.authserver.is_empty());
        // Our own side, for `mcp-authlab authserver`.
        let ours = ExpectedFailures::parse(
            "authserver:\n  - authserver/discovery-2025-06-18:as-metadata-found\n",
        )
        .unwrap();
        assert_eq!(
            ours.authserver.entries(),
            ["authserver/discovery-2025-06-18:as-metadata-found"]
        );
        assert!(ours.client.is_empty() && ours.server.is_empty());
        // The flow style the TypeScript SDK uses.
        let flow =
            ExpectedFailures::parse("client: [auth/pre-registration, auth/x-flow]\n").unwrap();
        assert!(flow.client.lists_scenario("auth/pre-registration"));
        assert_eq!(
            ExpectedFailures::parse("").unwrap(),
            ExpectedFailures::default()
        );
        assert_eq!(
            ExpectedFailures::parse("# nothing yet\n").unwrap(),
            ExpectedFailures::default()
        );
        assert!(ExpectedFailures::parse("client:\n")
            .unwrap()
            .client
            .is_empty());
    }

    #[test]
    fn rejects_what_the_official_suite_rejects() {
        let error = |text: &str| ExpectedFailures::parse(text).unwrap_err().to_string();
        assert_eq!(
            error("- auth/x\n"),
            "Invalid expected-failures file: expected an object with 'server' and/or 'client' keys"
        );
        assert_eq!(
            error("client: auth/x\n"),
            "Invalid expected-failures file: 'client' must be an array of scenario names"
        );
        assert_eq!(
            error("client:\n  - 3\n"),
            "Invalid expected-failures file: 'client' must be an array of scenario names"
        );
        let mapping = error("client:\n  - auth/metadata-default: prm-priority-order\n");
        assert!(
            mapping.contains("Remove the space after the colon"),
            "{mapping}"
        );
        assert!(
            mapping.contains("`auth/metadata-default:prm-priority-order`"),
            "{mapping}"
        );
        let both = error("client:\n  - auth/x\n  - auth/x:some-check\n");
        assert!(
            both.contains("whole scenario and also `auth/x:some-check`"),
            "{both}"
        );
        for half in ["auth/x:", ":check", "a:b:c"] {
            let e = error(&format!("client:\n  - '{half}'\n"));
            assert!(
                e.contains("must be `scenario` or `scenario:check-id`"),
                "{e}"
            );
        }
        assert!(error("client: [\n").contains("not YAML"));
    }

    #[test]
    fn a_listed_scenario_is_expected_and_a_passing_one_is_stale() {
        let baseline = Baseline::from_entries(["auth/a", "auth/b"]).unwrap();
        let mut failing = result(
            "auth/a",
            vec![check("x", Outcome::Pass), check("y", Outcome::Warn)],
        );
        let mut passing = result("auth/b", vec![check("x", Outcome::Pass)]);
        baseline.apply(&mut failing);
        baseline.apply(&mut passing);
        assert!(failing.expected_failure);
        assert!(!failing.checks[0].expected_failure && failing.checks[1].expected_failure);
        assert!(!passing.expected_failure);
        let outcome = baseline.evaluate(&[failing, passing]);
        assert_eq!(outcome.expected, ["auth/a"]);
        assert_eq!(outcome.stale, ["auth/b"]);
        assert!(outcome.unexpected.is_empty());
        assert!(!outcome.passed());
        assert!(outcome.to_string().contains("  ✓ auth/b\n"));
        assert!(outcome.to_string().ends_with(
            "Baseline is stale: update your expected-failures file to remove passing entries.\n"
        ));
    }

    #[test]
    fn check_entries_cover_only_their_check() {
        let baseline = Baseline::from_entries(["auth/a:y", "auth/a:gone", "auth/a:x"]).unwrap();
        let mut run = result(
            "auth/a",
            vec![
                check("x", Outcome::Skip),
                check("y", Outcome::Fail),
                check("z", Outcome::Warn),
            ],
        );
        baseline.apply(&mut run);
        assert!(!run.expected_failure);
        assert!(run.checks[1].expected_failure && !run.checks[2].expected_failure);
        let outcome = baseline.evaluate(std::slice::from_ref(&run));
        assert_eq!(outcome.expected, ["auth/a:y"]);
        // `x` skipped and `gone` absent: tolerated, not stale.
        assert!(outcome.stale.is_empty());
        assert_eq!(outcome.unexpected, ["auth/a:z"]);
        assert!(outcome.to_string().contains("Unexpected failures detected"));

        run.checks[1].outcome = Outcome::Pass;
        let outcome = baseline.evaluate(&[run]);
        assert_eq!(outcome.stale, ["auth/a:y"]);
    }

    #[test]
    fn errors_and_unrun_scenarios() {
        let baseline = Baseline::from_entries(["auth/not-run", "auth/timeout"]).unwrap();
        let mut timeout = result("auth/timeout", vec![check("x", Outcome::Pass)]);
        timeout.verdict = Verdict::Error;
        let mut other_timeout = result("auth/other", vec![]);
        other_timeout.verdict = Verdict::Error;
        let mut skipped = result("auth/not-run", vec![]);
        skipped.verdict = Verdict::Skip;
        baseline.apply(&mut timeout);
        assert!(timeout.expected_failure);
        let outcome = baseline.evaluate(&[timeout, other_timeout, skipped]);
        // Every check skipped (nothing to judge): not run either, so its entries are not stale.
        let nothing_to_judge = Baseline::from_entries(["auth/nothing", "auth/nothing2:x"]).unwrap();
        let judged_nothing = nothing_to_judge.evaluate(&[
            result("auth/nothing", vec![check("x", Outcome::Skip)]),
            result("auth/nothing2", vec![check("x", Outcome::Skip)]),
        ]);
        assert!(judged_nothing.passed(), "{judged_nothing:?}");
        assert_eq!(outcome.expected, ["auth/timeout"]);
        assert_eq!(outcome.unexpected, ["auth/other"]);
        assert!(
            outcome.stale.is_empty(),
            "a scenario that did not run is never stale"
        );
    }

    #[test]
    fn all_expected_passes_the_baseline() {
        let baseline = Baseline::from_entries(["auth/a"]).unwrap();
        let outcome = baseline.evaluate(&[result("auth/a", vec![check("x", Outcome::Fail)])]);
        assert!(outcome.passed());
        assert!(outcome
            .to_string()
            .ends_with("Baseline check passed: all failures are expected.\n"));
    }

    #[test]
    fn unknown_entries_are_reported() {
        let baseline =
            Baseline::from_entries(["auth/a", "auth/typo", "auth/a2:x", "auth/a2:nope"]).unwrap();
        let known = [("auth/a", vec!["x"]), ("auth/a2", vec!["x", "y"])];
        assert_eq!(
            baseline.unknown_entries(known),
            ["auth/typo", "auth/a2:nope"]
        );
    }
}
