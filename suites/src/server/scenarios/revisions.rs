//! Server scenario: which protocol revisions the server speaks (a note at every version), and what
//! MCP 2026-07-28 asks of it there: `server/discover`, requests that stand on their own (no
//! `initialize`, no session), and the versions it supports named when asked for another.

use mcp_authlab_reports::Level;

use super::tokens::with_valid_token;
use super::{ONLY_2026_07_28, TOKEN_REQUIRED};
use crate::check::{Check, ALL_VERSIONS};
use crate::server::checks::revisions as r;
use crate::server::observation::ServerObservation;
use crate::server::scenario::{ServerScenario, Step};

type C = Check<ServerObservation>;

const VERSIONING: &str = "MCP 2026-07-28 Basic › Versioning and Compatibility (servers MUST \
                          implement server/discover; an unsupported version gets \
                          UnsupportedProtocolVersionError listing the supported ones)";

const STATELESS: &str = "MCP 2026-07-28 Basic › Statelessness; Transports › Streamable HTTP \
                         (no initialize, no Mcp-Session-Id; a dual-era server serves a request \
                         with per-request _meta statelessly)";

const REVISIONS_SPOKEN: C = Check {
    id: "revisions-spoken",
    level: Level::May,
    requirement: "S-VER-0",
    section: "MCP Basic › Lifecycle (initialize version negotiation, before 2026-07-28); MCP \
              2026-07-28 Basic › Versioning (server/discover)",
    versions: ALL_VERSIONS,
    run: r::revisions_spoken,
};

const DISCOVER_ANSWERED: C = Check {
    id: "discover-answered",
    level: Level::Must,
    requirement: "S-VER-1",
    section: VERSIONING,
    versions: ONLY_2026_07_28,
    run: r::discover_answered,
};

const STATELESS_REQUEST_ANSWERED: C = Check {
    id: "stateless-request-answered",
    level: Level::Must,
    requirement: "S-VER-2",
    section: STATELESS,
    versions: ONLY_2026_07_28,
    run: r::stateless_request_answered,
};

const NO_SESSION_FOR_MODERN_REQUESTS: C = Check {
    id: "no-session-for-modern-requests",
    level: Level::Should,
    requirement: "S-VER-2",
    section: STATELESS,
    versions: ONLY_2026_07_28,
    run: r::no_session_for_modern_requests,
};

const UNSUPPORTED_VERSION_REJECTED: C = Check {
    id: "unsupported-version-rejected",
    level: Level::Must,
    requirement: "S-VER-3",
    section: "MCP 2026-07-28 Transports › Streamable HTTP › Protocol Version Header (400 and \
              UnsupportedProtocolVersionError listing the supported versions); Basic › \
              Versioning",
    versions: ONLY_2026_07_28,
    run: r::unsupported_version_rejected,
};

pub fn scenarios() -> Vec<ServerScenario> {
    vec![ServerScenario {
        id: "server/protocol-revisions",
        description: "Which revisions the server speaks (initialize at each earlier one, \
                      server/discover), and, for 2026-07-28, server/discover and a plain request \
                      answered without initialize or session, and an unsupported version refused \
                      with the supported ones",
        versions: ALL_VERSIONS,
        steps: with_valid_token(&[Step::Revisions]),
        checks: vec![
            TOKEN_REQUIRED,
            REVISIONS_SPOKEN,
            DISCOVER_ANSWERED,
            STATELESS_REQUEST_ANSWERED,
            NO_SESSION_FOR_MODERN_REQUESTS,
            UNSUPPORTED_VERSION_REJECTED,
        ],
    }]
}
