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
        SpecVersion::V2026_07_28,
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

fn always_warns(_: &Observation) -> Finding {
    Finding::violated("the client hung where it should have given up")
}

#[tokio::test]
async fn a_hanging_client_is_an_error_unless_a_check_judged_it() {
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

    // A MUST check failed: the verdict is the failure.
    let run = run_scenario_detailed(&sh("exec sleep 30"), &hanging, &quick()).await;
    assert_eq!(run.result.verdict, Verdict::Fail, "{:?}", run.result);
    assert_eq!(run.error_cause, None);
    assert!(run
        .result
        .output
        .last()
        .unwrap()
        .contains("did not finish within 0.3s"));

    // A SHOULD check judged the hang: the verdict is its warning, not an error.
    let mut judged = hanging.clone();
    judged.checks.push(Check {
        id: "gives-up",
        level: Level::Should,
        requirement: "T-2",
        section: "test",
        versions: ALL_VERSIONS,
        run: always_warns,
    });
    let run = run_scenario_detailed(
        &sh(&format!("{POST_TO_MCP}; exec sleep 30")),
        &judged,
        &quick(),
    )
    .await;
    assert_eq!(run.result.verdict, Verdict::Warn, "{:?}", run.result);
    assert_eq!(run.error_cause, None);
    assert_eq!(run.result.error, None);
    assert!(run
        .result
        .output
        .last()
        .unwrap()
        .contains("did not finish within 0.3s"));
}

#[test]
fn scenario_timeouts_are_floors_a_longer_timeout_from_the_user_extends() {
    let mut own = scenario("test/own-timeout");
    own.timeout = Some(Duration::from_secs(15));
    let plain = scenario("test/no-timeout");
    let options = |secs: u64, given: bool| RunOptions {
        timeout: Duration::from_secs(secs),
        timeout_given: given,
        ..RunOptions::default()
    };
    let secs = |s: &Scenario, o: &RunOptions| effective_timeout(s, o).as_secs();
    // The default 30 s does not stretch a scenario's 15 s.
    assert_eq!(secs(&own, &RunOptions::default()), 15);
    assert_eq!(secs(&plain, &RunOptions::default()), 30);
    // A longer --timeout does; a shorter one never cuts the scenario's own.
    assert_eq!(secs(&own, &options(60, true)), 60);
    assert_eq!(secs(&own, &options(5, true)), 15);
    assert_eq!(secs(&own, &options(60, false)), 15);
    assert_eq!(secs(&plain, &options(5, true)), 5);
}

#[test]
fn the_client_environment_is_set_and_cleaned() {
    let ready = test_support::observation().ready;
    let target = sh("true").with_browser("my-browser");
    let log = std::path::Path::new("/tmp/x/deliveries");
    let env = client_env(
        "auth/x",
        SpecVersion::V2025_11_25,
        None,
        &ready,
        &target,
        log,
    )
    .unwrap();
    assert_eq!(env.get("MCP_CONFORMANCE_SCENARIO"), Some("auth/x"));
    assert_eq!(
        env.get("MCP_CONFORMANCE_PROTOCOL_VERSION"),
        Some("2025-11-25")
    );
    assert_eq!(env.get("BROWSER"), Some("my-browser"));
    assert_eq!(
        env.get(browser::DELIVERY_LOG_ENV),
        Some("/tmp/x/deliveries")
    );
    assert!(env
        .get("NO_PROXY")
        .unwrap()
        .ends_with("127.0.0.1,localhost,::1"));
    for removed in [
        "MCP_CONFORMANCE_CONTEXT",
        "SSL_CERT_FILE",
        "NODE_EXTRA_CA_CERTS",
        "HTTPS_PROXY",
        "http_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        assert!(env.remove.iter().any(|n| n == removed), "{removed}");
        assert_eq!(env.get(removed), None, "{removed}");
    }

    let mut tls_ready = ready.clone();
    tls_ready.ca_cert = Some("/tmp/ca.pem".into());
    let context = serde_json::json!({"client_id": "c"});
    let env = client_env(
        "auth/x",
        SpecVersion::V2025_11_25,
        Some(&context),
        &tls_ready,
        &sh("true"),
        log,
    )
    .unwrap();
    assert_eq!(
        env.get("MCP_CONFORMANCE_CONTEXT"),
        Some(r#"{"name":"auth/x","client_id":"c"}"#)
    );
    assert_eq!(env.get("SSL_CERT_FILE"), Some("/tmp/ca.pem"));
    assert_eq!(env.get("CURL_CA_BUNDLE"), Some("/tmp/ca.pem"));
    assert_eq!(env.get("BROWSER"), None);
    for kept in ["MCP_CONFORMANCE_CONTEXT", "SSL_CERT_FILE"] {
        assert!(!env.remove.iter().any(|n| n == kept), "{kept}");
    }
    assert!(env.remove.iter().any(|n| n == "HTTP_PROXY"));
}

/// Registers (DCR), prints the client secret alone, gets a code from /authorize and prints it
/// without ever sending it back. Plain `sh`, `curl` and `sed`.
const LEAKY_CLIENT: &str = r#"origin=$(echo "$0" | sed -E 's#^(https?://[^/]+).*#\1#')
field() { sed -E "s/.*\"$1\":\"?([^\",]*).*/\1/"; }
as=$(curl -s "$origin/.well-known/oauth-protected-resource/mcp" | sed -E 's/.*"authorization_servers":\["([^"]*)".*/\1/')
meta=$(curl -s "$as/.well-known/oauth-authorization-server")
dcr=$(curl -s -X POST -H 'content-type: application/json' -d '{"redirect_uris":["http://127.0.0.1:9/cb"],"token_endpoint_auth_method":"client_secret_basic"}' "$(echo "$meta" | field registration_endpoint)")
echo "$dcr" | field client_secret
location=$(curl -s -o /dev/null -w '%{redirect_url}' "$(echo "$meta" | field authorization_endpoint)?response_type=code&client_id=$(echo "$dcr" | field client_id)&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&state=s1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSWe7-cM&code_challenge_method=S256")
echo "the code is $(echo "$location" | sed -E 's/.*[?&]code=([^&]*).*/\1/')"
echo "python says {'refresh_token': 'x', 'token_type': 'Bearer'}"
"#;

/// A careless check: quotes the client secret the mock issued.
fn quotes_the_issued_secret(obs: &Observation) -> Finding {
    let secret = obs
        .events
        .iter()
        .filter_map(|e| e.raw_response.as_deref())
        .filter_map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
        .find_map(|body| body["client_secret"].as_str().map(str::to_string));
    match secret {
        Some(secret) => Finding::violated(format!("registered with secret {secret}")),
        None => Finding::violated("no registration"),
    }
}

#[tokio::test]
async fn secrets_the_mock_issued_stay_out_of_output_and_messages_even_when_never_sent_back() {
    let mut leaky = scenario("test/leaky");
    leaky.checks.push(Check {
        id: "careless",
        level: Level::Must,
        requirement: "T-3",
        section: "test",
        versions: ALL_VERSIONS,
        run: quotes_the_issued_secret,
    });
    let result = run_scenario(&sh(LEAKY_CLIENT), &leaky, &quick()).await;
    let output = result.output.join("\n");
    // The secret printed alone is a fingerprint, whole.
    let first = &result.output[0];
    assert!(
        first.starts_with("‹redacted:") && first.ends_with('›') && first.chars().count() == 19,
        "{output}"
    );
    let message = &result.checks[1].message;
    assert_eq!(message, &format!("registered with secret {first}"));
    // The code never sent back is fingerprinted like the trace's Location.
    let location = result
        .trace
        .iter()
        .find_map(|e| e.response_headers.get("location"))
        .expect("an authorization response");
    let code = location
        .split(['?', '&'])
        .find_map(|pair| pair.strip_prefix("code="))
        .unwrap();
    assert!(code.starts_with("‹redacted:"), "{location}");
    assert!(
        output.contains(&format!("the code is {code}\n")),
        "{output}"
    );
    assert!(output.contains("{'refresh_token': '‹redacted:"), "{output}");
    assert!(output.contains("'token_type': 'Bearer'"), "{output}");
}

fn reports_deliveries(obs: &Observation) -> Finding {
    Finding::note(format!("deliveries: {:?}", obs.browser_deliveries))
}

#[tokio::test]
async fn the_browsers_deliveries_reach_the_observation() {
    let mut browsing = scenario("test/browsing");
    browsing.checks = vec![Check {
        id: "deliveries",
        level: Level::May,
        requirement: "T-4",
        section: "test",
        versions: ALL_VERSIONS,
        run: reports_deliveries,
    }];
    // A stand-in for `mcp-authlab browse` that records one answered and one unanswered target,
    // and a line that is not a delivery.
    let dir = tempfile::tempdir().unwrap();
    let browse = dir.path().join("browse");
    std::fs::write(
        &browse,
        "#!/bin/sh\nprintf '302 http://127.0.0.1:9/cb?state=s1\\njunk\\nunanswered http://localhost:9/x\\n' >> \"$MCP_AUTHLAB_BROWSER_LOG\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&browse, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let target =
        sh(r#"$BROWSER "http://127.0.0.1:9/authorize""#).with_browser(browse.display().to_string());
    let result = run_scenario(&target, &browsing, &quick()).await;
    assert_eq!(
        result.checks[0].message,
        r#"deliveries: ["302 http://127.0.0.1:9/cb?state=s1", "unanswered http://localhost:9/x"]"#,
        "{result:?}"
    );
    // Without a browser that records anything, none.
    let result = run_scenario(&sh("true"), &browsing, &quick()).await;
    assert_eq!(result.checks[0].message, "deliveries: []");
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
    let error = context_json("a", &serde_json::json!(["S3CR3T-IN-A-LIST"])).unwrap_err();
    assert_eq!(error, "the scenario's context is not a JSON object");
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
        completed: true,
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
fn default_version_is_2026_07_28_where_it_applies_else_the_scenarios_own() {
    use crate::client::scenarios::find;
    use mcp_authlab_reports::SpecVersion::*;
    let version = |id: &str| super::default_version(&find(id).unwrap());
    assert_eq!(version("auth/metadata-default"), Some(V2026_07_28));
    assert_eq!(version("auth/token-endpoint-auth-basic"), Some(V2026_07_28));
    assert_eq!(version("auth/iss-wrong-issuer"), Some(V2026_07_28));
    assert_eq!(
        version("auth/2025-03-26-oauth-endpoint-fallback"),
        Some(V2025_03_26)
    );
}
