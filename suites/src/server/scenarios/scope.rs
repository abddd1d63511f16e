//! Server scenarios: a valid token without the advertised scopes (MCP 2025-11-25 "Runtime
//! Insufficient Scope Errors"), and the step-up after it (MCP 2026-07-28: one complete
//! challenge).

use mcp_authlab_reports::Level;

use super::tokens::with_valid_token;
use super::{ONLY_2026_07_28, TOKEN_REQUIRED};
use crate::check::{Check, SINCE_2025_11_25};
use crate::server::checks::scope as s;
use crate::server::checks::step_up;
use crate::server::observation::ServerObservation;
use crate::server::scenario::{Credential, ServerScenario, Step, TokenKind};

type C = Check<ServerObservation>;

const INSUFFICIENT_SCOPE: &str = "MCP 2025-11-25 Authorization, Runtime Insufficient Scope Errors \
                                  (403, error=\"insufficient_scope\", scope, resource_metadata); \
                                  RFC 6750 §3.1";

const SCOPE_ENFORCED: C = Check {
    id: "scope-enforced",
    // SHOULD: the scopes an operation needs are the resource's choice (OAuth 2.1 §5.2), and the
    // probe is `initialize`, which a server may let through with fewer scopes than tool calls need.
    level: Level::Should,
    requirement: "S-TOK-01",
    section: "OAuth 2.1 §5.2 (the resource server MUST ensure the token's scope covers the \
              requested resource); MCP Authorization, Token Handling",
    versions: SINCE_2025_11_25,
    run: s::scope_enforced,
};

const INSUFFICIENT_SCOPE_403: C = Check {
    id: "insufficient-scope-403",
    level: Level::Should,
    requirement: "S-TOK-4",
    section: INSUFFICIENT_SCOPE,
    versions: SINCE_2025_11_25,
    run: s::insufficient_scope_403,
};

const INSUFFICIENT_SCOPE_ERROR: C = Check {
    id: "insufficient-scope-error",
    level: Level::Should,
    requirement: "S-SCOPE-01",
    section: INSUFFICIENT_SCOPE,
    versions: SINCE_2025_11_25,
    run: s::insufficient_scope_error,
};

const INSUFFICIENT_SCOPE_NAMES_SCOPE: C = Check {
    id: "insufficient-scope-names-scope",
    level: Level::Should,
    requirement: "S-SCOPE-01",
    section: INSUFFICIENT_SCOPE,
    versions: SINCE_2025_11_25,
    run: s::insufficient_scope_names_scope,
};

const INSUFFICIENT_SCOPE_RESOURCE_METADATA: C = Check {
    id: "insufficient-scope-resource-metadata",
    level: Level::Should,
    requirement: "S-TOK-4",
    section: INSUFFICIENT_SCOPE,
    versions: SINCE_2025_11_25,
    run: s::insufficient_scope_resource_metadata,
};

const SCOPE_CHALLENGE_COMPLETE: C = Check {
    id: "scope-challenge-complete",
    level: Level::Should,
    requirement: "S-SCOPE-04",
    section: "MCP 2026-07-28 Authorization, Scope Challenge Handling › Server Scope Management \
              (servers SHOULD include all scopes required for the current operation in a single \
              challenge); Step-Up Authorization Flow (the client requests the union)",
    versions: ONLY_2026_07_28,
    run: step_up::scope_challenge_complete,
};

pub fn scenarios() -> Vec<ServerScenario> {
    vec![insufficient_scope()]
}

fn insufficient_scope() -> ServerScenario {
    ServerScenario {
        id: "server/insufficient-scope",
        description: "A valid token without the advertised scopes gets 403 insufficient_scope \
                      naming the scopes needed and the metadata URL (2026-07-28: all of them, so \
                      that a token with exactly those is accepted)",
        versions: SINCE_2025_11_25,
        steps: with_valid_token(&[
            Step::Present {
                label: s::NO_SCOPES,
                credential: Credential::Bearer(TokenKind::WithoutScopes),
            },
            Step::StepUp,
        ]),
        checks: vec![
            TOKEN_REQUIRED,
            SCOPE_ENFORCED,
            INSUFFICIENT_SCOPE_403,
            INSUFFICIENT_SCOPE_ERROR,
            INSUFFICIENT_SCOPE_NAMES_SCOPE,
            INSUFFICIENT_SCOPE_RESOURCE_METADATA,
            SCOPE_CHALLENGE_COMPLETE,
        ],
    }
}
