//! An authorization-server scenario: the probes to send (steps) and the checks that judge them.

use mcp_authlab_reports::SpecVersion;

use super::observation::AuthServerObservation;
use crate::check::Check;

/// One thing the harness does. Steps run in order; later steps use what earlier ones found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The metadata at every location a 2025-06-18 or later client derives from the issuer.
    Discovery,
    /// The metadata at the issuer's origin, and the default endpoints when it is absent (404),
    /// as a 2025-03-26 client looks for them.
    LegacyDiscovery,
    /// The document `--metadata-url` names.
    NamedMetadata,
    /// The metadata's `jwks_uri`.
    Jwks,
    /// A CORS preflight (`OPTIONS`) of the registration endpoint.
    RegistrationPreflight,
    /// A dynamic client registration (RFC 7591) the way MCP clients make one.
    Register,
    /// An authorization request (PKCE S256, `state`) for the client [`Step::Register`] registered,
    /// redirects not followed; when it does not come back to the redirect URI without a login, an
    /// authorization request with an unsupported `response_type` (an error response).
    Authorize,
    /// The client_credentials grant with the credentials given and a `resource`.
    ClientCredentials,
}

/// What a scenario needs from the user; without it, it is skipped with the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    /// `--metadata-url`.
    MetadataUrl,
    /// `--register`.
    Register,
    /// `--client-id` and `--client-secret`.
    ClientCredentials,
}

/// A scenario of the authorization-server suite.
#[derive(Debug, Clone)]
pub struct AuthServerScenario {
    /// Stable id, `authserver/<name>`.
    pub id: &'static str,
    pub description: &'static str,
    /// The version the scenario is judged at (the discovery scenarios, one per version); `None`:
    /// the run's version.
    pub version: Option<SpecVersion>,
    pub needs: Needs,
    pub steps: Vec<Step>,
    pub checks: Vec<Check<AuthServerObservation>>,
}
