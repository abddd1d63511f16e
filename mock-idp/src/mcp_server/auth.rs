//! Bearer token authentication of every request to the MCP endpoint (OAuth 2.1 §5.1-§5.3,
//! RFC 6750 §2.1 and §3, RFC 9728 §5.1, MCP Authorization › Access Token Usage).
//!
//! Runs as middleware before the JSON-RPC body is parsed; on success the validated
//! [`AccessTokenClaims`] are put into the request extensions. With
//! `Behaviour::unauthenticated_initialize` it peeks at the body's `method` and lets `initialize`
//! and `notifications/*` through without claims. The test switches `token_valid_for_requests`
//! and `insufficient_scope_always` act here, after the token validated, and so do the broken
//! resource-server switches (`Behaviour::token_checks`, query tokens, the challenge and status
//! of the refusals, a session as credentials, token passthrough; see
//! `variants/resource_server.rs`).

use axum::body::{to_bytes, Body};
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use super::challenge::Challenge;
use super::{passthrough, scopes, session};
use crate::access_token::{self, AccessTokenClaims};
use crate::behaviour::INSUFFICIENT_SCOPE_LIMIT;
use crate::error::{ErrorCode, OAuthError};
use crate::state::IdpState;
use crate::trace::MAX_BODY_BYTES;

/// Why a request was not let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// No Bearer credentials at all: 401 and a challenge with no `error` (RFC 6750 §3.1).
    NoCredentials(String),
    /// A malformed `Authorization` header: 400 `invalid_request` (RFC 6750 §3.1).
    Malformed(String),
    /// A token that does not validate: 401 `invalid_token` (OAuth 2.1 §5.3; RFC 6750 §3.1).
    InvalidToken(String),
    /// A valid token without the scopes the request needs: 403 `insufficient_scope`
    /// (RFC 6750 §3.1; MCP 2025-11-25 Runtime Insufficient Scope Errors).
    InsufficientScope { scope: String, description: String },
    /// `insufficient_scope_always` after [`INSUFFICIENT_SCOPE_LIMIT`] refusals: 410 Gone with
    /// `{"error":"test_complete"}`, so that a client looping on step-up ends quickly.
    TestComplete,
}

impl AuthFailure {
    /// The error response with its `WWW-Authenticate` challenge, as the behaviour's resource-server
    /// switches shape it (all off: RFC 6750 §3.1 and OAuth 2.1 §5.3 to the letter).
    pub fn response(self, state: &IdpState) -> Response {
        let b = &state.behaviour;
        let mut response = match self {
            Self::NoCredentials(description) if b.challenge_error_without_credentials => {
                error_response(
                    ErrorCode::InvalidToken,
                    description,
                    Challenge::for_deployment(state, true),
                )
            }
            Self::NoCredentials(description) => {
                let challenge = Challenge::for_deployment(state, true).render();
                let mut response = no_credentials(&challenge, &description);
                if b.forbidden_without_credentials {
                    *response.status_mut() = StatusCode::FORBIDDEN;
                }
                response
            }
            Self::Malformed(d) => error_response(
                ErrorCode::InvalidRequest,
                d,
                Challenge::for_deployment(state, true),
            ),
            Self::InvalidToken(d) => {
                let mut response = error_response(
                    ErrorCode::InvalidToken,
                    d,
                    Challenge::for_deployment(state, true),
                );
                if b.server_error_on_invalid_token {
                    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                }
                response
            }
            Self::InsufficientScope { scope, description } => {
                let mut challenge = Challenge::for_deployment(state, false);
                if b.insufficient_scope_names_scope {
                    challenge = challenge.param("scope", scope);
                }
                error_response(ErrorCode::InsufficientScope, description, challenge)
            }
            Self::TestComplete => {
                return (StatusCode::GONE, Json(json!({ "error": "test_complete" })))
                    .into_response()
            }
        };
        if !b.www_authenticate_on_401 && response.status() == StatusCode::UNAUTHORIZED {
            response.headers_mut().remove(header::WWW_AUTHENTICATE);
        }
        response
    }
}

/// An OAuth error response (status from the code) whose challenge carries `error` and
/// `error_description`.
fn error_response(code: ErrorCode, description: String, challenge: Challenge) -> Response {
    let challenge = challenge.error(code.as_str(), &description);
    let mut error = OAuthError::new(code, description);
    error.www_authenticate = Some(challenge.render());
    error.into_response()
}

/// 401 for a request without credentials. The body, like the challenge, has no `error` code.
fn no_credentials(challenge: &str, description: &str) -> Response {
    let mut response = (
        StatusCode::UNAUTHORIZED,
        Json(json!({ "error_description": description })),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(value) = HeaderValue::from_str(challenge) {
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// RFC 6750 §2.1 `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="`.
fn is_b64token(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    !body.is_empty()
        && body
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b))
}

/// The Bearer token of the request: `Ok(None)` without Bearer credentials, `Err` when the
/// `Authorization` header is malformed. The scheme is case-insensitive (RFC 9110 §11.1) unless
/// `case_sensitive` (the `server-case-sensitive-bearer` variant: `bearer x` is no credentials).
fn bearer_token_with(
    headers: &HeaderMap,
    case_sensitive: bool,
) -> Result<Option<&str>, AuthFailure> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(AuthFailure::Malformed(
            "more than one Authorization header (RFC 6750 §2.1; RFC 9110 §11.6.2)".into(),
        ));
    }
    let value = value.to_str().map_err(|_| {
        AuthFailure::Malformed(
            "the Authorization header is not visible ASCII (RFC 6750 §2.1)".into(),
        )
    })?;
    let (scheme, rest) = match value.find([' ', '\t']) {
        Some(i) => (&value[..i], &value[i..]),
        None => (value, ""),
    };
    let is_bearer = if case_sensitive {
        scheme == "Bearer"
    } else {
        scheme.eq_ignore_ascii_case("bearer")
    };
    if !is_bearer {
        return Ok(None);
    }
    if !rest.is_empty() && !rest.starts_with(' ') {
        return Err(AuthFailure::Malformed(
            "the Bearer scheme must be followed by spaces, not a tab (RFC 6750 §2.1)".into(),
        ));
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Err(AuthFailure::Malformed(
            "`Authorization: Bearer` carries no token (RFC 6750 §2.1)".into(),
        ));
    }
    if !is_b64token(token) {
        return Err(AuthFailure::Malformed(
            "the Bearer credentials must be exactly one b64token: no spaces, no second token, only A-Z a-z 0-9 - . _ ~ + / and trailing = (RFC 6750 §2.1)".into(),
        ));
    }
    Ok(Some(token))
}

/// The `access_token` query parameter, if any (which OAuth 2.1 §5.1 forbids using).
fn query_token(query: Option<&str>) -> Option<String> {
    let query = query?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "access_token")
        .map(|(_, v)| v.into_owned())
}

/// Whether the query string carries `access_token`.
fn token_in_query(query: Option<&str>) -> bool {
    query_token(query).is_some()
}

/// A request that passed authentication: the validated claims and the token they came from.
#[derive(Debug, Clone)]
pub struct Authenticated {
    pub claims: AccessTokenClaims,
    pub token: String,
}

/// The request's access token: the `Authorization: Bearer` credentials, or (only with
/// `accept_query_token`, which is wrong) an `access_token` query parameter.
fn presented_token(
    state: &IdpState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<String, AuthFailure> {
    let b = &state.behaviour;
    if let Some(token) = bearer_token_with(headers, b.case_sensitive_bearer)? {
        return Ok(token.to_string());
    }
    if b.accept_query_token {
        if let Some(token) = query_token(query) {
            return Ok(token);
        }
    }
    let mut description =
        "this MCP server needs an access token in `Authorization: Bearer <token>` (RFC 6750 §2.1; MCP Authorization › Token Requirements)".to_string();
    if token_in_query(query) {
        description
            .push_str("; an `access_token` in the query string is ignored (OAuth 2.1 §5.1.2)");
    }
    Err(AuthFailure::NoCredentials(description))
}

/// Checks the request's credentials: Bearer header, token validation (signature, `typ`, issuer,
/// audience, expiry, revocation, as `Behaviour::token_checks` selects) and the scope every MCP
/// request needs.
pub async fn authenticate(
    state: &IdpState,
    headers: &HeaderMap,
    query: Option<&str>,
) -> Result<Authenticated, AuthFailure> {
    let token = presented_token(state, headers, query)?;
    let claims = access_token::validate_with(state, &token, &state.behaviour.token_checks)
        .await
        .map_err(|rejection| AuthFailure::InvalidToken(rejection.to_string()))?;
    if let Some(limit) = state.behaviour.token_valid_for_requests {
        count_use(state, &claims.jti, limit)?;
    }
    if state.behaviour.insufficient_scope_always {
        return Err(never_enough_scope(state));
    }
    let required = scopes::required(state);
    let missing: Vec<&str> = if state.behaviour.enforce_required_scope {
        required
            .iter()
            .copied()
            .filter(|s| !claims.has_scope(s))
            .collect()
    } else {
        Vec::new()
    };
    if let Some(first) = missing.first() {
        return Err(AuthFailure::InsufficientScope {
            scope: scopes::challenged(state, &required, &missing),
            description: format!(
                "the token's scope `{}` lacks `{first}`, which every request to this server needs (RFC 6750 §3.1)",
                claims.scope
            ),
        });
    }
    Ok(Authenticated { claims, token })
}

/// `token_valid_for_requests`: records one more use of the token (by `jti`) and refuses it, as
/// if expired, once it was used `limit` times.
fn count_use(state: &IdpState, jti: &str, limit: u32) -> Result<(), AuthFailure> {
    let mut uses = state.store.access_token_uses.lock().unwrap();
    let used = uses.entry(jti.to_string()).or_insert(0);
    if *used >= limit {
        return Err(AuthFailure::InvalidToken("The access token expired".into()));
    }
    *used += 1;
    Ok(())
}

/// `insufficient_scope_always`: 403 asking for the step-up scope, or 410 once
/// [`INSUFFICIENT_SCOPE_LIMIT`] such answers were given.
fn never_enough_scope(state: &IdpState) -> AuthFailure {
    let mut given = state.store.insufficient_scope_answers.lock().unwrap();
    if *given >= INSUFFICIENT_SCOPE_LIMIT {
        return AuthFailure::TestComplete;
    }
    *given += 1;
    AuthFailure::InsufficientScope {
        scope: state.config.step_up_scope.clone(),
        description: "Scope upgrade will never succeed (a test of the client's retry limit)".into(),
    }
}

/// With `unauthenticated_initialize`: whether the JSON-RPC message is `initialize` or a
/// notification (`notifications/*`), which are answered without a token.
fn opens_without_token(body: &[u8]) -> bool {
    let Ok(message) = serde_json::from_slice::<serde_json::Value>(body) else {
        return false;
    };
    message
        .get("method")
        .and_then(serde_json::Value::as_str)
        .is_some_and(|m| m == "initialize" || m.starts_with("notifications/"))
}

/// Middleware on the MCP endpoint: every request but a CORS preflight must be authorized.
pub async fn require_bearer(
    State(state): State<IdpState>,
    mut request: Request,
    next: Next,
) -> Response {
    if request.method() == Method::OPTIONS {
        return next.run(request).await;
    }
    if state.behaviour.unauthenticated_initialize && request.method() == Method::POST {
        let (parts, body) = request.into_parts();
        let Ok(bytes) = to_bytes(body, MAX_BODY_BYTES).await else {
            return OAuthError::invalid_request(format!(
                "request body is larger than {MAX_BODY_BYTES} bytes or could not be read"
            ))
            .with_status(StatusCode::PAYLOAD_TOO_LARGE)
            .into_response();
        };
        let anonymous = opens_without_token(&bytes);
        request = Request::from_parts(parts, Body::from(bytes));
        if anonymous {
            // No claims in the extensions: the handler answers without a subject or a session.
            return next.run(request).await;
        }
    }
    if state.behaviour.session_authenticates {
        if let Some(claims) = session_owner_without_credentials(&state, request.headers()) {
            request.extensions_mut().insert(claims);
            return next.run(request).await;
        }
    }
    match authenticate(&state, request.headers(), request.uri().query()).await {
        Ok(Authenticated { claims, token }) => {
            if state.behaviour.token_passthrough {
                passthrough::forward(&state, &token);
            }
            request.extensions_mut().insert(claims);
            next.run(request).await
        }
        Err(failure) => failure.response(&state),
    }
}

/// `session_authenticates` (wrong): the claims of the token that opened the live session named in
/// `Mcp-Session-Id`, for a request that carries no `Authorization` header at all.
fn session_owner_without_credentials(
    state: &IdpState,
    headers: &HeaderMap,
) -> Option<AccessTokenClaims> {
    if headers.contains_key(header::AUTHORIZATION) {
        return None;
    }
    session::opener(state, headers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp_server::test_support::*;
    use axum::http::StatusCode;

    fn bearer_token(headers: &HeaderMap) -> Result<Option<&str>, AuthFailure> {
        bearer_token_with(headers, false)
    }

    fn auth(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn bearer_extraction_follows_rfc6750_grammar() {
        assert_eq!(
            bearer_token(&auth("Bearer abc.DEF-_~+/==")),
            Ok(Some("abc.DEF-_~+/=="))
        );
        assert_eq!(bearer_token(&auth("bearer abc")), Ok(Some("abc")));
        assert_eq!(
            bearer_token(&auth("BEARER  abc")),
            Ok(Some("abc")),
            "1*SP is allowed"
        );
        assert_eq!(bearer_token(&auth("Basic dXNlcjpwdw==")), Ok(None));
        assert_eq!(bearer_token(&HeaderMap::new()), Ok(None));
        for bad in [
            "Bearer",
            "Bearer a b",
            "Bearer\tabc",
            "Bearer a=b",
            "Bearer =",
        ] {
            assert!(
                matches!(bearer_token(&auth(bad)), Err(AuthFailure::Malformed(_))),
                "{bad}"
            );
        }
        let mut two = auth("Bearer a");
        two.append(header::AUTHORIZATION, HeaderValue::from_static("Bearer b"));
        assert!(matches!(bearer_token(&two), Err(AuthFailure::Malformed(_))));
    }

    #[test]
    fn query_tokens_are_detected_only_to_explain_why_they_are_ignored() {
        assert!(token_in_query(Some("a=1&access_token=x")));
        assert!(!token_in_query(Some("token=x")));
        assert!(!token_in_query(None));
    }

    #[tokio::test]
    async fn no_token_is_401_with_resource_metadata_and_scope_but_no_error() {
        let state = IdpState::for_tests(&[]);
        let response = rpc(&state, None, &ping()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        let params = challenge(&response);
        assert_eq!(
            params["resource_metadata"],
            "http://127.0.0.1:2/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(params["scope"], "mcp:tools");
        assert!(!params.contains_key("error"), "{params:?}");
        assert!(json(response).await.get("error").is_none());
    }

    #[tokio::test]
    async fn token_in_query_is_ignored() {
        let state = IdpState::for_tests(&[]);
        let token = token(&state, &["mcp:tools"]).await;
        let response = send(
            &state,
            post_json(&format!("/mcp?access_token={token}"), None, &ping()),
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(!challenge(&response).contains_key("error"));
        let body = json(response).await;
        assert!(body["error_description"]
            .as_str()
            .unwrap()
            .contains("query"));
    }

    #[tokio::test]
    async fn bad_token_is_401_invalid_token() {
        let state = IdpState::for_tests(&[]);
        let response = rpc(&state, Some("not-a-jwt"), &ping()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let params = challenge(&response);
        assert_eq!(params["error"], "invalid_token");
        assert!(params["error_description"].contains("well-formed"));
        assert_eq!(params["scope"], "mcp:tools");
        assert!(params.contains_key("resource_metadata"));

        let other = IdpState::for_tests(&[]);
        let forged = token(&other, &["mcp:tools"]).await;
        let response = rpc(&state, Some(&forged), &ping()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(json(response).await["error"], "invalid_token");
    }

    #[tokio::test]
    async fn lowercase_scheme_is_accepted() {
        let state = IdpState::for_tests(&[]);
        let token = token(&state, &["mcp:tools"]).await;
        let mut request = post_json("/mcp", None, &ping());
        request.headers_mut().insert(
            header::AUTHORIZATION,
            HeaderValue::from_str(&format!("bearer {token}")).unwrap(),
        );
        assert_eq!(send(&state, request).await.status(), StatusCode::OK);
    }

    #[tokio::test]
    async fn bearer_without_token_is_400_invalid_request() {
        let state = IdpState::for_tests(&[]);
        let mut request = post_json("/mcp", None, &ping());
        request
            .headers_mut()
            .insert(header::AUTHORIZATION, HeaderValue::from_static("Bearer"));
        let response = send(&state, request).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(challenge(&response)["error"], "invalid_request");
        assert_eq!(json(response).await["error"], "invalid_request");
    }

    #[tokio::test]
    async fn missing_required_scope_is_403_insufficient_scope() {
        let state = IdpState::for_tests(&[]);
        let token = token(&state, &["profile"]).await;
        let response = rpc(&state, Some(&token), &ping()).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        let params = challenge(&response);
        assert_eq!(params["error"], "insufficient_scope");
        assert_eq!(params["scope"], "mcp:tools");
        assert!(params.contains_key("resource_metadata"));
    }

    use crate::config::Config;
    use serde_json::json;

    fn tweaked(tweak: fn(&mut crate::Behaviour)) -> IdpState {
        IdpState::for_tests_with(Config::default(), tweak)
    }

    #[test]
    fn only_initialize_and_notifications_open_without_token() {
        for (body, open) in [
            (r#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#, true),
            (
                r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
                true,
            ),
            (r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#, false),
            (r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, false),
            (r#"{"jsonrpc":"2.0","id":1,"result":{}}"#, false),
            (r#"[{"method":"initialize"}]"#, false),
            ("not json", false),
        ] {
            assert_eq!(opens_without_token(body.as_bytes()), open, "{body}");
        }
    }

    #[tokio::test]
    async fn unauthenticated_initialize_answers_initialize_and_notifications_only() {
        let state = tweaked(|b| b.unauthenticated_initialize = true);
        let response = rpc(&state, None, &initialize_msg("2025-11-25")).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert!(response.headers().get("mcp-session-id").is_none());
        assert_eq!(
            json(response).await["result"]["protocolVersion"],
            "2025-11-25"
        );
        // Whatever credentials it carries.
        let response = rpc(&state, Some("garbage"), &initialize_msg("2025-11-25")).await;
        assert_eq!(response.status(), StatusCode::OK);
        let notification = json!({"jsonrpc":"2.0","method":"notifications/initialized"});
        assert_eq!(
            rpc(&state, None, &notification).await.status(),
            StatusCode::ACCEPTED
        );
        for message in [ping(), list_msg(), call_msg("test-tool", json!({}))] {
            let response = rpc(&state, None, &message).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{message}");
            assert_eq!(challenge(&response)["scope"], "mcp:tools");
        }
        let token = token(&state, &["mcp:tools"]).await;
        assert_eq!(
            rpc(&state, Some(&token), &list_msg()).await.status(),
            StatusCode::OK
        );
        // Off by default: initialize needs a token too.
        let strict = IdpState::for_tests(&[]);
        let response = rpc(&strict, None, &initialize_msg("2025-11-25")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn insufficient_scope_always_refuses_ten_times_then_is_gone() {
        let state = tweaked(|b| b.insufficient_scope_always = true);
        let token = token(&state, &["mcp:tools", "mcp:admin"]).await;
        // Without a token, or with a bad one: the usual 401, not counted.
        assert_eq!(
            rpc(&state, None, &ping()).await.status(),
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            rpc(&state, Some("bad"), &ping()).await.status(),
            StatusCode::UNAUTHORIZED
        );
        for i in 0..INSUFFICIENT_SCOPE_LIMIT {
            let response = rpc(&state, Some(&token), &list_msg()).await;
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "request {i}");
            let params = challenge(&response);
            assert_eq!(params["error"], "insufficient_scope");
            assert_eq!(params["scope"], "mcp:admin");
            assert!(params.contains_key("resource_metadata"));
        }
        let response = rpc(&state, Some(&token), &list_msg()).await;
        assert_eq!(response.status(), StatusCode::GONE);
        assert_eq!(json(response).await, json!({"error": "test_complete"}));
        // Off by default.
        let strict = IdpState::for_tests(&[]);
        let token = super::super::test_support::token(&strict, &["mcp:tools"]).await;
        assert_eq!(
            rpc(&strict, Some(&token), &list_msg()).await.status(),
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn tokens_valid_for_n_requests_then_expired() {
        let state = tweaked(|b| b.token_valid_for_requests = Some(2));
        let first = token(&state, &["mcp:tools"]).await;
        for _ in 0..2 {
            assert_eq!(
                rpc(&state, Some(&first), &ping()).await.status(),
                StatusCode::OK
            );
        }
        let response = rpc(&state, Some(&first), &ping()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let params = challenge(&response);
        assert_eq!(params["error"], "invalid_token");
        assert_eq!(params["error_description"], "The access token expired");
        assert_eq!(
            params["resource_metadata"],
            "http://127.0.0.1:2/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            rpc(&state, Some(&first), &ping()).await.status(),
            StatusCode::UNAUTHORIZED
        );
        // Counted per token: a new one works.
        let second = token(&state, &["mcp:tools"]).await;
        assert_eq!(
            rpc(&state, Some(&second), &ping()).await.status(),
            StatusCode::OK
        );
        // Unlimited by default.
        let strict = IdpState::for_tests(&[]);
        let t = super::super::test_support::token(&strict, &["mcp:tools"]).await;
        for _ in 0..5 {
            assert_eq!(
                rpc(&strict, Some(&t), &ping()).await.status(),
                StatusCode::OK
            );
        }
    }

    #[tokio::test]
    async fn no_required_scope_accepts_any_token_and_challenges_without_scope() {
        let config = Config {
            required_scope: None,
            ..Config::default()
        };
        let state = IdpState::for_tests_with(config, |_| {});
        let response = rpc(&state, None, &ping()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(!challenge(&response).contains_key("scope"));
        let token = token(&state, &[]).await;
        assert_eq!(
            rpc(&state, Some(&token), &ping()).await.status(),
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn challenge_scope_off_removes_scope_from_401_but_still_enforces_it() {
        let state = tweaked(|b| b.challenge_scope = false);
        let response = rpc(&state, None, &ping()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let params = challenge(&response);
        assert!(!params.contains_key("scope"), "{params:?}");
        assert!(params.contains_key("resource_metadata"));
        let weak = token(&state, &[]).await;
        let response = rpc(&state, Some(&weak), &ping()).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(challenge(&response)["scope"], "mcp:tools");
    }

    #[tokio::test]
    async fn variant_tokens_are_rejected() {
        for variant in ["wrong-audience", "expired-tokens"] {
            let state = IdpState::for_tests(&[variant]);
            let token = token(&state, &["mcp:tools"]).await;
            let response = rpc(&state, Some(&token), &ping()).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{variant}");
            assert_eq!(challenge(&response)["error"], "invalid_token", "{variant}");
        }
    }

    #[tokio::test]
    async fn challenge_follows_the_prm_variants() {
        for variant in [
            "prm-missing",
            "challenge-without-resource-metadata",
            "prm-root-only",
        ] {
            let state = IdpState::for_tests(&[variant]);
            let response = rpc(&state, None, &ping()).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{variant}");
            let params = challenge(&response);
            assert!(
                !params.contains_key("resource_metadata"),
                "{variant}: {params:?}"
            );
            assert_eq!(params["scope"], "mcp:tools", "{variant}");
        }
        let legacy = IdpState::for_tests(&["legacy-2025-03-26"]);
        let response = rpc(&legacy, None, &ping()).await;
        assert_eq!(
            response.headers()["www-authenticate"],
            "Bearer scope=\"mcp:tools\""
        );
    }
}
