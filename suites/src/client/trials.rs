//! The client suite as libtest trials: one test per scenario, so `cargo test` and `cargo nextest`
//! show (and filter) scenarios like tests. The `mcp-authlab client` command runs exactly this.
//!
//! Use it from your own project's integration test, with `harness = false`:
//!
//! ```toml
//! # Cargo.toml
//! [[test]]
//! name = "mcp_auth_conformance"
//! harness = false
//!
//! [dev-dependencies]
//! mcp-authlab-suites = "0.1"
//! libtest-mimic = "0.8"
//! ```
//!
//! ```no_run
//! // tests/mcp_auth_conformance.rs
//! use std::time::Duration;
//!
//! use mcp_authlab_suites::client::command::ClientCommand;
//! use mcp_authlab_suites::client::run::{ClientTarget, RunOptions};
//! use mcp_authlab_suites::client::trials::trials;
//! use mcp_authlab_suites::expected_failures::ExpectedFailures;
//!
//! fn main() {
//!     let command = ClientCommand::parse("cargo run -q --bin my-mcp-client --").unwrap();
//!     let options = RunOptions {
//!         timeout: Duration::from_secs(20),
//!         expected_failures: ExpectedFailures::load("expected-failures.yml".as_ref())
//!             .unwrap()
//!             .client,
//!         ..RunOptions::default()
//!     };
//!     let args = libtest_mimic::Arguments::from_args();
//!     libtest_mimic::run(&args, trials(ClientTarget::new(command), options)).exit();
//! }
//! ```
//!
//! A trial fails when its scenario has a failure (a failed MUST, a warned SHOULD) that the expected
//! failures do not list, when an entry for it is stale, or on a verdict `error`; scenarios that
//! do not apply to the requested spec version are `ignored`. Trials of listed scenarios have the
//! kind `xfail`. To build a report after the run, use a [`Runner`] instead of [`trials`].

use std::sync::{Arc, Mutex};
use std::time::Instant;

use libtest_mimic::{Completion, Failed, Trial};
use mcp_authlab_reports::{
    Outcome, Report, ScenarioResult, Summary, Tool, Verdict, SCHEMA_VERSION,
};

use super::run::{
    run_scenario_detailed, ClientTarget, ErrorCause, RunOptions, ScenarioRun, DEFAULT_SPEC_VERSION,
};
use super::scenario::Scenario;
use super::scenarios;
use crate::expected_failures::BaselineOutcome;

/// How many output lines of the client a failed trial shows.
const SHOWN_OUTPUT_LINES: usize = 15;

/// One trial per scenario of the catalogue (see the module docs).
pub fn trials(target: ClientTarget, options: RunOptions) -> Vec<Trial> {
    match Runner::new(target, options) {
        Ok(runner) => runner.trials(scenarios::all()),
        Err(e) => vec![Trial::test("mcp-authlab", move || {
            Err(Failed::from(format!(
                "could not start the async runtime: {e}"
            )))
        })],
    }
}

/// The scenarios to run: `ids` when given (in that order), else those of `suite` (`all`, `auth`:
/// the official suite's scenarios, `extended`: mcp-authlab's own).
pub fn select_scenarios(suite: &str, ids: &[String]) -> Result<Vec<Scenario>, SelectError> {
    let all = scenarios::all();
    if !ids.is_empty() {
        return ids
            .iter()
            .map(|id| {
                all.iter()
                    .find(|s| s.id == id)
                    .cloned()
                    .ok_or_else(|| SelectError::UnknownScenario(id.clone()))
            })
            .collect();
    }
    if !SUITES.contains(&suite) {
        return Err(SelectError::UnknownSuite(suite.to_string()));
    }
    Ok(all
        .into_iter()
        .filter(|s| s.suites().contains(&suite))
        .collect())
}

/// The suite names [`select_scenarios`] knows.
pub const SUITES: &[&str] = &[
    "all",
    "auth",
    "backcompat",
    "extensions",
    "draft",
    "extended",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectError {
    #[error("unknown scenario `{0}` (see `mcp-authlab list`)")]
    UnknownScenario(String),
    #[error("unknown suite `{0}` (known: all, auth, backcompat, extensions, draft, extended)")]
    UnknownSuite(String),
}

struct Shared {
    target: ClientTarget,
    options: RunOptions,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
    /// (position in the list given to `trials`, the run), in the order they finished.
    runs: Mutex<Vec<(usize, ScenarioRun)>>,
    started: Instant,
}

impl Shared {
    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the runner")
    }
}

impl Drop for Shared {
    /// Does not wait for background work the deployments left behind (signing keys still being
    /// generated for a scenario that is over): the results are in.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Makes the trials and collects their results, so a report can be built after
/// `libtest_mimic::run`. Every trial runs on one shared multi-threaded tokio runtime.
#[derive(Clone)]
pub struct Runner {
    shared: Arc<Shared>,
}

impl Runner {
    pub fn new(target: ClientTarget, options: RunOptions) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()?;
        Ok(Self {
            shared: Arc::new(Shared {
                target,
                options,
                runtime: Some(runtime),
                runs: Mutex::new(Vec::new()),
                started: Instant::now(),
            }),
        })
    }

    /// One trial per scenario, named by the scenario id.
    pub fn trials(&self, scenarios: Vec<Scenario>) -> Vec<Trial> {
        scenarios
            .into_iter()
            .enumerate()
            .map(|(index, scenario)| {
                let listed = self.shared.options.expected_failures.mentions(scenario.id);
                let shared = Arc::clone(&self.shared);
                let trial = Trial::ignorable_test(scenario.id, move || {
                    let run = shared.runtime().block_on(run_scenario_detailed(
                        &shared.target,
                        &scenario,
                        &shared.options,
                    ));
                    let outcome = trial_outcome(&run, &shared.options);
                    shared
                        .runs
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push((index, run));
                    outcome
                });
                if listed {
                    trial.with_kind("xfail")
                } else {
                    trial
                }
            })
            .collect()
    }

    /// The runs so far, in the order of the scenarios given to [`Runner::trials`].
    pub fn runs(&self) -> Vec<ScenarioRun> {
        let mut runs = self
            .shared
            .runs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone();
        runs.sort_by_key(|(index, _)| *index);
        runs.into_iter().map(|(_, run)| run).collect()
    }

    pub fn results(&self) -> Vec<ScenarioResult> {
        self.runs().into_iter().map(|run| run.result).collect()
    }

    /// The runs compared with the expected failures.
    pub fn baseline_outcome(&self) -> BaselineOutcome {
        self.shared
            .options
            .expected_failures
            .evaluate(&self.results())
    }

    /// Whether a scenario ended in `error` because of the harness (not the client).
    pub fn harness_failed(&self) -> bool {
        self.runs()
            .iter()
            .any(|run| run.error_cause == Some(ErrorCause::Harness))
    }

    /// Whether some trial that ran (passed or failed, per `conclusion`) left no result: it crashed
    /// inside the harness, outside the checks (a failure of the harness, whatever else failed).
    pub fn lost_runs(&self, conclusion: &libtest_mimic::Conclusion) -> bool {
        let judged = self
            .runs()
            .iter()
            .filter(|run| !is_ignored(&run.result))
            .count() as u64;
        judged < conclusion.num_passed + conclusion.num_failed
    }

    /// The report of the run so far (`suite: client`, the command as `target`). Its
    /// `spec_version` is the one asked for, else [`DEFAULT_SPEC_VERSION`] (the one most scenarios
    /// were judged against; each scenario's result names its own).
    pub fn report(&self) -> Report {
        let scenarios = self.results();
        let spec_version = self
            .shared
            .options
            .spec_version
            .unwrap_or(DEFAULT_SPEC_VERSION);
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            suite: "client".to_string(),
            target: self.shared.target.command.to_string(),
            spec_version,
            duration_ms: self.shared.started.elapsed().as_millis() as u64,
            scenarios,
            summary: Summary {
                stale_expected_failures: self.baseline_outcome().stale,
                ..Summary::default()
            },
        };
        report.summarize();
        report
    }
}

/// Whether the scenario's trial passes (see the module docs), with the message of a failure.
fn trial_outcome(run: &ScenarioRun, options: &RunOptions) -> Result<Completion, Failed> {
    let result = &run.result;
    if is_ignored(result) {
        return Ok(Completion::ignored_with(
            result.error.clone().unwrap_or_else(|| "skipped".into()),
        ));
    }
    let baseline = options
        .expected_failures
        .evaluate(std::slice::from_ref(result));
    if baseline.passed() && run.error_cause != Some(ErrorCause::Harness) {
        return Ok(Completion::Completed);
    }
    Err(Failed::from(failure_message(result, &baseline)))
}

/// A scenario that did not run (not part of the spec version asked for): its trial is ignored.
fn is_ignored(result: &ScenarioResult) -> bool {
    result.verdict == Verdict::Skip && result.checks.is_empty()
}

/// `[id] LEVEL requirement — message` for each failed (or warned) check, then stale entries, the
/// error and the client's last output lines.
pub fn failure_message(result: &ScenarioResult, baseline: &BaselineOutcome) -> String {
    let mut lines = vec![format!(
        "{}: {} (MCP {})",
        result.id,
        verdict_name(result.verdict),
        result.spec_version
    )];
    if let Some(error) = &result.error {
        lines.push(format!("  error: {error}"));
    }
    for check in &result.checks {
        if matches!(check.outcome, Outcome::Fail | Outcome::Warn) {
            let expected = if check.expected_failure {
                " (expected failure)"
            } else {
                ""
            };
            lines.push(format!(
                "  [{}] {} {} — {}{expected}",
                check.id, check.level, check.requirement, check.message
            ));
        }
    }
    for entry in &baseline.stale {
        lines.push(format!(
            "  stale expected-failures entry `{entry}`: it passes now, remove it"
        ));
    }
    if !result.output.is_empty() {
        let start = result.output.len().saturating_sub(SHOWN_OUTPUT_LINES);
        lines.push(format!(
            "  client output (last {} lines):",
            result.output.len() - start
        ));
        lines.extend(result.output[start..].iter().map(|l| format!("    {l}")));
    }
    lines.join("\n")
}

fn verdict_name(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Warn => "warn",
        Verdict::Skip => "skip",
        Verdict::Error => "error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::command::ClientCommand;
    use crate::expected_failures::Baseline;
    use mcp_authlab_reports::{CheckResult, Level, SpecVersion};

    fn check(id: &str, outcome: Outcome) -> CheckResult {
        CheckResult {
            id: id.into(),
            level: Level::Must,
            requirement: "C-PKCE-1".into(),
            section: "s".into(),
            outcome,
            message: format!("{id} observed"),
            expected_failure: false,
            expected: None,
            evidence: Vec::new(),
        }
    }

    fn run(checks: Vec<CheckResult>, cause: Option<ErrorCause>) -> ScenarioRun {
        ScenarioRun {
            result: ScenarioResult {
                id: "auth/x".into(),
                description: String::new(),
                spec_version: SpecVersion::V2025_11_25,
                verdict: Verdict::from_outcomes(checks.iter().map(|c| c.outcome)),
                duration_ms: 0,
                checks,
                error: None,
                expected_failure: false,
                output: vec!["last words".into()],
                trace: Vec::new(),
            },
            error_cause: cause,
        }
    }

    fn options(entries: &[&str]) -> RunOptions {
        RunOptions {
            expected_failures: Baseline::from_entries(entries.iter().copied()).unwrap(),
            ..RunOptions::default()
        }
    }

    #[test]
    fn failures_list_each_failed_check() {
        let r = run(
            vec![
                check("a", Outcome::Pass),
                check("b", Outcome::Fail),
                check("c", Outcome::Warn),
            ],
            None,
        );
        let Err(error) = trial_outcome(&r, &options(&[])) else {
            panic!("the trial passed")
        };
        let message = error.message().unwrap();
        assert!(
            message.contains("  [b] MUST C-PKCE-1 — b observed\n"),
            "{message}"
        );
        assert!(
            message.contains("  [c] MUST C-PKCE-1 — c observed"),
            "{message}"
        );
        assert!(!message.contains("[a]"), "{message}");
        assert!(message.contains("    last words"), "{message}");
    }

    #[test]
    fn expected_failures_pass_and_stale_entries_fail() {
        let mut r = run(vec![check("b", Outcome::Fail)], None);
        let opts = options(&["auth/x"]);
        opts.expected_failures.apply(&mut r.result);
        assert!(trial_outcome(&r, &opts).is_ok());
        let passing = run(vec![check("b", Outcome::Pass)], None);
        let Err(error) = trial_outcome(&passing, &opts) else {
            panic!("a stale entry passed")
        };
        assert!(error.message().unwrap().contains("stale"), "{error:?}");
        assert!(trial_outcome(&passing, &options(&[])).is_ok());
    }

    #[test]
    fn harness_errors_fail_even_when_expected_and_skips_are_ignored() {
        let mut broken = run(vec![], Some(ErrorCause::Harness));
        broken.result.verdict = Verdict::Error;
        broken.result.error = Some("the mock deployment could not start".into());
        let opts = options(&["auth/x"]);
        opts.expected_failures.apply(&mut broken.result);
        assert!(trial_outcome(&broken, &opts).is_err());
        let mut skipped = run(vec![], None);
        skipped.result.verdict = Verdict::Skip;
        assert!(matches!(
            trial_outcome(&skipped, &options(&[])),
            Ok(Completion::Ignored { .. })
        ));
    }

    #[test]
    fn selection_by_suite_and_id() {
        assert_eq!(
            select_scenarios("nope", &[]).unwrap_err(),
            SelectError::UnknownSuite("nope".into())
        );
        assert_eq!(
            select_scenarios("all", &["auth/no-such".into()]).unwrap_err(),
            SelectError::UnknownScenario("auth/no-such".into())
        );
        let all = select_scenarios("all", &[]).unwrap();
        let extended = select_scenarios("extended", &[]).unwrap();
        let official: usize = ["auth", "backcompat", "extensions", "draft"]
            .iter()
            .map(|suite| {
                let selected = select_scenarios(suite, &[]).unwrap();
                assert!(selected.iter().all(|s| s.official), "{suite}");
                selected.len()
            })
            .sum();
        assert_eq!(all.len(), official + extended.len());
    }

    #[test]
    fn trials_are_named_by_scenario_and_xfail_when_listed() {
        let runner = Runner::new(
            ClientTarget::new(ClientCommand::parse("true").unwrap()),
            options(&["auth/listed"]),
        )
        .unwrap();
        let mut listed = crate::client::run::tests::scenario("auth/listed");
        listed.checks.clear();
        let plain = crate::client::run::tests::scenario("auth/plain");
        let trials = runner.trials(vec![listed, plain]);
        assert_eq!(trials[0].name(), "auth/listed");
        assert_eq!(trials[0].kind(), "xfail");
        assert_eq!(trials[1].kind(), "");
        let report = runner.report();
        assert_eq!(report.suite, "client");
        assert_eq!(report.target, "true");
        assert!(report.scenarios.is_empty());
    }

    #[test]
    fn the_summary_agrees_with_the_expected_failures_comparison() {
        let opts = options(&["auth/whole", "auth/x:b", "auth/warned:c"]);
        let runner = Runner::new(
            ClientTarget::new(ClientCommand::parse("true").unwrap()),
            opts.clone(),
        )
        .unwrap();
        let mut cases = vec![
            ("auth/whole", vec![check("a", Outcome::Warn)], Verdict::Warn),
            (
                "auth/x",
                vec![check("b", Outcome::Fail), check("a", Outcome::Pass)],
                Verdict::Fail,
            ),
            (
                "auth/warned",
                vec![check("c", Outcome::Warn)],
                Verdict::Warn,
            ),
            (
                "auth/errored",
                vec![check("d", Outcome::Pass)],
                Verdict::Error,
            ),
        ];
        for (index, (id, checks, verdict)) in cases.drain(..).enumerate() {
            let mut r = run(checks, None);
            r.result.id = id.into();
            r.result.verdict = verdict;
            opts.expected_failures.apply(&mut r.result);
            runner.shared.runs.lock().unwrap().push((index, r));
        }
        let report = runner.report();
        let baseline = runner.baseline_outcome();
        assert_eq!(report.summary.expected_failures, baseline.expected.len());
        assert_eq!(report.summary.expected_failures, 3);
        assert_eq!(baseline.unexpected, ["auth/errored"]);
        assert!(report.has_unexpected_failures());
    }

    fn panics_in_setup(
        _: &mut crate::client::scenario::Setup,
    ) -> Result<(), crate::client::scenario::SetupError> {
        panic!("a bug in the harness")
    }

    #[test]
    fn a_trial_that_crashed_without_a_result_is_seen_among_other_failures() {
        let runner = Runner::new(
            ClientTarget::new(ClientCommand::parse("true").unwrap()),
            options(&[]),
        )
        .unwrap();
        let failing = crate::client::run::tests::scenario("auth/fails");
        let mut crashing = crate::client::run::tests::scenario("auth/crashes");
        crashing.prepare = Some(panics_in_setup);
        let log = tempfile::NamedTempFile::new().unwrap();
        let arguments = libtest_mimic::Arguments {
            test_threads: Some(1),
            logfile: Some(log.path().display().to_string()),
            ..libtest_mimic::Arguments::default()
        };
        let conclusion = libtest_mimic::run(&arguments, runner.trials(vec![failing, crashing]));
        assert_eq!(conclusion.num_failed, 2);
        assert_eq!(runner.runs().len(), 1);
        assert!(!runner.baseline_outcome().passed());
        assert!(runner.lost_runs(&conclusion));

        let runner = Runner::new(
            ClientTarget::new(ClientCommand::parse("true").unwrap()),
            options(&[]),
        )
        .unwrap();
        let conclusion = libtest_mimic::run(
            &arguments,
            runner.trials(vec![crate::client::run::tests::scenario("auth/fails")]),
        );
        assert_eq!(conclusion.num_failed, 1);
        assert!(!runner.lost_runs(&conclusion));
    }

    #[test]
    fn the_report_names_the_default_version_unless_one_was_asked_for() {
        let target = ClientTarget::new(ClientCommand::parse("true").unwrap());
        for (asked, reported) in [
            (None, SpecVersion::V2026_07_28),
            (Some(SpecVersion::V2025_11_25), SpecVersion::V2025_11_25),
        ] {
            let options = RunOptions {
                spec_version: asked,
                ..RunOptions::default()
            };
            let runner = Runner::new(target.clone(), options).unwrap();
            let mut newest = run(vec![check("a", Outcome::Pass)], None);
            newest.result.spec_version = SpecVersion::V2026_07_28;
            runner.shared.runs.lock().unwrap().push((0, newest));
            let report = runner.report();
            assert_eq!(report.spec_version, reported, "{asked:?}");
            assert_eq!(report.scenarios[0].spec_version, SpecVersion::V2026_07_28);
        }
    }
}
