//! The runner against real deployments and small shell clients (`sh -c SCRIPT URL`: the MCP URL
//! is `$0`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use mcp_authlab_mock_idp::trace::{RawRequest, Role, TraceEvent};
use mcp_authlab_reports::{Level, Outcome, SpecVersion, Verdict};

use super::*;
use crate::check::{Check, Finding, ALL_VERSIONS, SINCE_2025_11_25};
use crate::client::observation::test_support;
use crate::client::scenario::{Expectation, Setup, SetupError};

fn mcp_request_made(obs: &Observation) -> Finding {
    match obs.mcp_requests().first() {
        Some(request) => Finding::met(format!("saw {}", request.summary())),
        None => Finding::violated("the client made no MCP request"),
    }
}

fn panics(_: &Observation) -> Finding {
    panic!("a bug in a check")
}

pub(crate) fn scenario(id: &'static str) -> Scenario {
    Scenario {
        id,
        description: "a test scenario",
        official: false,
        versions: SINCE_2025_11_25,
        variants: &[],
        tweak: None,
        prepare: None,
        tls: false,
        expectation: Expectation::Complete,
        timeout: None,
        checks: vec![Check {
            id: "mcp-request-made",
            level: Level::Must,
            requirement: "T-1",
            section: "test",
            versions: ALL_VERSIONS,
            run: mcp_request_made,
        }],
    }
}

fn sh(script: &str) -> ClientTarget {
    ClientTarget::new(
        ClientCommand::from_argv(vec!["sh".into(), "-c".into(), script.into()]).unwrap(),
    )
}

fn quick() -> RunOptions {
    RunOptions {
        timeout: Duration::from_secs(20),
        ..RunOptions::default()
    }
}

const POST_TO_MCP: &str =
    r#"curl -s -o /dev/null -X POST -H 'content-type: application/json' -d '{}' "$0""#;

#[tokio::test]
async fn a_client_that_does_nothing_fails_and_one_that_asks_passes() {
    let idle = run_scenario_detailed(&sh("exit 0"), &scenario("test/idle"), &quick()).await;
    assert_eq!(idle.result.verdict, Verdict::Fail, "{:?}", idle.result);
    assert_eq!(idle.error_cause, None);
    assert_eq!(idle.result.checks[0].outcome, Outcome::Fail);
    assert_eq!(
        idle.result.checks[0].message,
        "the client made no MCP request"
    );
    assert_eq!(
        idle.result.spec_version,
        SpecVersion::V2025_11_25,
        "the default version where the scenario applies"
    );

    let asking = run_scenario(&sh(POST_TO_MCP), &scenario("test/asking"), &quick()).await;
    assert_eq!(asking.verdict, Verdict::Pass, "{asking:?}");
    let first = &asking.trace[0];
    assert_eq!(
        (first.from.as_str(), first.to.as_str()),
        ("client", "mcp_server")
    );
    assert!(
        first.url.starts_with("http://127.0.0.1:") && first.url.ends_with("/mcp"),
        "{first:?}"
    );
    assert_eq!((first.method.as_str(), first.status), ("POST", 401));
}

fn prepare_context(setup: &mut Setup) -> Result<(), SetupError> {
    setup.context = Some(serde_json::json!({
        "client_id": "pre-registered-client",
        "client_secret": "pre-registered-secret-value",
    }));
    Ok(())
}

#[tokio::test]
async fn the_client_gets_the_conformance_environment_and_its_secrets_stay_out_of_the_output() {
    let mut with_context = scenario("test/context");
    with_context.prepare = Some(prepare_context);
    let target = sh(r#"echo "scenario=$MCP_CONFORMANCE_SCENARIO version=$MCP_CONFORMANCE_PROTOCOL_VERSION browser=$BROWSER"
echo "context=$MCP_CONFORMANCE_CONTEXT"
echo "url=$0" >&2
echo "secret is pre-registered-secret-value" >&2"#)
    .with_browser("/bin/true browse");
    let options = RunOptions {
        spec_version: Some(SpecVersion::V2025_11_25),
        ..quick()
    };
    let result = run_scenario(&target, &with_context, &options).await;
    let output = result.output.join("\n");
    assert!(
        output.contains("scenario=test/context version=2025-11-25 browser=/bin/true browse"),
        "{output}"
    );
    let context = output
        .lines()
        .find_map(|line| line.strip_prefix("context="))
        .unwrap();
    let context: serde_json::Value = serde_json::from_str(context).unwrap();
    assert_eq!(context["name"], "test/context");
    assert_eq!(context["client_id"], "pre-registered-client");
    assert!(context["client_secret"]
        .as_str()
        .unwrap()
        .starts_with("‹redacted:"));
    assert!(!output.contains("pre-registered-secret-value"), "{output}");
    assert!(output.contains("url=http://127.0.0.1:"), "{output}");
    assert_eq!(result.spec_version, SpecVersion::V2025_11_25);
}

#[tokio::test]
async fn a_hanging_client_is_an_error_unless_a_check_failed() {
    let mut hanging = scenario("test/hanging");
    hanging.timeout = Some(Duration::from_millis(300));
    let run = run_scenario_detailed(
        &sh(&format!("{POST_TO_MCP}; exec sleep 30")),
        &hanging,
        &quick(),
    )
    .await;
    assert_eq!(run.result.verdict, Verdict::Error, "{:?}", run.result);
    assert_eq!(run.error_cause, Some(ErrorCause::Target));
    assert_eq!(
        run.result.error.as_deref(),
        Some("the client did not finish within 0.3s")
    );
    assert!(run.result.duration_ms < 5000, "{}", run.result.duration_ms);

    let run = run_scenario_detailed(&sh("exec sleep 30"), &hanging, &quick()).await;
    assert_eq!(run.result.verdict, Verdict::Fail, "{:?}", run.result);
    assert_eq!(run.error_cause, None);
    assert!(run
        .result
        .output
        .last()
        .unwrap()
        .contains("did not finish within 0.3s"));
}

#[tokio::test]
async fn an_inapplicable_version_skips_without_running_the_client() {
    let options = RunOptions {
        spec_version: Some(SpecVersion::V2025_03_26),
        ..quick()
    };
    // The command does not exist: running it would give an error, not a skip.
    let target = ClientTarget::new(ClientCommand::parse("/no/such/client").unwrap());
    let run = run_scenario_detailed(&target, &scenario("test/new"), &options).await;
    assert_eq!(run.result.verdict, Verdict::Skip);
    assert_eq!(
        run.result.error.as_deref(),
        Some("not part of MCP 2025-03-26; the scenario applies to 2025-11-25, 2026-07-28")
    );
    assert!(run.result.checks.is_empty());
}

#[tokio::test]
async fn harness_failures_and_client_start_failures_are_told_apart() {
    let mut broken = scenario("test/broken");
    broken.variants = &["no-such-variant"];
    let run = run_scenario_detailed(&sh("exit 0"), &broken, &quick()).await;
    assert_eq!(run.result.verdict, Verdict::Error);
    assert_eq!(run.error_cause, Some(ErrorCause::Harness));
    assert!(
        run.result
            .error
            .as_deref()
            .unwrap()
            .starts_with("the mock deployment could not start"),
        "{:?}",
        run.result.error
    );

    let target = ClientTarget::new(ClientCommand::parse("/no/such/client").unwrap());
    let run = run_scenario_detailed(&target, &scenario("test/missing"), &quick()).await;
    assert_eq!(run.result.verdict, Verdict::Error);
    assert_eq!(run.error_cause, Some(ErrorCause::Target));

    let mut buggy = scenario("test/buggy");
    buggy.checks[0].run = panics;
    let run = run_scenario_detailed(&sh("exit 0"), &buggy, &quick()).await;
    assert_eq!(run.error_cause, Some(ErrorCause::Harness));
    assert_eq!(
        run.result.error.as_deref(),
        Some("the check `mcp-request-made` panicked: a bug in a check")
    );
}

#[tokio::test]
async fn tls_scenarios_hand_the_ca_to_the_client() {
    let mut tls = scenario("test/tls");
    tls.tls = true;
    let target = sh(&format!(
        r#"test -s "$SSL_CERT_FILE" && test "$NODE_EXTRA_CA_CERTS" = "$SSL_CERT_FILE" && {POST_TO_MCP}"#
    ));
    let result = run_scenario(&target, &tls, &quick()).await;
    assert_eq!(result.verdict, Verdict::Pass, "{result:?}");
    assert!(result.trace[0].url.starts_with("https://127.0.0.1:"));
}

#[tokio::test]
async fn expected_failures_are_applied() {
    let options = RunOptions {
        expected_failures: Baseline::from_entries(["test/idle"]).unwrap(),
        ..quick()
    };
    let result = run_scenario(&sh("exit 0"), &scenario("test/idle"), &options).await;
    assert_eq!(result.verdict, Verdict::Fail);
    assert!(result.expected_failure && result.checks[0].expected_failure);
}

#[test]
fn the_context_names_the_scenario_first() {
    let json = context_json(
        "auth/pre-registration",
        &serde_json::json!({"name": "ignored", "client_id": "c"}),
    )
    .unwrap();
    assert_eq!(json, r#"{"name":"auth/pre-registration","client_id":"c"}"#);
    assert_eq!(
        context_json("a", &serde_json::json!({})).unwrap(),
        r#"{"name":"a"}"#
    );
    assert!(context_json("a", &serde_json::json!([1])).is_err());
}

#[test]
fn exchanges_show_only_redacted_fields() {
    let obs = test_support::observation();
    let event = TraceEvent {
        seq: 7,
        timestamp_ms: 0,
        role: Role::AuthorizationServer,
        method: "POST".into(),
        path: "/token?code=‹redacted:00000000›".into(),
        status: 200,
        duration_ms: 3,
        request_headers: BTreeMap::from([(
            "authorization".to_string(),
            "Basic ‹redacted:11111111›".to_string(),
        )]),
        request_body: Some("grant_type=authorization_code&code=‹redacted:00000000›".into()),
        response_headers: BTreeMap::new(),
        response_body: Some(r#"{"access_token":"‹redacted:22222222›"}"#.into()),
        raw: Some(Arc::new(RawRequest {
            path_and_query: "/token?code=RAWCODE".into(),
            headers: vec![("authorization".into(), "Basic RAWBASIC".into())],
            body: b"grant_type=authorization_code&code=RAWCODE".to_vec(),
        })),
        raw_response: None,
    };
    let exchange = exchange(&obs, &event);
    assert_eq!(exchange.to, "authorization_server");
    assert_eq!(exchange.from, "client");
    assert_eq!(
        exchange.url,
        format!("{}/token?code=‹redacted:00000000›", test_support::AS)
    );
    let json = serde_json::to_string(&exchange).unwrap();
    assert!(!json.contains("RAW"), "{json}");
}

#[test]
fn default_version_is_2025_11_25_where_it_applies_else_the_scenarios_own() {
    use crate::client::scenarios::find;
    use mcp_authlab_reports::SpecVersion::*;
    let version = |id: &str| super::default_version(&find(id).unwrap());
    assert_eq!(version("auth/metadata-default"), Some(V2025_11_25));
    assert_eq!(version("auth/token-endpoint-auth-basic"), Some(V2025_11_25));
    assert_eq!(version("auth/iss-wrong-issuer"), Some(V2026_07_28));
    assert_eq!(
        version("auth/2025-03-26-oauth-endpoint-fallback"),
        Some(V2025_03_26)
    );
}
