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

use super::browser;
use super::command::ClientCommand;
use super::observation::{ClientExit, Observation};
use super::output::{self, Secrets};
use super::scenario::Scenario;
use super::spawn::{self, ClientEnv, SpawnError};
use crate::expected_failures::Baseline;

/// Default time a client gets per scenario (the official suite's default too).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// After the client has ended, the longest wait for requests still being answered to reach the
/// trace (every response the client received is in the trace already: the mock records an
/// exchange before it sends the response).
pub const SETTLE: Duration = Duration::from_millis(50);
/// The trace is taken once nothing is in flight and it has not grown for this long (or after
/// [`SETTLE`]).
const SETTLE_QUIET: Duration = Duration::from_micros(500);

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
    /// Time a client gets per scenario. A scenario with a timeout of its own (the longest a correct
    /// client needs there: 15 s to give up on metadata it cannot find, 30 s to time out a request
    /// that never ends) gets that instead, unless `timeout_given` is set and this one is longer:
    /// see [`effective_timeout`].
    pub timeout: Duration,
    /// `timeout` was chosen by the user (`--timeout`), not left at [`DEFAULT_TIMEOUT`]: when it is
    /// longer than a scenario's own timeout, it replaces that too (a client that needs 60 s to
    /// start needs them everywhere).
    pub timeout_given: bool,
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
            timeout_given: false,
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

/// The time the client gets in `scenario`: the scenario's own timeout (a floor: what a correct
/// client needs there) or, when the user gave a longer [`RunOptions::timeout`], that; the run's
/// timeout for scenarios without one.
pub fn effective_timeout(scenario: &Scenario, options: &RunOptions) -> Duration {
    match scenario.timeout {
        Some(own) if options.timeout_given => own.max(options.timeout),
        Some(own) => own,
        None => options.timeout,
    }
}

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

/// The version scenarios are judged against by default: the current revision, 2026-07-28. (A
/// scenario of older revisions only, such as the 2025-03-26 back-compat ones, is judged against the
/// newest revision it belongs to.)
pub const DEFAULT_SPEC_VERSION: SpecVersion = SpecVersion::V2026_07_28;

/// The version to judge against, or the finished run when there is none.
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
    ScenarioResult::empty(scenario.id, scenario.description, version, verdict)
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
    let result = empty_result(scenario, version, Verdict::Error);
    let browser_dir = match tempfile::tempdir() {
        Ok(dir) => dir,
        Err(e) => {
            return harness_error(
                result,
                format!("could not create a directory for the browser's delivery log: {e}"),
            )
        }
    };
    let browser_log = browser_dir.path().join("deliveries");
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
    let timeout = effective_timeout(scenario, options);
    let env = client_env(
        scenario.id,
        version,
        setup.context.as_ref(),
        &ready,
        target,
        &browser_log,
    );
    let client = match env {
        Ok(env) => {
            let argv = target.command.argv_with_url(&ready.mcp_url);
            tokio::task::spawn_blocking(move || {
                let run = spawn::run_client(&argv, &env, timeout);
                // The quiet window of [`settled_events`], slept here: a blocking thread sleeps
                // for exactly this long, the async timer would round it up to its 1 ms tick.
                std::thread::sleep(SETTLE_QUIET);
                run
            })
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
        browser_deliveries: browser::read_deliveries(&browser_log)
            .iter()
            .map(browser::Delivery::line)
            .collect(),
    };
    judge(scenario, &observation, client.lines, timeout, result)
}

/// The trace once no request is being answered (the mock counts requests in flight) and none
/// arrived during the last [`SETTLE_QUIET`], at most [`SETTLE`] from now. The first quiet window
/// has passed already when this is called (the client's watcher sleeps it once the client ended):
/// it covers a request the client sent just before it exited that the server has not picked up.
async fn settled_events(deployment: &Deployment) -> Vec<TraceEvent> {
    let trace = &deployment.state().trace;
    let deadline = tokio::time::Instant::now() + SETTLE;
    let mut seen = None;
    loop {
        let now = trace.events().len();
        let quiet = trace.in_flight() == 0 && seen.is_none_or(|before| before == now);
        if quiet || tokio::time::Instant::now() >= deadline {
            return trace.events();
        }
        seen = Some(now);
        tokio::time::sleep(SETTLE_QUIET).await;
    }
}

/// The variables that point a client at a CA bundle: the mock's CA in TLS scenarios, unset in
/// the others (a bundle from the harness's environment has nothing to do with the mock).
pub const CA_VARIABLES: &[&str] = &[
    "SSL_CERT_FILE",
    "NODE_EXTRA_CA_CERTS",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
];

/// Proxy variables removed from the client's environment: nothing of the run may go through a
/// proxy (the traffic is loopback only).
pub const PROXY_VARIABLES: &[&str] = &[
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "all_proxy",
];

/// The client's environment: the inherited one with the conformance variables set (and those of
/// the harness's environment that would mislead it removed).
fn client_env(
    scenario_id: &str,
    version: SpecVersion,
    context: Option<&serde_json::Value>,
    ready: &ReadyInfo,
    target: &ClientTarget,
    browser_log: &std::path::Path,
) -> Result<ClientEnv, String> {
    let mut env = ClientEnv::default();
    let mut set = |name: &str, value: String| env.set.push((name.to_string(), value));
    set("MCP_CONFORMANCE_SCENARIO", scenario_id.to_string());
    set("MCP_CONFORMANCE_PROTOCOL_VERSION", version.to_string());
    if let Some(context) = context {
        set(
            "MCP_CONFORMANCE_CONTEXT",
            context_json(scenario_id, context)?,
        );
    }
    if let Some(ca) = &ready.ca_cert {
        for name in CA_VARIABLES {
            set(name, ca.clone());
        }
    }
    if let Some(browser) = &target.browser {
        set("BROWSER", browser.clone());
    }
    set(browser::DELIVERY_LOG_ENV, browser_log.display().to_string());
    // A proxy from the environment must not see (or break) the loopback traffic.
    for name in ["NO_PROXY", "no_proxy"] {
        let mut hosts = std::env::var(name).unwrap_or_default();
        if !hosts.is_empty() {
            hosts.push(',');
        }
        hosts.push_str("127.0.0.1,localhost,::1");
        set(name, hosts);
    }
    if context.is_none() {
        env.remove.push("MCP_CONFORMANCE_CONTEXT".to_string());
    }
    if ready.ca_cert.is_none() {
        env.remove
            .extend(CA_VARIABLES.iter().map(|n| n.to_string()));
    }
    env.remove
        .extend(PROXY_VARIABLES.iter().map(|n| n.to_string()));
    Ok(env)
}

/// `{"name": <scenario>, ...context}` with `name` first, as the official runner writes it.
fn context_json(scenario_id: &str, context: &serde_json::Value) -> Result<String, String> {
    // The value is left out of the message: it may hold secrets.
    let Some(fields) = context.as_object() else {
        return Err("the scenario's context is not a JSON object".to_string());
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
    let secrets = Secrets::of_run(&observation.events, observation.context.as_ref());
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
    // Messages quote what the client sent: a client that sends a secret where an identifier
    // belongs must not get it into the report.
    for check in &mut result.checks {
        check.message = secrets.redact_values(&check.message);
    }
    if let Some(message) = panicked {
        let mut run = harness_error(result, message);
        run.result.error = run.result.error.map(|e| secrets.redact_values(&e));
        return run;
    }

    result.verdict = Verdict::from_outcomes(result.checks.iter().map(|c| c.outcome));
    let mut error_cause = None;
    if let ClientExit::TimedOut(_) = observation.exit {
        let note = format!(
            "the client did not finish within {}s and was killed",
            timeout.as_secs_f64()
        );
        result.output.push(format!("[mcp-authlab] {note}"));
        match timed_out_verdict(&result.checks) {
            Some(verdict) => result.verdict = verdict,
            None => {
                result.verdict = Verdict::Error;
                result.error = Some(format!(
                    "the client did not finish within {}s",
                    timeout.as_secs_f64()
                ));
                error_cause = Some(ErrorCause::Target);
            }
        }
    }
    ScenarioRun {
        result,
        error_cause,
    }
}

/// The verdict of a scenario whose client timed out, when a check judged what happened (a MUST
/// failed: `fail`; else a SHOULD or MAY warned, e.g. about the very hang: `warn`); `None` when no
/// check concluded anything against the client (the timeout itself is then the `error`).
fn timed_out_verdict(checks: &[CheckResult]) -> Option<Verdict> {
    let any = |outcome: Outcome| checks.iter().any(|c| c.outcome == outcome);
    if any(Outcome::Fail) {
        Some(Verdict::Fail)
    } else if any(Outcome::Warn) {
        Some(Verdict::Warn)
    } else {
        None
    }
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
        answered: event.completed,
        duration_ms: event.duration_ms,
        request_headers: event.request_headers.clone(),
        request_body: event.request_body.clone(),
        response_headers: event.response_headers.clone(),
        response_body: event.response_body.clone(),
    }
}

#[cfg(test)]
pub(crate) mod tests;
