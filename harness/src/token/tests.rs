//! The flows over real sockets: a scripted authorization server (every answer of the token
//! endpoint chosen by the test) and the mock IdP itself.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use mcp_authlab_mock_idp::config::ClientConfig;
use mcp_authlab_mock_idp::{Config, Deployment, Options};
use serde_json::{json, Value};

use super::*;

/// An authorization server whose token endpoint answers from a script, and that records what it
/// was sent.
#[derive(Default)]
struct Script {
    issuer: String,
    token_answers: Mutex<VecDeque<(u16, Value)>>,
    /// `(path, Authorization header, body)` of every POST.
    posts: Mutex<Vec<(String, Option<String>, String)>>,
}

type Shared = Arc<Script>;

fn record(script: &Script, path: &str, headers: &HeaderMap, body: String) {
    let auth = headers
        .get("authorization")
        .map(|v| v.to_str().unwrap().to_string());
    script.posts.lock().unwrap().push((path.into(), auth, body));
}

async fn scripted(answers: Vec<(u16, Value)>) -> Shared {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    let script = Arc::new(Script {
        issuer,
        token_answers: Mutex::new(answers.into()),
        posts: Mutex::default(),
    });
    let app = Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(|State(s): State<Shared>| async move {
                Json(json!({
                    "issuer": s.issuer,
                    "token_endpoint": format!("{}/token", s.issuer),
                    "device_authorization_endpoint": format!("{}/device", s.issuer),
                }))
            }),
        )
        .route(
            "/device",
            post(
                |State(s): State<Shared>, headers: HeaderMap, body: String| async move {
                    record(&s, "/device", &headers, body);
                    Json(json!({
                        "device_code": "the-device-code",
                        "user_code": "BCDF-GHJK",
                        "verification_uri": format!("{}/verify", s.issuer),
                        "expires_in": 600,
                        "interval": 1,
                    }))
                },
            ),
        )
        .route(
            "/token",
            post(
                |State(s): State<Shared>, headers: HeaderMap, body: String| async move {
                    record(&s, "/token", &headers, body);
                    let (status, answer) = s
                        .token_answers
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or((400, json!({"error": "authorization_pending"})));
                    (StatusCode::from_u16(status).unwrap(), Json(answer))
                },
            ),
        )
        .with_state(script.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    script
}

fn request(issuer: &str, grant: GrantType, secret: Option<&str>) -> TokenRequest {
    TokenRequest {
        issuer: issuer.into(),
        metadata_url: None,
        grant,
        client: ClientCredentials {
            id: "cli".into(),
            secret: secret.map(Secret::new),
        },
        scope: Some("mcp:tools".into()),
        resource: Some("http://127.0.0.1:9/mcp".into()),
        timeout: Duration::from_secs(20),
    }
}

/// Runs the flow with a pause that returns at once and records how long it was asked to be.
async fn run_recording(
    request: &TokenRequest,
) -> (Result<TokenResponse, TokenError>, Vec<Duration>, Vec<Event>) {
    let pauses = Arc::new(Mutex::new(Vec::new()));
    let mut events = Vec::new();
    let recorded = pauses.clone();
    let result = obtain_with(request, &mut |e| events.push(e), move |d| {
        recorded.lock().unwrap().push(d);
        std::future::ready(())
    })
    .await;
    let pauses = pauses.lock().unwrap().clone();
    (result, pauses, events)
}

fn pending() -> (u16, Value) {
    (400, json!({"error": "authorization_pending"}))
}

#[tokio::test]
async fn device_flow_pending_then_slow_down_then_token() {
    let script = scripted(vec![
        pending(),
        (400, json!({"error": "slow_down"})),
        (
            200,
            json!({"access_token": "tok-123", "token_type": "Bearer", "expires_in": 60}),
        ),
    ])
    .await;
    let request = request(&script.issuer, GrantType::Device, None);
    let (result, pauses, events) = run_recording(&request).await;
    let token = result.unwrap();
    assert_eq!(token.access_token.expose(), "tok-123");
    assert_eq!(
        pauses,
        [1, 1, 6].map(Duration::from_secs),
        "the interval, again after pending, plus 5 s after slow_down"
    );
    assert!(events.contains(&Event::SlowDown {
        interval: Duration::from_secs(6)
    }));
    let instruction = events
        .iter()
        .find(|e| matches!(e, Event::UserAction { .. }))
        .unwrap()
        .to_string();
    assert_eq!(
        instruction,
        format!(
            "Open {}/verify and enter BCDF-GHJK (within 600 s)",
            script.issuer
        )
    );
    assert!(
        !events.iter().any(|e| matches!(e, Event::Warning(_))),
        "{events:?}"
    );

    let posts = script.posts.lock().unwrap();
    assert_eq!(posts.len(), 4, "{posts:?}");
    let (path, auth, body) = &posts[0];
    assert_eq!(path, "/device");
    assert_eq!(auth, &None, "a public client does not authenticate");
    assert_eq!(
        body,
        "scope=mcp%3Atools&resource=http%3A%2F%2F127.0.0.1%3A9%2Fmcp&client_id=cli"
    );
    for (path, _, body) in &posts[1..] {
        assert_eq!(path, "/token");
        assert_eq!(
            body,
            "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code\
             &device_code=the-device-code&resource=http%3A%2F%2F127.0.0.1%3A9%2Fmcp&client_id=cli"
        );
    }
}

#[tokio::test]
async fn device_flow_expired_and_denied_end_it() {
    let script = scripted(vec![pending(), (400, json!({"error": "expired_token"}))]).await;
    let (result, pauses, _) =
        run_recording(&request(&script.issuer, GrantType::Device, None)).await;
    let e = result.unwrap_err();
    assert!(matches!(e, TokenError::DeviceCodeExpired { .. }), "{e}");
    assert_eq!(e.kind(), FailureKind::Flow);
    assert_eq!(pauses.len(), 2);

    let script = scripted(vec![(
        400,
        json!({"error": "access_denied", "error_description": "the user said no"}),
    )])
    .await;
    let (result, _, _) = run_recording(&request(&script.issuer, GrantType::Device, None)).await;
    let e = result.unwrap_err();
    assert!(matches!(e, TokenError::AccessDenied { .. }), "{e}");
    assert!(e.to_string().contains("the user said no"), "{e}");
}

#[tokio::test]
async fn device_flow_gives_up_at_the_overall_timeout() {
    let script = scripted(Vec::new()).await; // pending forever
    let mut request = request(&script.issuer, GrantType::Device, None);
    request.timeout = Duration::from_millis(1500);
    let started = std::time::Instant::now();
    let e = obtain(&request, &mut |_| {}).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(5));
    assert!(
        matches!(e, TokenError::TimedOut { phase, .. } if phase.contains("user's approval")),
        "{e}"
    );
    assert!(script.posts.lock().unwrap().len() >= 2, "it did poll");
}

#[tokio::test]
async fn confidential_clients_use_client_secret_basic() {
    let script = scripted(vec![(200, json!({"access_token": "cc-token"}))]).await;
    let request = request(&script.issuer, GrantType::ClientCredentials, Some("a b:c"));
    let (result, pauses, events) = run_recording(&request).await;
    assert_eq!(result.unwrap().access_token.expose(), "cc-token");
    assert!(pauses.is_empty());
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Warning(w) if w.contains("token_type is missing"))),
        "{events:?}"
    );
    let posts = script.posts.lock().unwrap();
    let (_, auth, body) = &posts[0];
    let expected = base64::engine::general_purpose::STANDARD.encode("cli:a+b%3Ac");
    assert_eq!(auth.as_deref(), Some(format!("Basic {expected}").as_str()));
    assert_eq!(
        body,
        "grant_type=client_credentials&scope=mcp%3Atools&resource=http%3A%2F%2F127.0.0.1%3A9%2Fmcp"
    );
}

#[tokio::test]
async fn usage_errors_are_found_before_sending_anything() {
    let mut cc = request("http://127.0.0.1:9", GrantType::ClientCredentials, None);
    let e = obtain(&cc, &mut |_| {}).await.unwrap_err();
    assert_eq!(e.kind(), FailureKind::Usage, "{e}");
    assert!(e.to_string().contains("--client-secret"), "{e}");
    cc.client.secret = Some(Secret::new("s"));
    cc.issuer = "127.0.0.1:9".into();
    assert_eq!(
        obtain(&cc, &mut |_| {}).await.unwrap_err().kind(),
        FailureKind::Usage
    );
    assert!(
        !format!("{cc:?}").contains("\"s\""),
        "the secret is not in Debug: {cc:?}"
    );
}

#[tokio::test]
async fn nothing_listening_is_a_harness_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let e = obtain(&request(&issuer, GrantType::Device, None), &mut |_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(e, TokenError::NoMetadata { ref attempts, .. } if attempts.len() == 2),
        "{e}"
    );
    assert_eq!(e.kind(), FailureKind::Harness, "{e}");
}

// ---- against the mock IdP ----

const DEVICE_CLIENT: &str = "device-cli";
const SERVICE_CLIENT: &str = "service";
const SERVICE_SECRET: &str = "service-secret";

async fn start_mock(variants: &[&str], auto_approve: bool) -> Deployment {
    let config = Config {
        device_auto_approve: auto_approve,
        clients: vec![
            ClientConfig {
                client_id: DEVICE_CLIENT.into(),
                client_secret: None,
                redirect_uris: Vec::new(),
                grant_types: vec![device::DEVICE_CODE_GRANT.into()],
                token_endpoint_auth_method: Some("none".into()),
                jwks: None,
                scope: None,
                client_name: None,
            },
            ClientConfig {
                client_id: SERVICE_CLIENT.into(),
                client_secret: Some(SERVICE_SECRET.into()),
                redirect_uris: Vec::new(),
                grant_types: vec!["client_credentials".into()],
                token_endpoint_auth_method: Some("client_secret_basic".into()),
                jwks: None,
                scope: None,
                client_name: None,
            },
        ],
        ..Config::default()
    };
    Deployment::start(Options {
        variants: variants.iter().map(|v| v.to_string()).collect(),
        config,
        bind: "127.0.0.1:0".parse().unwrap(),
        authorization_server_bind: None,
        tls: false,
        ca_cert_path: None,
        tweaks: Vec::new(),
        keys: None,
    })
    .await
    .unwrap()
}

fn for_mock(mock: &Deployment, grant: GrantType) -> TokenRequest {
    let ready = mock.ready();
    let (id, secret) = match grant {
        GrantType::Device => (DEVICE_CLIENT, None),
        GrantType::ClientCredentials => (SERVICE_CLIENT, Some(Secret::new(SERVICE_SECRET))),
    };
    TokenRequest {
        issuer: ready.issuer.clone(),
        metadata_url: None,
        grant,
        client: ClientCredentials {
            id: id.into(),
            secret,
        },
        scope: None,
        resource: Some(ready.mcp_url.clone()),
        timeout: Duration::from_secs(20),
    }
}

fn claims(token: &TokenResponse) -> Value {
    let payload = token.access_token.expose().split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[tokio::test]
async fn both_grants_against_the_mock_give_tokens_for_the_resource() {
    // With a path in the issuer and only OIDC discovery, the third location is the one that works.
    for variants in [&[][..], &["issuer-with-path", "oidc-discovery-only"][..]] {
        let mock = start_mock(variants, true).await;
        for grant in [GrantType::Device, GrantType::ClientCredentials] {
            let mut events = Vec::new();
            let token = obtain(&for_mock(&mock, grant), &mut |e| events.push(e))
                .await
                .unwrap_or_else(|e| panic!("{variants:?} {grant:?}: {e}"));
            let claims = claims(&token);
            assert_eq!(claims["aud"], mock.ready().mcp_url, "{claims}");
            assert_eq!(claims["iss"], mock.ready().issuer, "{claims}");
            assert_eq!(claims["scope"], "mcp:tools", "{claims}");
            assert!(
                !events.iter().any(|e| matches!(e, Event::Warning(_))),
                "{events:?}"
            );
            let used = events
                .iter()
                .find_map(|e| match e {
                    Event::Metadata { url } => Some(url.clone()),
                    _ => None,
                })
                .unwrap();
            assert!(
                used.contains(if variants.is_empty() {
                    "oauth-authorization-server"
                } else {
                    "openid-configuration"
                }),
                "{used}"
            );
        }
        mock.shutdown().await;
    }
}

#[tokio::test]
async fn wrong_secret_is_invalid_client_from_the_mock() {
    let mock = start_mock(&[], true).await;
    let mut request = for_mock(&mock, GrantType::ClientCredentials);
    request.client.secret = Some(Secret::new("not-the-S3cret"));
    let e = obtain(&request, &mut |_| {}).await.unwrap_err();
    assert!(
        matches!(e, TokenError::Refused { status: 401, ref error, .. } if error == "invalid_client"),
        "{e}"
    );
    assert!(
        !e.to_string().contains("not-the-S3cret"),
        "no secret in the message: {e}"
    );
    mock.shutdown().await;
}

#[tokio::test]
async fn user_denying_on_the_mock_page_is_access_denied() {
    let mock = start_mock(&[], false).await;
    let page = format!("{}/device", mock.ready().issuer);
    let mut events = |e: Event| {
        if let Event::UserAction { user_code, .. } = e {
            let page = page.clone();
            tokio::spawn(async move {
                let status = reqwest::Client::new()
                    .post(page)
                    .form(&[("user_code", user_code.as_str()), ("action", "deny")])
                    .timeout(Duration::from_secs(5))
                    .send()
                    .await
                    .unwrap()
                    .status();
                assert_eq!(status, 200);
            });
        }
    };
    let e = obtain(&for_mock(&mock, GrantType::Device), &mut events)
        .await
        .unwrap_err();
    assert!(matches!(e, TokenError::AccessDenied { .. }), "{e}");
    mock.shutdown().await;
}

#[tokio::test]
async fn discovery_problems_of_the_mock_variants() {
    let mock = start_mock(&["issuer-mismatch"], true).await;
    let e = obtain(&for_mock(&mock, GrantType::Device), &mut |_| {})
        .await
        .unwrap_err();
    assert!(matches!(e, TokenError::IssuerMismatch { .. }), "{e}");
    assert_eq!(e.kind(), FailureKind::Flow);
    mock.shutdown().await;

    let mock = start_mock(&["custom-metadata-path"], true).await;
    let mut request = for_mock(&mock, GrantType::ClientCredentials);
    let e = obtain(&request, &mut |_| {}).await.unwrap_err();
    assert!(
        matches!(e, TokenError::NoMetadata { ref attempts, .. } if attempts.iter().all(|a| a.problem == "HTTP 404")),
        "{e}"
    );
    assert_eq!(e.kind(), FailureKind::Flow);
    request.metadata_url = Some(mock.ready().authorization_server_metadata_url.clone());
    obtain(&request, &mut |_| {})
        .await
        .expect("found with --metadata-url");
    mock.shutdown().await;
}

#[tokio::test]
async fn a_token_for_another_audience_is_reported() {
    let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(json!({"aud": "https://api.example", "iss": "x"}).to_string());
    let jwt = format!("eyJhbGciOiJSUzI1NiJ9.{payload}.c2ln");
    let script = scripted(vec![(
        200,
        json!({"access_token": jwt, "token_type": "bearer"}),
    )])
    .await;
    let request = request(&script.issuer, GrantType::ClientCredentials, Some("s"));
    let (result, _, events) = run_recording(&request).await;
    assert_eq!(result.unwrap().access_token.expose(), jwt);
    let warnings: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Warning(w) => Some(w.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains(
            "`aud` is \"https://api.example\", not the resource `http://127.0.0.1:9/mcp`"
        ),
        "{warnings:?}"
    );
    assert!(events.contains(&Event::Issued {
        token_type: Some("bearer".into()),
        expires_in: None,
        scope: None,
        audience: Some("\"https://api.example\"".into()),
    }));
}
