//! Bad input on real sockets: every endpoint of the mock, every method, malformed and oversized
//! bodies, hostile query strings. The mock must answer each with a 4xx (the RFC's error response
//! where the endpoint speaks OAuth), never a 5xx, a panic or a dropped connection.

use std::time::Duration;

use mcp_authlab_mock_idp::{Deployment, Options};
use reqwest::Method;

fn endpoints(ready: &mcp_authlab_mock_idp::ReadyInfo) -> Vec<String> {
    let mut urls = vec![
        ready.mcp_url.clone(),
        ready.issuer.clone() + "/authorize",
        ready.issuer.clone() + "/authorize/decision",
        ready.issuer.clone() + "/device",
        ready.authorization_server_metadata_url.clone(),
        ready.token_endpoint.clone(),
        ready.jwks_uri.clone(),
        ready.introspection_endpoint.clone(),
        ready.revocation_endpoint.clone(),
        ready.device_authorization_endpoint.clone(),
    ];
    urls.extend(ready.registration_endpoint.clone());
    urls.extend(ready.protected_resource_metadata_url.clone());
    urls
}

/// (content type, body)
fn bodies() -> Vec<(Option<&'static str>, Vec<u8>)> {
    let form = Some("application/x-www-form-urlencoded");
    let json = Some("application/json");
    vec![
        (None, Vec::new()),
        (form, b"grant_type=authorization_code&grant_type=refresh_token".to_vec()),
        (form, vec![0xff, 0xfe, b'=', 0x80]),
        (form, b"%%%&&==&a=%ZZ&code=&client_id=%00".to_vec()),
        (form, b"grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer&assertion=a.b.c&client_id=x".to_vec()),
        (form, b"grant_type=authorization_code&code=x&client_id=nobody&code_verifier=".to_vec()),
        (json, b"{".to_vec()),
        (json, b"[1,2,3]".to_vec()),
        (json, br#"{"redirect_uris": "not-a-list", "jsonrpc": 2, "method": null}"#.to_vec()),
        (json, br#"{"jsonrpc":"2.0","id":{"x":1},"method":"tools/call","params":[]}"#.to_vec()),
        (Some("text/plain"), b"hello".to_vec()),
        (form, vec![b'a'; 1024 * 1024]),
    ]
}

const QUERIES: &[&str] = &[
    "",
    "?%FF%FE",
    "?client_id=a&client_id=b",
    "?response_type=code&client_id=https%3A%2F%2F10.0.0.1%2Fcimd.json&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb",
    "?response_type=token&client_id=&redirect_uri=javascript:alert(1)",
    "?user_code=%3Cscript%3E",
];

async fn sweep(variants: &[&str]) {
    let deployment = Deployment::start(Options {
        variants: variants.iter().map(|s| s.to_string()).collect(),
        ..Options::default()
    })
    .await
    .expect("deployment starts");
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let methods = [
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::DELETE,
        Method::PATCH,
        Method::OPTIONS,
    ];
    let mut checked = 0;
    for url in endpoints(deployment.ready()) {
        for query in QUERIES {
            for method in &methods {
                for (content_type, body) in bodies() {
                    if body.len() > 64 * 1024 && !query.is_empty() {
                        continue; // the oversized body once per endpoint and method is enough
                    }
                    let mut request = http
                        .request(method.clone(), format!("{url}{query}"))
                        .body(body.clone())
                        .bearer_auth("garbage.token.value");
                    if let Some(ct) = content_type {
                        request = request.header("content-type", ct);
                    }
                    let response = request.send().await.unwrap_or_else(|e| {
                        panic!("{method} {url}{query} ({content_type:?}, {} bytes): no answer: {e}", body.len())
                    });
                    let status = response.status();
                    assert!(
                        status.as_u16() < 500,
                        "{method} {url}{query} ({content_type:?}, {} bytes) -> {status}: {}",
                        body.len(),
                        response.text().await.unwrap_or_default()
                    );
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 1000, "the sweep covered {checked} requests");
    deployment.shutdown().await;
}

#[tokio::test]
async fn default_deployment_never_answers_5xx_to_bad_input() {
    sweep(&[]).await;
}

#[tokio::test]
async fn legacy_and_tenant_layouts_never_answer_5xx_to_bad_input() {
    sweep(&["legacy-2025-03-26"]).await;
    sweep(&["issuer-with-path", "pkce-not-enforced"]).await;
}

#[tokio::test]
async fn oauth_endpoints_answer_bad_input_with_rfc_error_json() {
    let deployment = Deployment::start(Options::default()).await.unwrap();
    let ready = deployment.ready().clone();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    for (url, expected) in [
        (ready.token_endpoint.clone(), "invalid_request"),
        (ready.registration_endpoint.clone().unwrap(), "invalid_client_metadata"),
    ] {
        let content_type = if url.ends_with("/register") {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        let body: &[u8] = if url.ends_with("/register") { b"{" } else { b"code=a&code=b" };
        let response = http
            .post(&url)
            .header("content-type", content_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{url}");
        let json: serde_json::Value = response.json().await.unwrap();
        assert_eq!(json["error"], expected, "{url}: {json}");
        assert!(json["error_description"].as_str().is_some_and(|d| !d.is_empty()));
    }
    let huge = http
        .post(&ready.token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    let json: serde_json::Value = huge.json().await.unwrap();
    assert_eq!(json["error"], "invalid_request");
    deployment.shutdown().await;
}
