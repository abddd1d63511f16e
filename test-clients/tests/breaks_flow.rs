//! The authorization, scope and token checks against clients we control: the correct test client
//! passes every scenario of `suites/src/client/scenarios/{authorization,scope,token}.rs`, and each
//! `--break RULE` of the flow fails the check the brief names for it. The checks that do not pass
//! must be exactly that check plus the collateral listed (and explained) at each break: a break
//! the mock refuses (PKCE, the redirect URI) also keeps the client from completing.

mod support;

use std::collections::BTreeSet;

use mcp_authlab_reports::{Outcome, Verdict};
use mcp_authlab_suites::client::scenarios;
use support::*;

/// Every scenario of the three files.
const SCENARIOS: &[&str] = &[
    "auth/authorization-code-flow",
    "auth/state-mismatch",
    "auth/iss-wrong-issuer",
    "auth/iss-supported-missing",
    "auth/scope-from-www-authenticate",
    "auth/scope-from-scopes-supported",
    "auth/scope-omitted-when-undefined",
    "auth/scope-step-up",
    "auth/scope-retry-limit",
    "auth/scope-step-up-union",
    "auth/offline-access-scope",
    "auth/offline-access-not-supported",
    "auth/offline-access-no-refresh-token",
    "auth/refresh-rotation",
    "auth/client-credentials-basic",
    "auth/client-credentials-jwt",
    // The correct client's 10 s request timeout ends it; the check's violated side (a client
    // killed at the scenario timeout) is proven by its unit test, not by a 30 s run here.
    "auth/hanging-token-endpoint",
];

/// The scenario that carries the general flow checks (the brief lists these breaks against
/// `auth/metadata-default`, whose checks are discovery's).
const FLOW: &str = "auth/authorization-code-flow";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_client_passes_every_flow_scenario() {
    let mut failures = Vec::new();
    for id in SCENARIOS {
        let result = run(id, &[]).await;
        if result.verdict != Verdict::Pass {
            failures.push(account(&result));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_scenario_of_the_three_files_is_covered() {
    let ours: BTreeSet<&str> = scenarios::authorization::scenarios()
        .into_iter()
        .chain(scenarios::scope::scenarios())
        .chain(scenarios::token::scenarios())
        .map(|s| s.id)
        .collect();
    assert_eq!(ours, SCENARIOS.iter().copied().collect());
}

// --- PKCE. The mock enforces PKCE with S256 (OAuth 2.1 §4.1.2.1): it refuses the authorization
// request of a client without it (an error redirect, no code), so that client cannot complete;
// the checks of the code exchange are then not judged (there was nothing to exchange).

#[tokio::test]
async fn no_pkce_fails_pkce_code_challenge_sent() {
    assert_break(
        "no-pkce",
        FLOW,
        "pkce-code-challenge-sent",
        Outcome::Fail,
        // no code_challenge_method either; no code, so no token
        &["pkce-s256-method-used", COMPLETED],
    )
    .await;
}

#[tokio::test]
async fn pkce_plain_fails_pkce_s256_method_used() {
    // The mock accepts only S256: no code, no token.
    assert_break(
        "pkce-plain",
        FLOW,
        "pkce-s256-method-used",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

#[tokio::test]
async fn pkce_wrong_verifier_fails_pkce_verifier_matches_challenge() {
    // The token endpoint refuses the code (invalid_grant): no token.
    assert_break(
        "pkce-wrong-verifier",
        FLOW,
        "pkce-verifier-matches-challenge",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

#[tokio::test]
async fn pkce_short_verifier_fails_pkce_verifier_format() {
    // The token endpoint refuses a verifier outside RFC 7636 §4.1: no token.
    assert_break(
        "pkce-short-verifier",
        FLOW,
        "pkce-verifier-format",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

// --- state and iss.

#[tokio::test]
async fn no_state_warns_state_sent() {
    // A SHOULD: the mock does not require state, so the client completes and the scenario warns.
    assert_break("no-state", FLOW, "state-sent", Outcome::Warn, &[]).await;
}

#[tokio::test]
async fn skip_state_check_fails_state_mismatch_rejected() {
    // C-STATE-1 is a SHOULD: accepting the wrong state warns.
    assert_break(
        "skip-state-check",
        "auth/state-mismatch",
        "state-mismatch-rejected",
        Outcome::Warn,
        &[],
    )
    .await;
}

#[tokio::test]
async fn skip_iss_check_fails_both_iss_scenarios() {
    assert_break(
        "skip-iss-check",
        "auth/iss-wrong-issuer",
        "sep-2468-client-compare-iss-supported",
        Outcome::Fail,
        &[],
    )
    .await;
    assert_break(
        "skip-iss-check",
        "auth/iss-supported-missing",
        "sep-2468-client-reject-missing-iss",
        Outcome::Fail,
        &[],
    )
    .await;
}

#[tokio::test]
async fn token_redirect_uri_differs_fails_redirect_uri_consistent() {
    // The token endpoint refuses the code for another redirect URI (invalid_grant): no token.
    assert_break(
        "token-redirect-uri-differs",
        FLOW,
        "redirect-uri-consistent",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

// --- resource.

#[tokio::test]
async fn no_resource_fails_resource_parameter_in_authorization() {
    // The break leaves `resource` out of the token request too.
    assert_break(
        "no-resource",
        FLOW,
        "resource-parameter-in-authorization",
        Outcome::Fail,
        &["resource-parameter-in-token"],
    )
    .await;
}

#[tokio::test]
async fn resource_trailing_slash_fails_resource_parameter_matches_prm() {
    // The mock knows no resource `…/mcp/` and refuses the authorization request (invalid_target):
    // no code, no token.
    assert_break(
        "resource-trailing-slash",
        FLOW,
        "resource-parameter-matches-prm",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

// --- scope.

#[tokio::test]
async fn ignore_challenge_scope_warns_scope_from_www_authenticate() {
    // A SHOULD: the token without mcp:basic gets 403 insufficient_scope, the client steps up to
    // the scope the 403 names and completes, so the scenario only warns.
    assert_break(
        "ignore-challenge-scope",
        "auth/scope-from-www-authenticate",
        "scope-from-www-authenticate",
        Outcome::Warn,
        &[],
    )
    .await;
}

#[tokio::test]
async fn no_step_up_warns_scope_step_up_escalation() {
    // The client gives up on the 403 of tools/call; tools/list with its first token was
    // accepted, so client-completed-flow still passes, but no request was accepted with a token
    // issued after the 403: scope-step-up-retried warns too.
    assert_break(
        "no-step-up",
        "auth/scope-step-up",
        "scope-step-up-escalation",
        Outcome::Warn,
        &["scope-step-up-retried"],
    )
    .await;
}

#[tokio::test]
async fn step_up_forever_warns_scope_retry_limit() {
    assert_break(
        "step-up-forever",
        "auth/scope-retry-limit",
        "scope-retry-limit",
        Outcome::Warn,
        &[],
    )
    .await;
}

// --- token use.

#[tokio::test]
async fn token_in_query_fails_token_not_in_query() {
    assert_break(
        "token-in-query",
        FLOW,
        "token-not-in-query",
        Outcome::Fail,
        &[],
    )
    .await;
}

#[tokio::test]
async fn token_to_authorization_server_fails_token_only_to_resource_server() {
    assert_break(
        "token-to-authorization-server",
        FLOW,
        "token-only-to-resource-server",
        Outcome::Fail,
        &[],
    )
    .await;
}

// --- refresh.

#[tokio::test]
async fn reuse_refresh_token_fails_refresh_token_rotated() {
    assert_break(
        "reuse-refresh-token",
        "auth/refresh-rotation",
        "refresh-token-rotated",
        Outcome::Fail,
        &[],
    )
    .await;
}

#[tokio::test]
async fn no_refresh_warns_refresh_on_expiry() {
    assert_break(
        "no-refresh",
        "auth/refresh-rotation",
        "refresh-on-expiry",
        Outcome::Warn,
        &[],
    )
    .await;
}

// --- client credentials.

#[tokio::test]
async fn jwt_wrong_audience_fails_client_credentials_jwt_verified() {
    // The mock refuses an assertion whose aud names neither its issuer nor its token endpoint
    // (401 invalid_client): no token.
    assert_break(
        "jwt-wrong-audience",
        "auth/client-credentials-jwt",
        "client-credentials-jwt-verified",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}
