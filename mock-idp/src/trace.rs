//! The trace of every request the mock receives: kept in memory (for the harness), broadcast to
//! subscribers (the `idp` command prints it and writes JSON lines), secrets redacted.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

use crate::behaviour::Endpoint;
use crate::error::OAuthError;
use crate::redact;
use crate::state::IdpState;

/// Largest request body any endpoint accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// Bodies longer than this are cut in the trace.
const TRACE_BODY_CHARS: usize = 4096;

/// Which listener of the deployment saw the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    AuthorizationServer,
    McpServer,
    MetadataHost,
}

impl Role {
    pub fn label(self) -> &'static str {
        match self {
            Role::AuthorizationServer => "AS",
            Role::McpServer => "MCP",
            Role::MetadataHost => "META",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    pub seq: u64,
    pub timestamp_ms: u64,
    pub role: Role,
    pub method: String,
    /// Path and query as received, secrets redacted.
    pub path: String,
    /// The response status; `0` when no response was sent (see [`TraceEvent::completed`]).
    pub status: u16,
    /// Whether the mock answered. `false` for a request a timing hook holds forever (the
    /// `hanging-token-endpoint` variant): it is recorded when it arrives, with its request and no
    /// response, so the harness sees that it was made. Serialized only when `false`.
    #[serde(default = "answered", skip_serializing_if = "is_answered")]
    pub completed: bool,
    pub duration_ms: u64,
    pub request_headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_body: Option<String>,
    pub response_headers: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    /// The request exactly as received, secrets included: in memory only, for the harness's checks
    /// (a PKCE verifier must be hashed, a token compared). Never serialized; `Debug` hides it.
    #[serde(skip)]
    pub raw: Option<Arc<RawRequest>>,
    /// The response exactly as sent (headers and body, secrets included): in memory only, so the
    /// harness can recognise every secret the mock issued (codes, tokens, client secrets) and
    /// redact them wherever a client prints them. Never serialized; `Debug` hides it.
    #[serde(skip)]
    pub raw_response: Option<Arc<RawResponse>>,
}

fn answered() -> bool {
    true
}

fn is_answered(completed: &bool) -> bool {
    *completed
}

/// A response as the mock sent it, before redaction. See [`TraceEvent::raw_response`].
#[derive(Clone, PartialEq, Eq)]
pub struct RawResponse {
    /// Every response header (lower-case names; non-UTF-8 values lossy).
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl std::fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawResponse(‹secrets hidden›)")
    }
}

impl RawResponse {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// A request as the mock received it, before redaction. See [`TraceEvent::raw`].
#[derive(Clone, PartialEq, Eq)]
pub struct RawRequest {
    /// Path and query, as received.
    pub path_and_query: String,
    /// Every request header (lower-case names, in the order received; non-UTF-8 values lossy).
    pub headers: Vec<(String, String)>,
    /// The body (empty when it was too large to read).
    pub body: Vec<u8>,
}

impl std::fmt::Debug for RawRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RawRequest(‹secrets hidden›)")
    }
}

impl RawRequest {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header, in order.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.path_and_query
            .split_once('?')
            .map_or(self.path_and_query.as_str(), |(p, _)| p)
    }

    /// The decoded query parameters, in order (repeated names kept).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        match self.path_and_query.split_once('?') {
            Some((_, q)) => url::form_urlencoded::parse(q.as_bytes())
                .into_owned()
                .collect(),
            None => Vec::new(),
        }
    }

    /// The body decoded as `application/x-www-form-urlencoded`, in order.
    pub fn form_pairs(&self) -> Vec<(String, String)> {
        url::form_urlencoded::parse(&self.body)
            .into_owned()
            .collect()
    }

    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl TraceEvent {
    /// One readable line: `#3 MCP POST /mcp -> 401 (2 ms)`, or `#4 AS   POST /token -> (no
    /// response)` for a request the mock never answered.
    pub fn summary(&self) -> String {
        let outcome = if self.completed {
            format!("{} ({} ms)", self.status, self.duration_ms)
        } else {
            "(no response)".to_string()
        };
        let mut line = format!(
            "#{} {:<4} {} {} -> {outcome}",
            self.seq,
            self.role.label(),
            self.method,
            self.path,
        );
        if let Some(auth) = self.request_headers.get("authorization") {
            line.push_str(&format!(" [authorization: {auth}]"));
        }
        if let Some(challenge) = self.response_headers.get("www-authenticate") {
            line.push_str(&format!(" [www-authenticate: {challenge}]"));
        }
        if let Some(location) = self.response_headers.get("location") {
            line.push_str(&format!(" [location: {location}]"));
        }
        line
    }
}

#[derive(Debug)]
pub struct TraceLog {
    seq: AtomicU64,
    events: Mutex<Vec<TraceEvent>>,
    tx: broadcast::Sender<TraceEvent>,
    /// Requests that arrived and are not recorded yet (see [`TraceLog::in_flight`]).
    in_flight: AtomicUsize,
}

/// Counts one request as in flight until it is recorded or abandoned (dropped).
struct InFlight<'a>(&'a AtomicUsize);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Counts one request the mock is about to make to one of its own origins as in flight until
/// dropped (the `token_passthrough` forward): a harness waiting for [`TraceLog::in_flight`] to
/// reach zero then sees it in the trace.
pub(crate) struct OwnedInFlight(IdpState);

impl OwnedInFlight {
    pub(crate) fn new(state: &IdpState) -> Self {
        state.trace.in_flight.fetch_add(1, Ordering::SeqCst);
        Self(state.clone())
    }
}

impl Drop for OwnedInFlight {
    fn drop(&mut self) {
        self.0.trace.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Default for TraceLog {
    fn default() -> Self {
        Self {
            seq: AtomicU64::new(0),
            events: Mutex::new(Vec::new()),
            tx: broadcast::channel(1024).0,
            in_flight: AtomicUsize::new(0),
        }
    }
}

impl TraceLog {
    pub fn subscribe(&self) -> broadcast::Receiver<TraceEvent> {
        self.tx.subscribe()
    }

    /// Every event so far, in the order the requests finished.
    pub fn events(&self) -> Vec<TraceEvent> {
        self.events.lock().unwrap().clone()
    }

    /// How many requests have arrived and are not in [`TraceLog::events`] yet: a harness that
    /// wants the whole trace of a client that has exited waits only while this is above zero.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    fn begin(&self) -> InFlight<'_> {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(&self.in_flight)
    }

    fn record(&self, mut event: TraceEvent) {
        event.seq = self.seq.fetch_add(1, Ordering::Relaxed) + 1;
        self.events.lock().unwrap().push(event.clone());
        let _ = self.tx.send(event);
    }
}

const KEPT_REQUEST_HEADERS: &[&str] = &[
    "authorization",
    "content-type",
    "accept",
    "mcp-protocol-version",
    "mcp-session-id",
    "origin",
    "user-agent",
];
const KEPT_RESPONSE_HEADERS: &[&str] = &[
    "content-type",
    "www-authenticate",
    "location",
    "mcp-session-id",
    "access-control-allow-origin",
    "cache-control",
];

fn kept_headers(headers: &HeaderMap, names: &[&str]) -> BTreeMap<String, String> {
    names
        .iter()
        .filter_map(|name| {
            let value = headers.get(*name)?.to_str().unwrap_or("<binary>");
            let value = match *name {
                "authorization" => redact::authorization_header(value),
                "location" => redact::url(value),
                _ => value.to_string(),
            };
            Some((name.to_string(), value))
        })
        .collect()
}

/// A body as the trace shows it: redacted as JSON or as a form whatever its declared media type
/// (a client may send `client_secret=…` as `text/plain` or with none), withheld when it cannot be
/// parsed and names a secret, and cut after [`TRACE_BODY_CHARS`].
fn body_text(bytes: &[u8], headers: &HeaderMap) -> Option<String> {
    if bytes.is_empty() {
        return None;
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut redacted = redact::body(bytes, content_type.contains("json"));
    if redacted.chars().count() > TRACE_BODY_CHARS {
        redacted = redacted.chars().take(TRACE_BODY_CHARS).collect::<String>() + "…";
    }
    Some(redacted)
}

/// Which endpoint a path is, for the timing hooks.
pub fn classify(state: &IdpState, role: Role, path: &str) -> Endpoint {
    if path.contains("/.well-known/oauth-protected-resource")
        || (role == Role::McpServer && state.behaviour.prm_custom_path.as_deref() == Some(path))
        || (role == Role::McpServer
            && state.behaviour.prm_redirect
            && path == crate::urls::PRM_REDIRECT_TARGET)
    {
        return Endpoint::ProtectedResourceMetadata;
    }
    if path.contains("/.well-known/oauth-authorization-server")
        || path.contains("/.well-known/openid-configuration")
        || role == Role::MetadataHost
        || matches!(&state.behaviour.metadata_location, crate::behaviour::MetadataLocation::CustomPath(p) if p == path)
    {
        return Endpoint::AuthorizationServerMetadata;
    }
    if role == Role::McpServer && path == state.urls.mcp_path {
        return Endpoint::Mcp;
    }
    // Lenient on purpose: a client that guesses `/token` on the issuer's origin is still seen as
    // calling the token endpoint (the checks then see its 404).
    let rest = path.strip_prefix(&state.urls.issuer_path).unwrap_or(path);
    let rest = rest
        .strip_prefix(&state.urls.endpoint_prefix)
        .unwrap_or(rest);
    match rest {
        "/token" => Endpoint::Token,
        "/authorize" => Endpoint::Authorization,
        "/register" => Endpoint::Registration,
        "/jwks" => Endpoint::Jwks,
        _ => Endpoint::Other,
    }
}

/// Middleware: enforces the body limit, applies the timing hooks, and records the exchange. A
/// request that a hook holds forever is recorded when it arrives (with its body, read first), as
/// an event with `completed: false`.
pub async fn record(
    State((state, role)): State<(IdpState, Role)>,
    request: Request,
    next: Next,
) -> Response {
    let in_flight = state.trace.begin();
    let started = Instant::now();
    let timestamp_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0);
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    let endpoint = classify(&state, role, request.uri().path());

    let (parts, body) = request.into_parts();
    let method = parts.method.to_string();
    let request_headers = kept_headers(&parts.headers, KEPT_REQUEST_HEADERS);
    let mut raw = RawRequest {
        path_and_query: path_and_query.clone(),
        headers: parts
            .headers
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: Vec::new(),
    };
    let body = to_bytes(body, MAX_BODY_BYTES).await;
    let request_body = match &body {
        Ok(bytes) => {
            raw.body = bytes.to_vec();
            body_text(bytes, &parts.headers)
        }
        Err(_) => None,
    };

    match state.behaviour.delay_for(endpoint).map(|d| d.after) {
        Some(Some(after)) => tokio::time::sleep(after).await,
        Some(None) => {
            state.trace.record(TraceEvent {
                seq: 0,
                timestamp_ms,
                role,
                method,
                path: redact::url(&path_and_query),
                status: 0,
                completed: false,
                duration_ms: 0,
                request_headers,
                request_body,
                response_headers: BTreeMap::new(),
                response_body: None,
                raw: Some(Arc::new(raw)),
                raw_response: None,
            });
            drop(in_flight);
            // Never answers; the future is dropped when the client gives up or the mock stops.
            return std::future::pending::<Response>().await;
        }
        None => {}
    }

    let response = match body {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(_) => OAuthError::invalid_request(format!(
            "request body is larger than {MAX_BODY_BYTES} bytes or could not be read"
        ))
        .with_status(StatusCode::PAYLOAD_TOO_LARGE)
        .into_response(),
    };

    let (response_parts, response_body) = response.into_parts();
    let bytes = to_bytes(response_body, usize::MAX)
        .await
        .unwrap_or_default();
    let event = TraceEvent {
        seq: 0,
        timestamp_ms,
        role,
        method,
        path: redact::url(&path_and_query),
        status: response_parts.status.as_u16(),
        completed: true,
        duration_ms: started.elapsed().as_millis() as u64,
        request_headers,
        request_body,
        response_headers: kept_headers(&response_parts.headers, KEPT_RESPONSE_HEADERS),
        response_body: body_text(&bytes, &response_parts.headers),
        raw: Some(Arc::new(raw)),
        raw_response: Some(Arc::new(RawResponse {
            headers: response_parts
                .headers
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_string(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect(),
            body: bytes.to_vec(),
        })),
    };
    state.trace.record(event);
    Response::from_parts(response_parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;
    use tower::ServiceExt;

    fn typed(content_type: Option<&str>) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(ct).unwrap());
        }
        headers
    }

    #[test]
    fn form_secrets_are_redacted_whatever_the_content_type() {
        let body = b"grant_type=client_credentials&client_id=c1&client_secret=S3CR3T";
        for ct in [
            Some("application/x-www-form-urlencoded"),
            Some("text/plain"),
            Some("application/octet-stream"),
            None,
        ] {
            let text = body_text(body, &typed(ct)).unwrap();
            assert!(!text.contains("S3CR3T"), "{ct:?}: {text}");
            assert!(text.contains("client_secret=‹redacted:"), "{ct:?}: {text}");
            assert!(text.contains("client_id=c1"), "{ct:?}: {text}");
        }
    }

    #[test]
    fn unparseable_bodies_naming_secrets_are_withheld() {
        let malformed = br#"{"client_secret": "S3CR3T", "#;
        for ct in [Some("application/json"), Some("text/plain"), None] {
            let text = body_text(malformed, &typed(ct)).unwrap();
            assert_eq!(
                text,
                format!(
                    "‹body withheld: {} bytes, may contain secrets›",
                    malformed.len()
                )
            );
        }
        let prose = body_text(b"just some words", &typed(Some("text/plain"))).unwrap();
        assert_eq!(prose, "just some words");
        assert_eq!(body_text(b"", &typed(None)), None);
    }

    #[test]
    fn json_bodies_are_redacted_and_long_ones_cut() {
        let text = body_text(
            br#"{"access_token":"T0KEN","token_type":"Bearer"}"#,
            &typed(Some("application/json")),
        )
        .unwrap();
        assert!(!text.contains("T0KEN") && text.contains("Bearer"), "{text}");
        let long = format!("a={}", "x".repeat(2 * TRACE_BODY_CHARS));
        let text = body_text(long.as_bytes(), &typed(None)).unwrap();
        assert_eq!(text.chars().count(), TRACE_BODY_CHARS + 1);
        assert!(text.ends_with('…'));
    }

    #[test]
    fn a_custom_prm_path_is_classified_as_protected_resource_metadata() {
        let custom = IdpState::for_tests_with(crate::Config::default(), |b| {
            b.prm_custom_path = Some("/custom/metadata/location.json".into());
        });
        let path = "/custom/metadata/location.json";
        assert_eq!(
            classify(&custom, Role::McpServer, path),
            Endpoint::ProtectedResourceMetadata
        );
        // Not on another origin, not another path, not without the switch.
        assert_eq!(
            classify(&custom, Role::AuthorizationServer, path),
            Endpoint::Other
        );
        assert_eq!(
            classify(&custom, Role::McpServer, "/custom/metadata"),
            Endpoint::Other
        );
        assert_eq!(
            classify(&IdpState::for_tests(&[]), Role::McpServer, path),
            Endpoint::Other
        );
    }

    #[tokio::test]
    async fn a_hanging_request_is_recorded_when_it_arrives() {
        let state = IdpState::for_tests(&["hanging-token-endpoint"]);
        let app = crate::deployment::origin_app(&state, Role::AuthorizationServer);
        let request = Request::post("/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::AUTHORIZATION, "Basic Y2xpZW50OlMzQ1IzVA==")
            .body(Body::from("grant_type=authorization_code&code=C0DE"))
            .unwrap();
        let answered =
            tokio::time::timeout(std::time::Duration::from_millis(200), app.oneshot(request)).await;
        assert!(answered.is_err(), "the hanging token endpoint answered");
        let events = state.trace.events();
        assert_eq!(events.len(), 1);
        let event = &events[0];
        assert!(!event.completed);
        assert_eq!(event.status, 0);
        assert_eq!(event.method, "POST");
        assert_eq!(event.path, "/token");
        assert!(event.raw_response.is_none() && event.response_body.is_none());
        let raw = event.raw.as_ref().unwrap();
        assert!(raw
            .form_pairs()
            .contains(&("grant_type".into(), "authorization_code".into())));
        // Redacted like any other event.
        let body = event.request_body.as_deref().unwrap();
        assert!(
            body.contains("code=‹redacted:") && !body.contains("C0DE"),
            "{body}"
        );
        let summary = event.summary();
        assert!(
            summary.contains("POST /token -> (no response)"),
            "{summary}"
        );
        assert!(
            !summary.contains("ms)") && !summary.contains("S3CR3T"),
            "{summary}"
        );
        let json = serde_json::to_value(event).unwrap();
        assert_eq!(json["completed"], false);
        // Other endpoints still answer, and their events say nothing about completion.
        let app = crate::deployment::origin_app(&state, Role::AuthorizationServer);
        let response = app
            .oneshot(Request::get("/jwks").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let events = state.trace.events();
        assert!(events[1].completed);
        assert!(
            events[1].summary().contains("-> 200 ("),
            "{}",
            events[1].summary()
        );
        let json = serde_json::to_value(&events[1]).unwrap();
        assert!(json.get("completed").is_none(), "{json}");
        // An event written before the field existed reads as answered.
        let mut old = json.clone();
        old.as_object_mut().unwrap().remove("completed");
        assert!(serde_json::from_value::<TraceEvent>(old).unwrap().completed);
        let incomplete: TraceEvent =
            serde_json::from_value(serde_json::to_value(event).unwrap()).unwrap();
        assert!(!incomplete.completed);
    }

    #[tokio::test]
    async fn a_text_plain_client_secret_never_reaches_the_trace() {
        let state = IdpState::for_tests(&[]);
        let app = crate::deployment::origin_app(&state, Role::AuthorizationServer);
        let request = Request::post("/token")
            .header(header::CONTENT_TYPE, "text/plain")
            .body(Body::from(
                "grant_type=client_credentials&client_id=c1&client%5Fsecret=S3CR3T",
            ))
            .unwrap();
        let response = app.oneshot(request).await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let events = state.trace.events();
        assert_eq!(events.len(), 1);
        let traced = serde_json::to_string(&events[0]).unwrap();
        assert!(!traced.contains("S3CR3T"), "{traced}");
        assert!(!format!("{:?}", events[0]).contains("S3CR3T"));
        // The harness still sees the raw request, in memory.
        let raw = events[0].raw.as_ref().unwrap();
        assert!(raw.body_text().contains("client%5Fsecret=S3CR3T"));
        assert!(raw
            .form_pairs()
            .contains(&("client_secret".into(), "S3CR3T".into())));
        assert_eq!(raw.header("Content-Type"), Some("text/plain"));
        assert!(
            events[0]
                .request_body
                .as_deref()
                .unwrap()
                .contains("‹redacted:"),
            "{traced}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn requests_count_as_in_flight_until_recorded() {
        let state = IdpState::for_tests(&["slow-metadata"]);
        let app = crate::deployment::origin_app(&state, Role::AuthorizationServer);
        let request = Request::get("/.well-known/oauth-authorization-server")
            .body(Body::empty())
            .unwrap();
        let pending = tokio::spawn(app.oneshot(request));
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        assert_eq!(state.trace.in_flight(), 1);
        assert!(state.trace.events().is_empty());
        let response = pending.await.unwrap().unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(state.trace.in_flight(), 0);
        assert_eq!(state.trace.events().len(), 1);
    }

    #[tokio::test]
    async fn a_hanging_request_is_recorded_and_no_longer_in_flight() {
        let state = IdpState::for_tests(&["hanging-token-endpoint"]);
        let app = crate::deployment::origin_app(&state, Role::AuthorizationServer);
        let request = Request::post("/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("grant_type=client_credentials"))
            .unwrap();
        let pending = tokio::spawn(app.oneshot(request));
        while state.trace.events().is_empty() {
            tokio::task::yield_now().await;
        }
        assert_eq!(state.trace.in_flight(), 0);
        assert!(!state.trace.events()[0].completed);
        pending.abort();
    }
}
