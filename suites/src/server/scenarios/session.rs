//! Server scenarios: a session id is no credential (MCP Security Best Practices "Session
//! Hijacking"), and the client's token never leaves the server ("Token Passthrough").

use mcp_authlab_reports::{Level, SpecVersion};

use super::tokens::with_valid_token;
use super::TOKEN_REQUIRED;
use crate::check::{Check, SINCE_2025_06_18};
use crate::server::checks::session as s;
use crate::server::observation::ServerObservation;
use crate::server::scenario::{ServerScenario, Step};

type C = Check<ServerObservation>;

/// The versions with sessions (`Mcp-Session-Id`): 2026-07-28 removed them.
const WITH_SESSIONS: &[SpecVersion] = &[SpecVersion::V2025_06_18, SpecVersion::V2025_11_25];

const SESSION_ID_NOT_AUTHENTICATION: C = Check {
    id: "session-id-not-authentication",
    level: Level::Must,
    requirement: "S-SESS-01",
    section: "MCP Security Best Practices, Session Hijacking (MCP servers that implement \
              authorization MUST verify all inbound requests and MUST NOT use sessions for \
              authentication)",
    versions: WITH_SESSIONS,
    run: s::session_id_not_authentication,
};

const NO_TOKEN_PASSTHROUGH: C = Check {
    id: "no-token-passthrough",
    level: Level::Must,
    requirement: "S-TOK-2",
    section: "MCP Authorization, Token Handling (MCP servers MUST NOT accept or transit any other \
              tokens); Security Best Practices, Token Passthrough",
    versions: SINCE_2025_06_18,
    run: s::no_token_passthrough,
};

pub fn scenarios() -> Vec<ServerScenario> {
    vec![
        ServerScenario {
            id: "server/session-without-token",
            description: "After an initialize with a valid token, its Mcp-Session-Id alone (no \
                          token) is refused with 401",
            versions: WITH_SESSIONS,
            steps: vec![
                Step::Unauthenticated,
                Step::ProtectedResourceMetadata,
                Step::SessionWithoutToken,
            ],
            checks: vec![TOKEN_REQUIRED, SESSION_ID_NOT_AUTHENTICATION],
        },
        ServerScenario {
            id: "server/no-token-passthrough",
            description: "The server never sends the client's token to another service as its own \
                          credential (seen by the mock IdP the server trusts)",
            versions: SINCE_2025_06_18,
            steps: with_valid_token(&[Step::CollectIdpTrace]),
            checks: vec![TOKEN_REQUIRED, NO_TOKEN_PASSTHROUGH],
        },
    ]
}
