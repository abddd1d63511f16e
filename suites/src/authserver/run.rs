//! Running the authorization-server suite: check that the issuer answers at all, then run each
//! scenario's steps against it and judge what came back.
//!
//! A failed check is never an error: a scenario always ends in a [`ScenarioResult`]; only an
//! issuer that cannot be reached at all (or a bad URL) is a [`StartError`].

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

use mcp_authlab_reports::{ScenarioResult, SpecVersion, Verdict};

use super::observation::AuthServerObservation;
use super::probe::{run_steps, StepContext};
use super::scenario::{AuthServerScenario, Needs};
use crate::expected_failures::Baseline;
use crate::server::probe::{Prober, ProberError};

/// The version the scenarios that are not per-version are judged at unless one is asked for.
pub const DEFAULT_SPEC_VERSION: SpecVersion = SpecVersion::V2026_07_28;
/// The longest one request may take.
pub const DEFAULT_PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// A confidential client the user registered, for the client_credentials grant.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: String,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"[redacted]")
            .finish()
    }
}

/// The authorization server under test and what the user allows the harness to do with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthServerTarget {
    /// The issuer identifier (`--issuer`), exactly as MCP servers will name it.
    pub issuer: String,
    /// Where the user says the metadata is (`--metadata-url`).
    pub metadata_url: Option<String>,
    /// For the client_credentials grant.
    pub credentials: Option<ClientCredentials>,
    /// Register a throw-away client by DCR (`--register`).
    pub register: bool,
    /// The `resource` of the client-credentials token; `None`: the issuer's origin + `/mcp`.
    pub resource: Option<String>,
}

impl AuthServerTarget {
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            metadata_url: None,
            credentials: None,
            register: false,
            resource: None,
        }
    }

    /// Why a scenario that needs something the user did not give is skipped.
    pub fn missing(&self, needs: Needs) -> Option<&'static str> {
        match needs {
            Needs::Nothing => None,
            Needs::MetadataUrl if self.metadata_url.is_none() => {
                Some("only with --metadata-url (the document you think clients should find)")
            }
            Needs::Register if !self.register => {
                Some("only with --register (registers a throw-away client by DCR)")
            }
            Needs::ClientCredentials if self.credentials.is_none() => {
                Some("only with --client-id and --client-secret (the client_credentials grant)")
            }
            _ => None,
        }
    }
}

/// How scenarios are run and judged.
#[derive(Debug, Clone)]
pub struct AuthServerRunOptions {
    /// The version of the scenarios that are not per-version; `None`: [`DEFAULT_SPEC_VERSION`].
    pub spec_version: Option<SpecVersion>,
    pub probe_timeout: Duration,
    /// The `authserver:` entries of an expected-failures file.
    pub expected_failures: Baseline,
}

impl Default for AuthServerRunOptions {
    fn default() -> Self {
        Self {
            spec_version: None,
            probe_timeout: DEFAULT_PROBE_TIMEOUT,
            expected_failures: Baseline::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("`{url}` is not an absolute http(s) URL without query or fragment: {reason}")]
    BadUrl { url: String, reason: String },
    #[error("nothing answers at {0} (connection refused, no such host or a timeout)")]
    Unreachable(String),
    #[error("{0}")]
    Prober(#[from] ProberError),
}

/// The authorization server, found reachable, for the whole run.
pub struct AuthServerSession {
    target: AuthServerTarget,
    prober: Prober,
}

impl AuthServerSession {
    /// Checks the URLs and that the issuer answers HTTP at all (any status).
    pub async fn start(
        target: &AuthServerTarget,
        options: &AuthServerRunOptions,
    ) -> Result<Self, StartError> {
        check_url(&target.issuer)?;
        for url in target.metadata_url.iter().chain(target.resource.iter()) {
            check_url(url)?;
        }
        let prober = Prober::new(options.probe_timeout, None)?;
        if !prober.reachable(&target.issuer).await {
            return Err(StartError::Unreachable(target.issuer.clone()));
        }
        Ok(Self {
            target: target.clone(),
            prober,
        })
    }

    pub fn target(&self) -> &AuthServerTarget {
        &self.target
    }

    /// Runs one scenario: its steps, then its checks (a panicking check makes the verdict
    /// `error`). A scenario that needs what the user did not give is skipped.
    pub async fn run_scenario(
        &self,
        scenario: &AuthServerScenario,
        options: &AuthServerRunOptions,
    ) -> ScenarioResult {
        let started = Instant::now();
        let version = scenario
            .version
            .or(options.spec_version)
            .unwrap_or(DEFAULT_SPEC_VERSION);
        let mut result =
            ScenarioResult::empty(scenario.id, scenario.description, version, Verdict::Skip);
        if let Some(why) = self.target.missing(scenario.needs) {
            result.error = Some(why.to_string());
            return result;
        }
        let mut obs = AuthServerObservation::new(version, self.target.issuer.clone());
        obs.metadata_url = self.target.metadata_url.clone();
        if let Some(resource) = &self.target.resource {
            obs.resource = resource.clone();
        }
        let ctx = StepContext {
            prober: &self.prober,
            credentials: self.target.credentials.as_ref(),
            resource: self.target.resource.as_deref(),
        };
        run_steps(&scenario.steps, &ctx, &mut obs).await;
        obs.take_consulted();

        let mut panicked = None;
        for check in &scenario.checks {
            match catch_unwind(AssertUnwindSafe(|| check.evaluate(&obs, version))) {
                Ok(mut check_result) => {
                    check_result.evidence = obs.take_consulted();
                    check_result.message = obs.redact(&check_result.message);
                    result.checks.push(check_result);
                }
                Err(_) => {
                    obs.take_consulted();
                    panicked.get_or_insert_with(|| format!("the check `{}` panicked", check.id));
                }
            }
        }
        result.trace = obs.exchanges();
        result.verdict = Verdict::from_outcomes(result.checks.iter().map(|c| c.outcome));
        if result.verdict == Verdict::Skip {
            let why = result
                .checks
                .iter()
                .map(|c| c.message.as_str())
                .find(|m| !m.starts_with("not required by"))
                .unwrap_or("nothing to judge");
            result.error = Some(format!("not judged: {why}"));
        }
        if let Some(message) = panicked {
            result.verdict = Verdict::Error;
            result.error = Some(message);
        }
        result.duration_ms = started.elapsed().as_millis() as u64;
        options.expected_failures.apply(&mut result);
        result
    }
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
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(bad("it has a query or a fragment"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_absolute_http_without_query() {
        assert!(check_url("https://idp.example/tenant").is_ok());
        assert!(check_url("ftp://idp.example").is_err());
        assert!(check_url("https://idp.example/?x=1").is_err());
        assert!(check_url("idp.example").is_err());
    }

    #[test]
    fn the_secret_is_not_in_debug_output() {
        let c = ClientCredentials {
            client_id: "id".into(),
            client_secret: "sekrit".into(),
        };
        assert!(!format!("{c:?}").contains("sekrit"));
    }

    #[test]
    fn scenarios_say_what_they_need() {
        let mut target = AuthServerTarget::new("https://idp.example");
        assert!(target.missing(Needs::Register).is_some());
        target.register = true;
        assert!(target.missing(Needs::Register).is_none());
        assert!(target.missing(Needs::Nothing).is_none());
    }
}
