//! Catalogue-wide tests: unique ids, and the false-pass guards (a server that never answers, or
//! answers 200 to everything, passes no scenario; a correct server built by hand passes all).

use std::collections::BTreeSet;

use mcp_authlab_reports::Outcome;
use serde_json::{json, Value};

use crate::server::checks::{flaws::FLAWS, garbage, presentation, scope, step_up};
use crate::server::observation::test_support::{failed_probe, observation, probe, ProbeBuilder};
use crate::server::observation::{label, AsLocation, ServerObservation};
use crate::server::revision_probes;
use crate::server::scenario::{Credential, ServerScenario, Step};

const MCP: &str = "http://127.0.0.1:1000/mcp";
const PRM_PATH: &str = "http://127.0.0.1:1000/.well-known/oauth-protected-resource/mcp";
const ISSUER: &str = "http://127.0.0.1:2000";

#[test]
fn scenario_ids_are_unique_and_check_ids_unique_within_a_scenario() {
    let all = super::all();
    let ids: BTreeSet<_> = all.iter().map(|s| s.id).collect();
    assert_eq!(ids.len(), all.len());
    for scenario in &all {
        assert!(scenario.id.starts_with("server/"), "{}", scenario.id);
        let checks: BTreeSet<_> = scenario.checks.iter().map(|c| c.id).collect();
        assert_eq!(checks.len(), scenario.checks.len(), "{}", scenario.id);
        for check in &scenario.checks {
            assert!(
                check
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                check.id
            );
        }
    }
    assert!(super::find("server/valid-token").is_some());
    assert!(super::find("server/nope").is_none());
}

#[test]
fn texts_have_no_broken_line_continuations() {
    for scenario in super::all() {
        assert!(!scenario.description.contains("  "), "{}", scenario.id);
        for check in &scenario.checks {
            assert!(
                !check.section.contains("  "),
                "{} {}",
                scenario.id,
                check.id
            );
        }
    }
}

#[test]
fn only_the_token_scenarios_need_a_token() {
    let black_box: Vec<&str> = super::all()
        .iter()
        .filter(|s| !s.needs_token())
        .map(|s| s.id)
        .collect();
    assert_eq!(
        black_box,
        [
            "server/unauthenticated-request",
            "server/protected-resource-metadata",
            "server/authorization-server-metadata",
            "server/garbage-credentials",
        ]
    );
}

/// The observation `scenario`'s steps would give against a server that answers each label with
/// `answer(label)` (the probe labels the steps use, see `probe.rs`).
fn simulate(scenario: &ServerScenario, answer: &dyn Fn(&str) -> ProbeBuilder) -> ServerObservation {
    let mut obs = observation();
    for step in &scenario.steps {
        match step {
            Step::Unauthenticated => answer(label::UNAUTHENTICATED).push(&mut obs),
            Step::ProtectedResourceMetadata => {
                for l in [
                    label::PRM_FROM_CHALLENGE,
                    label::PRM_AT_PATH,
                    label::PRM_AT_ROOT,
                ] {
                    answer(l).push(&mut obs);
                }
            }
            Step::AuthorizationServerMetadata => {
                let servers = obs
                    .prm()
                    .and_then(|(_, doc)| doc.get("authorization_servers")?.as_array().cloned())
                    .unwrap_or_default();
                for index in 0..servers.len().min(4) {
                    for location in AsLocation::ORDER {
                        answer(&label::as_metadata(index, location)).push(&mut obs);
                    }
                }
            }
            Step::Present { label, credential } => {
                if !matches!(credential, Credential::Literal(_)) {
                    obs.presented_tokens.push(format!("token-{label}"));
                }
                answer(label).push(&mut obs);
            }
            Step::SessionWithoutToken => {
                obs.presented_tokens.push("token-session".into());
                answer("session:initialize").push(&mut obs);
                answer(label::SESSION_WITHOUT_TOKEN).push(&mut obs);
            }
            Step::Revisions => {
                obs.presented_tokens.push("token-revisions".into());
                for (l, _) in revision_probes::requests() {
                    answer(&l).push(&mut obs);
                }
            }
            Step::StepUp => {
                obs.presented_tokens.push("token-step-up".into());
                answer(step_up::CHALLENGED_SCOPES).push(&mut obs);
            }
            Step::CollectIdpTrace => {}
        }
    }
    obs
}

/// Each check's outcome at `version`, as `id outcome: message` lines.
fn outcomes(scenario: &ServerScenario, obs: &ServerObservation) -> Vec<(Outcome, String)> {
    scenario
        .checks
        .iter()
        .map(|check| {
            let r = check.evaluate(obs, obs.spec_version);
            (
                r.outcome,
                format!("{} {:?}: {}", r.id, r.outcome, r.message),
            )
        })
        .collect()
}

/// The (scenario, version) pairs whose checks give no fail and no warn against `answer`.
fn passed_by(answer: &dyn Fn(&str) -> ProbeBuilder) -> Vec<String> {
    let mut passed = Vec::new();
    for scenario in super::all() {
        for &version in scenario.versions {
            let mut obs = simulate(&scenario, answer);
            obs.spec_version = version;
            let results = outcomes(&scenario, &obs);
            if !results
                .iter()
                .any(|(o, _)| matches!(o, Outcome::Fail | Outcome::Warn))
            {
                let lines: Vec<String> = results.into_iter().map(|(_, l)| l).collect();
                passed.push(format!(
                    "{} @ {version}: [{}]",
                    scenario.id,
                    lines.join("; ")
                ));
            }
        }
    }
    passed
}

#[test]
fn no_scenario_passes_a_server_that_never_answers() {
    let passed = passed_by(&|l| failed_probe(l, "connection refused"));
    assert!(passed.is_empty(), "{passed:#?}");
}

fn initialize_result() -> Value {
    json!({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25", "capabilities": {}}})
}

#[test]
fn no_scenario_passes_a_server_that_answers_200_to_everything() {
    let passed = passed_by(&|l| {
        probe(l, 200)
            .json(initialize_result())
            .header("mcp-session-id", "s1")
    });
    assert!(passed.is_empty(), "{passed:#?}");
}

fn prm() -> Value {
    json!({
        "resource": MCP,
        "authorization_servers": [ISSUER],
        "scopes_supported": ["mcp:tools"],
        "bearer_methods_supported": ["header"],
    })
}

fn as_metadata() -> Value {
    json!({
        "issuer": ISSUER,
        "authorization_endpoint": format!("{ISSUER}/authorize"),
        "token_endpoint": format!("{ISSUER}/token"),
        "registration_endpoint": format!("{ISSUER}/register"),
        "client_id_metadata_document_supported": true,
        "response_types_supported": ["code"],
        "code_challenge_methods_supported": ["S256"],
    })
}

/// A correct protected MCP server, label by label.
fn correct_server(l: &str) -> ProbeBuilder {
    let rm = format!(r#"resource_metadata="{PRM_PATH}""#);
    let invalid = format!(r#"Bearer error="invalid_token", {rm}"#);
    let accepted = |l: &str| probe(l, 200).json(initialize_result());
    match l {
        label::UNAUTHENTICATED => probe(l, 401).header(
            "www-authenticate",
            &format!(r#"Bearer {rm}, scope="mcp:tools""#),
        ),
        label::PRM_FROM_CHALLENGE | label::PRM_AT_PATH => probe(l, 200)
            .get(PRM_PATH)
            .json(prm())
            .header("access-control-allow-origin", "*"),
        label::PRM_AT_ROOT => probe(l, 404),
        l if l == label::as_metadata(0, AsLocation::Rfc8414) => probe(l, 200).json(as_metadata()),
        l if l.starts_with("as:") => probe(l, 404),
        label::VALID
        | presentation::LOWERCASE_SCHEME
        | presentation::UPPERCASE_SCHEME
        | presentation::EXTRA_SPACES => accepted(l),
        "session:initialize" => accepted(l).header("mcp-session-id", "s1"),
        step_up::CHALLENGED_SCOPES => accepted(l),
        label::REVISION_DISCOVER => probe(l, 200).json(json!({"jsonrpc": "2.0", "id": 1,
            "result": {"resultType": "complete", "supportedVersions": ["2026-07-28"],
                       "capabilities": {}, "ttlMs": 0, "cacheScope": "public"}})),
        label::REVISION_STATELESS => probe(l, 200).json(json!({"jsonrpc": "2.0", "id": 1,
            "result": {"resultType": "complete", "tools": []}})),
        label::REVISION_UNSUPPORTED => probe(l, 400).json(json!({"jsonrpc": "2.0", "id": 1,
            "error": {"code": -32022, "message": "Unsupported protocol version",
                      "data": {"supported": ["2026-07-28", "2025-11-25"]}}})),
        l if l.starts_with("revision:initialize:") => probe(l, 200).json(json!({"jsonrpc": "2.0",
            "id": 1, "result": {"protocolVersion": l.trim_start_matches("revision:initialize:"),
                                "capabilities": {}}})),
        scope::NO_SCOPES => probe(l, 403).header(
            "www-authenticate",
            &format!(r#"Bearer error="insufficient_scope", scope="mcp:tools", {rm}"#),
        ),
        garbage::EMPTY_BEARER | garbage::TWO_TOKENS => probe(l, 400),
        garbage::BASIC => probe(l, 401).header("www-authenticate", &format!("Bearer {rm}")),
        label::SESSION_WITHOUT_TOKEN | presentation::QUERY | garbage::RANDOM => {
            probe(l, 401).header("www-authenticate", &invalid)
        }
        l if FLAWS.iter().any(|c| c.label == l) => {
            probe(l, 401).header("www-authenticate", &invalid)
        }
        other => panic!("the correct server does not know the probe `{other}`"),
    }
}

#[test]
fn a_correct_server_passes_every_scenario_at_every_version() {
    for scenario in super::all() {
        for &version in scenario.versions {
            let mut obs = simulate(&scenario, &correct_server);
            obs.spec_version = version;
            let results = outcomes(&scenario, &obs);
            let bad: Vec<&String> = results
                .iter()
                .filter(|(o, _)| !matches!(o, Outcome::Pass | Outcome::Skip))
                .map(|(_, l)| l)
                .collect();
            assert!(bad.is_empty(), "{} @ {version}: {bad:#?}", scenario.id);
            assert!(
                results.iter().any(|(o, _)| *o == Outcome::Pass),
                "{} @ {version} passed nothing",
                scenario.id
            );
        }
    }
}

#[test]
fn the_discovery_scenarios_judge_everything_against_a_correct_server() {
    // At 2025-11-25 every check of the discovery scenarios that applies is judged, and passes.
    for id in [
        "server/unauthenticated-request",
        "server/protected-resource-metadata",
        "server/authorization-server-metadata",
    ] {
        let scenario = super::find(id).unwrap();
        let obs = simulate(&scenario, &correct_server);
        for check in &scenario.checks {
            let r = check.evaluate(&obs, obs.spec_version);
            if check.applies_to(obs.spec_version) {
                assert_eq!(r.outcome, Outcome::Pass, "{id} {}: {}", r.id, r.message);
            }
        }
    }
}
