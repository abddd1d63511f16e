//! Device authorization grant (RFC 8628): device authorization endpoint, verification page, and
//! the `urn:ietf:params:oauth:grant-type:device_code` grant the token endpoint dispatches here.

use std::time::{Duration, Instant};

use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use rand::Rng;
use serde_json::json;

use super::client_auth::AuthenticatedClient;
use super::metadata::{DEVICE_CODE_GRANT, REFRESH_TOKEN_GRANT};
use super::resource;
use super::token::{issue_tokens, scopes_or_default};
use crate::access_token::Grant;
use crate::error::{ErrorCode, OAuthError};
use crate::form::{OAuthForm, Params};
use crate::state::IdpState;
use crate::store::{random_token, Client, DeviceGrant, DeviceStatus};

/// Lifetime of a device code (RFC 8628 §3.2 `expires_in`).
pub const DEVICE_CODE_TTL: Duration = Duration::from_secs(600);
/// RFC 8628 §6.1: base-20 user code alphabet without vowels or easily confused letters.
pub const USER_CODE_CHARSET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
/// RFC 8628 §3.5: each `slow_down` increases the polling interval by 5 seconds.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// RFC 8628 §3.1/§3.2: the device authorization request and response.
pub async fn device_authorization(
    State(state): State<IdpState>,
    form: Result<OAuthForm, OAuthError>,
) -> Response {
    match authorize_device(&state, form).await {
        Ok(body) => no_store(Json(body).into_response()),
        Err(e) => e.into_response(),
    }
}

async fn authorize_device(
    state: &IdpState,
    form: Result<OAuthForm, OAuthError>,
) -> Result<serde_json::Value, OAuthError> {
    let form = form?;
    let client = device_client(state, &form).await?;
    if !client.allows_grant(DEVICE_CODE_GRANT) {
        return Err(OAuthError::unauthorized_client(format!(
            "client `{}` is not registered for the grant type `{DEVICE_CODE_GRANT}` (RFC 8628 §3.2)",
            client.client_id
        )));
    }
    let params = &form.params;
    let scopes = scopes_or_default(state, &client, params)?;
    let resource = resource::requested(state, params)?;
    let status = if state.config.device_auto_approve {
        DeviceStatus::Approved {
            subject: state.config.user.subject.clone(),
        }
    } else {
        DeviceStatus::Pending
    };
    let device_code = random_token(32);
    let interval = Duration::from_secs(state.config.device_poll_interval_secs);
    let user_code = {
        let mut grants = state.store.device_grants.lock().unwrap();
        let user_code = loop {
            let candidate = generate_user_code();
            if !grants.values().any(|g| g.user_code == candidate) {
                break candidate;
            }
        };
        grants.insert(
            device_code.clone(),
            DeviceGrant {
                device_code: device_code.clone(),
                user_code: user_code.clone(),
                client_id: client.client_id.clone(),
                scopes,
                resource,
                expires_at: Instant::now() + DEVICE_CODE_TTL,
                status,
                interval,
                last_poll: None,
            },
        );
        user_code
    };
    let shown = display_user_code(&user_code);
    let verification_uri = state.urls.device_verification_uri();
    Ok(json!({
        "device_code": device_code,
        "user_code": shown,
        "verification_uri": verification_uri,
        "verification_uri_complete": format!("{verification_uri}?user_code={shown}"),
        "expires_in": DEVICE_CODE_TTL.as_secs(),
        "interval": interval.as_secs(),
    }))
}

/// RFC 8628 §3.1: a public client identifies itself with `client_id`; a client registered with
/// another method (or presenting credentials) authenticates as at the token endpoint.
async fn device_client(state: &IdpState, form: &OAuthForm) -> Result<Client, OAuthError> {
    let params = &form.params;
    let presents_credentials = form.headers.contains_key(header::AUTHORIZATION)
        || params.contains("client_secret")
        || params.contains("client_assertion");
    if presents_credentials {
        let audience = state.urls.device_authorization_endpoint();
        return Ok(
            super::client_auth::authenticate_client(state, form, &audience)
                .await?
                .client,
        );
    }
    let client_id = params.get("client_id").ok_or_else(|| {
        OAuthError::invalid_request(
            "missing required parameter `client_id` (RFC 8628 §3.1) and no client authentication",
        )
    })?;
    let client = super::cimd::resolve_client(state, client_id).await?;
    if client.token_endpoint_auth_method != "none" {
        return Err(OAuthError::invalid_client(format!(
            "client `{client_id}` is registered with `{}` and must authenticate (RFC 6749 §2.3.1, \
             RFC 8628 §3.1)",
            client.token_endpoint_auth_method
        ))
        .with_basic_challenge());
    }
    Ok(client)
}

/// Eight characters of the RFC 8628 §6.1 charset (about 34.5 bits of entropy), stored normalised.
pub fn generate_user_code() -> String {
    let mut rng = rand::rng();
    (0..8)
        .map(|_| USER_CODE_CHARSET[rng.random_range(0..USER_CODE_CHARSET.len())] as char)
        .collect()
}

/// `BCDFGHJK` → `BCDF-GHJK` (RFC 8628 §6.1 suggests a separator for readability).
fn display_user_code(code: &str) -> String {
    if code.len() == 8 {
        format!("{}-{}", &code[..4], &code[4..])
    } else {
        code.to_string()
    }
}

/// RFC 8628 §6.1: user input is compared case-insensitively and without punctuation.
pub fn normalise_user_code(input: &str) -> String {
    input
        .chars()
        .filter(|c| *c != '-' && !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// RFC 8628 §3.3: the verification page, optionally pre-filled from `verification_uri_complete`.
pub async fn verification_page(
    State(state): State<IdpState>,
    RawQuery(query): RawQuery,
) -> Response {
    let params = match Params::parse(query.unwrap_or_default().as_bytes()) {
        Ok(p) => p,
        Err(e) => {
            return page(
                &state,
                StatusCode::BAD_REQUEST,
                "",
                Some(&e.description),
                None,
            )
        }
    };
    let entered = params.get("user_code").unwrap_or("");
    let details = (!entered.is_empty())
        .then(|| find_by_user_code(&state, entered))
        .flatten()
        .map(|g| describe(&g));
    page(&state, StatusCode::OK, entered, None, details.as_deref())
}

/// RFC 8628 §3.3: the user's decision (`user_code`, `action` = `approve` or `deny`).
pub async fn verification_submit(
    State(state): State<IdpState>,
    form: Result<OAuthForm, OAuthError>,
) -> Response {
    let params = match form {
        Ok(form) => form.params,
        Err(e) => return page(&state, e.status, "", Some(&e.description), None),
    };
    let entered = params.get("user_code").unwrap_or("");
    match decide(&state, entered, params.get("action")) {
        Ok(message) => page(&state, StatusCode::OK, "", Some(&message), None),
        Err(message) => page(
            &state,
            StatusCode::BAD_REQUEST,
            entered,
            Some(&message),
            None,
        ),
    }
}

/// Records the decision; the error is the message shown to the user.
fn decide(state: &IdpState, entered: &str, action: Option<&str>) -> Result<String, String> {
    let approve = match action {
        Some("approve") => true,
        Some("deny") => false,
        other => {
            return Err(format!(
                "action must be `approve` or `deny`, got `{}`",
                other.unwrap_or("")
            ))
        }
    };
    let code = normalise_user_code(entered);
    if code.is_empty() {
        return Err("enter the code shown on your device".into());
    }
    let mut grants = state.store.device_grants.lock().unwrap();
    let grant = grants
        .values_mut()
        .find(|g| g.user_code == code)
        .ok_or_else(|| format!("unknown code `{entered}`"))?;
    if Instant::now() >= grant.expires_at {
        return Err(format!("the code `{entered}` has expired (RFC 8628 §3.2)"));
    }
    if grant.status != DeviceStatus::Pending {
        return Err(format!("the code `{entered}` was already used"));
    }
    if approve {
        grant.status = DeviceStatus::Approved {
            subject: state.config.user.subject.clone(),
        };
        Ok("Approved. You can return to your device.".into())
    } else {
        grant.status = DeviceStatus::Denied;
        Ok("Denied. The device will not get access.".into())
    }
}

fn find_by_user_code(state: &IdpState, entered: &str) -> Option<DeviceGrant> {
    let code = normalise_user_code(entered);
    let grants = state.store.device_grants.lock().unwrap();
    grants.values().find(|g| g.user_code == code).cloned()
}

fn describe(grant: &DeviceGrant) -> String {
    let scopes = if grant.scopes.is_empty() {
        "no scopes".to_string()
    } else {
        grant.scopes.join(" ")
    };
    format!("Client `{}` asks for: {scopes}", grant.client_id)
}

/// The verification page; every dynamic value is HTML-escaped.
fn page(
    state: &IdpState,
    status: StatusCode,
    user_code: &str,
    message: Option<&str>,
    details: Option<&str>,
) -> Response {
    let esc = |s: &str| html_escape::encode_text(s).into_owned();
    let message = message
        .map(|m| format!("<p class=\"message\">{}</p>\n", esc(m)))
        .unwrap_or_default();
    let details = details
        .map(|d| format!("<p>{}</p>\n", esc(d)))
        .unwrap_or_default();
    let action = state.urls.endpoint_path("/device");
    let body = format!(
        "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Device login</title></head>\n\
         <body>\n<h1>Connect a device</h1>\n{message}{details}\
         <form method=\"post\" action=\"{action}\">\n\
         <label>Code <input name=\"user_code\" value=\"{code}\" autocomplete=\"off\"></label>\n\
         <button name=\"action\" value=\"approve\">Approve</button>\n\
         <button name=\"action\" value=\"deny\">Deny</button>\n</form>\n</body></html>\n",
        action = html_escape::encode_double_quoted_attribute(&action),
        code = html_escape::encode_double_quoted_attribute(user_code),
    );
    no_store((status, Html(body)).into_response())
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What a poll of the token endpoint found.
enum Poll {
    Issue(DeviceGrant, String),
    Fail(OAuthError),
}

/// RFC 8628 §3.4/§3.5: the token request of the device flow (called by the token endpoint after
/// client authentication).
pub(crate) async fn device_code_grant(
    state: &IdpState,
    client: &AuthenticatedClient,
    params: &Params,
) -> Result<Response, OAuthError> {
    let device_code = params.require("device_code")?;
    // Checked before the poll so that a bad `resource` does not consume the device code.
    resource::requested(state, params)?;
    let client_id = &client.client.client_id;
    let outcome = {
        let mut grants = state.store.device_grants.lock().unwrap();
        poll(&mut grants, device_code, client_id)
    };
    match outcome {
        Poll::Fail(e) => Err(e),
        Poll::Issue(grant, subject) => {
            let grant = Grant {
                resource: resource::for_grant(state, params, grant.resource.as_deref())?,
                subject,
                client_id: grant.client_id,
                scopes: grant.scopes,
            };
            // A refresh token only for a client registered for the refresh grant (OAuth 2.1 §4.3).
            let with_refresh_token = client.client.allows_grant(REFRESH_TOKEN_GRANT);
            issue_tokens(state, &grant, with_refresh_token).await
        }
    }
}

fn poll(
    grants: &mut std::collections::HashMap<String, DeviceGrant>,
    device_code: &str,
    client_id: &str,
) -> Poll {
    let fail = |code, description: String| Poll::Fail(OAuthError::new(code, description));
    let Some(grant) = grants.get_mut(device_code) else {
        return fail(
            ErrorCode::InvalidGrant,
            "unknown or already used device_code (RFC 8628 §3.5, RFC 6749 §5.2)".into(),
        );
    };
    if grant.client_id != client_id {
        return fail(
            ErrorCode::InvalidGrant,
            format!(
                "the device_code was issued to another client, not `{client_id}` (RFC 6749 §5.2)"
            ),
        );
    }
    let now = Instant::now();
    if now >= grant.expires_at {
        grants.remove(device_code);
        return fail(
            ErrorCode::ExpiredToken,
            "the device_code has expired; start a new device authorization (RFC 8628 §3.5)".into(),
        );
    }
    match grant.status.clone() {
        DeviceStatus::Denied => {
            grants.remove(device_code);
            fail(
                ErrorCode::AccessDenied,
                "the user denied the authorization request (RFC 8628 §3.5)".into(),
            )
        }
        DeviceStatus::Pending => {
            let too_fast = grant
                .last_poll
                .is_some_and(|last| now.duration_since(last) < grant.interval);
            grant.last_poll = Some(now);
            if too_fast {
                grant.interval += SLOW_DOWN_STEP;
                fail(
                    ErrorCode::SlowDown,
                    format!(
                        "polling faster than the interval; wait {} s between requests from now on \
                         (RFC 8628 §3.5)",
                        grant.interval.as_secs()
                    ),
                )
            } else {
                fail(
                    ErrorCode::AuthorizationPending,
                    "the user has not yet approved or denied the request (RFC 8628 §3.5)".into(),
                )
            }
        }
        DeviceStatus::Approved { subject } => match grants.remove(device_code) {
            Some(grant) => Poll::Issue(grant, subject),
            None => fail(
                ErrorCode::InvalidGrant,
                "the device_code was already used (RFC 8628 §3.5)".into(),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorization_server::test_support::{get, json, post_form};
    use crate::behaviour::Behaviour;
    use crate::config::Config;
    use crate::store::ClientSource;
    use crate::urls::Urls;
    use http_body_util::BodyExt;

    const PUBLIC: &str = "device-public";

    fn state_with(auto_approve: bool) -> IdpState {
        let behaviour = Behaviour::default();
        let urls = Urls::new("http://127.0.0.1:1", "http://127.0.0.1:2", None, &behaviour);
        let config = Config {
            device_auto_approve: auto_approve,
            ..Config::default()
        };
        let state = IdpState::new(config, behaviour, urls).unwrap();
        for (id, grants, method) in [
            (PUBLIC, vec![DEVICE_CODE_GRANT.to_string()], "none"),
            ("other-public", vec![DEVICE_CODE_GRANT.to_string()], "none"),
            (
                "with-refresh",
                vec![DEVICE_CODE_GRANT.to_string(), "refresh_token".to_string()],
                "none",
            ),
            ("no-device", vec!["authorization_code".to_string()], "none"),
            (
                "confidential",
                vec![DEVICE_CODE_GRANT.to_string()],
                "client_secret_basic",
            ),
        ] {
            state.store.insert_client(Client {
                client_id: id.into(),
                client_secret: (method != "none").then(|| "s3cret".to_string()),
                redirect_uris: vec![],
                grant_types: grants,
                token_endpoint_auth_method: method.into(),
                jwks: None,
                scope: None,
                client_name: None,
                source: ClientSource::Config,
            });
        }
        state
    }

    fn authenticated(state: &IdpState, id: &str) -> AuthenticatedClient {
        AuthenticatedClient {
            client: state.store.client(id).unwrap(),
            method: "none".into(),
        }
    }

    async fn start(state: &IdpState, body: &str) -> serde_json::Value {
        let response = post_form(state, "/device_authorization", body).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        json(response).await
    }

    async fn grant_for(
        state: &IdpState,
        id: &str,
        device_code: &str,
    ) -> Result<Response, OAuthError> {
        let mut params = Params::default();
        params.insert("grant_type", DEVICE_CODE_GRANT);
        params.insert("device_code", device_code);
        device_code_grant(state, &authenticated(state, id), &params).await
    }

    async fn error_of(state: &IdpState, id: &str, device_code: &str) -> ErrorCode {
        grant_for(state, id, device_code)
            .await
            .expect_err("an error")
            .code
    }

    async fn text(response: Response) -> String {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn user_codes_use_the_rfc8628_charset() {
        let code = generate_user_code();
        assert_eq!(code.len(), 8);
        assert!(
            code.bytes().all(|b| USER_CODE_CHARSET.contains(&b)),
            "{code}"
        );
        assert_ne!(generate_user_code(), generate_user_code());
        assert_eq!(normalise_user_code(" bcdf-ghjk "), "BCDFGHJK");
        assert_eq!(display_user_code("BCDFGHJK"), "BCDF-GHJK");
    }

    #[tokio::test]
    async fn device_authorization_response_has_rfc8628_shape() {
        let state = state_with(false);
        let doc = start(&state, &format!("client_id={PUBLIC}&scope=mcp%3Atools")).await;
        let shown = doc["user_code"].as_str().unwrap();
        assert_eq!(shown.len(), 9);
        assert_eq!(&shown[4..5], "-");
        assert!(shown
            .replace('-', "")
            .bytes()
            .all(|b| USER_CODE_CHARSET.contains(&b)));
        assert_eq!(doc["verification_uri"], "http://127.0.0.1:1/device");
        assert_eq!(
            doc["verification_uri_complete"],
            format!("http://127.0.0.1:1/device?user_code={shown}")
        );
        assert_eq!(doc["expires_in"], 600);
        assert_eq!(doc["interval"], 1);
        let grants = state.store.device_grants.lock().unwrap();
        let grant = &grants[doc["device_code"].as_str().unwrap()];
        assert_eq!(grant.status, DeviceStatus::Pending);
        assert_eq!(grant.scopes, vec!["mcp:tools"]);
        assert_eq!(grant.client_id, PUBLIC);
    }

    #[tokio::test]
    async fn device_authorization_rejects_bad_requests() {
        let state = state_with(false);
        let resource = format!("resource={}", state.urls.resource());
        for (body, code, status) in [
            ("scope=mcp%3Atools".to_string(), "invalid_request", 400),
            ("client_id=nobody".to_string(), "invalid_client", 401),
            ("client_id=confidential".to_string(), "invalid_client", 401),
            (
                "client_id=no-device".to_string(),
                "unauthorized_client",
                400,
            ),
            (
                format!("client_id={PUBLIC}&scope=mcp%3Aroot"),
                "invalid_scope",
                400,
            ),
            (
                format!("client_id={PUBLIC}&resource=https%3A%2F%2Fevil.example%2Fmcp"),
                "invalid_target",
                400,
            ),
        ] {
            let response = post_form(&state, "/device_authorization", &body).await;
            assert_eq!(response.status().as_u16(), status, "{body}");
            assert_eq!(json(response).await["error"], code, "{body}");
        }
        let doc = start(&state, &format!("client_id={PUBLIC}&{resource}")).await;
        let grants = state.store.device_grants.lock().unwrap();
        let grant = &grants[doc["device_code"].as_str().unwrap()];
        assert_eq!(grant.resource.as_deref(), Some("http://127.0.0.1:2/mcp"));
        assert_eq!(grant.scopes, vec!["mcp:tools"], "default scope");
    }

    #[tokio::test]
    async fn repeated_resource_must_each_be_the_served_one() {
        let state = state_with(false);
        let served = url::form_urlencoded::byte_serialize(state.urls.resource().as_bytes())
            .collect::<String>();
        let doc = start(
            &state,
            &format!(
                "client_id={PUBLIC}&resource={served}&resource=HTTP%3A%2F%2F127.0.0.1%3A2%2Fmcp"
            ),
        )
        .await;
        let resource = state.store.device_grants.lock().unwrap()
            [doc["device_code"].as_str().unwrap()]
        .resource
        .clone();
        assert_eq!(resource.as_deref(), Some("http://127.0.0.1:2/mcp"));
        let body = format!("client_id={PUBLIC}&resource={served}&resource=https%3A%2F%2Fa.example");
        let response = post_form(&state, "/device_authorization", &body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(json(response).await["error"], "invalid_target");
    }

    #[tokio::test]
    async fn token_request_resource_is_checked_without_consuming_the_code() {
        let state = state_with(true);
        let doc = start(&state, &format!("client_id={PUBLIC}")).await;
        let device_code = doc["device_code"].as_str().unwrap();
        let mut params = Params::default();
        params.insert("device_code", device_code);
        params.insert("resource", "https://other.example/mcp");
        let err = device_code_grant(&state, &authenticated(&state, PUBLIC), &params)
            .await
            .expect_err("wrong resource");
        assert_eq!(err.code, ErrorCode::InvalidTarget);
        params.insert("resource", state.urls.resource());
        let response = device_code_grant(&state, &authenticated(&state, PUBLIC), &params)
            .await
            .expect("the code is still usable");
        let token = json(response).await["access_token"]
            .as_str()
            .unwrap()
            .to_string();
        let claims = crate::access_token::validate(&state, &token).await.unwrap();
        assert_eq!(claims.aud, state.urls.resource());
    }

    #[tokio::test]
    async fn refresh_token_only_for_clients_registered_for_the_refresh_grant() {
        let state = state_with(true);
        for (id, expect_refresh) in [(PUBLIC, false), ("with-refresh", true)] {
            let doc = start(&state, &format!("client_id={id}")).await;
            let device_code = doc["device_code"].as_str().unwrap();
            let response = grant_for(&state, id, device_code).await.expect("tokens");
            let body = json(response).await;
            assert!(body["access_token"].is_string(), "{body}");
            assert_eq!(
                body["refresh_token"].is_string(),
                expect_refresh,
                "{id}: {body}"
            );
        }
    }

    #[tokio::test]
    async fn pending_then_approved_on_the_page_issues_tokens_once() {
        let state = state_with(false);
        let doc = start(&state, &format!("client_id={PUBLIC}")).await;
        let device_code = doc["device_code"].as_str().unwrap();
        let user_code = doc["user_code"].as_str().unwrap();
        assert_eq!(
            error_of(&state, PUBLIC, device_code).await,
            ErrorCode::AuthorizationPending
        );

        let page = get(&state, &format!("/device?user_code={user_code}")).await;
        assert_eq!(page.status(), StatusCode::OK);
        let html = text(page).await;
        assert!(html.contains(&format!("value=\"{user_code}\"")), "{html}");
        assert!(html.contains(PUBLIC), "{html}");

        let lower = user_code.to_lowercase();
        let submit = post_form(
            &state,
            "/device",
            &format!("user_code={lower}&action=approve"),
        )
        .await;
        assert_eq!(submit.status(), StatusCode::OK);
        assert!(text(submit).await.contains("Approved"));

        let response = grant_for(&state, PUBLIC, device_code)
            .await
            .expect("tokens issued");
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(
            error_of(&state, PUBLIC, device_code).await,
            ErrorCode::InvalidGrant
        );
    }

    #[tokio::test]
    async fn confidential_client_authenticates_and_polls_at_the_token_endpoint() {
        use axum::body::Body;
        use axum::http::Request;
        use base64::Engine;
        let state = state_with(true);
        let basic = |secret: &str| {
            let raw = format!("confidential:{secret}");
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(raw)
            )
        };
        let request = |secret: &str| {
            Request::post("/device_authorization")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::AUTHORIZATION, basic(secret))
                .body(Body::from("scope=mcp%3Atools"))
                .unwrap()
        };
        let wrong = crate::authorization_server::test_support::send(&state, request("nope")).await;
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(json(wrong).await["error"], "invalid_client");

        let ok = crate::authorization_server::test_support::send(&state, request("s3cret")).await;
        assert_eq!(ok.status(), StatusCode::OK);
        let device_code = json(ok).await["device_code"].as_str().unwrap().to_string();

        // Another (public) client cannot redeem it at the token endpoint.
        let body = |client: &str| {
            format!(
                "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Adevice_code\
                 &device_code={device_code}{client}"
            )
        };
        let stolen = post_form(&state, "/token", &body(&format!("&client_id={PUBLIC}"))).await;
        assert_eq!(json(stolen).await["error"], "invalid_grant");
        let tokens = crate::authorization_server::test_support::send(
            &state,
            Request::post("/token")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::AUTHORIZATION, basic("s3cret"))
                .body(Body::from(body("")))
                .unwrap(),
        )
        .await;
        assert_eq!(tokens.status(), StatusCode::OK);
        assert!(json(tokens).await["access_token"].is_string());
    }

    #[tokio::test]
    async fn polling_too_fast_is_slow_down_and_raises_the_interval() {
        let state = state_with(false);
        let doc = start(&state, &format!("client_id={PUBLIC}")).await;
        let device_code = doc["device_code"].as_str().unwrap();
        assert_eq!(
            error_of(&state, PUBLIC, device_code).await,
            ErrorCode::AuthorizationPending
        );
        assert_eq!(
            error_of(&state, PUBLIC, device_code).await,
            ErrorCode::SlowDown
        );
        let interval = state.store.device_grants.lock().unwrap()[device_code].interval;
        assert_eq!(interval, Duration::from_secs(6));

        // After waiting the (raised) interval, the answer is pending again.
        state
            .store
            .device_grants
            .lock()
            .unwrap()
            .get_mut(device_code)
            .unwrap()
            .last_poll = Some(Instant::now() - Duration::from_secs(7));
        assert_eq!(
            error_of(&state, PUBLIC, device_code).await,
            ErrorCode::AuthorizationPending
        );
    }

    #[tokio::test]
    async fn expired_code_is_expired_token() {
        let state = state_with(true);
        let doc = start(&state, &format!("client_id={PUBLIC}")).await;
        let device_code = doc["device_code"].as_str().unwrap();
        state
            .store
            .device_grants
            .lock()
            .unwrap()
            .get_mut(device_code)
            .unwrap()
            .expires_at = Instant::now() - Duration::from_secs(1);
        assert_eq!(
            error_of(&state, PUBLIC, device_code).await,
            ErrorCode::ExpiredToken
        );
    }

    #[tokio::test]
    async fn denied_on_the_page_is_access_denied() {
        let state = state_with(false);
        let doc = start(&state, &format!("client_id={PUBLIC}")).await;
        let device_code = doc["device_code"].as_str().unwrap();
        let user_code = doc["user_code"].as_str().unwrap();
        let submit = post_form(
            &state,
            "/device",
            &format!("user_code={user_code}&action=deny"),
        )
        .await;
        assert_eq!(submit.status(), StatusCode::OK);
        // A second decision on the same code is refused.
        let again = post_form(
            &state,
            "/device",
            &format!("user_code={user_code}&action=approve"),
        )
        .await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            error_of(&state, PUBLIC, device_code).await,
            ErrorCode::AccessDenied
        );
    }

    #[tokio::test]
    async fn another_clients_code_is_invalid_grant() {
        let state = state_with(true);
        let doc = start(&state, &format!("client_id={PUBLIC}")).await;
        let device_code = doc["device_code"].as_str().unwrap();
        assert_eq!(
            error_of(&state, "other-public", device_code).await,
            ErrorCode::InvalidGrant
        );
        assert_eq!(
            error_of(&state, PUBLIC, "no-such-code").await,
            ErrorCode::InvalidGrant
        );
        let err = device_code_grant(&state, &authenticated(&state, PUBLIC), &Params::default())
            .await
            .expect_err("missing device_code");
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        // The legitimate client's grant is still there.
        assert!(state
            .store
            .device_grants
            .lock()
            .unwrap()
            .contains_key(device_code));
    }

    #[tokio::test]
    async fn auto_approve_config_approves_at_once() {
        let state = state_with(true);
        let doc = start(&state, &format!("client_id={PUBLIC}")).await;
        let grants = state.store.device_grants.lock().unwrap();
        assert_eq!(
            grants[doc["device_code"].as_str().unwrap()].status,
            DeviceStatus::Approved {
                subject: "test-user".into()
            }
        );
    }

    #[tokio::test]
    async fn unknown_code_or_bad_action_on_the_page_is_400_and_escaped() {
        let state = state_with(false);
        let response = post_form(&state, "/device", "user_code=%3Cscript%3E&action=approve").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let html = text(response).await;
        assert!(html.contains("unknown code"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
        assert!(html.contains("&lt;script&gt;"), "{html}");

        let doc = start(&state, &format!("client_id={PUBLIC}")).await;
        let user_code = doc["user_code"].as_str().unwrap();
        let response = post_form(
            &state,
            "/device",
            &format!("user_code={user_code}&action=maybe"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);

        let page = get(&state, "/device").await;
        assert_eq!(page.status(), StatusCode::OK);
        assert!(text(page)
            .await
            .contains("<form method=\"post\" action=\"/device\">"));
    }
}
