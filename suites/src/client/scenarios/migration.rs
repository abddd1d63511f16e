//! Client scenario: the official `auth/authorization-server-migration` (MCP 2026-07-28 Client
//! Registration, "Authorization Server Binding", SEP-2352). The protected resource metadata names
//! a new authorization server once the client had a first access token accepted; the client must
//! register with the new one and present it nothing the old one issued.

use mcp_authlab_reports::Level;

use super::authorization::ONLY_2026_07_28;
use super::registration::dcr_2026_checks;
use crate::check::Check;
use crate::client::checks::migration as m;
use crate::client::checks::outcome::CLIENT_COMPLETED;
use crate::client::observation::Observation;
use crate::client::scenario::{Expectation, Scenario};

const BINDING: &str = "MCP 2026-07-28 Client Registration, Authorization Server Binding \
                       (credentials keyed by the issuer; on a change detected through the \
                       protected resource metadata, MUST NOT reuse client credentials of another \
                       authorization server and MUST re-register); RFC 9728 §5.2";

pub const REREGISTER_ON_AS_CHANGE: Check<Observation> = Check {
    id: "sep-2352-reregister-on-as-change",
    level: Level::Must,
    requirement: "C-REG-26-02",
    section: BINDING,
    versions: ONLY_2026_07_28,
    run: m::reregister_on_as_change,
};

pub const NO_REUSE_ON_AS_CHANGE: Check<Observation> = Check {
    id: "sep-2352-no-reuse-on-as-change",
    level: Level::Must,
    requirement: "C-REG-26-02",
    section: BINDING,
    versions: ONLY_2026_07_28,
    run: m::no_reuse_on_as_change,
};

pub const NO_CROSS_AS_CREDENTIAL_REUSE: Check<Observation> = Check {
    id: "sep-2352-no-cross-as-credential-reuse",
    level: Level::Must,
    requirement: "C-REG-26-02",
    section: "MCP 2026-07-28 Client Registration, Authorization Server Binding (credentials are \
              associated with the authorization server that issued them); Security \
              Considerations, Token Audience Binding",
    versions: ONLY_2026_07_28,
    run: m::no_cross_as_credential_reuse,
};

pub const MIGRATION_COMPLETED: Check<Observation> = Check {
    id: "authorization-server-migration-completed",
    level: Level::Must,
    requirement: "C-REG-26-02",
    section: BINDING,
    versions: ONLY_2026_07_28,
    run: m::migration_completed,
};

pub fn scenarios() -> Vec<Scenario> {
    let mut checks = vec![
        REREGISTER_ON_AS_CHANGE,
        NO_REUSE_ON_AS_CHANGE,
        NO_CROSS_AS_CREDENTIAL_REUSE,
        MIGRATION_COMPLETED,
        CLIENT_COMPLETED,
    ];
    checks.extend(dcr_2026_checks());
    vec![Scenario {
        id: "auth/authorization-server-migration",
        description: "The protected resource metadata names a second authorization server \
                      (issuer …/migrated-as, no client ID metadata documents) once the MCP server \
                      accepted a first access token, and the MCP server then accepts only the \
                      second one's tokens: the client registers with it again, presents it no \
                      client id, secret or token of the first, and goes on with its token",
        official: true,
        versions: ONLY_2026_07_28,
        variants: &["authorization-server-migration"],
        tweak: None,
        prepare: None,
        tls: false,
        expectation: Expectation::Complete,
        timeout: None,
        checks,
    }]
}
