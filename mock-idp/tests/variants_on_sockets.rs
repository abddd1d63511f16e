//! The discovery, layout and timing variants as a client meets them: on real sockets (the layouts
//! that need several origins) and, for the 5 s delay, in memory under tokio's paused clock.

use std::pin::pin;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http_body_util::BodyExt;
use mcp_authlab_mock_idp::deployment::origin_app;
use mcp_authlab_mock_idp::trace::Role;
use mcp_authlab_mock_idp::urls::{oidc_appended_url, oidc_inserted_url, rfc8414_metadata_url};
use mcp_authlab_mock_idp::{Deployment, IdpState, Options};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use url::Url;

async fn start(variants: &[&str]) -> Deployment {
    Deployment::start(Options {
        variants: variants.iter().map(|s| s.to_string()).collect(),
        ..Options::default()
    })
    .await
    .expect("deployment starts")
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn origin(url: &str) -> String {
    Url::parse(url).unwrap().origin().ascii_serialization()
}

async fn status(http: &reqwest::Client, url: &str) -> u16 {
    http.get(url)
        .send()
        .await
        .unwrap_or_else(|e| panic!("GET {url}: {e}"))
        .status()
        .as_u16()
}

async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {url}");
    response.json().await.unwrap()
}

/// The three well-known URLs a client may try for an issuer (RFC 8414 §3.1, OIDC with path
/// insertion, OIDC Discovery §4.1 path appending), deduplicated.
fn well_known_urls(issuer: &str) -> Vec<String> {
    let mut urls = vec![
        rfc8414_metadata_url(issuer).unwrap(),
        oidc_inserted_url(issuer).unwrap(),
        oidc_appended_url(issuer).unwrap(),
    ];
    urls.dedup();
    urls
}

#[tokio::test]
async fn split_domain_serves_metadata_only_on_another_origin() {
    let deployment = start(&["split-domain-metadata"]).await;
    let ready = deployment.ready();
    let http = http();
    let served = &ready.authorization_server_metadata_url;
    assert_ne!(origin(served), origin(&ready.issuer), "{served}");
    assert_ne!(origin(served), origin(&ready.mcp_url), "{served}");

    let doc = get_json(&http, served).await;
    assert_eq!(doc["issuer"], ready.issuer.as_str());
    assert_eq!(doc["token_endpoint"], ready.token_endpoint.as_str());

    for url in well_known_urls(&ready.issuer) {
        assert_eq!(status(&http, &url).await, 404, "{url}");
    }
    // The metadata origin serves the RFC 8414 document only.
    let other = format!("{}/.well-known/openid-configuration", origin(served));
    assert_eq!(status(&http, &other).await, 404, "{other}");
    // The authorization server itself still works on the issuer's origin.
    assert_eq!(status(&http, &ready.jwks_uri).await, 200);
    deployment.shutdown().await;
}

#[tokio::test]
async fn rfc8414_only_serves_no_oidc_discovery() {
    let deployment = start(&["rfc8414-only"]).await;
    let ready = deployment.ready();
    let http = http();
    let rfc8414 = rfc8414_metadata_url(&ready.issuer).unwrap();
    assert_eq!(ready.authorization_server_metadata_url, rfc8414);
    let doc = get_json(&http, &rfc8414).await;
    assert_eq!(doc["issuer"], ready.issuer.as_str());
    for url in [
        oidc_inserted_url(&ready.issuer).unwrap(),
        oidc_appended_url(&ready.issuer).unwrap(),
    ] {
        assert_eq!(status(&http, &url).await, 404, "{url}");
    }
    deployment.shutdown().await;
}

#[tokio::test]
async fn hanging_token_endpoint_times_out_while_the_rest_answers() {
    let deployment = start(&["hanging-token-endpoint"]).await;
    let ready = deployment.ready().clone();
    let impatient = reqwest::Client::builder()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let error = impatient
        .post(&ready.token_endpoint)
        .form(&[("grant_type", "client_credentials"), ("client_id", "x")])
        .send()
        .await
        .expect_err("the token endpoint must not answer");
    assert!(error.is_timeout(), "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // The request that never got an answer is in the trace, recorded when it arrived.
    let events = deployment.state().trace.events();
    let pending: Vec<_> = events.iter().filter(|e| !e.completed).collect();
    assert_eq!(pending.len(), 1, "{events:?}");
    assert_eq!(pending[0].role, Role::AuthorizationServer);
    assert_eq!(pending[0].method, "POST");
    assert_eq!(
        Url::parse(&ready.token_endpoint).unwrap().path(),
        pending[0].raw.as_ref().unwrap().path()
    );
    assert!(pending[0]
        .raw
        .as_ref()
        .unwrap()
        .form_pairs()
        .contains(&("grant_type".into(), "client_credentials".into())));
    assert!(pending[0].summary().ends_with("-> (no response)"));

    let http = http();
    let authorize = status(&http, &ready.authorization_endpoint).await;
    assert!(
        (400..500).contains(&authorize),
        "GET /authorize -> {authorize}"
    );
    let doc = get_json(&http, &ready.authorization_server_metadata_url).await;
    assert_eq!(doc["token_endpoint"], ready.token_endpoint.as_str());
    assert_eq!(status(&http, &ready.jwks_uri).await, 200);
    // Everything else was answered.
    let events = deployment.state().trace.events();
    assert_eq!(events.iter().filter(|e| !e.completed).count(), 1);
    assert!(events
        .iter()
        .filter(|e| e.completed)
        .all(|e| e.status >= 200));
    deployment.shutdown().await;
}

fn get(uri: &str) -> Request<Body> {
    Request::get(uri).body(Body::empty()).unwrap()
}

async fn body_json(response: axum::response::Response) -> Value {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    serde_json::from_slice(&bytes).unwrap()
}

/// In memory, paused clock: tokio advances time only when every task waits, so 4 s and 6 s of
/// virtual time pass in no real time and the delay is measured exactly.
#[tokio::test(start_paused = true)]
async fn slow_metadata_answers_after_five_seconds_and_nothing_else_waits() {
    use tokio::time::{timeout, Instant};
    let state = IdpState::for_tests(&["slow-metadata"]);
    let as_app = origin_app(&state, Role::AuthorizationServer);
    let mcp_app = origin_app(&state, Role::McpServer);

    for (app, uri) in [
        (&as_app, "/.well-known/oauth-authorization-server"),
        (&as_app, "/.well-known/openid-configuration"),
        (&mcp_app, "/.well-known/oauth-protected-resource/mcp"),
    ] {
        let started = Instant::now();
        let mut pending = pin!(app.clone().oneshot(get(uri)));
        assert!(
            timeout(Duration::from_secs(4), &mut pending).await.is_err(),
            "{uri} answered before 4 s"
        );
        let response = timeout(Duration::from_secs(2), &mut pending)
            .await
            .unwrap_or_else(|_| panic!("{uri} did not answer by 6 s"))
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{uri}");
        let elapsed = started.elapsed();
        assert!(elapsed >= Duration::from_secs(5), "{uri}: {elapsed:?}");
        assert!(body_json(response).await.is_object());
    }

    // Not delayed: the JWKS (RSA key generation blocks auto-advance, so 100 ms is virtual time
    // the handler itself spends), the authorization endpoint, the MCP endpoint.
    for (app, uri, expected) in [
        (&as_app, "/jwks", StatusCode::OK),
        (&as_app, "/authorize", StatusCode::BAD_REQUEST),
        (&mcp_app, "/mcp", StatusCode::UNAUTHORIZED),
    ] {
        let response = timeout(Duration::from_millis(100), app.clone().oneshot(get(uri)))
            .await
            .unwrap_or_else(|_| panic!("{uri} was delayed"))
            .unwrap();
        assert_eq!(response.status(), expected, "{uri}");
        if uri == "/jwks" {
            let keys = body_json(response).await["keys"].clone();
            assert!(keys.as_array().is_some_and(|k| !k.is_empty()), "{keys}");
        }
    }
}

fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The whole 2025-03-26 layout on the MCP origin: metadata, registration, authorization, token
/// and the MCP endpoint, with no protected resource metadata and a challenge that names none. The
/// metadata names endpoints under `/oauth/` (as the official scenario does), so the default paths
/// a client would guess without reading it answer 404.
#[tokio::test]
async fn legacy_layout_puts_the_authorization_server_on_the_mcp_origin() {
    let deployment = start(&["legacy-2025-03-26"]).await;
    let ready = deployment.ready().clone();
    let http = http();
    let mcp_origin = origin(&ready.mcp_url);
    assert_eq!(ready.issuer, mcp_origin);
    assert_eq!(ready.protected_resource_metadata_url, None);

    let doc = get_json(
        &http,
        &format!("{mcp_origin}/.well-known/oauth-authorization-server"),
    )
    .await;
    assert_eq!(doc["issuer"], mcp_origin.as_str());
    for (field, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("registration_endpoint", "/register"),
    ] {
        assert_eq!(doc[field], format!("{mcp_origin}/oauth{path}"), "{field}");
    }
    assert_eq!(ready.token_endpoint, format!("{mcp_origin}/oauth/token"));
    for path in ["/token", "/register"] {
        let response = http
            .post(format!("{mcp_origin}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "POST {path}");
    }
    assert_eq!(
        status(&http, &format!("{mcp_origin}/authorize?response_type=code")).await,
        404
    );
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        assert_eq!(
            status(&http, &format!("{mcp_origin}{path}")).await,
            404,
            "{path}"
        );
    }

    fallback_flow_on_the_mcp_origin(&http, &ready).await;
    deployment.shutdown().await;
}

/// The 2025-03-26 flow a client takes: 401 without `resource_metadata`, then register, authorize
/// and exchange the code at the endpoints the deployment serves on the MCP origin (the metadata's,
/// or the default paths without metadata), then an MCP request.
async fn fallback_flow_on_the_mcp_origin(
    http: &reqwest::Client,
    ready: &mcp_authlab_mock_idp::ReadyInfo,
) {
    let mcp_origin = origin(&ready.mcp_url);
    let unauthenticated = http
        .post(&ready.mcp_url)
        .header("content-type", "application/json")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(unauthenticated.status(), 401);
    let challenge = unauthenticated.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(challenge.starts_with("Bearer"), "{challenge}");
    assert!(!challenge.contains("resource_metadata"), "{challenge}");

    // Register, authorize and exchange the code, all on the MCP origin.
    for endpoint in [
        &ready.authorization_endpoint,
        &ready.token_endpoint,
        ready.registration_endpoint.as_ref().expect("registration"),
    ] {
        assert!(endpoint.starts_with(&mcp_origin), "{endpoint}");
    }
    let redirect_uri = "http://127.0.0.1:9/cb";
    let registered: Value = http
        .post(
            ready
                .registration_endpoint
                .as_deref()
                .expect("registration"),
        )
        .json(&json!({
            "redirect_uris": [redirect_uri],
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "client_name": "legacy test"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client_id = registered["client_id"]
        .as_str()
        .expect("client_id")
        .to_string();
    let verifier = "legacy-verifier-".repeat(4);
    let mut authorize = Url::parse(&ready.authorization_endpoint).unwrap();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code_challenge", &s256(&verifier))
        .append_pair("code_challenge_method", "S256")
        .append_pair("state", "st")
        .append_pair("scope", "mcp:tools");
    let response = http.get(authorize.as_str()).send().await.unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"));
    let tokens: Value = http
        .post(&ready.token_endpoint)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", &verifier),
            ("client_id", &client_id),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let access_token = tokens["access_token"].as_str().expect("access_token");
    let response = http
        .post(&ready.mcp_url)
        .bearer_auth(access_token)
        .header("content-type", "application/json")
        .body(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn legacy_layout_without_metadata_serves_none_and_the_fallback_works() {
    let deployment = start(&["legacy-2025-03-26-no-metadata"]).await;
    let ready = deployment.ready().clone();
    let http = http();
    let mcp_origin = origin(&ready.mcp_url);
    assert_eq!(ready.issuer, mcp_origin);
    assert_eq!(ready.protected_resource_metadata_url, None);
    assert_eq!(ready.token_endpoint, format!("{mcp_origin}/token"));
    assert_eq!(
        status(&http, &ready.authorization_server_metadata_url).await,
        404
    );
    for url in well_known_urls(&ready.issuer) {
        assert_eq!(status(&http, &url).await, 404, "{url}");
    }
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        assert_eq!(
            status(&http, &format!("{mcp_origin}{path}")).await,
            404,
            "{path}"
        );
    }
    fallback_flow_on_the_mcp_origin(&http, &ready).await;
    deployment.shutdown().await;
}

#[tokio::test]
async fn issuer_with_path_serves_all_three_well_known_forms() {
    let deployment = start(&["issuer-with-path"]).await;
    let ready = deployment.ready();
    let http = http();
    assert!(ready.issuer.ends_with("/tenant1"), "{}", ready.issuer);
    let forms = well_known_urls(&ready.issuer);
    assert_eq!(forms.len(), 3, "{forms:?}");
    for url in &forms {
        let doc = get_json(&http, url).await;
        assert_eq!(doc["issuer"], ready.issuer.as_str(), "{url}");
        assert_eq!(
            doc["token_endpoint"],
            ready.token_endpoint.as_str(),
            "{url}"
        );
    }
    // Without the path, the well-known URLs name another issuer: not served.
    let root = origin(&ready.issuer);
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        assert_eq!(status(&http, &format!("{root}{path}")).await, 404, "{path}");
    }
    // The endpoints live below the issuer's path.
    assert!(ready.token_endpoint.starts_with(&ready.issuer));
    let response = http
        .post(&ready.token_endpoint)
        .form(&[("a", "b")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let json: Value = response.json().await.unwrap();
    assert_eq!(json["error"], "invalid_request");
    deployment.shutdown().await;
}
