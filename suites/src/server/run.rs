//! Running the server suite: reach (or start) the server under test once, then run each scenario's
//! steps against it and judge what came back.
//!
//! Nothing here returns a failed check as an error: a scenario always ends in a
//! [`ScenarioResult`]; only a server that cannot be started or reached at all is a [`StartError`].

use std::net::{SocketAddr, TcpListener};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mcp_authlab_harness::process::ProcessGroup;
use mcp_authlab_mock_idp::config::ClientConfig;
use mcp_authlab_mock_idp::keys::Keys;
use mcp_authlab_mock_idp::trace::{Role, TraceEvent};
use mcp_authlab_mock_idp::{Config, Deployment, Options};
use mcp_authlab_reports::{CheckResult, Exchange, Outcome, ScenarioResult, SpecVersion, Verdict};

use super::observation::{label, ServerObservation, TokenSourceKind};
use super::probe::{run_steps, Prober, StepContext};
use super::redact::Redactor;
use super::scenario::{ServerScenario, Step};
use super::scenarios::TOKEN_REQUIRED_ID;
use super::tokens::TokenSource;
use crate::client::command::ClientCommand;
use crate::expected_failures::Baseline;

/// The spec version scenarios are judged against unless one is asked for.
pub const DEFAULT_SPEC_VERSION: SpecVersion = SpecVersion::V2026_07_28;
/// The longest one probe may take.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a spawned server may take to answer its first request.
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long the passthrough check waits for the server's upstream calls to reach the mock IdP.
const PASSTHROUGH_WAIT: Duration = Duration::from_millis(300);
/// The `client_id` of the confidential client a spawned server uses for introspection.
pub const RESOURCE_SERVER_CLIENT_ID: &str = "mcp-authlab-resource-server";
/// How many output lines of a spawned server the report keeps.
const OUTPUT_LINES: usize = 40;

/// The server under test and where its tokens come from.
#[derive(Debug, Clone)]
pub enum ServerTarget {
    /// Black box: a server already running at `url`; `token` is a valid token obtained elsewhere.
    Url { url: String, token: Option<String> },
    /// The harness starts the mock IdP (at `idp_bind`, else on a free loopback port), then this
    /// command with the mock's coordinates in its environment (see [`server_env`]). `url` is the
    /// MCP endpoint, where `{port}` stands for the `PORT` given to the server; default
    /// `http://127.0.0.1:{port}/mcp`.
    Command {
        command: ClientCommand,
        url: Option<String>,
        idp_bind: Option<SocketAddr>,
        startup_timeout: Duration,
    },
    /// A server started by hand at `url` that trusts the mock IdP the harness starts at `idp_bind`.
    TrustingIdp { url: String, idp_bind: SocketAddr },
    /// mcp-authlab's own protected MCP server (the mock deployment) with these variants: the
    /// reference a correct server is compared with, and the broken servers of the variants.
    Mock { variants: Vec<String> },
}

impl ServerTarget {
    /// How the report names the target.
    pub fn describe(&self) -> String {
        match self {
            ServerTarget::Url { url, .. } | ServerTarget::TrustingIdp { url, .. } => url.clone(),
            ServerTarget::Command { command, .. } => command.to_string(),
            ServerTarget::Mock { variants } if variants.is_empty() => "mcp-authlab mock".into(),
            ServerTarget::Mock { variants } => {
                format!("mcp-authlab mock ({})", variants.join(", "))
            }
        }
    }
}

/// How scenarios are run and judged.
#[derive(Debug, Clone)]
pub struct ServerRunOptions {
    /// Judge every scenario against this version; `None`: [`DEFAULT_SPEC_VERSION`].
    pub spec_version: Option<SpecVersion>,
    pub probe_timeout: Duration,
    /// The `server:` list of an expected-failures file.
    pub expected_failures: Baseline,
    /// Keys of the mock IdP (shared when several sessions start in one process).
    pub keys: Arc<Keys>,
}

impl Default for ServerRunOptions {
    fn default() -> Self {
        Self {
            spec_version: None,
            probe_timeout: DEFAULT_PROBE_TIMEOUT,
            expected_failures: Baseline::default(),
            keys: Arc::new(Keys::new()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("the mock IdP could not start: {0}")]
    Idp(String),
    #[error("no free port for the server: {0}")]
    Port(std::io::Error),
    #[error("the server URL `{url}` is not an absolute http(s) URL: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("the server command could not be started: {0}")]
    Spawn(String),
    #[error("the server exited before answering ({status}); its last output:\n{output}")]
    Exited { status: String, output: String },
    #[error("the server did not answer at {url} within {timeout:?}; its last output:\n{output}")]
    NotReady {
        url: String,
        timeout: Duration,
        output: String,
    },
    #[error("{0}")]
    Prober(#[from] super::probe::ProberError),
}

/// The server under test, reachable, for the whole run.
pub struct ServerSession {
    url: String,
    tokens: TokenSource,
    prober: Prober,
    deployment: Option<Deployment>,
    process: Option<Mutex<SpawnedServer>>,
}

struct SpawnedServer {
    group: ProcessGroup,
    stderr: std::fs::File,
    lines: Vec<String>,
}

impl SpawnedServer {
    /// Moves what the server printed so far into `lines` (the last [`OUTPUT_LINES`]), waiting up
    /// to `drain` for lines still in the pipe (once the server has exited, until its stdout closes).
    fn collect_output(&mut self, drain: Duration) {
        let deadline = Instant::now() + drain;
        while let Ok(line) = self
            .group
            .next_line(deadline.saturating_duration_since(Instant::now()))
        {
            self.lines.push(line);
        }
        use std::io::{Read, Seek};
        let mut text = String::new();
        if self.stderr.rewind().is_ok() && self.stderr.read_to_string(&mut text).is_ok() {
            // Stderr is re-read whole each time: keep stdout lines, then stderr's last ones.
            let stdout_lines: Vec<String> = self
                .lines
                .iter()
                .filter(|l| !l.starts_with("[stderr] "))
                .cloned()
                .collect();
            self.lines = stdout_lines;
            self.lines
                .extend(text.lines().map(|l| format!("[stderr] {l}")));
        }
        let excess = self.lines.len().saturating_sub(OUTPUT_LINES);
        self.lines.drain(..excess);
    }
}

impl ServerSession {
    /// Reaches or starts the target (see [`ServerTarget`]).
    pub async fn start(
        target: &ServerTarget,
        options: &ServerRunOptions,
    ) -> Result<Self, StartError> {
        let prober = Prober::new(options.probe_timeout, None)?;
        match target {
            ServerTarget::Url { url, token } => {
                check_url(url)?;
                Ok(Self {
                    url: url.clone(),
                    tokens: token.clone().map_or(TokenSource::None, TokenSource::Given),
                    prober,
                    deployment: None,
                    process: None,
                })
            }
            ServerTarget::Mock { variants } => {
                let deployment = Deployment::start(Options {
                    variants: variants.clone(),
                    keys: Some(Arc::clone(&options.keys)),
                    ..Options::default()
                })
                .await
                .map_err(|e| StartError::Idp(e.to_string()))?;
                let url = deployment.ready().mcp_url.clone();
                let audience = deployment.state().urls.resource();
                Ok(Self {
                    url,
                    tokens: TokenSource::MockIdp {
                        state: deployment.state().clone(),
                        audience,
                    },
                    prober,
                    deployment: Some(deployment),
                    process: None,
                })
            }
            ServerTarget::TrustingIdp { url, idp_bind } => {
                check_url(url)?;
                let (deployment, _) =
                    start_idp(Some(*idp_bind), options, secret_from_environment()).await?;
                Ok(Self {
                    url: url.clone(),
                    tokens: TokenSource::MockIdp {
                        state: deployment.state().clone(),
                        audience: url.clone(),
                    },
                    prober,
                    deployment: Some(deployment),
                    process: None,
                })
            }
            ServerTarget::Command {
                command,
                url,
                idp_bind,
                startup_timeout,
            } => {
                let (deployment, secret) =
                    start_idp(*idp_bind, options, secret_from_environment()).await?;
                let port = free_port().map_err(StartError::Port)?;
                let url = url
                    .as_deref()
                    .unwrap_or("http://127.0.0.1:{port}/mcp")
                    .replace("{port}", &port.to_string());
                check_url(&url)?;
                let env = server_env(&deployment, &secret, &url, port);
                let mut server = spawn(command, &env)?;
                wait_ready(&prober, &url, &mut server, *startup_timeout).await?;
                Ok(Self {
                    tokens: TokenSource::MockIdp {
                        state: deployment.state().clone(),
                        audience: url.clone(),
                    },
                    url,
                    prober,
                    deployment: Some(deployment),
                    process: Some(Mutex::new(server)),
                })
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn token_source(&self) -> TokenSourceKind {
        self.tokens.kind()
    }

    /// The mock IdP's issuer, when the harness runs one.
    pub fn issuer(&self) -> Option<String> {
        self.deployment.as_ref().map(|d| d.ready().issuer.clone())
    }

    /// Runs one scenario: its steps, then its checks (a panicking check makes the verdict
    /// `error`). Scenarios that do not apply to the version are skipped.
    pub async fn run_scenario(
        &self,
        scenario: &ServerScenario,
        options: &ServerRunOptions,
    ) -> ScenarioResult {
        let started = Instant::now();
        let version = options.spec_version.unwrap_or(DEFAULT_SPEC_VERSION);
        let mut result =
            ScenarioResult::empty(scenario.id, scenario.description, version, Verdict::Skip);
        if !scenario.versions.contains(&version) {
            result.error = Some(format!("not part of MCP {version}"));
            return result;
        }
        if scenario.needs_token() && self.tokens.kind() == TokenSourceKind::None {
            result.error = Some(
                "needs a token: give --token, or let the server trust the mock IdP (--command, \
                 --idp-bind)"
                    .into(),
            );
            return result;
        }
        let mut obs = ServerObservation::new(version, self.url.clone(), self.tokens.kind());
        let idp_start = self.idp_seq();
        let ctx = StepContext {
            prober: &self.prober,
            tokens: &self.tokens,
        };
        run_steps(&scenario.steps, &ctx, &mut obs).await;
        if scenario.steps.contains(&Step::CollectIdpTrace) {
            tokio::time::sleep(PASSTHROUGH_WAIT).await;
        }
        // Only what this scenario's tokens caused: scenarios run in parallel against one IdP.
        let redactor = Redactor::new(&obs.presented_tokens);
        obs.idp_events = self
            .idp_events_since(idp_start)
            .into_iter()
            .filter(|event| carries(event, &redactor))
            .collect();

        let mut panicked = None;
        for check in &scenario.checks {
            obs.take_consulted();
            match catch_unwind(AssertUnwindSafe(|| check.evaluate(&obs, version))) {
                Ok(mut check_result) => {
                    // The probes the check looked at: the failing step of the flow.
                    check_result.evidence = evidence(&obs, obs.take_consulted());
                    check_result.message = redactor.redact(&check_result.message);
                    result.checks.push(check_result);
                }
                Err(_) => {
                    panicked.get_or_insert_with(|| format!("the check `{}` panicked", check.id));
                }
            }
        }
        result.trace = trace_of(&obs)
            .into_iter()
            .map(|exchange| redactor.exchange(exchange))
            .collect();
        if let Some(error) = result.error.take() {
            result.error = Some(redactor.redact(&error));
        }
        result.verdict = Verdict::from_outcomes(result.checks.iter().map(|c| c.outcome));
        if let Some(why) = not_judged(scenario, &result.checks) {
            result.verdict = Verdict::Skip;
            result.error = Some(why);
        }
        if let Some(message) = panicked {
            result.verdict = Verdict::Error;
            result.error = Some(message);
        }
        result.duration_ms = started.elapsed().as_millis() as u64;
        options.expected_failures.apply(&mut result);
        result
    }

    fn idp_seq(&self) -> u64 {
        self.deployment
            .as_ref()
            .and_then(|d| d.state().trace.events().last().map(|e| e.seq))
            .unwrap_or(0)
    }

    fn idp_events_since(&self, seq: u64) -> Vec<TraceEvent> {
        self.deployment
            .as_ref()
            .map(|d| {
                d.state()
                    .trace
                    .events()
                    .into_iter()
                    // Requests to the mock's own MCP server are the harness's probes when the
                    // target is the mock; the server under test's upstream calls go elsewhere.
                    .filter(|e| e.seq > seq && e.role != Role::McpServer)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// What the spawned server printed (the last lines), secrets of the run not included.
    pub fn output(&self) -> Vec<String> {
        match &self.process {
            Some(server) => {
                let mut server = server.lock().unwrap_or_else(|p| p.into_inner());
                server.collect_output(Duration::ZERO);
                server.lines.clone()
            }
            None => Vec::new(),
        }
    }

    /// Stops the spawned server (its whole process group) and the mock IdP.
    pub async fn shutdown(self) -> Vec<String> {
        let mut output = Vec::new();
        if let Some(server) = self.process {
            let mut server = server.into_inner().unwrap_or_else(|p| p.into_inner());
            let _ = server.group.terminate(Duration::from_secs(2));
            server.collect_output(Duration::from_millis(500));
            output = server.lines;
        }
        if let Some(deployment) = self.deployment {
            deployment.shutdown().await;
        }
        output
    }
}

/// The report's trace of a scenario: the probes, and the requests the mock IdP received that
/// carry one of the scenario's tokens (the server introspecting them, or passing them on).
fn trace_of(obs: &ServerObservation) -> Vec<Exchange> {
    let mut trace: Vec<Exchange> = obs.probes.iter().map(|p| p.exchange()).collect();
    let offset = trace.len() as u64;
    let bearing = obs.idp_events.iter();
    for (i, event) in bearing.enumerate() {
        trace.push(Exchange {
            seq: offset + i as u64 + 1,
            from: "mcp_server".into(),
            to: match event.role {
                Role::McpServer => "mcp_server",
                Role::MetadataHost => "metadata_host",
                Role::AuthorizationServer => "authorization_server",
            }
            .into(),
            method: event.method.clone(),
            url: event.path.clone(),
            status: event.status,
            answered: event.completed,
            duration_ms: event.duration_ms,
            request_headers: event.request_headers.clone(),
            request_body: event.request_body.clone(),
            response_headers: event.response_headers.clone(),
            response_body: event.response_body.clone(),
        });
    }
    trace
}

/// Why a token scenario that passed judged nothing of its own: every check but the
/// token-required baseline was skipped (no token of the kind it needs could be made). Such a
/// scenario is `skip`, not `pass`.
fn not_judged(scenario: &ServerScenario, checks: &[CheckResult]) -> Option<String> {
    if !scenario.needs_token() {
        return None;
    }
    let own: Vec<&CheckResult> = checks
        .iter()
        .filter(|c| c.id != TOKEN_REQUIRED_ID)
        .collect();
    let passed_baseline = checks
        .iter()
        .filter(|c| c.id == TOKEN_REQUIRED_ID)
        .all(|c| c.outcome == Outcome::Pass);
    if own.is_empty() || !passed_baseline || own.iter().any(|c| c.outcome != Outcome::Skip) {
        return None;
    }
    Some(format!("not judged: {}", own[0].message))
}

/// The probes a check consulted, without the positive control when the check also looked at
/// another probe (checks consult it only to know whether a rejection means anything).
fn evidence(obs: &ServerObservation, consulted: Vec<u64>) -> Vec<u64> {
    let control: Vec<u64> = obs
        .probes
        .iter()
        .filter(|p| p.label == label::VALID)
        .map(|p| p.seq)
        .collect();
    let others: Vec<u64> = consulted
        .iter()
        .copied()
        .filter(|seq| !control.contains(seq))
        .collect();
    if others.is_empty() {
        consulted
    } else {
        others
    }
}

/// Whether a request the mock IdP received carries one of the scenario's tokens (in a header or
/// the body, raw or form-encoded).
fn carries(event: &TraceEvent, redactor: &Redactor) -> bool {
    event.raw.as_ref().is_some_and(|raw| {
        redactor.matches(&String::from_utf8_lossy(&raw.body))
            || raw.headers.iter().any(|(_, v)| redactor.matches(v))
    })
}

fn check_url(url: &str) -> Result<(), StartError> {
    let bad = |reason: &str| StartError::BadUrl {
        url: url.to_string(),
        reason: reason.to_string(),
    };
    let parsed = url::Url::parse(url).map_err(|e| bad(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(bad("the scheme is not http or https"));
    }
    if parsed.host().is_none() {
        return Err(bad("it has no host"));
    }
    Ok(())
}

/// Starts the mock IdP a spawned (or hand-started) server trusts, with a confidential client for
/// introspection; returns it and that client's secret.
/// The environment variable that fixes the introspection client's secret (default: random per
/// run). A server started by hand (`--idp-bind`) needs to know it before the mock IdP starts.
pub const CLIENT_SECRET_VAR: &str = "MCP_AUTHLAB_CLIENT_SECRET";

fn secret_from_environment() -> Option<String> {
    std::env::var(CLIENT_SECRET_VAR)
        .ok()
        .filter(|s| !s.is_empty())
}

async fn start_idp(
    bind: Option<SocketAddr>,
    options: &ServerRunOptions,
    secret: Option<String>,
) -> Result<(Deployment, String), StartError> {
    let secret = secret.unwrap_or_else(|| mcp_authlab_mock_idp::store::random_token(24));
    let mut config = Config::default();
    config.clients.push(ClientConfig {
        client_id: RESOURCE_SERVER_CLIENT_ID.into(),
        client_secret: Some(secret.clone()),
        redirect_uris: Vec::new(),
        grant_types: vec!["client_credentials".into()],
        token_endpoint_auth_method: Some("client_secret_basic".into()),
        jwks: None,
        scope: None,
        client_name: Some("MCP server under test (introspection)".into()),
    });
    let mut idp_options = Options {
        config,
        keys: Some(Arc::clone(&options.keys)),
        ..Options::default()
    };
    if let Some(bind) = bind {
        idp_options.authorization_server_bind = Some(bind);
    }
    let deployment = Deployment::start(idp_options)
        .await
        .map_err(|e| StartError::Idp(e.to_string()))?;
    Ok((deployment, secret))
}

/// The environment a spawned server gets: where the mock IdP is, how to introspect, which
/// resource it is, which scopes it should require, and the port to listen on.
pub fn server_env(
    deployment: &Deployment,
    secret: &str,
    url: &str,
    port: u16,
) -> Vec<(String, String)> {
    let ready = deployment.ready();
    let scopes = deployment
        .state()
        .config
        .required_scope
        .clone()
        .unwrap_or_default();
    vec![
        ("PORT".into(), port.to_string()),
        ("MCP_AUTHLAB_ISSUER".into(), ready.issuer.clone()),
        ("MCP_AUTHLAB_JWKS_URI".into(), ready.jwks_uri.clone()),
        (
            "MCP_AUTHLAB_INTROSPECTION_ENDPOINT".into(),
            ready.introspection_endpoint.clone(),
        ),
        (
            "MCP_AUTHLAB_CLIENT_ID".into(),
            RESOURCE_SERVER_CLIENT_ID.into(),
        ),
        ("MCP_AUTHLAB_CLIENT_SECRET".into(), secret.to_string()),
        ("MCP_AUTHLAB_RESOURCE".into(), url.to_string()),
        ("MCP_AUTHLAB_SCOPES".into(), scopes),
    ]
}

/// A free loopback port for the server (bound, read, released: the server binds it next).
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

fn spawn(command: &ClientCommand, env: &[(String, String)]) -> Result<SpawnedServer, StartError> {
    let argv = command.argv();
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| StartError::Spawn("empty command".into()))?;
    let stderr =
        tempfile::tempfile().map_err(|e| StartError::Spawn(format!("no file for stderr: {e}")))?;
    let writer = stderr
        .try_clone()
        .map_err(|e| StartError::Spawn(format!("no file for stderr: {e}")))?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stderr(Stdio::from(writer));
    let group = ProcessGroup::spawn(&mut cmd).map_err(|e| StartError::Spawn(e.to_string()))?;
    let mut server = SpawnedServer {
        group,
        stderr,
        lines: Vec::new(),
    };
    // Starts draining stdout, so a chatty server never blocks on a full pipe (and keeps the line
    // that may already be there).
    if let Ok(line) = server.group.next_line(Duration::ZERO) {
        server.lines.push(line);
    }
    Ok(server)
}

/// Waits until the server answers any HTTP request at `url`, or exits, or the time is up.
async fn wait_ready(
    prober: &Prober,
    url: &str,
    server: &mut SpawnedServer,
    timeout: Duration,
) -> Result<(), StartError> {
    let started = Instant::now();
    loop {
        if let Ok(Some(status)) = server.group.try_reap() {
            server.collect_output(Duration::from_millis(500));
            return Err(StartError::Exited {
                status: status.to_string(),
                output: server.lines.join("\n"),
            });
        }
        if prober.reachable(url).await {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            server.collect_output(Duration::ZERO);
            return Err(StartError::NotReady {
                url: url.to_string(),
                timeout,
                output: server.lines.join("\n"),
            });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http() {
        assert!(check_url("http://127.0.0.1:1/mcp").is_ok());
        assert!(check_url("ftp://127.0.0.1/mcp").is_err());
        assert!(check_url("/mcp").is_err());
    }

    #[test]
    fn the_positive_control_is_evidence_only_when_nothing_else_is() {
        use crate::server::observation::{ServerObservation, TokenSourceKind};
        let mut obs = ServerObservation::new(
            SpecVersion::V2025_11_25,
            "http://h/mcp",
            TokenSourceKind::None,
        );
        for (seq, name) in [(1, label::VALID), (2, "token:expired")] {
            obs.probes.push(crate::server::observation::Probed {
                seq,
                label: name.into(),
                to: "mcp_server",
                method: "POST".into(),
                url: "http://h/mcp".into(),
                request_headers: Vec::new(),
                request_body: None,
                response: Err("x".into()),
                duration_ms: 0,
            });
        }
        assert_eq!(evidence(&obs, vec![1, 2]), vec![2]);
        assert_eq!(evidence(&obs, vec![1]), vec![1]);
    }

    #[test]
    fn a_token_scenario_judged_only_on_its_baseline_is_skipped() {
        use crate::server::scenario::{Credential, TokenKind};
        use mcp_authlab_reports::Level;
        let scenario = ServerScenario {
            id: "server/x",
            description: "d",
            versions: crate::check::ALL_VERSIONS,
            steps: vec![Step::Present {
                label: label::VALID,
                credential: Credential::Bearer(TokenKind::VALID),
            }],
            checks: Vec::new(),
        };
        let check = |id: &str, outcome| CheckResult {
            id: id.into(),
            level: Level::Must,
            requirement: "R".into(),
            section: "s".into(),
            outcome,
            message: format!("{id} message"),
            expected_failure: false,
            expected: None,
            evidence: Vec::new(),
        };
        let skipped = [
            check(TOKEN_REQUIRED_ID, Outcome::Pass),
            check("flaw", Outcome::Skip),
        ];
        assert_eq!(
            not_judged(&scenario, &skipped).as_deref(),
            Some("not judged: flaw message")
        );
        let judged = [
            check(TOKEN_REQUIRED_ID, Outcome::Pass),
            check("flaw", Outcome::Pass),
        ];
        assert_eq!(not_judged(&scenario, &judged), None);
        let failed = [
            check(TOKEN_REQUIRED_ID, Outcome::Fail),
            check("flaw", Outcome::Skip),
        ];
        assert_eq!(not_judged(&scenario, &failed), None);
    }
}
