//! The mock as the token issuer of a resource server under test, on real sockets: forged tokens
//! introspected by a confidential client, and the token-passthrough variant's forward seen in the
//! trace.

use std::time::{Duration, Instant};

use mcp_authlab_mock_idp::forge::{forge, ForgeRequest, TokenFlaw};
use mcp_authlab_mock_idp::trace::{Role, TraceEvent};
use mcp_authlab_mock_idp::urls::UPSTREAM_API_PATH;
use mcp_authlab_mock_idp::{Config, Deployment, IdpState, Options};
use serde_json::{json, Value};

async fn start(variants: &[&str], config: Config) -> Deployment {
    Deployment::start(Options {
        variants: variants.iter().map(|s| s.to_string()).collect(),
        config,
        ..Options::default()
    })
    .await
    .expect("deployment starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .no_proxy()
        .build()
        .unwrap()
}

async fn forged(state: &IdpState, audience: &str, flaw: TokenFlaw) -> String {
    let request = ForgeRequest {
        audience: audience.into(),
        scopes: vec!["mcp:tools".into()],
        client_id: "server-suite".into(),
        subject: "test-user".into(),
        flaw,
    };
    forge(state, &request).await.unwrap().token
}

/// The trace once no request is in flight (at most 5 s).
async fn settled_trace(state: &IdpState) -> Vec<TraceEvent> {
    let deadline = Instant::now() + Duration::from_secs(5);
    while state.trace.in_flight() > 0 {
        assert!(Instant::now() < deadline, "requests still in flight");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    state.trace.events()
}

async fn ping(http: &reqwest::Client, url: &str, token: &str) -> reqwest::Response {
    http.post(url)
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}))
        .send()
        .await
        .unwrap()
}

fn upstream_requests(trace: &[TraceEvent]) -> Vec<&TraceEvent> {
    trace
        .iter()
        .filter(|e| e.role == Role::AuthorizationServer && e.path == UPSTREAM_API_PATH)
        .collect()
}

#[tokio::test]
async fn the_passthrough_server_forwards_the_token_and_the_trace_keeps_it() {
    let deployment = start(&["server-token-passthrough"], Config::default()).await;
    let state = deployment.state();
    let ready = deployment.ready();
    let token = forged(state, &state.urls.resource(), TokenFlaw::None).await;
    let response = ping(&http(), &ready.mcp_url, &token).await;
    assert_eq!(response.status(), 200);

    // Counted as in flight from before the MCP answer: no polling for the event itself.
    let trace = settled_trace(state).await;
    let forwarded = upstream_requests(&trace);
    assert_eq!(forwarded.len(), 1, "{trace:#?}");
    let event = forwarded[0];
    assert_eq!(event.method, "GET");
    assert_eq!(event.status, 404);
    let raw = event.raw.as_ref().unwrap();
    assert_eq!(
        raw.header("authorization"),
        Some(format!("Bearer {token}").as_str())
    );
    // The serialized trace never shows it.
    let shown = &event.request_headers["authorization"];
    assert!(!shown.contains(&token), "{shown}");
    deployment.shutdown().await;
}

#[tokio::test]
async fn the_correct_server_forwards_nothing() {
    let deployment = start(&[], Config::default()).await;
    let state = deployment.state();
    let token = forged(state, &state.urls.resource(), TokenFlaw::None).await;
    let response = ping(&http(), &deployment.ready().mcp_url, &token).await;
    assert_eq!(response.status(), 200);
    let trace = settled_trace(state).await;
    assert!(upstream_requests(&trace).is_empty(), "{trace:#?}");
    assert!(trace
        .iter()
        .filter(|e| e.role == Role::AuthorizationServer)
        .all(|e| e.raw.as_ref().unwrap().header("authorization").is_none()));
    deployment.shutdown().await;
}

#[tokio::test]
async fn a_resource_server_introspects_forged_tokens_with_its_client() {
    let config = Config::default().with_resource_server_client("rs", "rs-secret");
    let deployment = start(&[], config).await;
    let state = deployment.state();
    let endpoint = &deployment.ready().introspection_endpoint;
    let http = http();
    let server_under_test = "http://127.0.0.1:9/mcp";
    for flaw in TokenFlaw::ALL {
        let token = forged(state, server_under_test, *flaw).await;
        let response = http
            .post(endpoint)
            .basic_auth("rs", Some("rs-secret"))
            .form(&[("token", token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{}", flaw.name());
        let body: Value = response.json().await.unwrap();
        if *flaw == TokenFlaw::None {
            assert_eq!(body["active"], true);
            assert_eq!(body["aud"], server_under_test);
        } else if *flaw == TokenFlaw::WrongAudience {
            // Active: judging the audience is the resource server's job.
            assert_eq!(body["active"], true);
            assert_eq!(body["aud"], "https://other-resource.example/mcp");
        } else {
            assert_eq!(body, json!({"active": false}), "{}", flaw.name());
        }
    }
    deployment.shutdown().await;
}
