//! The server suite against mcp-authlab's own protected MCP server: the correct one passes every
//! scenario, and each variant that breaks one rule of the resource server fails exactly the
//! scenarios that judge that rule (and no other).

use std::collections::BTreeSet;
use std::sync::Arc;

use mcp_authlab_mock_idp::keys::Keys;
use mcp_authlab_reports::{Outcome, ScenarioResult, SpecVersion, Verdict};
use mcp_authlab_suites::server::run::{ServerRunOptions, ServerSession, ServerTarget};
use mcp_authlab_suites::server::scenarios;

/// At 2025-11-25, the last revision with `initialize` and sessions: every scenario applies there
/// (the default, 2026-07-28, has its own test below).
async fn run(variants: &[&str], keys: &Arc<Keys>) -> Vec<ScenarioResult> {
    run_at(variants, keys, Some(SpecVersion::V2025_11_25)).await
}

async fn run_at(
    variants: &[&str],
    keys: &Arc<Keys>,
    spec_version: Option<SpecVersion>,
) -> Vec<ScenarioResult> {
    let options = ServerRunOptions {
        keys: Arc::clone(keys),
        spec_version,
        ..ServerRunOptions::default()
    };
    let target = ServerTarget::Mock {
        variants: variants.iter().map(|v| v.to_string()).collect(),
    };
    let session = ServerSession::start(&target, &options)
        .await
        .expect("the mock starts");
    let mut results = Vec::new();
    for scenario in scenarios::all() {
        results.push(session.run_scenario(&scenario, &options).await);
    }
    session.shutdown().await;
    results
}

/// Scenarios whose verdict is fail or warn (what makes a trial fail), or error.
fn not_passing(results: &[ScenarioResult]) -> BTreeSet<String> {
    results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Fail | Verdict::Warn | Verdict::Error))
        .map(|r| r.id.clone())
        .collect()
}

fn explain(results: &[ScenarioResult]) -> String {
    results
        .iter()
        .flat_map(|r| {
            r.checks
                .iter()
                .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
                .map(move |c| format!("{} [{}] {}", r.id, c.id, c.message))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_mock_server_passes_every_scenario() {
    let keys = Arc::new(Keys::new());
    let results = run(&[], &keys).await;
    assert_eq!(results.len(), scenarios::all().len());
    assert!(not_passing(&results).is_empty(), "{}", explain(&results));
    for r in &results {
        assert_eq!(r.verdict, Verdict::Pass, "{} was {:?}", r.id, r.verdict);
        // Tokens never reach the report.
        let text = serde_json::to_string(r).unwrap();
        assert!(!text.contains("eyJ"), "{} leaks a JWT: {text}", r.id);
    }
}

/// A server whose metadata URLs redirect (307, same origin) is as usable as one that serves them:
/// the probes follow the redirect, as the SDKs' HTTP clients do, and the report shows the hop.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirected_metadata_is_followed_and_the_hop_is_shown() {
    let keys = Arc::new(Keys::new());
    let results = run(&["prm-redirected"], &keys).await;
    assert!(not_passing(&results).is_empty(), "{}", explain(&results));
    // A 307 from a well-known URL, then the document at its Location, in the same trace.
    let followed = results.iter().any(|r| {
        r.trace.windows(2).any(|pair| {
            pair[0].status == 307
                && pair[0]
                    .url
                    .contains("/.well-known/oauth-protected-resource")
                && pair[0].response_headers.get("location") == Some(&pair[1].url)
                && pair[1].status == 200
        })
    });
    assert!(
        followed,
        "no followed redirect in any scenario's trace: {:#?}",
        results.iter().map(|r| &r.trace).collect::<Vec<_>>()
    );
    // The messages name the URL a client asks for, and where it was sent.
    let via_challenge = results
        .iter()
        .flat_map(|r| &r.checks)
        .find(|c| c.id == "prm-discoverable")
        .expect("prm-discoverable ran");
    assert!(
        via_challenge
            .message
            .contains("/.well-known/oauth-protected-resource/mcp (redirected to ")
            && via_challenge
                .message
                .contains("/metadata/protected-resource.json)"),
        "{}",
        via_challenge.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_broken_server_fails_exactly_the_scenarios_of_its_rule() {
    const TOKEN_SCENARIOS: &[&str] = &[
        "server/expired-token",
        "server/not-yet-valid-token",
        "server/wrong-audience-token",
        "server/wrong-issuer-token",
        "server/alg-none-token",
        "server/bad-signature-token",
        "server/unknown-kid-token",
        "server/revoked-token",
        "server/wrong-type-token",
    ];
    let with_tokens = |extra: &[&'static str]| -> Vec<&'static str> {
        TOKEN_SCENARIOS.iter().chain(extra).copied().collect()
    };
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "server-accepts-any-audience",
            vec!["server/wrong-audience-token"],
        ),
        (
            "server-accepts-expired",
            vec!["server/expired-token", "server/not-yet-valid-token"],
        ),
        (
            "server-skips-signature",
            vec![
                "server/alg-none-token",
                "server/bad-signature-token",
                "server/unknown-kid-token",
            ],
        ),
        (
            "server-accepts-any-issuer",
            vec!["server/wrong-issuer-token"],
        ),
        ("server-accepts-wrong-type", vec!["server/wrong-type-token"]),
        ("server-accepts-query-token", vec!["server/token-in-query"]),
        (
            "server-error-without-credentials",
            vec!["server/unauthenticated-request"],
        ),
        (
            "server-no-www-authenticate",
            with_tokens(&[
                "server/unauthenticated-request",
                "server/garbage-credentials",
            ]),
        ),
        (
            "server-forbidden-without-token",
            vec![
                "server/unauthenticated-request",
                "server/garbage-credentials",
                "server/token-in-query",
            ],
        ),
        (
            "server-error-on-bad-token",
            with_tokens(&["server/garbage-credentials"]),
        ),
        ("server-ignores-scope", vec!["server/insufficient-scope"]),
        (
            "server-scope-challenge-without-scope",
            vec!["server/insufficient-scope"],
        ),
        (
            "server-case-sensitive-bearer",
            vec!["server/bearer-scheme-case"],
        ),
        (
            "server-session-as-authentication",
            vec!["server/session-without-token"],
        ),
        (
            "server-token-passthrough",
            vec!["server/no-token-passthrough"],
        ),
        (
            "prm-wrong-content-type",
            vec!["server/protected-resource-metadata"],
        ),
        (
            "prm-without-cors",
            vec!["server/protected-resource-metadata"],
        ),
        (
            "prm-empty-authorization-servers",
            vec![
                "server/protected-resource-metadata",
                "server/authorization-server-metadata",
            ],
        ),
        (
            "challenge-without-scope",
            vec!["server/unauthenticated-request"],
        ),
        (
            "prm-resource-mismatch",
            vec!["server/protected-resource-metadata"],
        ),
        // The 2026-07-28 variants: correct under 2025-11-25, except the issuer with a trailing
        // slash, which RFC 8414 §3.3 already forbids.
        ("server-2026-requires-initialize", vec![]),
        ("server-incomplete-scope-challenge", vec![]),
        ("prm-advertises-offline-access", vec![]),
        ("server-2026-accepts-any-version", vec![]),
        ("server-2026-mints-sessions", vec![]),
        (
            "prm-issuer-trailing-slash",
            vec!["server/authorization-server-metadata"],
        ),
    ];
    let keys = Arc::new(Keys::new());
    let mut wrong = Vec::new();
    for (variant, expected) in &cases {
        let results = run(&[variant], &keys).await;
        let got = not_passing(&results);
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        if got != expected {
            wrong.push(format!(
                "{variant}: expected {expected:?} to fail, got {got:?}\n{}",
                explain(&results)
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// At MCP 2026-07-28 (no `initialize`: the probes send `server/discover` with per-request
/// `_meta`), the correct mock passes every scenario but the session one (not part of the
/// revision), and each variant breaking one rule the revision adds fails exactly the scenarios of
/// that rule, with the check that judges it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_2026_07_28_the_correct_mock_passes_and_each_new_rule_can_fail() {
    let keys = Arc::new(Keys::new());
    let at = Some(SpecVersion::V2026_07_28);
    let results = run_at(&[], &keys, at).await;
    assert!(not_passing(&results).is_empty(), "{}", explain(&results));
    for r in &results {
        let expected = if r.id == "server/session-without-token" {
            Verdict::Skip
        } else {
            Verdict::Pass
        };
        assert_eq!(
            r.verdict, expected,
            "{} was {:?}: {:?}",
            r.id, r.verdict, r.error
        );
        assert_eq!(r.spec_version, SpecVersion::V2026_07_28);
        if r.verdict == Verdict::Skip {
            continue;
        }
        // The unauthenticated probe is server/discover, never initialize.
        let first = &r.trace[0];
        let body = first.request_body.as_deref().unwrap_or_default();
        assert!(
            body.contains("server/discover") && !body.contains("initialize"),
            "{}: {body}",
            r.id
        );
    }

    let cases: &[(&str, &[&str], &str)] = &[
        (
            "server-2026-requires-initialize",
            &["server/valid-token", "server/protocol-revisions"],
            "discover-answered",
        ),
        (
            "server-incomplete-scope-challenge",
            &["server/insufficient-scope"],
            "scope-challenge-complete",
        ),
        (
            "prm-advertises-offline-access",
            &["server/protected-resource-metadata"],
            "prm-no-offline-access",
        ),
        (
            "prm-issuer-trailing-slash",
            &["server/authorization-server-metadata"],
            "as-issuer-identical",
        ),
        (
            "server-2026-accepts-any-version",
            &["server/protocol-revisions"],
            "unsupported-version-rejected",
        ),
        (
            "server-2026-mints-sessions",
            &["server/protocol-revisions"],
            "no-session-for-modern-requests",
        ),
    ];
    let mut wrong = Vec::new();
    for (variant, expected, check) in cases {
        let results = run_at(&[variant], &keys, at).await;
        let got = not_passing(&results);
        let expected: BTreeSet<String> = expected.iter().map(|s| s.to_string()).collect();
        if got != expected {
            wrong.push(format!(
                "{variant}: expected {expected:?} to fail, got {got:?}\n{}",
                explain(&results)
            ));
        }
        let failed_check = results
            .iter()
            .flat_map(|r| &r.checks)
            .any(|c| c.id == *check && matches!(c.outcome, Outcome::Fail | Outcome::Warn));
        if !failed_check {
            wrong.push(format!("{variant}: the check {check} did not fail"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}
