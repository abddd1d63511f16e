//! Bad input on real sockets. The mock must answer each request with a status below 500 (the RFC's
//! error response where the endpoint speaks OAuth), never a 5xx, a panic or a dropped connection.
//!
//! Three layers, so that hostile bodies reach the code behind each gate:
//! - a sweep of every endpoint, method and hostile query string without credentials;
//! - the OAuth form endpoints (`/token`, `/introspect`, `/revoke`, `/device_authorization`) with
//!   grant bodies under each client authentication (none, public `client_id`, valid and wrong
//!   `client_secret_basic`, `private_key_jwt` with forged and garbage assertions, a stray Bearer);
//! - the MCP endpoint with JSON-RPC bodies under a valid access token, so they reach dispatch.
//!
//! Pinned cases check that a request really got past client authentication or token validation
//! (the grant's own error code, a JSON-RPC error of the dispatcher).

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mcp_authlab_mock_idp::access_token::{mint, Grant};
use mcp_authlab_mock_idp::config::{ClientConfig, Config};
use mcp_authlab_mock_idp::{Deployment, Options, ReadyInfo};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

const CONFIDENTIAL: &str = "conf-client";
const SECRET: &str = "conf-secret";
const PUBLIC: &str = "public-client";
const JWT_CLIENT: &str = "jwt-client";
const REDIRECT_URI: &str = "http://127.0.0.1:9/cb";
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const JWT_BEARER: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

const ALL_GRANTS: [&str; 5] = [
    "authorization_code",
    "refresh_token",
    "client_credentials",
    DEVICE_GRANT,
    JWT_BEARER,
];

fn client(id: &str, method: &str) -> ClientConfig {
    ClientConfig {
        client_id: id.into(),
        client_secret: (method == "client_secret_basic").then(|| SECRET.into()),
        redirect_uris: vec![REDIRECT_URI.into()],
        grant_types: ALL_GRANTS.iter().map(|g| g.to_string()).collect(),
        token_endpoint_auth_method: Some(method.into()),
        // RFC 7517 Appendix A.1: a valid EC public key nobody here holds the private half of.
        jwks: (method == "private_key_jwt").then(|| {
            json!({"keys": [{
                "kty": "EC", "crv": "P-256", "kid": "1",
                "x": "MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
                "y": "4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"
            }]})
        }),
        scope: None,
        client_name: None,
    }
}

async fn start(variants: &[&str]) -> Deployment {
    let config = Config {
        clients: vec![
            client(CONFIDENTIAL, "client_secret_basic"),
            client(PUBLIC, "none"),
            client(JWT_CLIENT, "private_key_jwt"),
        ],
        ..Config::default()
    };
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
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn b64(json: Value) -> String {
    URL_SAFE_NO_PAD.encode(json.to_string())
}

/// A well-formed ES256 assertion for `jwt-client` whose signature is zeros: gets as far as the
/// signature check of `private_key_jwt` or of the JWT bearer grant.
fn forged_assertion(audience: &str, issuer: &str, subject: &str) -> String {
    let header = b64(json!({"alg": "ES256", "kid": "1", "typ": "JWT"}));
    let claims = b64(json!({
        "iss": issuer, "sub": subject, "aud": audience,
        "exp": 4_000_000_000u64, "iat": 1_700_000_000u64, "jti": "forged"
    }));
    format!("{header}.{claims}.{}", URL_SAFE_NO_PAD.encode([0u8; 64]))
}

async fn answer(request: RequestBuilder, what: &str) -> (u16, String) {
    let response: Response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{what}: no answer: {e}"));
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    assert!(status < 500, "{what} -> {status}: {text}");
    (status, text)
}

// ---------------------------------------------------------------- layer 1: every endpoint

fn endpoints(ready: &ReadyInfo) -> Vec<String> {
    let mut urls = vec![
        ready.mcp_url.clone(),
        // Where the deployment serves them (under /oauth/ in the 2025-03-26 layout).
        ready.authorization_endpoint.clone(),
        ready.authorization_endpoint.clone() + "/decision",
        ready
            .device_authorization_endpoint
            .trim_end_matches("_authorization")
            .to_string(),
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
fn raw_bodies() -> Vec<(Option<&'static str>, Vec<u8>)> {
    let form = Some("application/x-www-form-urlencoded");
    let json = Some("application/json");
    vec![
        (None, Vec::new()),
        (
            form,
            b"grant_type=authorization_code&grant_type=refresh_token".to_vec(),
        ),
        (form, vec![0xff, 0xfe, b'=', 0x80]),
        (form, b"%%%&&==&a=%ZZ&code=&client_id=%00".to_vec()),
        (json, b"{".to_vec()),
        (json, b"[1,2,3]".to_vec()),
        (
            json,
            br#"{"redirect_uris": "not-a-list", "jsonrpc": 2, "method": null}"#.to_vec(),
        ),
        (Some("text/plain"), b"hello".to_vec()),
        (Some("multipart/form-data; boundary=x"), b"--x--".to_vec()),
    ]
}

const QUERIES: &[&str] = &[
    "?%FF%FE",
    "?client_id=a&client_id=b",
    "?response_type=code&client_id=https%3A%2F%2F10.0.0.1%2Fcimd.json&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcb",
    "?response_type=token&client_id=&redirect_uri=javascript:alert(1)",
    "?user_code=%3Cscript%3E",
    "?response_type=code&client_id=public-client&code_challenge=x&code_challenge_method=plain&resource=%00",
];

const METHODS: [Method; 6] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::DELETE,
    Method::PATCH,
    Method::OPTIONS,
];

/// Every endpoint and method with malformed bodies (no credentials), a stray Bearer, an oversized
/// body once, and hostile query strings with GET and POST.
async fn sweep_endpoints(http: &reqwest::Client, ready: &ReadyInfo) -> usize {
    let mut checked = 0;
    for url in endpoints(ready) {
        for method in &METHODS {
            for (content_type, body) in raw_bodies() {
                let mut request = http.request(method.clone(), &url).body(body.clone());
                if let Some(ct) = content_type {
                    request = request.header("content-type", ct);
                }
                let what = format!("{method} {url} ({content_type:?}, {} bytes)", body.len());
                answer(request, &what).await;
                checked += 1;
            }
            let bearer = http
                .request(method.clone(), &url)
                .bearer_auth("garbage.token.value");
            answer(bearer, &format!("{method} {url} with a garbage Bearer")).await;
            let huge = http
                .request(method.clone(), &url)
                .header("content-type", "application/x-www-form-urlencoded")
                .body(vec![b'a'; 1024 * 1024]);
            answer(huge, &format!("{method} {url} with 1 MiB")).await;
            checked += 2;
        }
        for query in QUERIES {
            for method in [Method::GET, Method::POST] {
                let request = http.request(method.clone(), format!("{url}{query}"));
                answer(request, &format!("{method} {url}{query}")).await;
                checked += 1;
            }
        }
    }
    checked
}

// ---------------------------------------------------------------- layer 2: OAuth form endpoints

/// How a request to an OAuth form endpoint authenticates its client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    Nothing,
    /// `client_id` of a public client in the body.
    Public,
    Basic,
    WrongSecret,
    /// `private_key_jwt` with a well-formed assertion whose signature is wrong.
    ForgedJwt,
    /// `private_key_jwt` with an assertion that is not a JWT.
    GarbageJwt,
    Bearer,
}

const AUTHS: [Auth; 7] = [
    Auth::Nothing,
    Auth::Public,
    Auth::Basic,
    Auth::WrongSecret,
    Auth::ForgedJwt,
    Auth::GarbageJwt,
    Auth::Bearer,
];

fn with_auth(http: &reqwest::Client, url: &str, auth: Auth, body: &[u8]) -> RequestBuilder {
    let mut body = body.to_vec();
    let mut append = |extra: String| {
        if !body.is_empty() {
            body.push(b'&');
        }
        body.extend_from_slice(extra.as_bytes());
    };
    let mut request = http
        .post(url)
        .header("content-type", "application/x-www-form-urlencoded");
    match auth {
        Auth::Nothing => {}
        Auth::Public => append(format!("client_id={PUBLIC}")),
        Auth::Basic => request = request.basic_auth(CONFIDENTIAL, Some(SECRET)),
        Auth::WrongSecret => request = request.basic_auth(CONFIDENTIAL, Some("not-the-secret")),
        Auth::ForgedJwt => append(format!(
            "client_id={JWT_CLIENT}&client_assertion_type={}&client_assertion={}",
            enc(ASSERTION_TYPE),
            forged_assertion(url, JWT_CLIENT, JWT_CLIENT)
        )),
        Auth::GarbageJwt => append(format!(
            "client_id={JWT_CLIENT}&client_assertion_type={}&client_assertion=%00garbage..%C3%A9x",
            enc(ASSERTION_TYPE)
        )),
        Auth::Bearer => request = request.bearer_auth("garbage.token.value"),
    }
    request.body(body)
}

/// Bodies for the form endpoints, without client credentials (see [`with_auth`]).
fn form_bodies(ready: &ReadyInfo) -> Vec<Vec<u8>> {
    let verifier = "v".repeat(43);
    let token_aud = &ready.token_endpoint;
    let mut bodies: Vec<String> = vec![
        String::new(),
        // authorization_code: bogus, missing and empty values, a foreign redirect_uri.
        format!(
            "grant_type=authorization_code&code=bogus-code&redirect_uri={}&code_verifier={verifier}",
            enc(REDIRECT_URI)
        ),
        "grant_type=authorization_code".into(),
        "grant_type=authorization_code&code=&code_verifier=short&redirect_uri=javascript:x".into(),
        // refresh_token: bogus, binary, with a scope widening.
        "grant_type=refresh_token&refresh_token=bogus-refresh&scope=mcp%3Atools+mcp%3Aadmin".into(),
        "grant_type=refresh_token&refresh_token=%00%FF%FE".into(),
        // client_credentials with odd scopes and resources.
        "grant_type=client_credentials&scope=mcp%3Atools+%00+%E2%98%83+nope".into(),
        "grant_type=client_credentials&scope=+++&resource=not%20a%20uri".into(),
        format!(
            "grant_type=client_credentials&scope=mcp%3Atools&resource={}",
            enc(&format!("{}#fragment", ready.mcp_url))
        ),
        "grant_type=client_credentials&resource=https%3A%2F%2Fevil.example%2Fmcp&resource=x".into(),
        // device_code: bogus and missing.
        format!("grant_type={}&device_code=bogus-device-code", enc(DEVICE_GRANT)),
        format!("grant_type={}", enc(DEVICE_GRANT)),
        // jwt-bearer: garbage, unsigned (`alg: none`), forged, missing.
        format!("grant_type={}&assertion=garbage", enc(JWT_BEARER)),
        format!(
            "grant_type={}&assertion={}.{}.",
            enc(JWT_BEARER),
            b64(json!({"alg": "none"})),
            b64(json!({"iss": ready.issuer, "sub": "x", "aud": token_aud, "exp": 4_000_000_000u64}))
        ),
        format!(
            "grant_type={}&assertion={}",
            enc(JWT_BEARER),
            forged_assertion(token_aud, "https://unknown-issuer.example", "someone")
        ),
        format!("grant_type={}", enc(JWT_BEARER)),
        // Unsupported and repeated grant types.
        "grant_type=password&username=a&password=b".into(),
        "grant_type=authorization_code&grant_type=refresh_token".into(),
        // Introspection / revocation.
        "token=garbage&token_type_hint=access_token".into(),
        "token=&token_type_hint=%00".into(),
        "token=a&token=b".into(),
        // Device authorization.
        "scope=nope%20mcp%3Atools".into(),
        format!("scope=mcp%3Atools&resource={}", enc("https://evil.example/mcp")),
        // Malformed encodings.
        "%%%&&==&a=%ZZ".into(),
    ];
    bodies.push("a".repeat(60 * 1024));
    let mut raw: Vec<Vec<u8>> = bodies.into_iter().map(String::into_bytes).collect();
    raw.push(vec![0xff, 0xfe, b'=', 0x80]);
    raw
}

fn form_endpoints(ready: &ReadyInfo) -> [String; 4] {
    [
        ready.token_endpoint.clone(),
        ready.introspection_endpoint.clone(),
        ready.revocation_endpoint.clone(),
        ready.device_authorization_endpoint.clone(),
    ]
}

/// Every form body under every client authentication at every OAuth form endpoint: below 500,
/// and every error the RFC 6749 §5.2 JSON with an `error` code.
async fn sweep_oauth_forms(http: &reqwest::Client, ready: &ReadyInfo) -> usize {
    let mut checked = 0;
    for url in form_endpoints(ready) {
        for body in form_bodies(ready) {
            for auth in AUTHS {
                let what = format!(
                    "POST {url} {auth:?} `{}`",
                    String::from_utf8_lossy(&body[..body.len().min(120)])
                );
                let (status, text) = answer(with_auth(http, &url, auth, &body), &what).await;
                if status >= 400 {
                    let json: Value = serde_json::from_str(&text)
                        .unwrap_or_else(|e| panic!("{what} -> {status}: not JSON ({e}): {text}"));
                    assert!(json["error"].is_string(), "{what} -> {status}: {json}");
                }
                checked += 1;
            }
        }
    }
    checked
}

/// Requests that must get past client authentication into the grant (or endpoint) logic: the
/// answer is that logic's own verdict.
async fn oauth_bodies_reach_their_code(http: &reqwest::Client, ready: &ReadyInfo) {
    let token = &ready.token_endpoint;
    let verifier = "v".repeat(43);
    let code_body = format!(
        "grant_type=authorization_code&code=bogus-code&redirect_uri={}&code_verifier={verifier}",
        enc(REDIRECT_URI)
    );
    let cases: Vec<(&String, Auth, String, u16, &str)> = vec![
        (token, Auth::Basic, code_body.clone(), 400, "invalid_grant"),
        (token, Auth::Public, code_body, 400, "invalid_grant"),
        (
            token,
            Auth::Basic,
            "grant_type=refresh_token&refresh_token=bogus".into(),
            400,
            "invalid_grant",
        ),
        (
            token,
            Auth::Basic,
            "grant_type=client_credentials&scope=mcp%3Atools+%E2%98%83".into(),
            400,
            "invalid_scope",
        ),
        (
            token,
            Auth::Basic,
            "grant_type=client_credentials&resource=https%3A%2F%2Fevil.example%2Fmcp".into(),
            400,
            "invalid_target",
        ),
        (
            token,
            Auth::Public,
            "grant_type=client_credentials".into(),
            400,
            "unauthorized_client",
        ),
        (
            token,
            Auth::Basic,
            format!("grant_type={}&device_code=bogus", enc(DEVICE_GRANT)),
            400,
            "invalid_grant",
        ),
        (
            token,
            Auth::Basic,
            format!("grant_type={}&assertion=garbage", enc(JWT_BEARER)),
            400,
            "invalid_grant",
        ),
        (
            token,
            Auth::ForgedJwt,
            "grant_type=client_credentials".into(),
            401,
            "invalid_client",
        ),
        (
            token,
            Auth::GarbageJwt,
            "grant_type=client_credentials".into(),
            401,
            "invalid_client",
        ),
        (
            &ready.introspection_endpoint,
            Auth::Basic,
            "token".into(),
            400,
            "invalid_request",
        ),
        (
            &ready.device_authorization_endpoint,
            Auth::Basic,
            "scope=nope".into(),
            400,
            "invalid_scope",
        ),
    ];
    for (url, auth, body, status, error) in cases {
        let what = format!("POST {url} {auth:?} `{body}`");
        let (got, text) = answer(with_auth(http, url, auth, body.as_bytes()), &what).await;
        let json: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        assert_eq!(
            (got, json["error"].as_str()),
            (status, Some(error)),
            "{what}: {text}"
        );
        if matches!(auth, Auth::ForgedJwt | Auth::GarbageJwt) {
            let description = json["error_description"].as_str().unwrap_or("");
            assert!(
                description.contains("client_assertion rejected"),
                "{what}: {text}"
            );
        }
    }

    // Past client authentication, introspection and revocation answer 200 for any token.
    for url in [&ready.introspection_endpoint, &ready.revocation_endpoint] {
        let request = with_auth(http, url, Auth::Basic, b"token=garbage");
        let (status, text) = answer(request, url).await;
        assert_eq!(status, 200, "{url}: {text}");
    }
    let request = with_auth(http, &ready.introspection_endpoint, Auth::Basic, b"token=x");
    let (_, text) = answer(request, "introspect").await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["active"],
        false
    );
    let request = with_auth(
        http,
        &ready.device_authorization_endpoint,
        Auth::Public,
        b"scope=mcp%3Atools",
    );
    let (status, text) = answer(request, "device authorization").await;
    assert_eq!(status, 200, "{text}");
}

// ---------------------------------------------------------------- layer 3: JSON-RPC at /mcp

fn nested_arrays(depth: usize) -> String {
    "[".repeat(depth) + &"]".repeat(depth)
}

/// Expected "code" of an answer with a JSON-RPC result.
const RESULT: i64 = 0;
/// Expected "code" of an answer with an OAuth error body (403 `insufficient_scope`).
const OAUTH_ERROR: i64 = -1;
/// Either a result or JSON-RPC -32602: both are answers of the dispatcher.
const RESULT_OR_INVALID_PARAMS: i64 = 1;

/// JSON-RPC bodies, each with what a valid token gets: `Some((status, code))` pins the HTTP status
/// and the JSON-RPC error code (or one of the constants above), `None` only requires an answer
/// below 500.
fn rpc_bodies() -> Vec<(String, Option<(u16, i64)>)> {
    let call = |params: &str| {
        format!(r#"{{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{params}}}"#)
    };
    let init = |params: &str| {
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"initialize","params":{params}}}"#)
    };
    let with_id = |id: &str| format!(r#"{{"jsonrpc":"2.0","id":{id},"method":"ping"}}"#);
    vec![
        // initialize with params of the wrong types: negotiated (the latest version) or -32602.
        (
            init(r#"{"protocolVersion":5,"capabilities":"none","clientInfo":[1,2]}"#),
            Some((200, RESULT_OR_INVALID_PARAMS)),
        ),
        (
            init(r#"{"protocolVersion":null,"capabilities":null}"#),
            Some((200, RESULT_OR_INVALID_PARAMS)),
        ),
        (
            init(r#"{"protocolVersion":{"$gt":""},"clientInfo":{"name":[[[]]]}}"#),
            Some((200, RESULT_OR_INVALID_PARAMS)),
        ),
        (init("[]"), Some((200, -32602))),
        (init(r#""2025-11-25""#), Some((200, -32602))),
        // tools/call with a missing or mistyped name or arguments.
        (call("{}"), Some((200, -32602))),
        (call(r#"{"arguments":{}}"#), Some((200, -32602))),
        (call(r#"{"name":5}"#), Some((200, -32602))),
        (
            call(r#"{"name":"echo","arguments":[]}"#),
            Some((200, -32602)),
        ),
        (
            call(r#"{"name":"echo","arguments":"x"}"#),
            Some((200, -32602)),
        ),
        (call(r#"{"name":"no-such-tool"}"#), Some((200, -32602))),
        (call(r#"{"name":"echo","arguments":{"message":5}}"#), None),
        (call(r#"{"name":"echo","arguments":{}}"#), None),
        (call(r#"{"name":"whoami","arguments":null}"#), None),
        (call(r#"{"name":"admin_action"}"#), Some((403, OAUTH_ERROR))),
        (
            call(&format!(
                r#"{{"name":"echo","arguments":{{"message":"x","deep":{}}}}}"#,
                nested_arrays(100)
            )),
            None,
        ),
        // Ids: out of every integer range, fractional, of the wrong type, huge.
        (with_id("18446744073709551616"), Some((400, -32600))),
        (with_id("-9223372036854775809"), Some((400, -32600))),
        (with_id("1e400"), Some((400, -32700))),
        (with_id("1.5"), Some((400, -32600))),
        (with_id("true"), Some((400, -32600))),
        (with_id("[1]"), Some((400, -32600))),
        (with_id("{\"a\":1}"), Some((400, -32600))),
        (with_id("null"), Some((400, -32600))),
        (with_id("18446744073709551615"), Some((200, RESULT))),
        (
            with_id(&format!("\"{}\"", "i".repeat(50_000))),
            Some((200, RESULT)),
        ),
        // Nesting beyond serde_json's recursion limit, at the top and inside params.
        (nested_arrays(5000), Some((400, -32700))),
        (
            format!(
                r#"{{"jsonrpc":"2.0","id":4,"method":"tools/list","params":{{"x":{}}}}}"#,
                nested_arrays(1000)
            ),
            Some((400, -32700)),
        ),
        // Envelope problems.
        (
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#.into(),
            Some((400, -32600)),
        ),
        (
            r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#.into(),
            Some((400, -32600)),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":5}"#.into(),
            Some((400, -32600)),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":""}"#.into(),
            Some((200, -32601)),
        ),
        (
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":null}"#.into(),
            Some((200, -32602)),
        ),
        (
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#.into(),
            None,
        ),
        (r#"{"jsonrpc":"2.0","id":9,"result":{}}"#.into(), None),
        ("{}".into(), Some((400, -32600))),
        ("null".into(), Some((400, -32600))),
        ("".into(), Some((400, -32700))),
        ("\u{feff}{}".into(), None),
    ]
}

fn rpc(http: &reqwest::Client, url: &str, token: Option<&str>, body: &str) -> RequestBuilder {
    let mut request = http
        .post(url)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body.to_string());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request
}

/// Every JSON-RPC body with a valid token (reaching dispatch), without one and with a garbage one
/// (stopped at 401), plus hostile transport headers.
async fn sweep_mcp(http: &reqwest::Client, deployment: &Deployment) -> usize {
    let ready = deployment.ready();
    let grant = Grant {
        subject: "test-user".into(),
        client_id: CONFIDENTIAL.into(),
        scopes: vec!["mcp:tools".into()],
        resource: Some(ready.mcp_url.clone()),
    };
    let (token, _) = mint(deployment.state(), &grant).await.expect("mint");
    let url = &ready.mcp_url;
    let mut checked = 0;
    for (body, expected) in rpc_bodies() {
        let shown = &body[..body.len().min(100)];
        let what = format!("POST {url} (valid token) `{shown}`");
        let (status, text) = answer(rpc(http, url, Some(&token), &body), &what).await;
        if let Some((want_status, want_code)) = expected {
            let json: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{what} -> {status}: not JSON ({e}): {text}"));
            let code = match want_code {
                RESULT => json.get("result").map(|_| RESULT),
                OAUTH_ERROR => json["error"].as_str().map(|_| OAUTH_ERROR),
                RESULT_OR_INVALID_PARAMS => (json.get("result").is_some()
                    || json["error"]["code"] == -32602)
                    .then_some(RESULT_OR_INVALID_PARAMS),
                _ => json["error"]["code"].as_i64(),
            };
            assert_eq!(
                (status, code),
                (want_status, Some(want_code)),
                "{what}: {json}"
            );
        }
        for token in [None, Some("garbage.token.value")] {
            let what = format!("POST {url} ({token:?}) `{shown}`");
            let (status, _) = answer(rpc(http, url, token, &body), &what).await;
            assert_eq!(status, 401, "{what}");
        }
        checked += 3;
    }
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    for (name, value) in [
        ("mcp-session-id", "no-such-session"),
        ("mcp-session-id", ""),
        ("mcp-protocol-version", "1999-01-01"),
        ("accept", "text/html"),
        ("content-type", "text/plain"),
        ("content-type", "application/jsonx"),
    ] {
        // reqwest appends headers, so build the request without the default of the one replaced.
        let mut request = http.post(url).bearer_auth(&token).body(ping);
        for (default, default_value) in [
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
        ] {
            if default != name {
                request = request.header(default, default_value);
            }
        }
        let request = request.header(name, value);
        let (status, _) = answer(request, &format!("POST {url} with {name}: {value}")).await;
        assert!(status >= 400, "{name}: {value} -> {status}");
        checked += 1;
    }
    checked
}

// ---------------------------------------------------------------- tests

async fn run_all(variants: &[&str]) {
    let deployment = start(variants).await;
    let ready = deployment.ready().clone();
    let http = http();
    let mut checked = sweep_endpoints(&http, &ready).await;
    checked += sweep_oauth_forms(&http, &ready).await;
    oauth_bodies_reach_their_code(&http, &ready).await;
    checked += sweep_mcp(&http, &deployment).await;
    assert!(
        checked > 1000,
        "{variants:?}: the sweep covered {checked} requests"
    );
    deployment.shutdown().await;
}

#[tokio::test]
async fn default_deployment_never_answers_5xx_to_bad_input() {
    run_all(&[]).await;
}

#[tokio::test]
async fn legacy_layout_never_answers_5xx_to_bad_input() {
    run_all(&["legacy-2025-03-26"]).await;
}

#[tokio::test]
async fn tenant_layout_never_answers_5xx_to_bad_input() {
    run_all(&["issuer-with-path", "pkce-not-enforced"]).await;
}

#[tokio::test]
async fn oauth_endpoints_answer_bad_input_with_rfc_error_json() {
    let deployment = start(&[]).await;
    let ready = deployment.ready().clone();
    let http = http();
    for (url, expected) in [
        (ready.token_endpoint.clone(), "invalid_request"),
        (
            ready.registration_endpoint.clone().unwrap(),
            "invalid_client_metadata",
        ),
    ] {
        let content_type = if url.ends_with("/register") {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        let body: &[u8] = if url.ends_with("/register") {
            b"{"
        } else {
            b"code=a&code=b"
        };
        let response = http
            .post(&url)
            .header("content-type", content_type)
            .body(body.to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{url}");
        let json: Value = response.json().await.unwrap();
        assert_eq!(json["error"], expected, "{url}: {json}");
        assert!(json["error_description"]
            .as_str()
            .is_some_and(|d| !d.is_empty()));
    }
    let huge = http
        .post(&ready.token_endpoint)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(vec![b'a'; 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(huge.status(), 413);
    let json: Value = huge.json().await.unwrap();
    assert_eq!(json["error"], "invalid_request");
    deployment.shutdown().await;
}
