//! The server suite as libtest trials, one per scenario, against one server reached (or started)
//! once for the whole run. The `mcp-authlab server` command runs exactly this; a project can run it
//! from a `harness = false` test the same way as the client suite's trials.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use libtest_mimic::{Completion, Failed, Trial};
use mcp_authlab_reports::{Report, ScenarioResult, Summary, Tool, Verdict, SCHEMA_VERSION};

use super::run::{ServerRunOptions, ServerSession, ServerTarget, StartError, DEFAULT_SPEC_VERSION};
use super::scenario::ServerScenario;
use super::scenarios;
use crate::client::trials::failure_message;
use crate::expected_failures::BaselineOutcome;

struct Shared {
    target: String,
    options: ServerRunOptions,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
    /// Taken by [`ServerRunner::finish`].
    session: Mutex<Option<Arc<ServerSession>>>,
    runs: Mutex<Vec<(usize, ScenarioResult)>>,
    output: Mutex<Vec<String>>,
    started: Instant,
}

impl Drop for Shared {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Shared {
    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the runner")
    }
}

/// Reaches the server once, makes the trials, collects their results.
#[derive(Clone)]
pub struct ServerRunner {
    shared: Arc<Shared>,
}

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Start(#[from] StartError),
}

/// The scenarios to run: `ids` when given (in that order), else all of them.
pub fn select_scenarios(ids: &[String]) -> Result<Vec<ServerScenario>, String> {
    crate::selection::select_by_id(scenarios::all(), ids, |s| s.id, "server", "server")
}

impl ServerRunner {
    /// Starts the runtime and reaches (or starts) the server.
    pub fn start(target: &ServerTarget, options: ServerRunOptions) -> Result<Self, RunnerError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .map_err(RunnerError::Runtime)?;
        let session = runtime.block_on(ServerSession::start(target, &options))?;
        Ok(Self {
            shared: Arc::new(Shared {
                target: target.describe(),
                options,
                runtime: Some(runtime),
                session: Mutex::new(Some(Arc::new(session))),
                runs: Mutex::new(Vec::new()),
                output: Mutex::new(Vec::new()),
                started: Instant::now(),
            }),
        })
    }

    fn session(&self) -> Option<Arc<ServerSession>> {
        self.shared
            .session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The MCP endpoint under test.
    pub fn url(&self) -> Option<String> {
        self.session().map(|s| s.url().to_string())
    }

    /// One trial per scenario.
    pub fn trials(&self, scenarios: Vec<ServerScenario>) -> Vec<Trial> {
        scenarios
            .into_iter()
            .enumerate()
            .map(|(index, scenario)| {
                let listed = self.shared.options.expected_failures.mentions(scenario.id);
                let shared = Arc::clone(&self.shared);
                let runner = self.clone();
                let trial = Trial::ignorable_test(scenario.id, move || {
                    let Some(session) = runner.session() else {
                        return Err(Failed::from("the server session has ended"));
                    };
                    let result = shared
                        .runtime()
                        .block_on(session.run_scenario(&scenario, &shared.options));
                    let outcome = trial_outcome(&result, &shared.options);
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

    /// Stops the server and the mock IdP; keeps the server's last output for the report.
    pub fn finish(&self) {
        let session = self
            .shared
            .session
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(session) = session {
            match Arc::try_unwrap(session) {
                Ok(session) => {
                    let output = self.shared.runtime().block_on(session.shutdown());
                    *self.shared.output.lock().unwrap_or_else(|p| p.into_inner()) = output;
                }
                Err(session) => {
                    *self.shared.output.lock().unwrap_or_else(|p| p.into_inner()) =
                        session.output();
                }
            }
        }
    }

    /// What the spawned server printed last (after [`ServerRunner::finish`]).
    pub fn server_output(&self) -> Vec<String> {
        self.shared
            .output
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

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

    /// The report of the run (`suite: server`).
    pub fn report(&self) -> Report {
        let mut report = Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::default(),
            suite: "server".into(),
            target: self.shared.target.clone(),
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

fn trial_outcome(
    result: &ScenarioResult,
    options: &ServerRunOptions,
) -> Result<Completion, Failed> {
    if result.verdict == Verdict::Skip {
        return Ok(Completion::ignored_with(
            result.error.clone().unwrap_or_else(|| "skipped".into()),
        ));
    }
    let baseline = options
        .expected_failures
        .evaluate(std::slice::from_ref(result));
    if baseline.passed() && result.verdict != Verdict::Error {
        return Ok(Completion::Completed);
    }
    Err(Failed::from(failure_message(result, &baseline)))
}
