//! The server scenarios, one file per topic; [`all`] is the catalogue in a stable order.

pub mod discovery;
pub mod presentation;
pub mod revisions;
pub mod scope;
pub mod session;
pub mod tokens;

use mcp_authlab_reports::{Level, SpecVersion};

use super::checks::token as t;
use super::observation::ServerObservation;
use super::scenario::ServerScenario;
use crate::check::{Check, ALL_VERSIONS};

/// Only 2025-06-18 (the 401 MUST name `resource_metadata`; clients look nowhere else).
pub const ONLY_2025_06_18: &[SpecVersion] = &[SpecVersion::V2025_06_18];
/// Only 2026-07-28 (what that revision adds for servers).
pub const ONLY_2026_07_28: &[SpecVersion] = &[SpecVersion::V2026_07_28];

/// The section of the "invalid tokens get 401" checks.
const TOKEN_HANDLING: &str = "MCP Authorization, Token Handling (invalid or expired tokens MUST \
                              receive a HTTP 401 response); OAuth 2.1 §5.3; RFC 6750 §3.1";

/// The id of [`TOKEN_REQUIRED`]: a token scenario judged on nothing else is not judged at all.
pub const TOKEN_REQUIRED_ID: &str = "token-required";

/// The baseline of every token scenario: the request without a token is refused.
const TOKEN_REQUIRED: Check<ServerObservation> = Check {
    id: TOKEN_REQUIRED_ID,
    level: Level::Must,
    requirement: "S-401-01",
    section: "MCP Authorization, Error Handling (401: authorization required)",
    versions: ALL_VERSIONS,
    run: t::token_required,
};

/// Every server scenario, in catalogue order (ids are unique: see the test below).
pub fn all() -> Vec<ServerScenario> {
    let mut all = Vec::new();
    all.extend(discovery::scenarios());
    all.extend(tokens::scenarios());
    all.extend(presentation::scenarios());
    all.extend(scope::scenarios());
    all.extend(session::scenarios());
    all.extend(revisions::scenarios());
    all
}

/// The scenario with this id.
pub fn find(id: &str) -> Option<ServerScenario> {
    all().into_iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests;
