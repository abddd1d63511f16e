//! Client scenarios: scope selection and step-up (the official `auth/scope-*` scenarios, MCP
//! 2025-11-25 "Scope Selection Strategy" and "Step-Up Authorization Flow", with the 2026-07-28
//! scope union of SEP-2350) and the 2026-07-28 refresh token guidance on `offline_access` (the
//! official `auth/offline-access-*` drafts, and a refresh token that never comes).

use mcp_authlab_mock_idp::Behaviour;
use mcp_authlab_reports::Level;

use super::authorization::{ONLY_2026_07_28, PKCE_CHALLENGE_FRESH};
use crate::check::{Check, SINCE_2025_11_25};
use crate::client::checks::outcome::CLIENT_COMPLETED;
use crate::client::checks::scope as s;
use crate::client::checks::{refresh_assumption, scope_union};
use crate::client::observation::Observation;
use crate::client::scenario::{Expectation, Scenario, Setup, SetupError};

const SELECTION_SECTION: &str =
    "MCP 2025-11-25 Authorization, Scope Selection Strategy (the scope \
                                 of the initial WWW-Authenticate challenge, else all of the PRM \
                                 scopes_supported, else no scope parameter)";
const STEP_UP_SECTION: &str = "MCP 2025-11-25 Authorization, Step-Up Authorization Flow \
                               (re-authorize with the challenged scopes on 403 insufficient_scope, \
                               with a limited number of retries)";
const REFRESH_SECTION: &str = "MCP 2026-07-28 Authorization, Refresh Tokens (SEP-2207: \
                               offline_access only when the authorization server lists it)";

const SCOPE_FROM_WWW_AUTHENTICATE: Check<Observation> = Check {
    id: "scope-from-www-authenticate",
    level: Level::Should,
    requirement: "C-SCOPE-1",
    section: SELECTION_SECTION,
    versions: SINCE_2025_11_25,
    run: s::scope_from_www_authenticate,
};

const SCOPE_FROM_SCOPES_SUPPORTED: Check<Observation> = Check {
    id: "scope-from-scopes-supported",
    level: Level::Should,
    requirement: "C-SCOPE-1",
    section: SELECTION_SECTION,
    versions: SINCE_2025_11_25,
    run: s::scope_from_scopes_supported,
};

const SCOPE_OMITTED_WHEN_UNDEFINED: Check<Observation> = Check {
    id: "scope-omitted-when-undefined",
    level: Level::Should,
    requirement: "C-SCOPE-1",
    section: SELECTION_SECTION,
    versions: SINCE_2025_11_25,
    run: s::scope_omitted_when_undefined,
};

const SCOPE_STEP_UP_INITIAL: Check<Observation> = Check {
    id: "scope-step-up-initial",
    level: Level::Should,
    requirement: "C-SCOPE-1",
    section: SELECTION_SECTION,
    versions: SINCE_2025_11_25,
    run: s::scope_step_up_initial,
};

const SCOPE_STEP_UP_ESCALATION: Check<Observation> = Check {
    id: "scope-step-up-escalation",
    level: Level::Should,
    requirement: "C-SCOPE-2",
    section: STEP_UP_SECTION,
    versions: SINCE_2025_11_25,
    run: s::scope_step_up_escalation,
};

const SCOPE_STEP_UP_RETRIED: Check<Observation> = Check {
    id: "scope-step-up-retried",
    level: Level::Should,
    requirement: "C-SCOPE-2",
    section: STEP_UP_SECTION,
    versions: SINCE_2025_11_25,
    run: s::scope_step_up_retried,
};

const SCOPE_RETRY_LIMIT: Check<Observation> = Check {
    id: "scope-retry-limit",
    level: Level::Should,
    requirement: "C-SCOPE-2",
    section: STEP_UP_SECTION,
    versions: SINCE_2025_11_25,
    run: s::scope_retry_limit,
};

const OFFLINE_ACCESS_REQUESTED: Check<Observation> = Check {
    id: "sep-2207-offline-access-requested",
    level: Level::May,
    requirement: "C-SCOPE-08",
    section: REFRESH_SECTION,
    versions: ONLY_2026_07_28,
    run: s::offline_access_requested,
};

const OFFLINE_ACCESS_NOT_REQUESTED: Check<Observation> = Check {
    id: "sep-2207-offline-access-not-requested",
    level: Level::Must,
    requirement: "C-SCOPE-08",
    section: REFRESH_SECTION,
    versions: ONLY_2026_07_28,
    run: s::offline_access_not_requested,
};

const SCOPE_UNION_ON_REAUTH: Check<Observation> = Check {
    id: "sep-2350-scope-union-on-reauth",
    level: Level::Should,
    requirement: "C-SCOPE-06",
    section: "MCP 2026-07-28 Authorization, Step-Up Authorization Flow step 2 (the union of the \
              previously requested scope set and the scopes of the current challenge, SEP-2350); \
              Scope Selection Strategy (include the challenged scopes alongside the previously \
              granted ones)",
    versions: ONLY_2026_07_28,
    run: scope_union::scope_union_on_reauth,
};

const NO_REFRESH_TOKEN_ASSUMED: Check<Observation> = Check {
    id: "offline-access-no-refresh-assumed",
    level: Level::Must,
    requirement: "C-RT-03",
    section: "MCP 2026-07-28 Authorization, Refresh Tokens (clients MUST NOT assume refresh \
              tokens will be issued; the AS retains discretion)",
    versions: ONLY_2026_07_28,
    run: refresh_assumption::no_refresh_token_assumed,
};

const CLIENT_METADATA_GRANT_TYPES: Check<Observation> = Check {
    id: "sep-2207-client-metadata-grant-types",
    level: Level::Should,
    requirement: "C-RT-03",
    section: "MCP 2026-07-28 Authorization, Refresh Tokens (SEP-2207: clients SHOULD include \
              refresh_token in their grant_types metadata)",
    versions: ONLY_2026_07_28,
    run: s::client_metadata_grant_types,
};

fn scopes(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// Neither the PRM nor the authorization server lists scopes; the 401 names `mcp:basic`, which
/// every MCP request needs.
fn from_www_authenticate(setup: &mut Setup) -> Result<(), SetupError> {
    let config = &mut setup.config;
    config.scopes_supported = Vec::new();
    config.prm_scopes_supported = None;
    config.required_scope = Some("mcp:basic".into());
    config.step_up_scope = "mcp:basic".into();
    Ok(())
}

/// The PRM (and the authorization server) list three scopes; the 401 names none.
fn from_scopes_supported(setup: &mut Setup) -> Result<(), SetupError> {
    let config = &mut setup.config;
    config.scopes_supported = scopes(&["mcp:basic", "mcp:read", "mcp:write"]);
    config.prm_scopes_supported = None;
    config.required_scope = None;
    config.step_up_scope = "mcp:write".into();
    Ok(())
}

fn no_challenge_scope(b: &mut Behaviour) {
    b.challenge_scope = false;
}

/// No scope anywhere: not in the PRM, not at the authorization server, not in the 401.
fn omitted_when_undefined(setup: &mut Setup) -> Result<(), SetupError> {
    let config = &mut setup.config;
    config.scopes_supported = Vec::new();
    config.prm_scopes_supported = None;
    config.required_scope = None;
    Ok(())
}

/// `mcp:basic` for every request, `mcp:write` too for tools/call.
fn step_up(setup: &mut Setup) -> Result<(), SetupError> {
    let config = &mut setup.config;
    config.scopes_supported = scopes(&["mcp:basic", "mcp:write"]);
    config.prm_scopes_supported = None;
    config.required_scope = Some("mcp:basic".into());
    config.step_up_scope = "mcp:write".into();
    Ok(())
}

fn step_up_on_tools_call(b: &mut Behaviour) {
    b.unauthenticated_initialize = true;
    b.step_up_on_tools_call = true;
}

/// SEP-2350 made observable: no scope in the 401 and every request needs only a valid token, so
/// the client asks for the PRM `scopes_supported` (`mcp:basic`); `tools/call` needs `mcp:write` too
/// and its 403 names only that, so a client that copies the challenge drops `mcp:basic`.
fn step_up_union(setup: &mut Setup) -> Result<(), SetupError> {
    let config = &mut setup.config;
    config.scopes_supported = scopes(&["mcp:basic", "mcp:write"]);
    config.prm_scopes_supported = Some(scopes(&["mcp:basic"]));
    config.required_scope = None;
    config.step_up_scope = "mcp:write".into();
    Ok(())
}

fn step_up_on_every_tools_call(b: &mut Behaviour) {
    b.step_up_on_tools_call = true;
}

/// With [`offline_access_listed`]: the authorization server issues no refresh token, and each
/// access token is good for two MCP requests.
fn no_refresh_tokens_short_access_tokens(b: &mut Behaviour) {
    b.issue_refresh_tokens = false;
    b.token_valid_for_requests = Some(2);
}

/// Every request wants `mcp:admin`, and every token is refused with 403 for lacking it.
fn retry_limit(setup: &mut Setup) -> Result<(), SetupError> {
    let config = &mut setup.config;
    config.scopes_supported = scopes(&["mcp:admin"]);
    config.prm_scopes_supported = None;
    config.required_scope = Some("mcp:admin".into());
    config.step_up_scope = "mcp:admin".into();
    Ok(())
}

fn insufficient_scope_always(b: &mut Behaviour) {
    b.unauthenticated_initialize = true;
    b.insufficient_scope_always = true;
}

/// The authorization server lists `offline_access`, the PRM does not (SEP-2207 server guidance).
fn offline_access_listed(setup: &mut Setup) -> Result<(), SetupError> {
    let config = &mut setup.config;
    config.scopes_supported = scopes(&["mcp:basic", "offline_access"]);
    config.prm_scopes_supported = Some(scopes(&["mcp:basic"]));
    config.required_scope = Some("mcp:basic".into());
    config.step_up_scope = "mcp:basic".into();
    Ok(())
}

/// Neither the authorization server nor the PRM lists `offline_access`.
fn offline_access_not_listed(setup: &mut Setup) -> Result<(), SetupError> {
    let config = &mut setup.config;
    config.scopes_supported = scopes(&["mcp:basic", "mcp:read"]);
    config.prm_scopes_supported = None;
    config.required_scope = Some("mcp:basic mcp:read".into());
    config.step_up_scope = "mcp:read".into();
    Ok(())
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            id: "auth/scope-from-www-authenticate",
            description: "The 401 challenge names scope=\"mcp:basic\" and no metadata lists scopes: \
                          the client asks for the challenged scope",
            official: true,
            versions: SINCE_2025_11_25,
            variants: &[],
            tweak: None,
            prepare: Some(from_www_authenticate),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![SCOPE_FROM_WWW_AUTHENTICATE, CLIENT_COMPLETED],
        },
        Scenario {
            id: "auth/scope-from-scopes-supported",
            description: "No scope in the 401; the PRM lists mcp:basic mcp:read mcp:write: the client \
                          asks for all of them",
            official: true,
            versions: SINCE_2025_11_25,
            variants: &[],
            tweak: Some(no_challenge_scope),
            prepare: Some(from_scopes_supported),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![SCOPE_FROM_SCOPES_SUPPORTED, CLIENT_COMPLETED],
        },
        Scenario {
            id: "auth/scope-omitted-when-undefined",
            description: "No scope in the 401, none in the PRM or the authorization server metadata: \
                          the client sends no scope parameter",
            official: true,
            versions: SINCE_2025_11_25,
            variants: &[],
            tweak: Some(no_challenge_scope),
            prepare: Some(omitted_when_undefined),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![SCOPE_OMITTED_WHEN_UNDEFINED, CLIENT_COMPLETED],
        },
        Scenario {
            id: "auth/scope-step-up",
            description: "initialize needs no token; other requests need mcp:basic (401 names it); \
                          tools/call also needs mcp:write (403 insufficient_scope with scope=\"mcp:basic \
                          mcp:write\"): the client re-authorizes with the larger scope and retries the call \
                          with the new token",
            official: true,
            versions: SINCE_2025_11_25,
            variants: &[],
            tweak: Some(step_up_on_tools_call),
            prepare: Some(step_up),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            // Two authorization requests: where a reused PKCE challenge shows.
            checks: vec![
                SCOPE_STEP_UP_INITIAL,
                SCOPE_STEP_UP_ESCALATION,
                SCOPE_STEP_UP_RETRIED,
                PKCE_CHALLENGE_FRESH,
                CLIENT_COMPLETED,
                // Not SCOPE_UNION_ON_REAUTH: the mock's 403 here names every scope (a complete
                // challenge), so a union cannot be told from a copy; `auth/scope-step-up-union`
                // judges it.
            ],
        },
        Scenario {
            id: "auth/scope-step-up-union",
            description: "No scope in the 401 and none needed beyond a valid token, PRM \
                          scopes_supported mcp:basic; tools/call also needs mcp:write and its 403 \
                          names only mcp:write: the client re-authorizes with the union mcp:basic \
                          mcp:write (SEP-2350), not with the challenged scope alone",
            official: false,
            versions: ONLY_2026_07_28,
            variants: &[],
            tweak: Some(step_up_on_every_tools_call),
            prepare: Some(step_up_union),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![
                SCOPE_STEP_UP_ESCALATION,
                SCOPE_UNION_ON_REAUTH,
                SCOPE_STEP_UP_RETRIED,
                CLIENT_COMPLETED,
            ],
        },
        Scenario {
            id: "auth/scope-retry-limit",
            description: "Every token gets 403 insufficient_scope for mcp:admin, whatever it holds \
                          (410 after 10 answers): the client steps up a few times, then stops",
            official: true,
            versions: SINCE_2025_11_25,
            variants: &[],
            tweak: Some(insufficient_scope_always),
            prepare: Some(retry_limit),
            tls: false,
            expectation: Expectation::Refuse,
            timeout: None,
            checks: vec![SCOPE_RETRY_LIMIT],
        },
        Scenario {
            id: "auth/offline-access-scope",
            description: "The authorization server lists offline_access (the PRM does not): the \
                          client MAY ask for it, and SHOULD register the refresh_token grant type",
            official: true,
            versions: ONLY_2026_07_28,
            variants: &[],
            tweak: None,
            prepare: Some(offline_access_listed),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![
                CLIENT_METADATA_GRANT_TYPES,
                OFFLINE_ACCESS_REQUESTED,
                CLIENT_COMPLETED,
            ],
        },
        Scenario {
            id: "auth/offline-access-not-supported",
            description: "Neither the authorization server nor the PRM lists offline_access: the \
                          client must not ask for it",
            official: true,
            versions: ONLY_2026_07_28,
            variants: &[],
            tweak: Some(no_challenge_scope),
            prepare: Some(offline_access_not_listed),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![OFFLINE_ACCESS_NOT_REQUESTED, CLIENT_COMPLETED],
        },
        Scenario {
            id: "auth/offline-access-no-refresh-token",
            description: "The authorization server lists offline_access but issues no refresh \
                          token, and each access token is good for two MCP requests: the client \
                          must not count on a refresh token (no refresh grant, no giving up) and \
                          authorizes again when its token expires",
            official: false,
            versions: ONLY_2026_07_28,
            variants: &[],
            tweak: Some(no_refresh_tokens_short_access_tokens),
            prepare: Some(offline_access_listed),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![
                NO_REFRESH_TOKEN_ASSUMED,
                OFFLINE_ACCESS_REQUESTED,
                CLIENT_COMPLETED,
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prepared_config_is_valid() {
        for scenario in scenarios() {
            let setup = scenario.setup().expect(scenario.id);
            setup
                .config
                .validate()
                .unwrap_or_else(|e| panic!("{}: {e}", scenario.id));
        }
    }
}
