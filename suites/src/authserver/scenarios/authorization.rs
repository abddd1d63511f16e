//! The scenario that looks at an authorization response: the throw-away client (`--register`)
//! asks for a code, the way an MCP client does, and the RFC 9207 `iss` of what comes back is
//! judged at MCP 2026-07-28 (the revision that asks for it). An authorization server that shows a
//! login page cannot be judged without a user.

use mcp_authlab_reports::{Level, SpecVersion};

use super::ONLY_2026_07_28;
use crate::authserver::checks::iss;
use crate::authserver::observation::AuthServerObservation;
use crate::authserver::scenario::{AuthServerScenario, Needs, Step};
use crate::check::Check;

type C = Check<AuthServerObservation>;

const VALIDATION: &str = "MCP 2026-07-28 Authorization, Authorization Response Validation; \
                          RFC 9207 §2, §2.3, §2.4";

const ISS_SENT: C = Check {
    id: "iss-in-authorization-response",
    level: Level::Should,
    requirement: "AS-ISS-1",
    section: VALIDATION,
    versions: ONLY_2026_07_28,
    run: iss::iss_in_authorization_response,
};

const ISS_IDENTICAL: C = Check {
    id: "iss-matches-issuer",
    level: Level::Must,
    requirement: "AS-ISS-2",
    section: "MCP 2026-07-28 Authorization Response Validation (clients compare iss with the \
              recorded issuer by simple string comparison and MUST NOT normalise); RFC 9207 §2 \
              (iss is the issuer identifier); RFC 3986 §6.2.1",
    versions: ONLY_2026_07_28,
    run: iss::iss_matches_issuer,
};

const ISS_ADVERTISED: C = Check {
    id: "iss-advertised-consistently",
    level: Level::Must,
    requirement: "AS-ISS-3",
    section: VALIDATION,
    versions: ONLY_2026_07_28,
    run: iss::iss_advertised_consistently,
};

pub fn scenarios() -> Vec<AuthServerScenario> {
    vec![AuthServerScenario {
        id: "authserver/authorization-response-iss",
        description: "An authorization request the way MCP clients send it (a throw-away \
                      registered client, PKCE S256, state) comes back with iss identical to the \
                      issuer, advertised in the metadata (needs an authorization server that \
                      answers without a login; else the error response is judged)",
        version: Some(SpecVersion::V2026_07_28),
        needs: Needs::Register,
        steps: vec![
            Step::Discovery,
            Step::NamedMetadata,
            Step::Register,
            Step::Authorize,
        ],
        checks: vec![ISS_SENT, ISS_IDENTICAL, ISS_ADVERTISED],
    }]
}
