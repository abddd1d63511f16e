//! Protected MCP servers that break one rule MCP 2026-07-28 adds for servers, for proving the
//! server suite's 2026-07-28 checks: no `server/discover` and no stateless requests (only the
//! `initialize`-based revisions), one scope per `insufficient_scope` challenge, `offline_access`
//! advertised by the resource, and an issuer named with a trailing slash the authorization
//! server's metadata does not have. Each is correct under the earlier revisions' checks except the
//! last, which RFC 8414 §3.3 already forbids.

use super::{Variant, VariantKind::*, VariantTarget::*};

pub(super) const ALL: &[&Variant] = &[
    &REQUIRES_INITIALIZE,
    &INCOMPLETE_SCOPE_CHALLENGE,
    &PRM_OFFLINE_ACCESS,
    &PRM_ISSUER_TRAILING_SLASH,
    &ACCEPTS_ANY_VERSION,
    &MINTS_SESSIONS,
];

const ACCEPTS_ANY_VERSION: Variant = Variant {
    name: "server-2026-accepts-any-version",
    kind: Broken,
    description: "a 2026-07-28 request naming a protocol version the server does not speak is served anyway, instead of 400 UnsupportedProtocolVersion (-32022) listing the supported versions",
    requirement: "S-VER-3",
    reference: "MCP 2026-07-28 Basic › Versioning (unsupported version: -32022 with data.supported)",
    group: "server unsupported version",
    target: McpServer,
    apply: |b| b.modern_accepts_any_version = true,
};

const MINTS_SESSIONS: Variant = Variant {
    name: "server-2026-mints-sessions",
    kind: Broken,
    description: "answers to 2026-07-28 requests carry a fresh Mcp-Session-Id, although the revision has no sessions",
    requirement: "S-VER-2",
    reference: "MCP 2026-07-28 Transports › Streamable HTTP (no sessions; every request stands on its own)",
    group: "server modern sessions",
    target: McpServer,
    apply: |b| b.modern_mints_sessions = true,
};

const REQUIRES_INITIALIZE: Variant = Variant {
    name: "server-2026-requires-initialize",
    kind: Broken,
    description: "the MCP server speaks only the initialize-based revisions: a 2026-07-28 request (server/discover, per-request _meta, no session) gets 400 for its MCP-Protocol-Version",
    requirement: "S-VER-1",
    reference: "MCP 2026-07-28 Basic › Versioning (servers MUST implement server/discover); Transports › Streamable HTTP › Protocol Version Header",
    group: "server protocol revisions",
    target: McpServer,
    apply: |b| b.serve_modern_requests = false,
};

const INCOMPLETE_SCOPE_CHALLENGE: Variant = Variant {
    name: "server-incomplete-scope-challenge",
    kind: Broken,
    description: "every MCP request needs the required scope and the step-up scope; a 403 insufficient_scope names only the first one the token lacks, so a client steps up once per scope",
    requirement: "S-SCOPE-04",
    reference: "MCP 2026-07-28 Authorization, Scope Challenge Handling › Server Scope Management (all scopes required for the current operation in a single challenge)",
    group: "server scope challenge completeness",
    target: McpServer,
    apply: |b| b.drip_scope_challenges = true,
};

const PRM_OFFLINE_ACCESS: Variant = Variant {
    name: "prm-advertises-offline-access",
    kind: Broken,
    description: "the protected resource metadata lists offline_access in scopes_supported",
    requirement: "S-PRM-07",
    reference: "MCP 2026-07-28 Authorization, Refresh Tokens (MCP servers SHOULD NOT include offline_access in WWW-Authenticate scope or scopes_supported)",
    group: "prm scopes",
    target: McpServer,
    apply: |b| b.prm_advertises_offline_access = true,
};

const PRM_ISSUER_TRAILING_SLASH: Variant = Variant {
    name: "prm-issuer-trailing-slash",
    kind: Broken,
    description: "the protected resource metadata names the authorization server as `<issuer>/`, while its metadata's issuer has no trailing slash: identical only after normalisation",
    requirement: "AS-META-04",
    reference: "RFC 8414 §3.3; MCP 2026-07-28 Authorization Server Metadata Discovery (issuer identical to the issuer identifier, no normalisation)",
    group: "prm authorization server name",
    target: McpServer,
    apply: |b| b.prm_issuer_trailing_slash = true,
};
