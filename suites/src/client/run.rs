//! Running one scenario against a client: start the scenario's mock deployment on loopback, start
//! the client against it (the official conformance contract), wait for it (at most the timeout),
//! and judge what the deployment saw with the scenario's checks.
//!
//! [`run_scenario`] never panics and never returns an error: whatever goes wrong becomes the
//! verdict `error` with a message, and [`ScenarioRun::error_cause`] says whose fault it was.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mcp_authlab_mock_idp::keys::Keys;
use mcp_authlab_mock_idp::trace::{Role, TraceEvent};
use mcp_authlab_mock_idp::{Behaviour, Deployment, Options, ReadyInfo};
use mcp_authlab_reports::{CheckResult, Exchange, Outcome, ScenarioResult, SpecVersion, Verdict};

use super::command::ClientCommand;
use super::observation::{ClientExit, Observation};
use super::output::{self, Secrets};
use super::scenario::Scenario;
use super::spawn::{self, SpawnError};
use crate::expected_failures::Baseline;

/// Default time a client gets per scenario (the official suite's default too).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// After the client has ended, the longest wait for requests still being answered to reach the
/// trace (every response the client received is in the trace already: the mock records an
/// exchange before it sends the response).
pub const SETTLE: Duration = Duration::from_millis(50);
/// The trace is taken once it has not grown for this long (or after [`SETTLE`]).
const SETTLE_QUIET: Duration = Duration::from_millis(5);

/// The client under test.
#[derive(Debug, Clone)]
pub struct ClientTarget {
    pub command: ClientCommand,
    /// The `BROWSER` command line given to the client (a headless user agent such as
    /// `mcp-authlab browse`); `None` leaves `BROWSER` as inherited.
    pub browser: Option<String>,
}

impl ClientTarget {
    pub fn new(command: ClientCommand) -> Self {
        Self {
            command,
            browser: None,
        }
    }

    pub fn with_browser(mut self, browser: impl Into<String>) -> Self {
        self.browser = Some(browser.into());
        self
    }
}

/// How the scenarios are run and judged.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Judge every scenario against this version (scenarios that do not apply to it are skipped);
    /// `None`: each scenario against [`default_version`].
    pub spec_version: Option<SpecVersion>,
    /// Time a client gets per scenario, unless the scenario sets its own.
    pub timeout: Duration,
    /// The expected failures (the `client:` list of an expected-failures file).
    pub expected_failures: Baseline,
    /// The mock's signing keys, shared by every deployment of the run (generating an RSA key per
    /// scenario would dominate the harness's own time).
    pub keys: Arc<Keys>,
}

impl Default for RunOptions {
    fn default() -> Self {
        Self {
            spec_version: None,
            timeout: DEFAULT_TIMEOUT,
            expected_failures: Baseline::default(),
            keys: Arc::new(Keys::new()),
        }
    }
}

/// Whose fault a verdict `error` is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCause {
    /// The client: it did not finish in time, or could not be started.
    Target,
    /// mcp-authlab itself: the deployment could not start, a check panicked, ...
    Harness,
}

/// A scenario's result and, for a verdict `error`, whose fault it is.
#[derive(Debug, Clone)]
pub struct ScenarioRun {
    pub result: ScenarioResult,
    pub error_cause: Option<ErrorCause>,
}

/// Runs one scenario against the client; see the module docs.
pub async fn run_scenario(
    target: &ClientTarget,
    scenario: &Scenario,
    options: &RunOptions,
) -> ScenarioResult {
    run_scenario_detailed(target, scenario, options)
        .await
        .result
}

/// [`run_scenario`], telling a harness failure from the client's.
pub async fn run_scenario_detailed(
    target: &ClientTarget,
    scenario: &Scenario,
    options: &RunOptions,
) -> ScenarioRun {
    let started = Instant::now();
    let mut run = match judged_version(scenario, options.spec_version) {
        Ok(version) => execute(target, scenario, version, options).await,
        Err(run) => *run,
    };
    run.result.duration_ms = started.elapsed().as_millis() as u64;
    options.expected_failures.apply(&mut run.result);
    run
}

/// The version to judge against, or the finished run when there is none.
/// The version a scenario is judged against when none is asked for: [`DEFAULT_SPEC_VERSION`] when
/// the scenario applies to it, else the newest version it applies to (a scenario only a later
/// revision requires), else the oldest (a back-compat scenario).
pub fn default_version(scenario: &Scenario) -> Option<SpecVersion> {
    if scenario.applies_to(DEFAULT_SPEC_VERSION) {
        return Some(DEFAULT_SPEC_VERSION);
    }
    let newer = scenario
        .versions
        .iter()
        .filter(|v| **v > DEFAULT_SPEC_VERSION)
        .min()
        .copied();
    newer.or_else(|| scenario.versions.iter().max().copied())
}

/// The version scenarios are judged against by default: the latest stable revision every check of
/// the catalogue is written for. (2026-07-28 scenarios are judged against 2026-07-28.)
pub const DEFAULT_SPEC_VERSION: SpecVersion = SpecVersion::V2025_11_25;

fn judged_version(
    scenario: &Scenario,
    requested: Option<SpecVersion>,
) -> Result<SpecVersion, Box<ScenarioRun>> {
    match requested {
        Some(version) if scenario.applies_to(version) => Ok(version),
        Some(version) => {
            let applies: Vec<&str> = scenario.versions.iter().map(|v| v.as_str()).collect();
            let mut result = empty_result(scenario, version, Verdict::Skip);
            result.error = Some(format!(
                "not part of MCP {version}; the scenario applies to {}",
                applies.join(", ")
            ));
            Err(Box::new(ScenarioRun {
                result,
                error_cause: None,
            }))
        }
        None => default_version(scenario).ok_or_else(|| {
            Box::new(harness_error(
                empty_result(scenario, SpecVersion::V2025_11_25, Verdict::Error),
                "the scenario lists no spec version",
            ))
        }),
    }
}

fn empty_result(scenario: &Scenario, version: SpecVersion, verdict: Verdict) -> ScenarioResult {
    ScenarioResult {
        id: scenario.id.to_string(),
        description: scenario.description.to_string(),
        spec_version: version,
        verdict,
        duration_ms: 0,
        checks: Vec::new(),
        error: None,
        expected_failure: false,
        output: Vec::new(),
        trace: Vec::new(),
    }
}

fn harness_error(mut result: ScenarioResult, message: impl Into<String>) -> ScenarioRun {
    result.verdict = Verdict::Error;
    result.error = Some(message.into());
    ScenarioRun {
        result,
        error_cause: Some(ErrorCause::Harness),
    }
}

/// Applied to every client-suite deployment before the scenario's own tweak: the official
/// clients use a client ID metadata document URL that nobody serves
/// (`https://conformance-test.local/client-metadata.json`), which the mock must accept unfetched.
fn base_tweak(behaviour: &mut Behaviour) {
    behaviour.cimd_accept_unfetchable = true;
}

async fn execute(
    target: &ClientTarget,
    scenario: &Scenario,
    version: SpecVersion,
    options: &RunOptions,
) -> ScenarioRun {
    let default_timeout = options.timeout;
    let result = empty_result(scenario, version, Verdict::Error);
    let setup = match scenario.setup() {
        Ok(setup) => setup,
        Err(e) => return harness_error(result, e.to_string()),
    };
    let mut tweaks: Vec<fn(&mut Behaviour)> = vec![base_tweak];
    tweaks.extend(scenario.tweak);
    let deployment = match Deployment::start(Options {
        variants: scenario.variants.iter().map(|v| v.to_string()).collect(),
        config: setup.config,
        tls: scenario.tls,
        tweaks,
        keys: Some(Arc::clone(&options.keys)),
        ..Options::default()
    })
    .await
    {
        Ok(deployment) => deployment,
        Err(e) => {
            return harness_error(result, format!("the mock deployment could not start: {e}"))
        }
    };
    let ready = deployment.ready().clone();
    let timeout = scenario.timeout.unwrap_or(default_timeout);
    let client = match client_env(scenario.id, version, setup.context.as_ref(), &ready, target) {
        Ok(env) => {
            let argv = target.command.argv_with_url(&ready.mcp_url);
            tokio::task::spawn_blocking(move || spawn::run_client(&argv, &env, timeout))
                .await
                .map_err(|e| format!("the task watching the client failed: {e}"))
        }
        Err(e) => Err(e),
    };
    let events = settled_events(&deployment).await;
    let urls = deployment.state().urls.clone();
    deployment.shutdown().await;

    let client = match client {
        Ok(Ok(client)) => client,
        Ok(Err(SpawnError::Start(message))) => {
            let mut result = result;
            result.error = Some(message);
            return ScenarioRun {
                result,
                error_cause: Some(ErrorCause::Target),
            };
        }
        Ok(Err(e @ SpawnError::Wait(_))) => return harness_error(result, e.to_string()),
        Err(message) => return harness_error(result, message),
    };

    let observation = Observation {
        spec_version: version,
        ready,
        urls,
        events,
        exit: client.exit.clone(),
        context: setup.context,
    };
    judge(scenario, &observation, client.lines, timeout, result)
}

/// The trace once it has stopped growing for [`SETTLE_QUIET`], at most [`SETTLE`] from now.
async fn settled_events(deployment: &Deployment) -> Vec<TraceEvent> {
    let deadline = tokio::time::Instant::now() + SETTLE;
    let mut events = deployment.state().trace.events();
    while tokio::time::Instant::now() < deadline {
        tokio::time::sleep(SETTLE_QUIET).await;
        let now = deployment.state().trace.events();
        if now.len() == events.len() {
            return now;
        }
        events = now;
    }
    events
}

/// The environment the client gets on top of the inherited one.
fn client_env(
    scenario_id: &str,
    version: SpecVersion,
    context: Option<&serde_json::Value>,
    ready: &ReadyInfo,
    target: &ClientTarget,
) -> Result<Vec<(String, String)>, String> {
    let mut env = vec![
        (
            "MCP_CONFORMANCE_SCENARIO".to_string(),
            scenario_id.to_string(),
        ),
        (
            "MCP_CONFORMANCE_PROTOCOL_VERSION".to_string(),
            version.to_string(),
        ),
    ];
    if let Some(context) = context {
        env.push((
            "MCP_CONFORMANCE_CONTEXT".to_string(),
            context_json(scenario_id, context)?,
        ));
    }
    if let Some(ca) = &ready.ca_cert {
        for name in [
            "SSL_CERT_FILE",
            "NODE_EXTRA_CA_CERTS",
            "REQUESTS_CA_BUNDLE",
            "CURL_CA_BUNDLE",
        ] {
            env.push((name.to_string(), ca.clone()));
        }
    }
    if let Some(browser) = &target.browser {
        env.push(("BROWSER".to_string(), browser.clone()));
    }
    // A proxy from the environment must not see (or break) the loopback traffic.
    for name in ["NO_PROXY", "no_proxy"] {
        let mut hosts = std::env::var(name).unwrap_or_default();
        if !hosts.is_empty() {
            hosts.push(',');
        }
        hosts.push_str("127.0.0.1,localhost,::1");
        env.push((name.to_string(), hosts));
    }
    Ok(env)
}

/// `{"name": <scenario>, ...context}` with `name` first, as the official runner writes it.
fn context_json(scenario_id: &str, context: &serde_json::Value) -> Result<String, String> {
    let Some(fields) = context.as_object() else {
        return Err(format!(
            "the scenario's context is not a JSON object: {context}"
        ));
    };
    let mut fields = fields.clone();
    fields.remove("name");
    let name = serde_json::Value::String(scenario_id.to_string());
    let rest = serde_json::Value::Object(fields).to_string();
    Ok(match rest.as_str() {
        "{}" => format!("{{\"name\":{name}}}"),
        _ => format!("{{\"name\":{name},{}", &rest[1..]),
    })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_string())
}

/// Runs the checks and sets the verdict, the output and the trace.
fn judge(
    scenario: &Scenario,
    observation: &Observation,
    lines: Vec<String>,
    timeout: Duration,
    mut result: ScenarioResult,
) -> ScenarioRun {
    let mut secrets = Secrets::default();
    secrets.add_requests(&observation.events);
    if let Some(context) = &observation.context {
        secrets.add_context(context);
    }
    result.output = output::tail(&lines, &secrets);
    result.trace = observation
        .events
        .iter()
        .map(|event| exchange(observation, event))
        .collect();

    let mut panicked = None;
    for check in &scenario.checks {
        match catch_unwind(AssertUnwindSafe(|| {
            check.evaluate(observation, observation.spec_version)
        })) {
            Ok(check_result) => result.checks.push(check_result),
            Err(payload) => {
                panicked.get_or_insert_with(|| {
                    format!(
                        "the check `{}` panicked: {}",
                        check.id,
                        panic_message(payload.as_ref())
                    )
                });
            }
        }
    }
    if let Some(message) = panicked {
        return harness_error(result, message);
    }

    result.verdict = Verdict::from_outcomes(result.checks.iter().map(|c| c.outcome));
    let mut error_cause = None;
    if let ClientExit::TimedOut(_) = observation.exit {
        let note = format!(
            "the client did not finish within {}s and was killed",
            timeout.as_secs_f64()
        );
        result.output.push(format!("[mcp-authlab] {note}"));
        if !has_failure(&result.checks) {
            result.verdict = Verdict::Error;
            result.error = Some(format!(
                "the client did not finish within {}s",
                timeout.as_secs_f64()
            ));
            error_cause = Some(ErrorCause::Target);
        } else {
            result.verdict = Verdict::Fail;
        }
    }
    ScenarioRun {
        result,
        error_cause,
    }
}

fn has_failure(checks: &[CheckResult]) -> bool {
    checks.iter().any(|c| c.outcome == Outcome::Fail)
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::AuthorizationServer => "authorization_server",
        Role::McpServer => "mcp_server",
        Role::MetadataHost => "metadata_host",
    }
}

/// A trace event as the report shows it: only its redacted fields.
pub fn exchange(observation: &Observation, event: &TraceEvent) -> Exchange {
    Exchange {
        seq: event.seq,
        from: "client".to_string(),
        to: role_name(event.role).to_string(),
        method: event.method.clone(),
        url: format!("{}{}", observation.origin(event.role), event.path),
        status: event.status,
        duration_ms: event.duration_ms,
        request_headers: event.request_headers.clone(),
        request_body: event.request_body.clone(),
        response_headers: event.response_headers.clone(),
        response_body: event.response_body.clone(),
    }
}

#[cfg(test)]
pub(crate) mod tests;
