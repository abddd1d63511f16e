//! The checks MCP 2026-07-28 adds, against clients we control: the correct test client passes every
//! scenario that carries one (judged at 2026-07-28), and each `--break RULE` of the 2026 rules
//! fails exactly the check it breaks, plus the collateral listed (and explained) at each break.

// The version-less `run` and `assert_break` are for the other test files.
#[allow(dead_code)]
mod support;

use std::collections::BTreeSet;

use mcp_authlab_reports::{Outcome, SpecVersion, Verdict};
use mcp_authlab_suites::client::scenarios;
use support::*;

const V2026: Option<SpecVersion> = Some(SpecVersion::V2026_07_28);

/// Every scenario of `scenarios/{issuer,migration}.rs`, and those of the other files that carry
/// a 2026-07-28 check.
const SCENARIOS: &[&str] = &[
    "auth/iss-supported",
    "auth/iss-not-advertised",
    "auth/iss-unexpected",
    "auth/iss-normalized",
    "auth/iss-unadvertised-correct",
    "auth/iss-uppercase-scheme",
    "auth/authorization-server-migration",
    "auth/iss-wrong-issuer",
    "auth/iss-supported-missing",
    "auth/scope-step-up",
    "auth/scope-step-up-union",
    "auth/offline-access-scope",
    "auth/offline-access-not-supported",
    "auth/offline-access-no-refresh-token",
    "auth/metadata-default",
    "auth/metadata-var1",
    "auth/metadata-var2",
    "auth/metadata-var3",
    "auth/token-endpoint-auth-basic",
    "auth/token-endpoint-auth-post",
    "auth/token-endpoint-auth-none",
    "auth/registration-auth-method-omitted",
    "auth/basic-cimd",
    "auth/pre-registration",
    "auth/pre-registration-priority",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_client_passes_every_2026_scenario_at_2026() {
    let mut failures = Vec::new();
    for id in SCENARIOS {
        let result = run_at(V2026, id, &[]).await;
        if result.verdict != Verdict::Pass {
            failures.push(account(&result));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_scenario_with_a_2026_only_check_is_covered() {
    let with_2026_checks: BTreeSet<&str> = scenarios::all()
        .into_iter()
        .filter(|s| {
            s.checks
                .iter()
                .any(|c| c.versions == [SpecVersion::V2026_07_28])
        })
        .map(|s| s.id)
        .collect();
    let covered: BTreeSet<&str> = SCENARIOS.iter().copied().collect();
    let missing: Vec<&&str> = with_2026_checks.difference(&covered).collect();
    assert!(missing.is_empty(), "not run here: {missing:?}");
}

// --- RFC 9207 `iss` (SEP-2468). A client that refuses a response it must accept exchanges no code,
// so it does not complete either.

#[tokio::test]
async fn iss_compare_href_fails_the_matching_iss() {
    assert_break_at(
        V2026,
        "iss-compare-href",
        "auth/iss-supported",
        "sep-2468-client-compare-iss-supported",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

#[tokio::test]
async fn iss_required_always_fails_proceed_no_iss() {
    assert_break_at(
        V2026,
        "iss-required-always",
        "auth/iss-not-advertised",
        "sep-2468-client-proceed-no-iss",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

#[tokio::test]
async fn iss_only_when_advertised_fails_compare_iss_unadvertised() {
    assert_break_at(
        V2026,
        "iss-only-when-advertised",
        "auth/iss-unexpected",
        "sep-2468-client-compare-iss-unadvertised",
        Outcome::Fail,
        &[],
    )
    .await;
}

#[tokio::test]
async fn iss_normalize_fails_no_normalization() {
    for scenario in ["auth/iss-normalized", "auth/iss-uppercase-scheme"] {
        assert_break_at(
            V2026,
            "iss-normalize",
            scenario,
            "sep-2468-client-no-normalization",
            Outcome::Fail,
            &[],
        )
        .await;
    }
}

#[tokio::test]
async fn iss_reject_unadvertised_fails_iss_unadvertised_accepted() {
    assert_break_at(
        V2026,
        "iss-reject-unadvertised",
        "auth/iss-unadvertised-correct",
        "iss-unadvertised-accepted",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

// --- Step-up scope union (SEP-2350), a SHOULD: the copy of the challenge still gets the tool
// called (the server needs only mcp:write there), so the scenario warns.

#[tokio::test]
async fn step_up_challenge_only_warns_scope_union_on_reauth() {
    assert_break_at(
        V2026,
        "step-up-challenge-only",
        "auth/scope-step-up-union",
        "sep-2350-scope-union-on-reauth",
        Outcome::Warn,
        &[],
    )
    .await;
}

// --- DCR application_type (SEP-837): 2026-07-28 only.

#[tokio::test]
async fn no_application_type_fails_application_type_present_at_2026_only() {
    assert_break_at(
        V2026,
        "no-application-type",
        "auth/metadata-default",
        "sep-837-application-type-present",
        Outcome::Fail,
        &[],
    )
    .await;
    let at_2025 = run_at(
        Some(SpecVersion::V2025_11_25),
        "auth/metadata-default",
        &["no-application-type"],
    )
    .await;
    assert_eq!(at_2025.verdict, Verdict::Pass, "{}", account(&at_2025));
    assert_eq!(
        outcome_of(&at_2025, "sep-837-application-type-present"),
        Outcome::Skip
    );
}

#[tokio::test]
async fn application_type_web_warns_application_type_native() {
    assert_break_at(
        V2026,
        "application-type-web",
        "auth/token-endpoint-auth-none",
        "sep-837-application-type-native",
        Outcome::Warn,
        &[],
    )
    .await;
}

// --- Authorization server binding (SEP-2352).

#[tokio::test]
async fn reuse_client_across_as_fails_no_reuse_on_as_change() {
    // The new authorization server does not know the old client_id: it shows an error page
    // instead of redirecting, so the client neither registers there nor gets a token of it.
    assert_break_at(
        V2026,
        "reuse-client-across-as",
        "auth/authorization-server-migration",
        "sep-2352-no-reuse-on-as-change",
        Outcome::Fail,
        &[
            "sep-2352-reregister-on-as-change",
            "authorization-server-migration-completed",
        ],
    )
    .await;
}

#[tokio::test]
async fn refresh_at_new_as_fails_no_cross_as_credential_reuse() {
    // Registered anew, the client first presents the old refresh token to the new authorization
    // server (refused), then authorizes and completes.
    assert_break_at(
        V2026,
        "refresh-at-new-as",
        "auth/authorization-server-migration",
        "sep-2352-no-cross-as-credential-reuse",
        Outcome::Fail,
        &[],
    )
    .await;
}

// --- offline_access (SEP-2207).

#[tokio::test]
async fn offline_access_always_fails_offline_access_not_requested() {
    // The authorization server refuses the unlisted scope (invalid_scope): no token.
    assert_break_at(
        V2026,
        "offline-access-always",
        "auth/offline-access-not-supported",
        "sep-2207-offline-access-not-requested",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

#[tokio::test]
async fn require_refresh_token_fails_no_refresh_assumed() {
    // The client gives up right after the token response: it never uses its access token.
    assert_break_at(
        V2026,
        "require-refresh-token",
        "auth/offline-access-no-refresh-token",
        "offline-access-no-refresh-assumed",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}
