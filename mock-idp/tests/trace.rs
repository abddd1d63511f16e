//! The request trace of whole origins (`origin_app`, in memory): order and fields of the events,
//! redaction of secrets in headers, queries, form and JSON bodies, the body limit, and the
//! one-line summary.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http_body_util::BodyExt;
use mcp_authlab_mock_idp::config::{ClientConfig, Config};
use mcp_authlab_mock_idp::deployment::origin_app;
use mcp_authlab_mock_idp::trace::{Role, TraceEvent, MAX_BODY_BYTES};
use mcp_authlab_mock_idp::urls::Urls;
use mcp_authlab_mock_idp::{variants, IdpState};
use serde_json::Value;
use tower::ServiceExt;

const CLIENT_ID: &str = "conf-client";
const CLIENT_SECRET: &str = "s3cret-client-value";
const REDACTED: &str = "‹redacted:";

fn state() -> IdpState {
    let behaviour = variants::behaviour_for::<&str>(&[]).unwrap();
    let urls = Urls::new("http://127.0.0.1:1", "http://127.0.0.1:2", None, &behaviour);
    let config = Config {
        clients: vec![ClientConfig {
            client_id: CLIENT_ID.into(),
            client_secret: Some(CLIENT_SECRET.into()),
            redirect_uris: vec!["http://127.0.0.1:9/cb".into()],
            grant_types: vec!["client_credentials".into(), "authorization_code".into()],
            token_endpoint_auth_method: Some("client_secret_basic".into()),
            jwks: None,
            scope: None,
            client_name: None,
        }],
        ..Config::default()
    };
    IdpState::new(config, behaviour, urls).unwrap()
}

async fn send(state: &IdpState, role: Role, request: Request<Body>) -> (StatusCode, String) {
    let response = origin_app(state, role).oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    (status, String::from_utf8_lossy(&bytes).into_owned())
}

fn form(uri: &str) -> axum::http::request::Builder {
    Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

fn basic() -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}"))
    )
}

fn path_only(event: &TraceEvent) -> &str {
    event.path.split('?').next().unwrap()
}

#[tokio::test]
async fn events_are_recorded_in_order_with_their_fields() {
    let state = state();
    let mut live = state.trace.subscribe();
    let metadata = Request::get("/.well-known/oauth-authorization-server")
        .body(Body::empty())
        .unwrap();
    let token = form("/token")
        .header(header::AUTHORIZATION, basic())
        .body(Body::from(
            "grant_type=client_credentials&scope=mcp%3Atools",
        ))
        .unwrap();
    let mcp = Request::post("/mcp")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#))
        .unwrap();
    let wrong_method = Request::delete("/token").body(Body::empty()).unwrap();
    let sent = [
        (
            Role::AuthorizationServer,
            metadata,
            "GET",
            "/.well-known/oauth-authorization-server",
            200,
        ),
        (Role::AuthorizationServer, token, "POST", "/token", 200),
        (Role::McpServer, mcp, "POST", "/mcp", 401),
        (
            Role::AuthorizationServer,
            wrong_method,
            "DELETE",
            "/token",
            405,
        ),
    ];
    let mut expected = Vec::new();
    for (role, request, method, path, status) in sent {
        let (got, body) = send(&state, role, request).await;
        assert_eq!(got.as_u16(), status, "{method} {path}: {body}");
        expected.push((role, method, path, status));
    }

    let events = state.trace.events();
    let seen: Vec<_> = events
        .iter()
        .map(|e| (e.role, e.method.as_str(), path_only(e), e.status))
        .collect();
    assert_eq!(seen, expected);
    let seqs: Vec<u64> = events.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4]);
    assert!(events
        .windows(2)
        .all(|w| w[0].timestamp_ms <= w[1].timestamp_ms));
    assert_eq!(
        events[1].request_headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        events[0].response_headers["content-type"],
        "application/json"
    );
    assert!(events[0]
        .response_body
        .as_deref()
        .unwrap()
        .contains("\"issuer\""));
    for event in &events {
        assert_eq!(
            live.try_recv().unwrap(),
            *event,
            "broadcast in the same order"
        );
    }
}

#[tokio::test]
async fn secrets_are_redacted_and_other_parameters_kept() {
    let state = state();
    // Form secrets of every kind, next to parameters that are not secret.
    let body = "grant_type=authorization_code&code=THE-CODE&code_verifier=THE-VERIFIER\
                &client_id=someone&client_secret=THE-SECRET&refresh_token=THE-REFRESH&state=st-1";
    let request = form("/token").body(Body::from(body)).unwrap();
    send(&state, Role::AuthorizationServer, request).await;
    // A successful token response (JSON secret) after Basic authentication (header secret).
    let request = form("/token")
        .header(header::AUTHORIZATION, basic())
        .body(Body::from("grant_type=client_credentials&state=st-2"))
        .unwrap();
    let (status, token_response) = send(&state, Role::AuthorizationServer, request).await;
    assert_eq!(status, StatusCode::OK, "{token_response}");
    let access_token = serde_json::from_str::<Value>(&token_response).unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    // A query with a secret, and a Bearer token at the MCP server.
    let request = Request::get("/authorize?response_type=code&code=QUERY-CODE&state=st-3")
        .body(Body::empty())
        .unwrap();
    send(&state, Role::AuthorizationServer, request).await;
    let request = Request::post("/mcp")
        .header(header::AUTHORIZATION, format!("Bearer {access_token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#))
        .unwrap();
    let (status, _) = send(&state, Role::McpServer, request).await;
    assert_eq!(status, StatusCode::OK);

    let events = state.trace.events();
    assert_eq!(events.len(), 4);
    let everything = serde_json::to_string(&events).unwrap();
    for secret in [
        "THE-CODE",
        "THE-VERIFIER",
        "THE-SECRET",
        "THE-REFRESH",
        "QUERY-CODE",
        CLIENT_SECRET,
        &STANDARD.encode(format!("{CLIENT_ID}:{CLIENT_SECRET}")),
        &access_token,
    ] {
        assert!(
            !everything.contains(secret),
            "`{secret}` leaked into the trace"
        );
    }

    let form_body = events[0].request_body.as_deref().unwrap();
    assert!(
        form_body.starts_with("grant_type=authorization_code&code=‹redacted:"),
        "{form_body}"
    );
    assert_eq!(form_body.matches(REDACTED).count(), 4, "{form_body}");
    assert!(form_body.contains("client_id=someone") && form_body.contains("state=st-1"));

    let auth = &events[1].request_headers["authorization"];
    assert!(auth.starts_with(&format!("Basic {REDACTED}")), "{auth}");
    assert!(events[1]
        .request_body
        .as_deref()
        .unwrap()
        .contains("grant_type=client_credentials&state=st-2"));
    let response: Value =
        serde_json::from_str(events[1].response_body.as_deref().unwrap()).unwrap();
    assert!(
        response["access_token"]
            .as_str()
            .unwrap()
            .starts_with(REDACTED),
        "{response}"
    );
    assert_eq!(response["token_type"], "Bearer");

    assert!(
        events[2].path.contains(&format!("code={REDACTED}")),
        "{}",
        events[2].path
    );
    assert!(
        events[2].path.contains("response_type=code&") && events[2].path.contains("state=st-3")
    );

    let bearer = &events[3].request_headers["authorization"];
    assert!(
        bearer.starts_with(&format!("Bearer {REDACTED}")),
        "{bearer}"
    );
}

#[tokio::test]
async fn json_request_and_response_secrets_are_redacted() {
    let state = state();
    let request = Request::post("/register")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            r#"{"redirect_uris":["http://127.0.0.1:9/cb"],"token_endpoint_auth_method":"client_secret_basic","client_name":"kept-name"}"#,
        ))
        .unwrap();
    let (status, body) = send(&state, Role::AuthorizationServer, request).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let issued = serde_json::from_str::<Value>(&body).unwrap()["client_secret"]
        .as_str()
        .expect("a confidential client gets a secret")
        .to_string();
    let event = &state.trace.events()[0];
    let traced = event.response_body.as_deref().unwrap();
    assert!(!traced.contains(&issued), "{traced}");
    let traced: Value = serde_json::from_str(traced).unwrap();
    assert!(traced["client_secret"]
        .as_str()
        .unwrap()
        .starts_with(REDACTED));
    assert_eq!(traced["client_name"], "kept-name");
    assert!(event.request_body.as_deref().unwrap().contains("kept-name"));
}

#[tokio::test]
async fn bodies_over_64_kib_get_413_invalid_request() {
    let state = state();
    for (role, uri, content_type) in [
        (
            Role::AuthorizationServer,
            "/token",
            "application/x-www-form-urlencoded",
        ),
        (Role::AuthorizationServer, "/register", "application/json"),
        (Role::McpServer, "/mcp", "application/json"),
    ] {
        let request = Request::post(uri)
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(vec![b'a'; MAX_BODY_BYTES + 1]))
            .unwrap();
        let (status, body) = send(&state, role, request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{uri}");
        let json: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"], "invalid_request", "{uri}: {json}");
        assert!(json["error_description"]
            .as_str()
            .unwrap()
            .contains("65536"));
        let event = state.trace.events().pop().unwrap();
        // The raw request is kept even when its body was not read: path, headers, empty body.
        let raw = event.raw.clone().expect("raw request of a 413");
        assert_eq!(raw.path_and_query, uri);
        assert_eq!(raw.header("content-type"), Some(content_type));
        assert!(raw.body.is_empty(), "{uri}");
        assert_eq!((event.status, event.request_body), (413, None), "{uri}");
    }
    // Exactly the limit is read and handed to the endpoint.
    let request = form("/token")
        .body(Body::from(vec![b'a'; MAX_BODY_BYTES]))
        .unwrap();
    let (status, body) = send(&state, Role::AuthorizationServer, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let event = state.trace.events().pop().unwrap();
    assert!(
        event.request_body.unwrap().ends_with('…'),
        "long bodies are cut in the trace"
    );
}

#[tokio::test]
async fn every_recorded_request_has_its_raw_request() {
    let state = state();
    let requests = [
        (
            Role::AuthorizationServer,
            Request::get("/.well-known/oauth-authorization-server")
                .body(Body::empty())
                .unwrap(),
        ),
        (
            Role::AuthorizationServer,
            Request::get("/nowhere?x=1").body(Body::empty()).unwrap(),
        ),
        (
            Role::AuthorizationServer,
            Request::get("/token").body(Body::empty()).unwrap(),
        ),
        (
            Role::AuthorizationServer,
            form("/token")
                .header(header::AUTHORIZATION, basic())
                .body(Body::from("grant_type=client_credentials"))
                .unwrap(),
        ),
        (
            Role::McpServer,
            Request::options("/mcp").body(Body::empty()).unwrap(),
        ),
        (
            Role::McpServer,
            Request::post("/mcp")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(vec![b'a'; MAX_BODY_BYTES + 1]))
                .unwrap(),
        ),
    ];
    let count = requests.len();
    for (role, request) in requests {
        send(&state, role, request).await;
    }
    let events = state.trace.events();
    assert_eq!(events.len(), count);
    let statuses: Vec<u16> = events.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [200, 404, 405, 200, 204, 413]);
    for event in &events {
        let raw = event
            .raw
            .as_ref()
            .unwrap_or_else(|| panic!("no raw: {}", event.summary()));
        assert_eq!(
            raw.path(),
            event.path.split('?').next().unwrap(),
            "{}",
            event.summary()
        );
    }
    // The raw request keeps what the trace redacts (for comparisons in checks only).
    let token = events[3].raw.as_ref().unwrap();
    assert_eq!(token.header("authorization"), Some(basic().as_str()));
    assert!(events[3].request_headers["authorization"].contains(REDACTED));
    assert_eq!(
        events[1].raw.as_ref().unwrap().query_pairs(),
        [("x".to_string(), "1".to_string())]
    );
}

#[tokio::test]
async fn summary_shows_status_and_challenge() {
    let state = state();
    let request = Request::post("/mcp")
        .header(header::AUTHORIZATION, "Bearer not-a-jwt")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{}"))
        .unwrap();
    let (status, _) = send(&state, Role::McpServer, request).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let event = &state.trace.events()[0];
    let challenge = &event.response_headers["www-authenticate"];
    assert!(challenge.contains("invalid_token"), "{challenge}");
    let summary = event.summary();
    assert!(
        summary.starts_with("#1 MCP  POST /mcp -> 401 ("),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("[www-authenticate: {challenge}]")),
        "{summary}"
    );
    assert!(
        summary.contains(&format!("[authorization: Bearer {REDACTED}")),
        "{summary}"
    );
    assert!(!summary.contains("not-a-jwt"), "{summary}");

    let request = Request::get("/.well-known/oauth-authorization-server")
        .body(Body::empty())
        .unwrap();
    send(&state, Role::AuthorizationServer, request).await;
    let summary = state.trace.events()[1].summary();
    assert!(summary.contains("-> 200"), "{summary}");
    assert!(!summary.contains("www-authenticate"), "{summary}");
}

#[tokio::test]
async fn authorization_redirect_location_is_redacted() {
    let state = state();
    // RFC 7636 Appendix B's code challenge.
    let uri = "/authorize?response_type=code&client_id=conf-client\
               &redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&state=st-4&code_challenge_method=S256\
               &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let response = origin_app(&state, Role::AuthorizationServer)
        .oneshot(Request::get(uri).body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert!(response.status().is_redirection(), "{}", response.status());
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    let code = url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no code in {location}"));
    let event = &state.trace.events()[0];
    let traced = &event.response_headers["location"];
    assert!(!traced.contains(&code), "{traced}");
    assert!(traced.contains(&format!("code={REDACTED}")), "{traced}");
    assert!(traced.contains("state=st-4"), "{traced}");
    assert!(event.summary().contains(&format!("[location: {traced}]")));
}
