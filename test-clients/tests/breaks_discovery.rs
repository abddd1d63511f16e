//! The discovery and registration checks against clients we control: the correct test client
//! passes every discovery and registration scenario, and each `--break RULE` fails exactly the
//! check the brief names for it in its scenario (plus `client-completed-flow` where the break
//! makes completing the flow impossible), with every other check of the scenario passing.

mod support;

use std::collections::BTreeSet;

use mcp_authlab_reports::{Outcome, Verdict};
use mcp_authlab_suites::client::scenarios;
use support::*;

/// Every scenario of `suites/src/client/scenarios/{discovery,registration}.rs`.
const SCENARIOS: &[&str] = &[
    "auth/metadata-default",
    "auth/metadata-var1",
    "auth/metadata-var2",
    "auth/metadata-var3",
    "auth/2025-03-26-oauth-metadata-backcompat",
    "auth/2025-03-26-oauth-endpoint-fallback",
    "auth/resource-mismatch",
    "auth/metadata-issuer-mismatch",
    "auth/as-metadata-oidc-path-inserted",
    "auth/pkce-not-advertised",
    "auth/split-domain-metadata",
    "auth/custom-metadata-path",
    "auth/https",
    "auth/basic-cimd",
    "auth/pre-registration",
    "auth/pre-registration-priority",
    "auth/token-endpoint-auth-basic",
    "auth/token-endpoint-auth-post",
    "auth/token-endpoint-auth-none",
    "auth/registration-auth-method-omitted",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_client_passes_every_discovery_and_registration_scenario() {
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
fn every_scenario_of_the_two_files_is_covered() {
    let ours: BTreeSet<&str> = scenarios::discovery::scenarios()
        .into_iter()
        .chain(scenarios::registration::scenarios())
        .map(|s| s.id)
        .collect();
    assert_eq!(ours, SCENARIOS.iter().copied().collect());
}

#[tokio::test]
async fn ignore_legacy_metadata_endpoints_fails_endpoints_from_metadata() {
    // The metadata names endpoints under /oauth/: the guessed defaults answer 404, so the flow
    // cannot complete either.
    assert_break(
        "ignore-legacy-metadata-endpoints",
        "auth/2025-03-26-oauth-metadata-backcompat",
        "endpoints-from-metadata",
        Outcome::Fail,
        &["client-completed-flow"],
    )
    .await;
}

#[tokio::test]
async fn prm_root_first_fails_prm_priority_order() {
    assert_break(
        "prm-root-first",
        "auth/metadata-default",
        "prm-priority-order",
        Outcome::Fail,
        &[],
    )
    .await;
}

#[tokio::test]
async fn ignore_resource_metadata_fails_prm_from_resource_metadata() {
    // The PRM is served only at the custom path the 401 names: a client that ignores it finds
    // none at the well-known URLs, so it never learns the authorization server and cannot
    // complete.
    assert_break(
        "ignore-resource-metadata",
        "auth/metadata-var3",
        "prm-from-resource-metadata",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
    // The correct client fetched exactly the custom URL, and it was the first PRM request.
    let correct = run("auth/metadata-var3", &[]).await;
    let prm: Vec<(&str, u16)> = correct
        .trace
        .iter()
        .filter(|e| {
            e.url.contains("/.well-known/oauth-protected-resource") || e.url.contains("/custom/")
        })
        .map(|e| (e.url.as_str(), e.status))
        .collect();
    assert_eq!(prm.len(), 1, "{}", account(&correct));
    assert!(
        prm[0].0.ends_with("/custom/metadata/location.json") && prm[0].1 == 200,
        "{}",
        account(&correct)
    );
}

#[tokio::test]
async fn no_prm_fallback_fails_prm_well_known_fallback() {
    // The 401 names no PRM and the client tries no well-known URL: it never uses PRM at all
    // (prm-priority-order), never finds the authorization server, and cannot complete.
    assert_break(
        "no-prm-fallback",
        "auth/metadata-var2",
        "prm-well-known-fallback",
        Outcome::Fail,
        &["prm-priority-order", COMPLETED],
    )
    .await;
}

#[tokio::test]
async fn as_metadata_root_only_fails_the_wrong_path_trap() {
    // The root URL is not a candidate for a path issuer (the order check fails too), and it is
    // not served, so the client cannot complete.
    assert_break(
        "as-metadata-root-only",
        "auth/metadata-var2",
        "authorization-server-metadata-wrong-path",
        Outcome::Fail,
        &["as-metadata-priority-order", COMPLETED],
    )
    .await;
}

#[tokio::test]
async fn no_oidc_discovery_cannot_complete_var1() {
    // Tried RFC 8414 only (the first candidate, in order), found nothing and gave up before the
    // OIDC candidate: the order check fails too (it stopped with candidates left untried).
    assert_break(
        "no-oidc-discovery",
        "auth/metadata-var1",
        COMPLETED,
        Outcome::Fail,
        &["as-metadata-priority-order"],
    )
    .await;
}

#[tokio::test]
async fn skip_issuer_check_fails_metadata_issuer_validation() {
    assert_break(
        "skip-issuer-check",
        "auth/metadata-issuer-mismatch",
        "sep-2468-client-validate-metadata-issuer",
        Outcome::Fail,
        &[],
    )
    .await;
}

#[tokio::test]
async fn skip_pkce_support_check_fails_pkce_s256_required() {
    assert_break(
        "skip-pkce-support-check",
        "auth/pkce-not-advertised",
        "pkce-s256-required",
        Outcome::Fail,
        &[],
    )
    .await;
}

#[tokio::test]
async fn skip_prm_resource_check_fails_resource_mismatch_rejected() {
    assert_break(
        "skip-prm-resource-check",
        "auth/resource-mismatch",
        "resource-mismatch-rejected",
        Outcome::Fail,
        &[],
    )
    .await;
}

#[tokio::test]
async fn dcr_form_encoded_fails_client_registration_json() {
    // The mock rejects a form-encoded registration (RFC 7591 §3.1), so the client has no client
    // id and cannot complete.
    assert_break(
        "dcr-form-encoded",
        "auth/metadata-default",
        "client-registration-json",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

#[tokio::test]
async fn auth_method_post_always_fails_token_endpoint_auth_method() {
    // The token endpoint enforces the registered client_secret_basic: no token, no completion.
    assert_break(
        "auth-method-post-always",
        "auth/token-endpoint-auth-basic",
        "token-endpoint-auth-method",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

#[tokio::test]
async fn no_cimd_warns_cimd_client_id_used() {
    // A SHOULD: the scenario warns (the client registers by DCR and completes).
    assert_break(
        "no-cimd",
        "auth/basic-cimd",
        "cimd-client-id-used",
        Outcome::Warn,
        &[],
    )
    .await;
}

#[tokio::test]
async fn register_despite_credentials_fails_pre_registration_auth() {
    // The official scenario has no registration endpoint: a client that ignores the credentials
    // has no way to a client id at all, so it makes no token request and cannot complete.
    assert_break(
        "register-despite-credentials",
        "auth/pre-registration",
        "pre-registration-auth",
        Outcome::Fail,
        &[COMPLETED],
    )
    .await;
}

#[tokio::test]
async fn register_despite_credentials_warns_pre_registration_preferred() {
    // With client ID metadata documents and DCR on offer, the client completes without the
    // credentials it was given: only the (SHOULD) priority check objects.
    assert_break(
        "register-despite-credentials",
        "auth/pre-registration-priority",
        "pre-registration-preferred",
        Outcome::Warn,
        &[],
    )
    .await;
    // The secret of the context never appears in a check message.
    let broken = run(
        "auth/pre-registration-priority",
        &["register-despite-credentials"],
    )
    .await;
    let json = serde_json::to_string(&broken.checks).unwrap();
    assert!(!json.contains("client_secret\":\""), "{json}");
}

#[tokio::test]
async fn retry_discovery_forever_fails_discovery_failure_ends_cleanly() {
    let correct = run("auth/split-domain-metadata", &[]).await;
    assert_eq!(correct.verdict, Verdict::Pass, "{}", account(&correct));
    let broken = run("auth/split-domain-metadata", &["retry-discovery-forever"]).await;
    // A SHOULD: it warns; a client killed at the timeout without a failed check is an error
    // verdict (the runner's rule), so the verdict is warn or error, never pass.
    assert_eq!(
        outcome_of(&broken, "discovery-failure-ends-cleanly"),
        Outcome::Warn,
        "{}",
        account(&broken)
    );
    assert!(
        matches!(broken.verdict, Verdict::Warn | Verdict::Error),
        "{}",
        account(&broken)
    );
}

#[tokio::test]
async fn ignore_ca_env_fails_client_completed_flow() {
    assert_break("ignore-ca-env", "auth/https", COMPLETED, Outcome::Fail, &[]).await;
}
