//! Client scenarios: the authorization code flow. One scenario on the default deployment carries
//! every general check of the flow (PKCE, `state`, redirect URI, `resource`, how the token is
//! used); the others give the client a bad authorization response (`state`, RFC 9207 `iss`) that
//! it must reject.
//!
//! The check groups ([`pkce_checks`], [`resource_checks`], [`token_use_checks`]) are public so
//! that other scenarios (the official `auth/metadata-*` ones apply the PKCE and resource checks
//! too) can add them.

use mcp_authlab_reports::{Level, SpecVersion};

use crate::check::{Check, ALL_VERSIONS, SINCE_2025_06_18};
use crate::client::checks::authorization as a;
use crate::client::checks::outcome::CLIENT_COMPLETED;
use crate::client::checks::token as t;
use crate::client::observation::Observation;
use crate::client::scenario::{Expectation, Scenario};

/// Only the 2026-07-28 revision (RFC 9207 `iss` validation, SEP-2207, the draft scenarios of the
/// official suite).
pub const ONLY_2026_07_28: &[SpecVersion] = &[SpecVersion::V2026_07_28];

const PKCE_SECTION: &str = "MCP Authorization, Authorization Code Protection (PKCE); OAuth 2.1 \
                            §4.1.1, §7.5.2; RFC 7636 §4";

pub const PKCE_CODE_CHALLENGE_SENT: Check<Observation> = Check {
    id: "pkce-code-challenge-sent",
    level: Level::Must,
    requirement: "C-PKCE-1",
    section: PKCE_SECTION,
    versions: ALL_VERSIONS,
    run: a::pkce_code_challenge_sent,
};

pub const PKCE_S256_METHOD_USED: Check<Observation> = Check {
    id: "pkce-s256-method-used",
    level: Level::Must,
    requirement: "C-PKCE-2",
    section: "MCP 2025-11-25 Authorization Code Protection (S256 when technically capable); \
              OAuth 2.1 §4.1.1; RFC 7636 §4.2",
    versions: ALL_VERSIONS,
    run: a::pkce_s256_method_used,
};

pub const PKCE_CODE_VERIFIER_SENT: Check<Observation> = Check {
    id: "pkce-code-verifier-sent",
    level: Level::Must,
    requirement: "C-PKCE-1",
    section: PKCE_SECTION,
    versions: ALL_VERSIONS,
    run: a::pkce_code_verifier_sent,
};

pub const PKCE_VERIFIER_MATCHES_CHALLENGE: Check<Observation> = Check {
    id: "pkce-verifier-matches-challenge",
    level: Level::Must,
    requirement: "C-PKCE-1",
    section: "RFC 7636 §4.5, §4.6 (BASE64URL(SHA256(code_verifier)) == code_challenge); OAuth 2.1 \
              §4.1.3",
    versions: ALL_VERSIONS,
    run: a::pkce_verifier_matches_challenge,
};

pub const PKCE_VERIFIER_FORMAT: Check<Observation> = Check {
    id: "pkce-verifier-format",
    level: Level::Must,
    requirement: "C-PKCE-1",
    section: "RFC 7636 §4.1 (43 to 128 characters of [A-Z] [a-z] [0-9] - . _ ~); OAuth 2.1 §4.1.1",
    versions: ALL_VERSIONS,
    run: a::pkce_verifier_format,
};

pub const PKCE_CHALLENGE_FRESH: Check<Observation> = Check {
    id: "pkce-challenge-fresh",
    level: Level::Must,
    requirement: "C-PKCE-1",
    section: "OAuth 2.1 §4.1.1 (a new code_verifier for every authorization request), §7.5.2",
    versions: ALL_VERSIONS,
    run: a::pkce_challenge_fresh,
};

/// The PKCE checks of a flow that reaches the authorization endpoint.
pub fn pkce_checks() -> Vec<Check<Observation>> {
    vec![
        PKCE_CODE_CHALLENGE_SENT,
        PKCE_S256_METHOD_USED,
        PKCE_CODE_VERIFIER_SENT,
        PKCE_VERIFIER_MATCHES_CHALLENGE,
        PKCE_VERIFIER_FORMAT,
        PKCE_CHALLENGE_FRESH,
    ]
}

const STATE_SECTION: &str = "MCP Authorization, Open Redirection (clients SHOULD use and verify \
                             state and discard results without it or with a mismatch); OAuth \
                             2.1 §4.1.1, §7.12.2";

pub const STATE_SENT: Check<Observation> = Check {
    id: "state-sent",
    level: Level::Should,
    requirement: "C-STATE-1",
    section: STATE_SECTION,
    versions: SINCE_2025_06_18,
    run: a::state_sent,
};

pub const STATE_MISMATCH_REJECTED: Check<Observation> = Check {
    id: "state-mismatch-rejected",
    level: Level::Should,
    requirement: "C-STATE-1",
    section: STATE_SECTION,
    versions: SINCE_2025_06_18,
    run: a::state_mismatch_rejected,
};

pub const ISS_MISMATCH_REJECTED: Check<Observation> = Check {
    id: "sep-2468-client-compare-iss-supported",
    level: Level::Must,
    requirement: "C-ISS-1",
    section: "RFC 9207 §2.4 (compare iss with the issuer, simple string comparison; stop on a \
              mismatch); MCP 2026-07-28 Authorization Response Validation",
    versions: ONLY_2026_07_28,
    run: a::iss_mismatch_rejected,
};

pub const ISS_MISSING_REJECTED: Check<Observation> = Check {
    id: "sep-2468-client-reject-missing-iss",
    level: Level::Must,
    requirement: "C-ISS-1",
    section: "RFC 9207 §2.4 (with authorization_response_iss_parameter_supported, a response \
              without iss is rejected); MCP 2026-07-28 Authorization Response Validation",
    versions: ONLY_2026_07_28,
    run: a::iss_missing_rejected,
};

pub const REDIRECT_URI_CONSISTENT: Check<Observation> = Check {
    id: "redirect-uri-consistent",
    level: Level::Must,
    requirement: "C-REDIR-1",
    section: "OAuth 2.1 §4.1.3 (redirect_uri in the token request identical to the authorization \
              request's)",
    versions: ALL_VERSIONS,
    run: a::redirect_uri_consistent,
};

const RESOURCE_SECTION: &str = "MCP Authorization, Resource Parameter Implementation (resource \
                                in both the authorization and the token request); RFC 8707 §2";
const CANONICAL_SECTION: &str = "MCP Authorization, Canonical Server URI; RFC 8707 §2";

pub const RESOURCE_IN_AUTHORIZATION: Check<Observation> = Check {
    id: "resource-parameter-in-authorization",
    level: Level::Must,
    requirement: "C-RES-1",
    section: RESOURCE_SECTION,
    versions: SINCE_2025_06_18,
    run: a::resource_parameter_in_authorization,
};

pub const RESOURCE_IN_TOKEN: Check<Observation> = Check {
    id: "resource-parameter-in-token",
    level: Level::Must,
    requirement: "C-RES-1",
    section: RESOURCE_SECTION,
    versions: SINCE_2025_06_18,
    run: a::resource_parameter_in_token,
};

pub const RESOURCE_IN_REFRESH: Check<Observation> = Check {
    id: "resource-parameter-in-refresh",
    level: Level::Should,
    requirement: "C-RES-01",
    section: "MCP Authorization, Resource Parameter Implementation (\"token requests\", read to \
              include refresh requests); RFC 8707 §2.2",
    versions: SINCE_2025_06_18,
    run: a::resource_parameter_in_refresh,
};

pub const RESOURCE_VALID_URI: Check<Observation> = Check {
    id: "resource-parameter-valid-uri",
    level: Level::Must,
    requirement: "C-RES-2",
    section: CANONICAL_SECTION,
    versions: SINCE_2025_06_18,
    run: a::resource_parameter_valid_uri,
};

pub const RESOURCE_CONSISTENCY: Check<Observation> = Check {
    id: "resource-parameter-consistency",
    level: Level::Must,
    requirement: "C-RES-04",
    section: "RFC 8707 §2.2 (the token request names the resources of the grant); MCP \
              Authorization, Resource Parameter Implementation",
    versions: SINCE_2025_06_18,
    run: a::resource_parameter_consistency,
};

pub const RESOURCE_MATCHES_PRM: Check<Observation> = Check {
    id: "resource-parameter-matches-prm",
    level: Level::Must,
    requirement: "C-RES-2",
    section: "MCP Authorization, Canonical Server URI; RFC 9728 §3.3 (the PRM resource is the \
              server's identifier); RFC 8707 §2",
    versions: SINCE_2025_06_18,
    run: a::resource_parameter_matches_prm,
};

/// The RFC 8707 checks of an authorization code flow.
pub fn resource_checks() -> Vec<Check<Observation>> {
    vec![
        RESOURCE_IN_AUTHORIZATION,
        RESOURCE_IN_TOKEN,
        RESOURCE_VALID_URI,
        RESOURCE_CONSISTENCY,
        RESOURCE_MATCHES_PRM,
    ]
}

pub const BEARER_ON_EVERY_REQUEST: Check<Observation> = Check {
    id: "bearer-on-every-request",
    level: Level::Must,
    requirement: "C-TOK-1",
    section: "MCP Authorization, Token Requirements (Authorization: Bearer on every HTTP request \
              from client to server); OAuth 2.1 §5.1",
    versions: ALL_VERSIONS,
    run: t::bearer_on_every_request,
};

pub const TOKEN_NOT_IN_QUERY: Check<Observation> = Check {
    id: "token-not-in-query",
    level: Level::Must,
    requirement: "C-TOK-2",
    section: "MCP Authorization, Token Requirements (access tokens MUST NOT be in the URI query \
              string); OAuth 2.1 §5.1",
    versions: ALL_VERSIONS,
    run: t::token_not_in_query,
};

pub const TOKEN_ONLY_TO_RESOURCE_SERVER: Check<Observation> = Check {
    id: "token-only-to-resource-server",
    level: Level::Must,
    requirement: "C-TOK-3",
    section: "MCP Authorization, Token Handling (a token is sent only to the resource it was \
              issued for); RFC 8707 §2; Security Best Practices, Token Passthrough",
    versions: SINCE_2025_06_18,
    run: t::token_only_to_resource_server,
};

/// How the client uses its access token.
pub fn token_use_checks() -> Vec<Check<Observation>> {
    vec![
        BEARER_ON_EVERY_REQUEST,
        TOKEN_NOT_IN_QUERY,
        TOKEN_ONLY_TO_RESOURCE_SERVER,
    ]
}

pub fn scenarios() -> Vec<Scenario> {
    let mut flow_checks = pkce_checks();
    flow_checks.push(STATE_SENT);
    flow_checks.push(REDIRECT_URI_CONSISTENT);
    flow_checks.extend(resource_checks());
    flow_checks.extend(token_use_checks());
    flow_checks.push(CLIENT_COMPLETED);
    vec![
        Scenario {
            id: "auth/authorization-code-flow",
            description: "Default deployment, judged on the whole authorization code flow: PKCE \
                          (S256, verifier format, a fresh challenge per request), state, the same \
                          redirect URI at both endpoints, resource = the PRM resource at both, and \
                          the access token only in the Authorization header of MCP requests",
            official: false,
            versions: SINCE_2025_06_18,
            variants: &[],
            tweak: None,
            prepare: None,
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: flow_checks,
        },
        Scenario {
            id: "auth/state-mismatch",
            description: "The authorization response carries another state than the client sent: \
                          the client must discard it and not exchange the code",
            official: false,
            versions: SINCE_2025_06_18,
            variants: &["wrong-state"],
            tweak: None,
            prepare: None,
            tls: false,
            expectation: Expectation::Refuse,
            timeout: None,
            checks: vec![STATE_SENT, STATE_MISMATCH_REJECTED],
        },
        Scenario {
            id: "auth/iss-wrong-issuer",
            description: "The metadata advertises authorization_response_iss_parameter_supported and \
                          the authorization response carries an iss that is not the issuer (RFC \
                          9207): the client must not exchange the code",
            official: true,
            versions: ONLY_2026_07_28,
            variants: &["wrong-iss"],
            tweak: None,
            prepare: None,
            tls: false,
            expectation: Expectation::Refuse,
            timeout: None,
            checks: vec![ISS_MISMATCH_REJECTED],
        },
        Scenario {
            id: "auth/iss-supported-missing",
            description: "The metadata advertises authorization_response_iss_parameter_supported but \
                          the authorization response carries no iss (RFC 9207): the client must not \
                          exchange the code",
            official: true,
            versions: ONLY_2026_07_28,
            variants: &["missing-iss"],
            tweak: None,
            prepare: None,
            tls: false,
            expectation: Expectation::Refuse,
            timeout: None,
            checks: vec![ISS_MISSING_REJECTED],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flow_scenario_carries_every_general_check() {
        let all = scenarios();
        let flow = &all[0];
        let ids: Vec<&str> = flow.checks.iter().map(|c| c.id).collect();
        for id in [
            "pkce-code-challenge-sent",
            "pkce-verifier-matches-challenge",
            "state-sent",
            "redirect-uri-consistent",
            "resource-parameter-matches-prm",
            "token-only-to-resource-server",
            "client-completed-flow",
        ] {
            assert!(ids.contains(&id), "{id}");
        }
        for refusal in &all[1..] {
            assert_eq!(refusal.expectation, Expectation::Refuse, "{}", refusal.id);
            assert!(!refusal
                .checks
                .iter()
                .any(|c| c.id == "client-completed-flow"));
        }
    }
}
