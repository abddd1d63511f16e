//! The authorization-server suite as libtest trials, one per scenario, against one issuer found
//! reachable once for the whole run. `mcp-authlab authserver` runs exactly this.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use libtest_mimic::{Completion, Failed, Trial};
use mcp_authlab_reports::{Report, ScenarioResult, Summary, Tool, Verdict, SCHEMA_VERSION};

use super::run::{
    AuthServerRunOptions, AuthServerSession, AuthServerTarget, StartError, DEFAULT_SPEC_VERSION,
};
use super::scenario::AuthServerScenario;
use super::scenarios;
use super::verdict::{verdicts, VersionVerdict};
use crate::client::trials::failure_message;
use crate::expected_failures::{Baseline, BaselineOutcome};

struct Shared {
    options: AuthServerRunOptions,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
    session: AuthServerSession,
    runs: Mutex<Vec<(usize, ScenarioResult)>>,
    started: Instant,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Reaches the issuer once, makes the trials, collects their results.
#[derive(Clone)]
pub struct AuthServerRunner {
    shared: Arc<Shared>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Start(#[from] StartError),
}

impl AuthServerRunner {
    /// Starts the runtime and checks that the issuer answers.
    pub fn start(
        target: &AuthServerTarget,
        options: AuthServerRunOptions,
    ) -> Result<Self, RunnerError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(RunnerError::Runtime)?;
        let session = runtime.block_on(AuthServerSession::start(target, &options))?;
        Ok(Self {
            shared: Arc::new(Shared {
                options,
                runtime: Some(runtime),
                session,
                runs: Mutex::new(Vec::new()),
                started: Instant::now(),
            }),
        })
    }

    /// One trial per scenario of the catalogue.
    pub fn trials(&self) -> Vec<Trial> {
        self.trials_of(scenarios::all())
    }

    /// One trial per scenario; a scenario the expected failures mention is of kind `xfail`.
    pub fn trials_of(&self, scenarios: Vec<AuthServerScenario>) -> Vec<Trial> {
        scenarios
            .into_iter()
            .enumerate()
            .map(|(index, scenario)| {
                let listed = self.shared.options.expected_failures.mentions(scenario.id);
                let shared = Arc::clone(&self.shared);
                let trial = Trial::ignorable_test(scenario.id, move || {
                    let runtime = shared
                        .runtime
                        .as_ref()
                        .expect("the runtime lives as long as the runner");
                    let result =
                        runtime.block_on(shared.session.run_scenario(&scenario, &shared.options));
                    let outcome = trial_outcome(&result, &shared.options.expected_failures);
                    shared
                        .runs
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push((index, result));
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

    /// The results so far, in catalogue order.
    pub fn results(&self) -> Vec<ScenarioResult> {
        let mut runs = self
            .shared
            .runs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        runs.sort_by_key(|(index, _)| *index);
        runs.into_iter().map(|(_, r)| r).collect()
    }

    /// The run compared with the `authserver:` expected failures (none given: nothing may fail or
    /// warn).
    pub fn baseline_outcome(&self) -> BaselineOutcome {
        self.shared
            .options
            .expected_failures
            .evaluate(&self.results())
    }

    /// Whether a scenario ended in `error` (a check panicked: the harness failed).
    pub fn harness_failed(&self) -> bool {
        self.results().iter().any(|r| r.verdict == Verdict::Error)
    }

    /// The verdict per spec version.
    pub fn verdicts(&self) -> Vec<VersionVerdict> {
        verdicts(&self.results(), self.shared.session.target())
    }

    /// The report of the run (`suite: authserver`, the issuer as target).
    pub fn report(&self) -> Report {
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            suite: "authserver".into(),
            target: self.shared.session.target().issuer.clone(),
            spec_version: self
                .shared
                .options
                .spec_version
                .unwrap_or(DEFAULT_SPEC_VERSION),
            duration_ms: self.shared.started.elapsed().as_millis() as u64,
            scenarios: self.results(),
            summary: Summary {
                stale_expected_failures: self.baseline_outcome().stale,
                ..Summary::default()
            },
        };
        report.summarize();
        report
    }
}

fn trial_outcome(result: &ScenarioResult, expected: &Baseline) -> Result<Completion, Failed> {
    if result.verdict == Verdict::Skip {
        return Ok(Completion::ignored_with(
            result.error.clone().unwrap_or_else(|| "skipped".into()),
        ));
    }
    let baseline = expected.evaluate(std::slice::from_ref(result));
    if baseline.passed() && result.verdict != Verdict::Error {
        return Ok(Completion::Completed);
    }
    Err(Failed::from(failure_message(result, &baseline)))
}

/// The scenarios with these ids, in the order given (all of them when `ids` is empty), or which
/// id is unknown.
pub fn select_scenarios(ids: &[String]) -> Result<Vec<AuthServerScenario>, String> {
    crate::selection::select_by_id(
        scenarios::all(),
        ids,
        |s| s.id,
        "authserver",
        "authorization-server",
    )
}
