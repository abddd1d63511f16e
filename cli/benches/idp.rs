//! Benchmarks of the mock IdP: start-up to the ready line (the real binary), and full
//! authorization-code flows (register, authorize, token) on real sockets.
//! Run: `cargo bench -p mcp-authlab --bench idp` (ci/bench also reports idle memory).

use std::process::Command;
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion};
use mcp_authlab_harness::process::ProcessGroup;
use mcp_authlab_mock_idp::{Deployment, Options};
use serde_json::{json, Value};

fn ready_line(c: &mut Criterion) {
    let binary = env!("CARGO_BIN_EXE_mcp-authlab");
    c.bench_function("idp_start_to_ready_line", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let started = Instant::now();
                let mut p = ProcessGroup::spawn(Command::new(binary).args(["idp", "--quiet"]))
                    .expect("spawn");
                p.next_line(Duration::from_secs(10)).expect("ready line");
                total += started.elapsed();
                p.terminate(Duration::from_secs(5)).expect("terminate");
            }
            total
        })
    });
}

const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:9/callback";

async fn one_flow(http: &reqwest::Client, ready: &mcp_authlab_mock_idp::ReadyInfo) {
    let registration: Value = http
        .post(ready.registration_endpoint.as_deref().unwrap())
        .json(&json!({"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none",
                      "grant_types": ["authorization_code", "refresh_token"], "client_name": "bench"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registration["client_id"].as_str().unwrap();
    let mut authorize = url::Url::parse(&ready.authorization_endpoint).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", REDIRECT)
        .append_pair("code_challenge", CHALLENGE)
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "s")
        .append_pair("resource", &ready.mcp_url)
        .append_pair("scope", "mcp:tools");
    let redirect = http.get(authorize).send().await.unwrap();
    let location = url::Url::parse(redirect.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .expect("code in redirect");
    let token = http
        .post(&ready.token_endpoint)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", REDIRECT),
            ("client_id", client_id),
            ("code_verifier", VERIFIER),
            ("resource", ready.mcp_url.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), 200);
}

fn auth_code_flow(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let deployment = runtime
        .block_on(Deployment::start(Options::default()))
        .unwrap();
    let ready = deployment.ready().clone();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    // Warm the RSA key and the connection pool before measuring.
    runtime.block_on(one_flow(&http, &ready));
    c.bench_function("auth_code_flow_register_authorize_token", |b| {
        b.to_async(&runtime).iter(|| one_flow(&http, &ready))
    });
    runtime.block_on(deployment.shutdown());
}

criterion_group!(benches, ready_line, auth_code_flow);
criterion_main!(benches);
