//! A server scenario: the probes to send (steps) and the checks that judge what came back.

use mcp_authlab_mock_idp::forge::TokenFlaw;
use mcp_authlab_reports::SpecVersion;

use super::observation::ServerObservation;
use crate::check::Check;

/// Which token a credential probe carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A token with the right issuer, audience and scopes, or one with exactly one flaw.
    Flawed(TokenFlaw),
    /// A valid token with no scope at all (for the insufficient-scope probe).
    WithoutScopes,
}

impl TokenKind {
    pub const VALID: TokenKind = TokenKind::Flawed(TokenFlaw::None);
}

/// How a credential probe presents itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Credential {
    /// `Authorization: Bearer <token>`.
    Bearer(TokenKind),
    /// `Authorization: <scheme> <valid token>` with another spelling of the scheme or spacing:
    /// the text before the token (`"bearer "`, `"BEARER "`, `"Bearer  "`).
    Spelled(&'static str),
    /// This `Authorization` value, as is (garbage, a bare scheme, another scheme).
    Literal(&'static str),
    /// The valid token only in the query string (`?access_token=`), no header.
    Query,
}

/// One thing the harness does in a scenario. Steps run in order; later steps may use what earlier
/// ones found (the PRM step follows the challenge's `resource_metadata`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// The first MCP request, with no credentials (label `unauthenticated`).
    Unauthenticated,
    /// The protected resource metadata at the challenge's URL and both well-known URLs.
    ProtectedResourceMetadata,
    /// The metadata of every authorization server the PRM names, at every location a client tries.
    AuthorizationServerMetadata,
    /// An MCP request with a credential, under this label.
    Present {
        label: &'static str,
        credential: Credential,
    },
    /// `initialize` with a valid token, then `tools/list` with its `Mcp-Session-Id` and no token
    /// (label `session-without-token`).
    SessionWithoutToken,
    /// With a valid token: `server/discover`, a plain `tools/list` and an unsupported version in
    /// the 2026-07-28 shape, and `initialize` at each earlier revision (labels `revision:*`).
    Revisions,
    /// A token with exactly the scopes the 403 to the scope-less token named, with the same
    /// request (label `token:challenged-scopes`).
    StepUp,
    /// Gives the server a moment, then takes what the mock IdP saw (for the passthrough check).
    CollectIdpTrace,
}

/// A scenario of the server suite.
#[derive(Debug, Clone)]
pub struct ServerScenario {
    /// Stable id, `server/<name>`.
    pub id: &'static str,
    pub description: &'static str,
    /// The versions the scenario applies to.
    pub versions: &'static [SpecVersion],
    pub steps: Vec<Step>,
    pub checks: Vec<Check<ServerObservation>>,
}

impl ServerScenario {
    /// Whether any step needs a token (the scenario is skipped without a token source).
    pub fn needs_token(&self) -> bool {
        self.steps.iter().any(|s| {
            matches!(
                s,
                Step::Present {
                    credential: Credential::Bearer(_) | Credential::Spelled(_) | Credential::Query,
                    ..
                } | Step::SessionWithoutToken
                    | Step::Revisions
                    | Step::StepUp
            )
        })
    }
}
