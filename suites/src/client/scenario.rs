//! A client scenario: one mock deployment (variants, a behaviour tweak, config and the context the
//! client is given) and the checks it enforces.

use std::time::Duration;

use mcp_authlab_mock_idp::config::SigningAlg;
use mcp_authlab_mock_idp::{Behaviour, Config};
use mcp_authlab_reports::SpecVersion;

use super::observation::Observation;
use crate::check::Check;

/// What a correct client does in this scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expectation {
    /// Completes the flow and uses the MCP server with the token it obtained.
    Complete,
    /// Refuses to go on at some point (the checks say which).
    Refuse,
}

/// What a scenario prepares before its deployment starts.
#[derive(Debug, Clone, Default)]
pub struct Setup {
    /// The mock's configuration (pre-registered clients, scopes, lifetimes).
    pub config: Config,
    /// `MCP_CONFORMANCE_CONTEXT` for the client (without the `name` field, which the runner adds).
    pub context: Option<serde_json::Value>,
}

/// A scenario preparation failed (a key could not be generated, say): the harness's fault.
#[derive(Debug, thiserror::Error)]
#[error("preparing the scenario failed: {0}")]
pub struct SetupError(pub String);

/// The official suite's `backcompat` scenarios.
const BACKCOMPAT_SUITE: &[&str] = &[
    "auth/2025-03-26-oauth-metadata-backcompat",
    "auth/2025-03-26-oauth-endpoint-fallback",
];

/// The official suite's `draft` scenarios (2026-07-28) that mcp-authlab has.
const DRAFT_SUITE: &[&str] = &[
    "auth/resource-mismatch",
    "auth/offline-access-scope",
    "auth/offline-access-not-supported",
    "auth/iss-wrong-issuer",
    "auth/iss-supported-missing",
    "auth/iss-supported",
    "auth/iss-not-advertised",
    "auth/iss-unexpected",
    "auth/iss-normalized",
    "auth/authorization-server-migration",
    "auth/metadata-issuer-mismatch",
];

/// Prepares a scenario's [`Setup`] (config changes, the client's context).
pub type Prepare = fn(&mut Setup) -> Result<(), SetupError>;

#[derive(Debug, Clone)]
pub struct Scenario {
    /// Stable id; the official suite's name where it has the same scenario (`auth/metadata-default`),
    /// so a conformance client that dispatches on `MCP_CONFORMANCE_SCENARIO` runs unchanged.
    pub id: &'static str,
    pub description: &'static str,
    /// Whether the official suite has this scenario (same id, same context contract).
    pub official: bool,
    /// The spec versions the scenario applies to; it is skipped for the others.
    pub versions: &'static [SpecVersion],
    /// Mock variants (by name, see `mcp-authlab variants`).
    pub variants: &'static [&'static str],
    /// A change to the behaviour that no named variant covers.
    pub tweak: Option<fn(&mut Behaviour)>,
    /// Config changes and the client's context.
    pub prepare: Option<Prepare>,
    /// Serve the deployment over HTTPS with a fresh CA the client is told to trust.
    pub tls: bool,
    pub expectation: Expectation,
    /// The scenario's own timeout, when it needs longer than the run's (a client must time out first).
    pub timeout: Option<Duration>,
    pub checks: Vec<Check<Observation>>,
}

impl Scenario {
    pub fn applies_to(&self, version: SpecVersion) -> bool {
        self.versions.contains(&version)
    }

    /// The suite names this scenario belongs to: `all`; for official scenarios the official
    /// suite's own name (`auth`, `backcompat`, `extensions`, `draft`, so an SDK's CI that runs
    /// `--suite auth` runs the same scenarios here); `extended` for the ones only mcp-authlab has.
    pub fn suites(&self) -> Vec<&'static str> {
        let mut suites = vec!["all"];
        if !self.official {
            suites.push("extended");
        } else if BACKCOMPAT_SUITE.contains(&self.id) {
            suites.push("backcompat");
        } else if self.id.starts_with("auth/client-credentials-") {
            suites.push("extensions");
        } else if DRAFT_SUITE.contains(&self.id) {
            suites.push("draft");
        } else {
            suites.push("auth");
        }
        suites
    }

    /// Prepares the setup: the default config with ES256 access tokens (an RSA key takes the mock
    /// ~150 ms to generate, an EC key ~1 ms, and clients do not read access tokens), no context,
    /// then the scenario's `prepare`.
    pub fn setup(&self) -> Result<Setup, SetupError> {
        let mut setup = Setup::default();
        setup.config.signing_alg = SigningAlg::ES256;
        if let Some(prepare) = self.prepare {
            prepare(&mut setup)?;
        }
        Ok(setup)
    }
}
