//! The authorization endpoint, `GET {issuer}/authorize` (OAuth 2.1 §4.1.1, RFC 7636 PKCE, RFC 8707
//! resource indicators, RFC 9207 `iss` in the response).
//!
//! A request whose client or redirect URI cannot be verified gets a 400 page and is never redirected
//! (OAuth 2.1 §4.1.2.1); every other error is redirected to the client with `error`,
//! `error_description`, the `state` received and the correct `iss`. Success either issues a code at
//! once (`consent = "auto"`) or shows the login/consent page of [`super::consent`].

use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use url::{Host, Url};

use super::cimd::resolve_authorizing_client;
use super::metadata::{check_scopes, AUTHORIZATION_CODE_GRANT};
use super::pkce::is_valid_challenge;
use super::resource;
use crate::behaviour::{IssParameter, StateEcho};
use crate::config::Consent;
use crate::error::{ErrorCode, OAuthError};
use crate::form::Params;
use crate::state::IdpState;
use crate::store::{random_token, AuthorizationCode, Client};

/// A validated authorization request.
#[derive(Debug, Clone)]
pub(super) struct AuthorizationRequest {
    pub client: Client,
    /// The redirect URI to answer to: the one sent, or the only one registered when none was sent.
    pub redirect_uri: String,
    /// Whether the request included `redirect_uri` (OAuth 2.1 §4.1.3).
    pub redirect_uri_sent: bool,
    /// `state` as received.
    pub state: Option<String>,
    pub scopes: Vec<String>,
    pub resource: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
}

/// Why a request was not accepted, and how the error reaches the user agent.
#[derive(Debug)]
pub(super) enum Rejection {
    /// The client or redirect URI cannot be trusted: show a page, never redirect (OAuth 2.1 §4.1.2.1).
    Page(OAuthError),
    /// Redirect the error to the client (OAuth 2.1 §4.1.2.1).
    Redirect {
        redirect_uri: String,
        state: Option<String>,
        error: OAuthError,
    },
}

impl Rejection {
    pub fn into_response(self, state: &IdpState) -> Response {
        match self {
            Self::Page(error) => error_page(&error),
            Self::Redirect {
                redirect_uri,
                state: oauth_state,
                error,
            } => error_redirect(state, &redirect_uri, oauth_state.as_deref(), &error),
        }
    }
}

/// `GET {issuer}/authorize`.
pub async fn authorize(State(state): State<IdpState>, RawQuery(query): RawQuery) -> Response {
    // RFC 6749 §3.1: no repeated parameters, except `resource` (RFC 8707 §2).
    let params = match Params::parse(query.unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(error) => return error_page(&error),
    };
    let request = match AuthorizationRequest::from_params(&state, &params).await {
        Ok(request) => request,
        Err(rejection) => return rejection.into_response(&state),
    };
    match state.config.consent {
        Consent::Auto => issue_code(&state, &request),
        Consent::Page => {
            let transaction = random_token(16);
            state
                .store
                .pending_consents
                .lock()
                .unwrap()
                .insert(transaction.clone(), params);
            super::consent::consent_page(&state, &transaction, &request, None)
        }
    }
}

impl AuthorizationRequest {
    /// Validates the parameters of an authorization request (also re-run by the consent decision).
    pub async fn from_params(state: &IdpState, params: &Params) -> Result<Self, Rejection> {
        let client_id = params.require("client_id").map_err(Rejection::Page)?;
        let client = resolve_authorizing_client(state, client_id, params.get("redirect_uri"))
            .await
            .map_err(Rejection::Page)?;
        let redirect_uri =
            choose_redirect_uri(&client, params.get("redirect_uri")).map_err(Rejection::Page)?;
        let oauth_state = params.get("state").map(str::to_owned);
        let checked =
            check_parameters(state, &client, params).map_err(|error| Rejection::Redirect {
                redirect_uri: redirect_uri.clone(),
                state: oauth_state.clone(),
                error,
            })?;
        Ok(Self {
            client,
            redirect_uri,
            redirect_uri_sent: params.contains("redirect_uri"),
            state: oauth_state,
            scopes: checked.scopes,
            resource: checked.resource,
            code_challenge: checked.code_challenge,
            code_challenge_method: checked.code_challenge_method,
        })
    }
}

/// The redirect URI to use: the registered one the request names (exact match, loopback port
/// excepted), or the only registered one when the request names none (OAuth 2.1 §4.1.1).
fn choose_redirect_uri(client: &Client, requested: Option<&str>) -> Result<String, OAuthError> {
    let id = &client.client_id;
    let chosen = match (requested, client.redirect_uris.as_slice()) {
        (_, []) => {
            return Err(OAuthError::invalid_request(format!(
                "client `{id}` has no registered redirect URI, so it cannot use the authorization \
                 endpoint (OAuth 2.1 §2.3)"
            )))
        }
        (None, [only]) => only.clone(),
        (None, many) => {
            return Err(OAuthError::invalid_request(format!(
                "`redirect_uri` is required because client `{id}` registered {} redirect URIs \
                 (OAuth 2.1 §4.1.1)",
                many.len()
            )))
        }
        (Some(requested), registered) => {
            if !registered.iter().any(|r| redirect_matches(r, requested)) {
                return Err(OAuthError::invalid_request(format!(
                    "redirect_uri `{requested}` is not registered for client `{id}` (registered: {}); \
                     it must match exactly, only the port of a loopback redirect URI may differ \
                     (OAuth 2.1 §4.1.2.1, RFC 8252 §7.3)",
                    registered.join(", ")
                )));
            }
            requested.to_string()
        }
    };
    match Url::parse(&chosen) {
        Ok(url) if url.fragment().is_none() => Ok(chosen),
        _ => Err(OAuthError::invalid_request(format!(
            "redirect_uri `{chosen}` is not an absolute URI without a fragment (OAuth 2.1 §2.3.1)"
        ))),
    }
}

/// Exact string match, except that a loopback redirect URI (`http://127.0.0.1`, `http://[::1]`,
/// `http://localhost`) matches with any port (RFC 8252 §7.3, OAuth 2.1 §8.4.2). For the port
/// exception the requested URI must be in normalised form, so nothing but the port may differ.
fn redirect_matches(registered: &str, requested: &str) -> bool {
    if registered == requested {
        return true;
    }
    let (Ok(registered), Ok(mut requested_url)) = (Url::parse(registered), Url::parse(requested))
    else {
        return false;
    };
    let loopback = match registered.host() {
        Some(Host::Ipv4(ip)) => ip == std::net::Ipv4Addr::LOCALHOST,
        Some(Host::Ipv6(ip)) => ip == std::net::Ipv6Addr::LOCALHOST,
        Some(Host::Domain(d)) => d == "localhost",
        None => false,
    };
    if registered.scheme() != "http" || !loopback || requested_url.as_str() != requested {
        return false;
    }
    requested_url.set_port(registered.port()).is_ok() && requested_url == registered
}

/// The parameters checked once the redirect URI is trusted.
struct Checked {
    scopes: Vec<String>,
    resource: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

fn check_parameters(
    state: &IdpState,
    client: &Client,
    params: &Params,
) -> Result<Checked, OAuthError> {
    match params.get("response_type") {
        Some("code") => {}
        Some(other) => {
            return Err(OAuthError::new(
                ErrorCode::UnsupportedResponseType,
                format!("response_type `{other}` is not supported; use `code` (OAuth 2.1 §4.1.1)"),
            ))
        }
        None => {
            return Err(OAuthError::invalid_request(
                "missing required parameter `response_type` (OAuth 2.1 §4.1.1)",
            ))
        }
    }
    if !client.allows_grant(AUTHORIZATION_CODE_GRANT) {
        return Err(OAuthError::unauthorized_client(format!(
            "client `{}` is not registered for the `authorization_code` grant (OAuth 2.1 §4.1.2.1)",
            client.client_id
        )));
    }
    let (code_challenge, code_challenge_method) = check_pkce(state, params)?;
    let mut scopes = params.scopes();
    check_scopes(state, scopes.iter().map(String::as_str))?;
    // MCP 2025-03-26 gives a client nothing to choose scopes from (no protected resource metadata,
    // no `scope` in the challenge): a request without `scope` gets the pre-defined default (RFC 6749
    // §3.3), as the official back-compat scenarios require no scope at all.
    if scopes.is_empty() && state.behaviour.legacy_2025_03_26_layout {
        scopes = super::token::default_scopes(state, client);
    }
    let resource = resource::requested(state, params)?;
    Ok(Checked {
        scopes,
        resource,
        code_challenge,
        code_challenge_method,
    })
}

/// RFC 7636 §4.3 with OAuth 2.1 §4.1.1: the method must be one the deployment accepts
/// ([`crate::behaviour::Behaviour::accepts_pkce_method`]: `S256` unless a variant says otherwise).
fn check_pkce(
    state: &IdpState,
    params: &Params,
) -> Result<(Option<String>, Option<String>), OAuthError> {
    let method = params.get("code_challenge_method");
    let Some(challenge) = params.get("code_challenge") else {
        if method.is_some() {
            return Err(OAuthError::invalid_request(
                "code_challenge_method was sent without code_challenge (RFC 7636 §4.3)",
            ));
        }
        if state.behaviour.enforce_pkce {
            return Err(OAuthError::invalid_request(
                "code_challenge required (OAuth 2.1 §4.1.1)",
            ));
        }
        return Ok((None, None));
    };
    // RFC 7636 §4.3: the method defaults to `plain` when absent.
    let method = method.unwrap_or("plain");
    let accepted = state.behaviour.pkce_methods().join(", ");
    if !matches!(method, "S256" | "plain") {
        return Err(OAuthError::invalid_request(format!(
            "code_challenge_method `{method}` is not supported; use {accepted} (RFC 7636 §4.3)"
        )));
    }
    if !state.behaviour.accepts_pkce_method(method) {
        let default = if params.contains("code_challenge_method") {
            ""
        } else {
            " (the default when the method is omitted, RFC 7636 §4.3)"
        };
        return Err(OAuthError::invalid_request(format!(
            "code_challenge_method `{method}`{default} is not accepted by this authorization \
             server; use {accepted} (OAuth 2.1 §4.1.1)"
        )));
    }
    let well_formed = match method {
        "S256" => challenge.len() == 43 && is_valid_challenge(challenge),
        _ => is_valid_challenge(challenge),
    };
    if !well_formed {
        return Err(OAuthError::invalid_request(if method == "S256" {
            "code_challenge is not an S256 challenge: it must be 43 base64url characters \
             (RFC 7636 §4.2)"
        } else {
            "code_challenge must be 43 to 128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.2)"
        }));
    }
    Ok((Some(challenge.to_string()), Some(method.to_string())))
}

/// Stores an authorization code for the request and redirects to the client with `code`, `state`
/// and `iss` (OAuth 2.1 §4.1.2, RFC 9207 §2), as the deployment's behaviour says.
pub(super) fn issue_code(state: &IdpState, request: &AuthorizationRequest) -> Response {
    let code = state.store.insert_code(AuthorizationCode {
        client_id: request.client.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        redirect_uri_sent: request.redirect_uri_sent,
        code_challenge: request.code_challenge.clone(),
        code_challenge_method: request.code_challenge_method.clone(),
        scopes: request.scopes.clone(),
        resource: request.resource.clone(),
        subject: state.config.user.subject.clone(),
        expires_at: Instant::now() + Duration::from_secs(state.config.code_ttl_secs),
    });
    let mut pairs = vec![("code", code)];
    match (state.behaviour.state_echo, &request.state) {
        (StateEcho::Exact, Some(received)) => pairs.push(("state", received.clone())),
        (StateEcho::Exact | StateEcho::Omitted, _) => {}
        (StateEcho::Wrong, _) => pairs.push(("state", format!("wrong-{}", random_token(12)))),
    }
    if let Some(iss) = response_iss(state) {
        pairs.push(("iss", iss));
    }
    redirect_to(&request.redirect_uri, &pairs)
}

/// The `iss` of a successful authorization response (RFC 9207 §2), as the behaviour says: the
/// issuer, another issuer, none, or the issuer in a form equal to it only after RFC 3986 §6.2
/// normalisation.
pub(super) fn response_iss(state: &IdpState) -> Option<String> {
    let issuer = state.urls.issuer();
    match state.behaviour.iss_parameter {
        IssParameter::Correct => Some(issuer),
        IssParameter::Wrong => Some(format!("{issuer}/mix-up-attacker")),
        IssParameter::Omitted => None,
        IssParameter::TrailingSlash => Some(format!("{issuer}/")),
        IssParameter::UppercaseScheme => Some(match issuer.split_once("://") {
            Some((scheme, rest)) => format!("{}://{rest}", scheme.to_ascii_uppercase()),
            None => issuer,
        }),
    }
}

/// OAuth 2.1 §4.1.2.1 error response: `error`, `error_description`, `state` as received and the
/// correct `iss` (RFC 9207 §2).
pub(super) fn error_redirect(
    state: &IdpState,
    redirect_uri: &str,
    oauth_state: Option<&str>,
    error: &OAuthError,
) -> Response {
    let mut pairs = vec![
        ("error", error.code.as_str().to_string()),
        ("error_description", error.description.clone()),
    ];
    if let Some(received) = oauth_state {
        pairs.push(("state", received.to_string()));
    }
    pairs.push(("iss", state.urls.issuer()));
    redirect_to(redirect_uri, &pairs)
}

/// A 302 to `redirect_uri` with the parameters appended to its query (which it may already have).
fn redirect_to(redirect_uri: &str, pairs: &[(&str, String)]) -> Response {
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return error_page(&OAuthError::invalid_request(format!(
            "redirect_uri `{redirect_uri}` is not an absolute URI"
        )));
    };
    url.query_pairs_mut().extend_pairs(pairs);
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, url.to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
    )
        .into_response()
}

/// The 400 page shown instead of redirecting when the client or redirect URI is not trusted.
pub(super) fn error_page(error: &OAuthError) -> Response {
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Authorization request rejected</title></head><body>\
         <h1>Authorization request rejected</h1>\
         <p><code>{}</code>: {}</p>\
         <p>The mock authorization server does not redirect back to the client because the client \
         or its redirect URI could not be verified (OAuth 2.1 §4.1.2.1).</p></body></html>\n",
        error.code.as_str(),
        html_escape::encode_text(&error.description)
    );
    (
        StatusCode::BAD_REQUEST,
        [(header::CACHE_CONTROL, "no-store")],
        Html(body),
    )
        .into_response()
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::HashMap;

    use axum::body::Body;
    use axum::http::StatusCode;
    use http_body_util::BodyExt;

    use super::*;
    use crate::authorization_server::test_support::{get, json, post_form};
    use crate::store::ClientSource;

    /// RFC 7636 Appendix B.
    pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    pub const CLIENT: &str = "test-client";
    pub const REDIRECT: &str = "http://127.0.0.1/callback";
    const OTHER_REDIRECT: &str = "https://app.example.com/cb?tenant=1";
    const SINGLE: &str = "single-redirect-client";

    pub fn add_clients(state: &IdpState) {
        let client = |id: &str, redirect_uris: &[&str]| Client {
            client_id: id.into(),
            client_secret: None,
            redirect_uris: redirect_uris.iter().map(|s| s.to_string()).collect(),
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            token_endpoint_auth_method: "none".into(),
            jwks: None,
            scope: None,
            client_name: Some("Test <Client>".into()),
            source: ClientSource::Config,
        };
        state
            .store
            .insert_client(client(CLIENT, &[REDIRECT, OTHER_REDIRECT]));
        state
            .store
            .insert_client(client(SINGLE, &["http://localhost/cb"]));
        let mut machine = client("machine", &[REDIRECT]);
        machine.grant_types = vec!["client_credentials".into()];
        state.store.insert_client(machine);
    }

    pub fn with_clients(variants: &[&str]) -> IdpState {
        let state = IdpState::for_tests(variants);
        add_clients(&state);
        state
    }

    /// The parameters of a good request, overridden (or removed with `""`) by `changes`.
    pub fn query(state: &IdpState, changes: &[(&str, &str)]) -> String {
        let resource = state.urls.resource();
        let mut params: Vec<(&str, &str)> = vec![
            ("response_type", "code"),
            ("client_id", CLIENT),
            ("redirect_uri", REDIRECT),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
            ("scope", "mcp:tools offline_access"),
            ("resource", &resource),
            ("state", "xyz-123"),
        ];
        for (key, value) in changes {
            params.retain(|(k, _)| k != key);
            if !value.is_empty() {
                params.push((key, value));
            }
        }
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish()
    }

    pub async fn authorize_with(state: &IdpState, changes: &[(&str, &str)]) -> Response<Body> {
        get(state, &format!("/authorize?{}", query(state, changes))).await
    }

    /// The redirect's URL and its query parameters.
    pub fn redirected(response: &Response<Body>) -> (Url, HashMap<String, String>) {
        assert_eq!(response.status(), StatusCode::FOUND);
        let url = Url::parse(response.headers()[header::LOCATION].to_str().unwrap()).unwrap();
        let params = url.query_pairs().into_owned().collect();
        (url, params)
    }

    pub async fn text(response: Response<Body>) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    async fn assert_page(response: Response<Body>, expected: &str) {
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(response.headers().get(header::LOCATION).is_none());
        let body = text(response).await;
        assert!(body.contains(expected), "{body}");
    }

    fn assert_error(response: &Response<Body>, error: &str, description: &str) {
        let (url, p) = redirected(response);
        assert_eq!(url.path(), "/callback");
        assert_eq!(p["error"], error, "{p:?}");
        assert!(p["error_description"].contains(description), "{p:?}");
        assert_eq!(p["state"], "xyz-123");
        assert_eq!(p["iss"], "http://127.0.0.1:1");
        assert!(!p.contains_key("code"));
    }

    #[tokio::test]
    async fn rfc7636_appendix_b_challenge_is_accepted_and_code_stored() {
        let state = with_clients(&[]);
        let response = authorize_with(&state, &[]).await;
        let (url, p) = redirected(&response);
        assert_eq!(url.origin().ascii_serialization(), "http://127.0.0.1");
        assert_eq!(p["state"], "xyz-123");
        assert_eq!(p["iss"], "http://127.0.0.1:1");
        let code = state.store.take_code(&p["code"]).expect("stored code");
        assert_eq!(code.client_id, CLIENT);
        assert_eq!(code.redirect_uri, REDIRECT);
        assert_eq!(code.code_challenge.as_deref(), Some(CHALLENGE));
        assert_eq!(code.code_challenge_method.as_deref(), Some("S256"));
        assert_eq!(code.resource.as_deref(), Some("http://127.0.0.1:2/mcp"));
        assert_eq!(code.scopes, vec!["mcp:tools", "offline_access"]);
        assert_eq!(code.subject, "test-user");
        assert!(code.expires_at > Instant::now() + Duration::from_secs(100));
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    }

    #[tokio::test]
    async fn missing_challenge_is_rejected_unless_pkce_not_enforced() {
        let changes = [("code_challenge", ""), ("code_challenge_method", "")];
        let state = with_clients(&[]);
        let response = authorize_with(&state, &changes).await;
        assert_error(&response, "invalid_request", "code_challenge required");

        let lax = with_clients(&["pkce-not-enforced"]);
        let (_, p) = redirected(&authorize_with(&lax, &changes).await);
        let code = lax.store.take_code(&p["code"]).unwrap();
        assert_eq!(code.code_challenge, None);
    }

    #[tokio::test]
    async fn bad_challenges_are_rejected() {
        let state = with_clients(&[]);
        let too_short = &CHALLENGE[..42];
        let response = authorize_with(&state, &[("code_challenge", too_short)]).await;
        assert_error(&response, "invalid_request", "RFC 7636 section 4.2");
        let response = authorize_with(&state, &[("code_challenge_method", "S512")]).await;
        assert_error(&response, "invalid_request", "`S512` is not supported");
    }

    #[tokio::test]
    async fn plain_is_rejected_unless_pkce_plain_only() {
        let state = with_clients(&[]);
        let response = authorize_with(&state, &[("code_challenge_method", "plain")]).await;
        assert_error(&response, "invalid_request", "`plain`");
        // RFC 7636 §4.3: no method means plain.
        let response = authorize_with(&state, &[("code_challenge_method", "")]).await;
        assert_error(&response, "invalid_request", "default");

        let plain = with_clients(&["pkce-plain-only"]);
        let (_, p) = redirected(&authorize_with(&plain, &[("code_challenge_method", "")]).await);
        let code = plain.store.take_code(&p["code"]).unwrap();
        assert_eq!(code.code_challenge_method.as_deref(), Some("plain"));
    }

    #[tokio::test]
    async fn accepted_methods_are_the_advertised_ones_else_s256() {
        // pkce-plain-only advertises only `plain`, so S256 is refused too.
        let plain = with_clients(&["pkce-plain-only"]);
        let response = authorize_with(&plain, &[]).await;
        assert_error(&response, "invalid_request", "`S256` is not accepted");
        let response = authorize_with(&plain, &[("code_challenge_method", "plain")]).await;
        assert!(redirected(&response).1.contains_key("code"));
        // pkce-not-advertised leaves the metadata field out but still implements S256 only.
        let silent = with_clients(&["pkce-not-advertised"]);
        let (_, p) = redirected(&authorize_with(&silent, &[]).await);
        let code = silent.store.take_code(&p["code"]).unwrap();
        assert_eq!(code.code_challenge_method.as_deref(), Some("S256"));
        let response = authorize_with(&silent, &[("code_challenge_method", "plain")]).await;
        assert_error(&response, "invalid_request", "`plain`");
    }

    #[tokio::test]
    async fn unknown_or_missing_client_gets_a_page_not_a_redirect() {
        let state = with_clients(&[]);
        let response = authorize_with(&state, &[("client_id", "nobody")]).await;
        assert_page(response, "unknown client_id `nobody`").await;
        let response = authorize_with(&state, &[("client_id", "")]).await;
        assert_page(response, "client_id").await;
        // Metadata document URLs on other hosts are not fetched.
        let cimd = "https://client.example.com/client.json";
        let response = authorize_with(&state, &[("client_id", cimd)]).await;
        assert_page(response, "only fetches loopback").await;
        let no_cimd = with_clients(&["no-registration-endpoint"]);
        let response = authorize_with(&no_cimd, &[("client_id", cimd)]).await;
        assert_page(response, "does not support client ID metadata").await;
    }

    #[tokio::test]
    async fn unregistered_redirect_gets_a_page_not_a_redirect() {
        let state = with_clients(&[]);
        for uri in [
            "http://127.0.0.1/other",
            "https://app.example.com/cb",
            "https://app.example.com:8443/cb?tenant=1",
            "http://127.0.0.1:8080/callback/../callback",
            "https://evil.example.com/cb",
        ] {
            let response = authorize_with(&state, &[("redirect_uri", uri)]).await;
            assert_page(response, "is not registered").await;
        }
        let response = authorize_with(&state, &[("redirect_uri", "")]).await;
        assert_page(response, "registered 2 redirect URIs").await;
        let response = authorize_with(&state, &[("client_id", "machine")]).await;
        assert_eq!(response.status(), StatusCode::FOUND);
        assert_eq!(redirected(&response).1["error"], "unauthorized_client");
    }

    #[tokio::test]
    async fn duplicate_parameters_get_a_page() {
        let state = with_clients(&[]);
        let uri = format!("/authorize?{}&state=again", query(&state, &[]));
        assert_page(get(&state, &uri).await, "more than once").await;
    }

    #[tokio::test]
    async fn loopback_port_may_differ_and_single_redirect_may_be_omitted() {
        let state = with_clients(&[]);
        let response = authorize_with(
            &state,
            &[("redirect_uri", "http://127.0.0.1:54321/callback")],
        )
        .await;
        let (url, p) = redirected(&response);
        assert_eq!(url.port(), Some(54321));
        let code = state.store.take_code(&p["code"]).unwrap();
        assert_eq!(code.redirect_uri, "http://127.0.0.1:54321/callback");

        let single = [("client_id", SINGLE), ("redirect_uri", "")];
        let (url, _) = redirected(&authorize_with(&state, &single).await);
        assert_eq!(url.host_str(), Some("localhost"));
        let localhost = [
            ("client_id", SINGLE),
            ("redirect_uri", "http://localhost:9/cb"),
        ];
        let (url, _) = redirected(&authorize_with(&state, &localhost).await);
        assert_eq!(url.port(), Some(9));
        // Another loopback host is not the same redirect URI.
        let other_host = [
            ("client_id", SINGLE),
            ("redirect_uri", "http://127.0.0.1:9/cb"),
        ];
        assert_page(authorize_with(&state, &other_host).await, "not registered").await;
    }

    #[tokio::test]
    async fn omitted_redirect_uri_need_not_be_repeated_at_the_token_endpoint() {
        let state = with_clients(&[]);
        let exchange = |code: &str, redirect: Option<&str>| {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.extend_pairs([
                ("grant_type", "authorization_code"),
                ("client_id", SINGLE),
                ("code", code),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                ),
            ]);
            if let Some(redirect) = redirect {
                form.append_pair("redirect_uri", redirect);
            }
            form.finish()
        };
        let token = |body: String| {
            let state = state.clone();
            async move {
                let response = post_form(&state, "/token", &body).await;
                (response.status(), json(response).await)
            }
        };
        let single = [("client_id", SINGLE), ("redirect_uri", "")];
        let (_, p) = redirected(&authorize_with(&state, &single).await);
        let (status, body) = token(exchange(&p["code"], None)).await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // Sent at /authorize, it must be repeated (OAuth 2.1 §4.1.3).
        let sent = [
            ("client_id", SINGLE),
            ("redirect_uri", "http://localhost/cb"),
        ];
        let (_, p) = redirected(&authorize_with(&state, &sent).await);
        let (status, body) = token(exchange(&p["code"], None)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_request", "{body}");
        let (_, p) = redirected(&authorize_with(&state, &sent).await);
        let (status, body) = token(exchange(&p["code"], Some("http://localhost/cb"))).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    #[tokio::test]
    async fn existing_redirect_query_is_kept() {
        let state = with_clients(&[]);
        let response = authorize_with(&state, &[("redirect_uri", OTHER_REDIRECT)]).await;
        let (url, p) = redirected(&response);
        assert_eq!(url.host_str(), Some("app.example.com"));
        assert_eq!(p["tenant"], "1");
        assert!(p.contains_key("code"));
    }

    #[tokio::test]
    async fn wrong_resource_is_invalid_target() {
        let state = with_clients(&[]);
        for resource in [
            "http://127.0.0.1:2/mcp/",
            "https://other.example.com/mcp",
            "http://127.0.0.1:2/mcp#frag",
            "/mcp",
        ] {
            let response = authorize_with(&state, &[("resource", resource)]).await;
            assert_error(&response, "invalid_target", "RFC 8707 section 2");
        }
        // RFC 8707 §2: `resource` may repeat; each value must be the protected resource.
        let twice = format!(
            "/authorize?{}&resource=HTTP%3A%2F%2F127.0.0.1%3A2%2Fmcp",
            query(&state, &[])
        );
        let (_, p) = redirected(&get(&state, &twice).await);
        let code = state
            .store
            .take_code(&p["code"])
            .expect("code for a repeated resource");
        assert_eq!(code.resource.as_deref(), Some("http://127.0.0.1:2/mcp"));
        let other = format!(
            "/authorize?{}&resource=https%3A%2F%2Fother.example.com%2Fmcp",
            query(&state, &[])
        );
        assert_error(
            &get(&state, &other).await,
            "invalid_target",
            "other.example.com",
        );
        // Without `resource` the code is not bound to one.
        let (_, p) = redirected(&authorize_with(&state, &[("resource", "")]).await);
        assert_eq!(state.store.take_code(&p["code"]).unwrap().resource, None);
    }

    #[tokio::test]
    async fn response_type_and_scope_are_checked() {
        let state = with_clients(&[]);
        let response = authorize_with(&state, &[("response_type", "token")]).await;
        assert_error(&response, "unsupported_response_type", "`token`");
        let response = authorize_with(&state, &[("response_type", "")]).await;
        assert_error(&response, "invalid_request", "response_type");
        let response = authorize_with(&state, &[("scope", "mcp:tools email")]).await;
        assert_error(&response, "invalid_scope", "`email`");
    }

    #[tokio::test]
    async fn state_is_echoed_and_iss_is_the_issuer() {
        let state = with_clients(&[]);
        let (_, p) = redirected(&authorize_with(&state, &[("state", "a b&c=d")]).await);
        assert_eq!(p["state"], "a b&c=d");
        assert_eq!(p["iss"], state.urls.issuer());
        let (_, p) = redirected(&authorize_with(&state, &[("state", "")]).await);
        assert!(!p.contains_key("state"));

        let tenant = with_clients(&["issuer-with-path"]);
        let response = get(
            &tenant,
            &format!("/tenant1/authorize?{}", query(&tenant, &[])),
        )
        .await;
        assert_eq!(redirected(&response).1["iss"], "http://127.0.0.1:1/tenant1");
    }

    #[tokio::test]
    async fn wrong_state_variant() {
        let state = with_clients(&["wrong-state"]);
        let (_, p) = redirected(&authorize_with(&state, &[]).await);
        assert_ne!(p["state"], "xyz-123");
        assert!(p.contains_key("code"));
        // Errors still carry the state received.
        let response = authorize_with(&state, &[("scope", "nope")]).await;
        assert_error(&response, "invalid_scope", "nope");
    }

    /// The token endpoint's answer to a code exchange by the public client `client_id`, with
    /// the RFC 7636 Appendix B verifier and `redirect_uri`.
    async fn exchange(
        state: &IdpState,
        client_id: &str,
        code: &str,
        redirect_uri: &str,
    ) -> (StatusCode, serde_json::Value) {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("grant_type", "authorization_code"),
                ("client_id", client_id),
                ("code", code),
                ("redirect_uri", redirect_uri),
                (
                    "code_verifier",
                    "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
                ),
            ])
            .finish();
        let response = post_form(state, "/token", &body).await;
        (response.status(), json(response).await)
    }

    #[tokio::test]
    async fn unfetchable_metadata_document_client_completes_with_its_loopback_redirect() {
        const UNSERVED: &str = "https://conformance-test.local/client-metadata.json";
        let state = IdpState::for_tests_with(crate::Config::default(), |b| {
            b.cimd_accept_unfetchable = true
        });
        let redirect = "http://127.0.0.1:41234/callback";
        let response = authorize_with(
            &state,
            &[("client_id", UNSERVED), ("redirect_uri", redirect)],
        )
        .await;
        let (url, p) = redirected(&response);
        assert_eq!(url.port(), Some(41234));
        let (status, body) = exchange(&state, UNSERVED, &p["code"], redirect).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body["access_token"].is_string());
        // The token request must use the same redirect URI.
        let (_, p) = redirected(
            &authorize_with(
                &state,
                &[("client_id", UNSERVED), ("redirect_uri", redirect)],
            )
            .await,
        );
        let (status, body) =
            exchange(&state, UNSERVED, &p["code"], "http://127.0.0.1:41234/other").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_grant", "{body}");
        // A non-loopback redirect URI gets the page, never a redirect.
        let response = authorize_with(
            &state,
            &[
                ("client_id", UNSERVED),
                ("redirect_uri", "https://evil.example.com/cb"),
            ],
        )
        .await;
        assert_page(response, "is not registered").await;
        // Without the switch the client is unknown.
        let strict = with_clients(&[]);
        let response = authorize_with(
            &strict,
            &[("client_id", UNSERVED), ("redirect_uri", redirect)],
        )
        .await;
        assert_page(response, "only fetches loopback").await;
    }

    #[tokio::test]
    async fn wrong_state_and_iss_codes_are_still_exchangeable() {
        for variant in ["wrong-state", "wrong-iss", "missing-iss"] {
            let state = with_clients(&[variant]);
            let (_, p) = redirected(&authorize_with(&state, &[]).await);
            match variant {
                "wrong-state" => {
                    assert!(p["state"].starts_with("wrong-"), "{p:?}");
                    assert_eq!(p["iss"], state.urls.issuer());
                }
                "wrong-iss" => {
                    assert_eq!(p["state"], "xyz-123");
                    assert_ne!(p["iss"], state.urls.issuer());
                }
                _ => assert!(!p.contains_key("iss"), "{p:?}"),
            }
            let (status, body) = exchange(&state, CLIENT, &p["code"], REDIRECT).await;
            assert_eq!(status, StatusCode::OK, "{variant}: {body}");
            assert!(body["access_token"].is_string(), "{variant}");
        }
    }

    #[tokio::test]
    async fn the_2026_iss_variants_redirect_with_their_iss_and_advertise_as_they_say() {
        let issuer = "http://127.0.0.1:1";
        for (variant, iss, advertised) in [
            ("iss-trailing-slash", Some("http://127.0.0.1:1/"), true),
            ("iss-uppercase-scheme", Some("HTTP://127.0.0.1:1"), true),
            ("unadvertised-iss", Some(issuer), false),
            ("iss-not-advertised", None, false),
        ] {
            let state = with_clients(&[variant]);
            assert_eq!(state.urls.issuer(), issuer);
            let (_, p) = redirected(&authorize_with(&state, &[]).await);
            assert_eq!(p.get("iss").map(String::as_str), iss, "{variant}");
            assert_eq!(
                state.behaviour.advertise_iss_parameter, advertised,
                "{variant}"
            );
        }
        let wrong = with_clients(&["unadvertised-wrong-iss"]);
        let (_, p) = redirected(&authorize_with(&wrong, &[]).await);
        assert_ne!(p["iss"], issuer);
        assert!(!wrong.behaviour.advertise_iss_parameter);
    }

    #[tokio::test]
    async fn wrong_and_missing_iss_variants() {
        let wrong = with_clients(&["wrong-iss"]);
        let (_, p) = redirected(&authorize_with(&wrong, &[]).await);
        assert_ne!(p["iss"], wrong.urls.issuer());
        assert!(Url::parse(&p["iss"]).is_ok());

        let missing = with_clients(&["missing-iss"]);
        let (_, p) = redirected(&authorize_with(&missing, &[]).await);
        assert!(!p.contains_key("iss"));
        assert_eq!(p["state"], "xyz-123");
    }
}
