//! Server scenarios: the positive control (a valid token is accepted) and one scenario per token
//! flaw (expired, not yet valid, foreign audience, foreign issuer, bad signature, `alg: none`,
//! unknown `kid`, wrong `typ`, revoked), each refused with 401 `invalid_token`. Table-driven: row
//! `I` of [`SCENARIOS`] describes the flaw of row `I` of [`FLAWS`].

use mcp_authlab_reports::{Level, SpecVersion};

use super::{TOKEN_HANDLING, TOKEN_REQUIRED};
use crate::check::{Check, ALL_VERSIONS, SINCE_2025_06_18};
use crate::server::checks::flaws::{self as f, FLAWS};
use crate::server::checks::token as t;
use crate::server::observation::label;
use crate::server::scenario::{Credential, ServerScenario, Step, TokenKind};

const VALID_TOKEN_ACCEPTED: Check<crate::server::ServerObservation> = Check {
    id: "valid-token-accepted",
    level: Level::Must,
    requirement: "S-TOK-06",
    section: "MCP Authorization, Token Requirements (Authorization: Bearer); OAuth 2.1 §5.1.1",
    versions: ALL_VERSIONS,
    run: t::valid_token_accepted,
};

/// The steps before a credential probe: the challenge and metadata (for the scopes a valid token
/// carries) and the positive control.
pub(super) fn with_valid_token(then: &[Step]) -> Vec<Step> {
    let mut steps = vec![
        Step::Unauthenticated,
        Step::ProtectedResourceMetadata,
        Step::Present {
            label: label::VALID,
            credential: Credential::Bearer(TokenKind::VALID),
        },
    ];
    steps.extend_from_slice(then);
    steps
}

/// One flaw scenario: its id and what the `-rejected` check enforces.
struct FlawScenario {
    id: &'static str,
    description: &'static str,
    versions: &'static [SpecVersion],
    /// Level, requirement and section of `<flaw>-rejected`.
    level: Level,
    requirement: &'static str,
    section: &'static str,
    /// `<flaw>-rejected`, `<flaw>-status-401`, `<flaw>-invalid-token-error`,
    /// `<flaw>-challenge-has-resource-metadata`.
    ids: [&'static str; 4],
}

const VALIDATION: &str = "MCP Authorization, Token Handling (MCP servers MUST validate access \
                          tokens as described in OAuth 2.1 §5.2); RFC 9068 §4";

/// In the order of [`FLAWS`].
const SCENARIOS: [FlawScenario; 9] = [
    FlawScenario {
        id: "server/expired-token",
        description: "A token that expired an hour ago is refused with 401 invalid_token",
        versions: ALL_VERSIONS,
        level: Level::Must,
        requirement: "S-TOK-1",
        section: VALIDATION,
        ids: [
            "expired-rejected",
            "expired-status-401",
            "expired-invalid-token-error",
            "expired-challenge-has-resource-metadata",
        ],
    },
    FlawScenario {
        id: "server/not-yet-valid-token",
        description: "A token whose nbf is an hour ahead is refused with 401 invalid_token",
        versions: ALL_VERSIONS,
        level: Level::Must,
        requirement: "S-TOK-1",
        section: "MCP Authorization, Token Handling; RFC 7519 §4.1.5 (nbf: MUST NOT be accepted \
                  before)",
        ids: [
            "not-yet-valid-rejected",
            "not-yet-valid-status-401",
            "not-yet-valid-invalid-token-error",
            "not-yet-valid-challenge-has-resource-metadata",
        ],
    },
    FlawScenario {
        id: "server/wrong-audience-token",
        description: "A token minted for another resource (what token passthrough would present) \
                      is refused with 401 invalid_token",
        versions: SINCE_2025_06_18,
        level: Level::Must,
        requirement: "S-TOK-2",
        section: "MCP Authorization, Token Handling (MCP servers MUST validate that access tokens \
                  were issued specifically for them as the intended audience); RFC 8707 §2; RFC \
                  9068 §4",
        ids: [
            "wrong-audience-rejected",
            "wrong-audience-status-401",
            "wrong-audience-invalid-token-error",
            "wrong-audience-challenge-has-resource-metadata",
        ],
    },
    FlawScenario {
        id: "server/wrong-issuer-token",
        description: "A token naming another issuer is refused with 401 invalid_token",
        versions: ALL_VERSIONS,
        level: Level::Must,
        requirement: "S-TOK-1",
        section: VALIDATION,
        ids: [
            "wrong-issuer-rejected",
            "wrong-issuer-status-401",
            "wrong-issuer-invalid-token-error",
            "wrong-issuer-challenge-has-resource-metadata",
        ],
    },
    FlawScenario {
        id: "server/bad-signature-token",
        description: "A token whose signature does not verify is refused with 401 invalid_token",
        versions: ALL_VERSIONS,
        level: Level::Must,
        requirement: "S-TOK-1",
        section: VALIDATION,
        ids: [
            "bad-signature-rejected",
            "bad-signature-status-401",
            "bad-signature-invalid-token-error",
            "bad-signature-challenge-has-resource-metadata",
        ],
    },
    FlawScenario {
        id: "server/alg-none-token",
        description: "An unsigned token (alg none) is refused with 401 invalid_token",
        versions: ALL_VERSIONS,
        level: Level::Must,
        requirement: "S-TOK-1",
        section: "MCP Authorization, Token Handling; RFC 9068 §4 (alg none MUST NOT be \
                  accepted); RFC 8725 §3.1",
        ids: [
            "alg-none-rejected",
            "alg-none-status-401",
            "alg-none-invalid-token-error",
            "alg-none-challenge-has-resource-metadata",
        ],
    },
    FlawScenario {
        id: "server/unknown-kid-token",
        description: "A token signed with a key the JWKS does not have is refused with 401 \
                      invalid_token",
        versions: ALL_VERSIONS,
        level: Level::Must,
        requirement: "S-TOK-1",
        section: VALIDATION,
        ids: [
            "unknown-kid-rejected",
            "unknown-kid-status-401",
            "unknown-kid-invalid-token-error",
            "unknown-kid-challenge-has-resource-metadata",
        ],
    },
    FlawScenario {
        id: "server/wrong-type-token",
        description: "A JWT with typ JWT instead of at+jwt (an ID token, say) is refused by a \
                      server that validates JWTs itself",
        versions: ALL_VERSIONS,
        // RFC 9068 §4 says MUST, but MCP does not require the RFC 9068 profile, and a server
        // that introspects never sees `typ` (its acceptance is a note): a SHOULD for MCP.
        level: Level::Should,
        requirement: "S-TOK-07",
        section: "RFC 9068 §4 (resource servers MUST verify typ at+jwt); MCP requires OAuth 2.1 \
                  §5.2 validation, not this token profile",
        ids: [
            "wrong-type-rejected",
            "wrong-type-status-401",
            "wrong-type-invalid-token-error",
            "wrong-type-challenge-has-resource-metadata",
        ],
    },
    FlawScenario {
        id: "server/revoked-token",
        description: "A token revoked at the authorization server is refused by a server that \
                      introspects",
        versions: ALL_VERSIONS,
        // A server validating JWTs locally cannot see a revocation before the token expires
        // (its acceptance is a note); one that introspects and still accepts is warned.
        level: Level::Should,
        requirement: "S-TOK-1",
        section: "OAuth 2.1 §5.2 (validation, e.g. by introspection); RFC 7662 §2.2 (active: \
                  false for a revoked token); RFC 7009",
        ids: [
            "revoked-rejected",
            "revoked-status-401",
            "revoked-invalid-token-error",
            "revoked-challenge-has-resource-metadata",
        ],
    },
];

fn flaw_scenario<const I: usize>() -> ServerScenario {
    let s = &SCENARIOS[I];
    let case = &FLAWS[I];
    ServerScenario {
        id: s.id,
        description: s.description,
        versions: s.versions,
        steps: with_valid_token(&[Step::Present {
            label: case.label,
            credential: Credential::Bearer(TokenKind::Flawed(case.flaw)),
        }]),
        checks: vec![
            TOKEN_REQUIRED,
            Check {
                id: s.ids[0],
                level: s.level,
                requirement: s.requirement,
                section: s.section,
                versions: s.versions,
                run: f::rejected::<I>,
            },
            Check {
                id: s.ids[1],
                level: Level::Must,
                requirement: "S-TOK-3",
                section: TOKEN_HANDLING,
                versions: s.versions,
                run: f::status_401::<I>,
            },
            Check {
                id: s.ids[2],
                level: Level::Should,
                requirement: "S-401-07",
                section: "RFC 6750 §3.1 (invalid_token: expired, revoked, malformed or invalid \
                          for other reasons); OAuth 2.1 §5.3.2",
                versions: s.versions,
                run: f::invalid_token_error::<I>,
            },
            Check {
                id: s.ids[3],
                level: Level::Should,
                requirement: "S-PRM-3",
                section: "RFC 9728 §5.1; MCP 2025-06-18 Authorization Server Location (the 401 \
                          names resource_metadata); consistency with the first 401",
                versions: SINCE_2025_06_18,
                run: f::challenge_has_resource_metadata::<I>,
            },
        ],
    }
}

pub fn scenarios() -> Vec<ServerScenario> {
    vec![
        ServerScenario {
            id: "server/valid-token",
            description: "The positive control: a valid token for this server with the advertised \
                          scopes is accepted (without it, no rejection proves anything)",
            versions: ALL_VERSIONS,
            steps: with_valid_token(&[]),
            checks: vec![TOKEN_REQUIRED, VALID_TOKEN_ACCEPTED],
        },
        flaw_scenario::<0>(),
        flaw_scenario::<1>(),
        flaw_scenario::<2>(),
        flaw_scenario::<3>(),
        flaw_scenario::<4>(),
        flaw_scenario::<5>(),
        flaw_scenario::<6>(),
        flaw_scenario::<7>(),
        flaw_scenario::<8>(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flaw_has_its_scenario_with_ids_named_after_it() {
        let all = scenarios();
        assert_eq!(all.len(), 1 + FLAWS.len());
        for (i, (row, case)) in SCENARIOS.iter().zip(FLAWS.iter()).enumerate() {
            let name = case.flaw.name();
            assert_eq!(row.id, format!("server/{name}-token"), "row {i}");
            let suffixes = [
                "rejected",
                "status-401",
                "invalid-token-error",
                "challenge-has-resource-metadata",
            ];
            for (id, suffix) in row.ids.iter().zip(suffixes) {
                assert_eq!(*id, format!("{name}-{suffix}"), "row {i}");
            }
            let scenario = all.iter().find(|s| s.id == row.id).expect(row.id);
            assert!(scenario.steps.contains(&Step::Present {
                label: case.label,
                credential: Credential::Bearer(TokenKind::Flawed(case.flaw)),
            }));
        }
    }
}
