//! Dynamic client registration (RFC 7591 §3) at `POST {issuer}/register`.
//!
//! The request is a JSON object of client metadata (RFC 7591 §2); the response (§3.2.1) echoes
//! every registered value, including the effective `token_endpoint_auth_method` the mock enforces.
//! Errors are RFC 7591 §3.2.2 `invalid_redirect_uri` / `invalid_client_metadata`.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};
use url::Url;

use super::metadata::{check_scopes, AUTHORIZATION_CODE_GRANT, AUTH_METHODS, GRANT_TYPES};
use crate::access_token::now_secs;
use crate::error::{ErrorCode, OAuthError};
use crate::state::IdpState;
use crate::store::{random_token, Client, ClientSource};
use crate::urls::is_loopback_host;

/// Optional string metadata that is stored only in the response echo (RFC 7591 §2).
const ECHOED_STRINGS: &[&str] = &[
    "client_uri",
    "logo_uri",
    "tos_uri",
    "policy_uri",
    "software_id",
    "software_version",
];

/// RFC 7591 §3.1: registers a client and answers 201 with its metadata and credentials.
pub async fn register(
    State(state): State<IdpState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let result = body
        .map_err(|e| {
            OAuthError::invalid_request(format!("could not read the request body: {e}"))
                .with_status(e.status())
        })
        .and_then(|body| register_client(&state, &headers, &body));
    match result {
        Ok(doc) => {
            let mut response = (StatusCode::CREATED, Json(doc)).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(e) => e.into_response(),
    }
}

fn metadata_error(description: impl Into<String>) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClientMetadata, description)
}

/// Validates the request, stores the client, and returns the registration response body.
fn register_client(
    state: &IdpState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, OAuthError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(OAuthError::invalid_request(format!(
            "Content-Type must be application/json, got `{content_type}` (RFC 7591 §3.1)"
        )));
    }
    let request: Map<String, Value> = match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => map,
        Ok(_) => {
            return Err(metadata_error(
                "the request body must be a JSON object (RFC 7591 §3.1)",
            ))
        }
        Err(e) => {
            return Err(metadata_error(format!(
                "the request body is not valid JSON: {e} (RFC 7591 §3.1)"
            )))
        }
    };
    let meta = Metadata(&request);

    let grant_types = dedup(
        meta.str_array("grant_types")?
            .unwrap_or_else(|| vec![AUTHORIZATION_CODE_GRANT.to_string()]),
    );
    if let Some(bad) = grant_types
        .iter()
        .find(|g| !GRANT_TYPES.contains(&g.as_str()))
    {
        return Err(metadata_error(format!(
            "grant type `{bad}` is not supported; supported: {} (RFC 7591 §2)",
            GRANT_TYPES.join(", ")
        )));
    }
    let uses_code = grant_types.iter().any(|g| g == AUTHORIZATION_CODE_GRANT);
    let response_types = match meta.str_array("response_types")? {
        Some(types) => dedup(types),
        // RFC 7591 §2 defaults to `code`; a client without the code grant uses no response type.
        None if uses_code => vec!["code".to_string()],
        None => Vec::new(),
    };
    if let Some(bad) = response_types.iter().find(|r| *r != "code") {
        return Err(metadata_error(format!(
            "response type `{bad}` is not supported; only `code` is (OAuth 2.1 §4.1, RFC 7591 §2)"
        )));
    }
    if uses_code != response_types.iter().any(|r| r == "code") {
        return Err(metadata_error(
            "grant type `authorization_code` and response type `code` must be registered together \
             (RFC 7591 §2.1)",
        ));
    }

    let redirect_uris = meta.str_array("redirect_uris")?.unwrap_or_default();
    if uses_code && redirect_uris.is_empty() {
        return Err(OAuthError::new(
            ErrorCode::InvalidRedirectUri,
            "`redirect_uris` is required for the `authorization_code` grant (RFC 7591 §2)",
        ));
    }
    for uri in &redirect_uris {
        check_redirect_uri(uri)?;
    }

    // The switches `registration_auth_method` and `registration_response_omits_auth_method`
    // decide the method whatever the client asked for (see `Behaviour::registered_auth_method`).
    let requested = meta.string("token_endpoint_auth_method")?;
    let method = state.behaviour.registered_auth_method(requested.as_deref());
    if !AUTH_METHODS.contains(&method.as_str()) {
        return Err(metadata_error(format!(
            "token_endpoint_auth_method `{method}` is not supported; supported: {} (RFC 7591 §2)",
            AUTH_METHODS.join(", ")
        )));
    }
    if meta.get("jwks_uri").is_some() {
        return Err(metadata_error(
            "`jwks_uri` is not supported by this server; send the keys inline in `jwks` (RFC 7591 §2)",
        ));
    }
    let jwks = meta.get("jwks").cloned();
    if let Some(jwks) = &jwks {
        check_jwks(jwks)?;
    } else if method == "private_key_jwt" {
        return Err(metadata_error(
            "`private_key_jwt` needs the client's public keys in `jwks` (RFC 7591 §2, RFC 7523 §2.2)",
        ));
    }

    let scope = meta.string("scope")?;
    if let Some(scope) = &scope {
        check_scopes(state, scope.split(' ').filter(|s| !s.is_empty())).map_err(|e| {
            metadata_error(format!(
                "{}; a client may register only these (RFC 7591 §2)",
                e.description
            ))
        })?;
    }

    // OIDC Dynamic Client Registration §2; MCP 2026-07-28 asks clients to send it, absent is `web`.
    let application_type = meta
        .string("application_type")?
        .unwrap_or_else(|| "web".to_string());
    if application_type != "web" && application_type != "native" {
        return Err(metadata_error(format!(
            "application_type `{application_type}` is not `web` or `native` \
             (OpenID Connect Dynamic Client Registration §2)"
        )));
    }
    let client_name = meta.string("client_name")?;

    let mut echoed = Map::new();
    for key in ECHOED_STRINGS {
        if let Some(value) = meta.string(key)? {
            echoed.insert(key.to_string(), json!(value));
        }
    }
    if let Some(contacts) = meta.str_array("contacts")? {
        echoed.insert("contacts".into(), json!(contacts));
    }

    let client_id = random_token(16);
    let client_secret = matches!(
        method.as_str(),
        "client_secret_basic" | "client_secret_post"
    )
    .then(|| random_token(32));
    state.store.insert_client(Client {
        client_id: client_id.clone(),
        client_secret: client_secret.clone(),
        redirect_uris: redirect_uris.clone(),
        grant_types: grant_types.clone(),
        token_endpoint_auth_method: method.clone(),
        jwks: jwks.clone(),
        scope: scope.clone(),
        client_name: client_name.clone(),
        source: ClientSource::DynamicRegistration,
    });

    let mut doc = echoed;
    doc.insert("client_id".into(), json!(client_id));
    doc.insert("client_id_issued_at".into(), json!(now_secs()));
    if let Some(secret) = client_secret {
        doc.insert("client_secret".into(), json!(secret));
        doc.insert("client_secret_expires_at".into(), json!(0));
    }
    if !state.behaviour.registration_response_omits_auth_method {
        doc.insert("token_endpoint_auth_method".into(), json!(method));
    }
    doc.insert("grant_types".into(), json!(grant_types));
    doc.insert("response_types".into(), json!(response_types));
    doc.insert("redirect_uris".into(), json!(redirect_uris));
    doc.insert("application_type".into(), json!(application_type));
    if let Some(name) = client_name {
        doc.insert("client_name".into(), json!(name));
    }
    if let Some(scope) = scope {
        doc.insert("scope".into(), json!(scope));
    }
    if let Some(jwks) = jwks {
        doc.insert("jwks".into(), jwks);
    }
    Ok(Value::Object(doc))
}

/// Typed access to the request's metadata; JSON `null` counts as omitted.
struct Metadata<'a>(&'a Map<String, Value>);

impl Metadata<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn string(&self, key: &str) -> Result<Option<String>, OAuthError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(metadata_error(format!(
                "`{key}` must be a string, got {other} (RFC 7591 §2)"
            ))),
        }
    }

    fn str_array(&self, key: &str) -> Result<Option<Vec<String>>, OAuthError> {
        let wrong = || metadata_error(format!("`{key}` must be an array of strings (RFC 7591 §2)"));
        match self.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned).ok_or_else(wrong))
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(wrong()),
        }
    }
}

fn dedup(values: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(values.len());
    for v in values {
        if !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// A redirect URI must be absolute, without fragment (RFC 6749 §3.1.2), and either https, http on
/// a loopback host (OAuth 2.1 §8.4, RFC 8252 §7.3) or a private-use scheme in reverse-domain form
/// (RFC 8252 §7.1).
fn check_redirect_uri(uri: &str) -> Result<(), OAuthError> {
    let bad = |why: String| {
        OAuthError::new(
            ErrorCode::InvalidRedirectUri,
            format!("redirect URI `{uri}` {why}"),
        )
    };
    let url = Url::parse(uri)
        .map_err(|e| bad(format!("is not an absolute URL: {e} (RFC 6749 §3.1.2)")))?;
    if url.fragment().is_some() {
        return Err(bad(
            "must not contain a fragment component (RFC 6749 §3.1.2)".into(),
        ));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(()),
        "https" => Err(bad("has no host (RFC 6749 §3.1.2)".into())),
        "http" => match url.host() {
            Some(host) if is_loopback_host(&host) => Ok(()),
            _ => Err(bad(
                "uses http on a host that is not loopback; use https or http://127.0.0.1, \
                 http://[::1] or http://localhost (OAuth 2.1 §8.4, RFC 8252 §7.3)"
                    .into(),
            )),
        },
        scheme if scheme.contains('.') => Ok(()),
        scheme => Err(bad(format!(
            "uses scheme `{scheme}`, which is not https, loopback http, or a private-use scheme \
             in reverse-domain form such as `com.example.app` (RFC 8252 §7.1)"
        ))),
    }
}

/// `jwks` must be a JWK Set of usable public keys (RFC 7591 §2, RFC 7517 §5).
fn check_jwks(jwks: &Value) -> Result<(), OAuthError> {
    use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
    let set: JwkSet = serde_json::from_value(jwks.clone())
        .map_err(|e| metadata_error(format!("`jwks` is not a valid JWK Set: {e} (RFC 7517 §5)")))?;
    if set.keys.is_empty() {
        return Err(metadata_error("`jwks` has no keys (RFC 7591 §2)"));
    }
    for (i, jwk) in set.keys.iter().enumerate() {
        if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
            return Err(metadata_error(format!(
                "`jwks` key {i} is a symmetric (`oct`) key; `jwks` holds public keys (RFC 7591 §2)"
            )));
        }
        jsonwebtoken::DecodingKey::from_jwk(jwk).map_err(|e| {
            metadata_error(format!(
                "`jwks` key {i} is not a usable public key: {e} (RFC 7517 §4)"
            ))
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{header, Request, StatusCode};

    use super::*;
    use crate::authorization_server::metadata::DEVICE_CODE_GRANT;
    use crate::authorization_server::test_support::{json, send};

    async fn post_json(state: &IdpState, body: &str) -> Response {
        post_raw(state, "application/json", body).await
    }

    async fn post_raw(state: &IdpState, content_type: &str, body: &str) -> Response {
        send(
            state,
            Request::post("/register")
                .header(header::CONTENT_TYPE, content_type)
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    /// Posts `body` and returns (status, JSON).
    async fn register_json(state: &IdpState, body: Value) -> (StatusCode, Value) {
        let response = post_json(state, &body.to_string()).await;
        let status = response.status();
        (status, json(response).await)
    }

    const RSA_JWKS: &str = r#"{"keys":[{"kty":"RSA","kid":"k1","use":"sig","alg":"RS256",
        "n":"sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw",
        "e":"AQAB"}]}"#;

    #[tokio::test]
    async fn public_client_gets_no_secret() {
        let state = IdpState::for_tests(&[]);
        let (status, doc) = register_json(
            &state,
            json!({"redirect_uris": ["http://127.0.0.1:9999/cb"],
                   "token_endpoint_auth_method": "none", "client_name": "MCP test"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        assert_eq!(doc["token_endpoint_auth_method"], "none");
        assert!(doc.get("client_secret").is_none(), "{doc}");
        assert!(doc.get("client_secret_expires_at").is_none());
        assert_eq!(doc["client_name"], "MCP test");
        assert!(doc["client_id_issued_at"].as_u64().unwrap() > 0);
    }

    #[tokio::test]
    async fn omitted_method_is_client_secret_basic_with_a_secret() {
        let state = IdpState::for_tests(&[]);
        let response = post_json(
            &state,
            r#"{"redirect_uris": ["https://app.example.com/cb"]}"#,
        )
        .await;
        assert_eq!(response.status(), StatusCode::CREATED);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let doc = json(response).await;
        assert_eq!(doc["token_endpoint_auth_method"], "client_secret_basic");
        assert!(doc["client_secret"].as_str().unwrap().len() >= 32);
        assert_eq!(doc["client_secret_expires_at"], 0);
        assert_eq!(doc["grant_types"], json!(["authorization_code"]));
        assert_eq!(doc["response_types"], json!(["code"]));
        assert_eq!(doc["redirect_uris"], json!(["https://app.example.com/cb"]));
        assert_eq!(doc["application_type"], "web");
    }

    #[tokio::test]
    async fn registered_client_is_in_the_store_with_its_method() {
        let state = IdpState::for_tests(&[]);
        let (_, doc) = register_json(
            &state,
            json!({"redirect_uris": ["http://localhost:3000/cb"],
                   "token_endpoint_auth_method": "client_secret_post",
                   "grant_types": ["authorization_code", "refresh_token"],
                   "scope": "mcp:tools offline_access"}),
        )
        .await;
        let client = state
            .store
            .client(doc["client_id"].as_str().unwrap())
            .expect("stored");
        assert_eq!(client.token_endpoint_auth_method, "client_secret_post");
        assert_eq!(client.source, ClientSource::DynamicRegistration);
        assert_eq!(
            client.client_secret.as_deref(),
            doc["client_secret"].as_str()
        );
        assert!(client.allows_grant("refresh_token"));
        assert_eq!(client.scope.as_deref(), Some("mcp:tools offline_access"));
        assert_eq!(doc["scope"], "mcp:tools offline_access");
    }

    #[tokio::test]
    async fn good_redirect_uris_are_accepted() {
        let state = IdpState::for_tests(&[]);
        let (status, doc) = register_json(
            &state,
            json!({"redirect_uris": ["https://app.example.com/cb", "http://127.0.0.1/cb",
                   "http://[::1]:8080/cb", "http://localhost:1/cb", "com.example.app:/cb"],
                   "application_type": "native", "token_endpoint_auth_method": "none"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        assert_eq!(doc["application_type"], "native");
        assert_eq!(doc["redirect_uris"].as_array().unwrap().len(), 5);
    }

    #[tokio::test]
    async fn bad_redirect_uris_are_invalid_redirect_uri() {
        let state = IdpState::for_tests(&[]);
        for (uri, hint) in [
            ("http://app.example.com/cb", "not loopback"),
            ("https://app.example.com/cb#frag", "fragment"),
            ("/cb", "absolute"),
            ("myapp:/cb", "private-use"),
        ] {
            let (status, doc) = register_json(&state, json!({"redirect_uris": [uri]})).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{uri}");
            assert_eq!(doc["error"], "invalid_redirect_uri", "{uri}");
            let description = doc["error_description"].as_str().unwrap();
            assert!(description.contains(hint), "{uri}: {description}");
        }
        let (status, doc) = register_json(&state, json!({"client_name": "x"})).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(doc["error"], "invalid_redirect_uri");
        assert!(state.store.clients.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn malformed_json_is_invalid_client_metadata() {
        let state = IdpState::for_tests(&[]);
        for body in [
            "{\"redirect_uris\": [",
            "[1, 2]",
            "{\"redirect_uris\": \"https://a/cb\"}",
        ] {
            let response = post_json(&state, body).await;
            assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(
                json(response).await["error"],
                "invalid_client_metadata",
                "{body}"
            );
        }
    }

    #[tokio::test]
    async fn wrong_content_type_is_400() {
        let state = IdpState::for_tests(&[]);
        let body = r#"{"redirect_uris": ["https://a.example/cb"]}"#;
        let response = post_raw(&state, "application/x-www-form-urlencoded", body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let doc = json(response).await;
        assert_eq!(doc["error"], "invalid_request");
        assert!(doc["error_description"]
            .as_str()
            .unwrap()
            .contains("application/json"));
        let ok = post_raw(&state, "application/json; charset=utf-8", body).await;
        assert_eq!(ok.status(), StatusCode::CREATED);
    }

    #[tokio::test]
    async fn private_key_jwt_needs_inline_jwks() {
        let state = IdpState::for_tests(&[]);
        let base = json!({"grant_types": ["client_credentials"],
                          "token_endpoint_auth_method": "private_key_jwt"});
        let (status, doc) = register_json(&state, base.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(doc["error"], "invalid_client_metadata");

        let mut with_uri = base.clone();
        with_uri["jwks_uri"] = json!("https://a.example/jwks");
        let (_, doc) = register_json(&state, with_uri).await;
        assert_eq!(doc["error"], "invalid_client_metadata");
        assert!(doc["error_description"]
            .as_str()
            .unwrap()
            .contains("jwks_uri"));

        let mut bad_set = base.clone();
        bad_set["jwks"] = json!({"keys": [{"kty": "nope"}]});
        assert_eq!(
            register_json(&state, bad_set).await.0,
            StatusCode::BAD_REQUEST
        );

        let mut with_jwks = base;
        with_jwks["jwks"] = serde_json::from_str(RSA_JWKS).unwrap();
        let (status, doc) = register_json(&state, with_jwks).await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        assert!(doc.get("client_secret").is_none());
        assert_eq!(doc["jwks"]["keys"][0]["kid"], "k1");
        assert_eq!(doc["response_types"], json!([]));
        let client = state
            .store
            .client(doc["client_id"].as_str().unwrap())
            .unwrap();
        assert_eq!(client.token_endpoint_auth_method, "private_key_jwt");
        assert!(client.jwks.is_some());
    }

    #[tokio::test]
    async fn unknown_scope_is_rejected() {
        let state = IdpState::for_tests(&[]);
        let (status, doc) = register_json(
            &state,
            json!({"redirect_uris": ["https://a.example/cb"], "scope": "mcp:tools mcp:root"}),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(doc["error"], "invalid_client_metadata");
        assert!(doc["error_description"]
            .as_str()
            .unwrap()
            .contains("mcp:root"));
    }

    #[tokio::test]
    async fn grant_and_response_types_are_checked() {
        let state = IdpState::for_tests(&[]);
        for (body, why) in [
            (
                json!({"grant_types": ["implicit"], "redirect_uris": ["https://a.example/cb"]}),
                "grant",
            ),
            (
                json!({"response_types": ["token"], "redirect_uris": ["https://a.example/cb"]}),
                "response",
            ),
            (
                json!({"grant_types": ["client_credentials"], "response_types": ["code"]}),
                "consistency",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb"], "response_types": []}),
                "consistency",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb"], "application_type": "tv"}),
                "app type",
            ),
            (
                json!({"redirect_uris": ["https://a.example/cb"], "token_endpoint_auth_method": "tls_client_auth"}),
                "method",
            ),
        ] {
            let (status, doc) = register_json(&state, body).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{why}");
            assert_eq!(doc["error"], "invalid_client_metadata", "{why}: {doc}");
        }
        let (status, doc) = register_json(
            &state,
            json!({"grant_types": [DEVICE_CODE_GRANT, "refresh_token"],
                   "token_endpoint_auth_method": "none"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        assert_eq!(
            doc["grant_types"],
            json!([DEVICE_CODE_GRANT, "refresh_token"])
        );
    }

    fn tweaked(tweak: fn(&mut crate::Behaviour)) -> IdpState {
        IdpState::for_tests_with(crate::Config::default(), tweak)
    }

    /// Exchanges nothing: just authenticates at the token endpoint with `auth` and reports the
    /// status and error (a client_credentials request the client is not registered for gives
    /// `unauthorized_client` once authentication passed).
    async fn token_auth(state: &IdpState, doc: &Value, method: &str) -> (StatusCode, Value) {
        use base64::Engine;
        let id = doc["client_id"].as_str().unwrap();
        let secret = doc["client_secret"].as_str().unwrap_or("");
        let mut form = format!("grant_type=client_credentials&client_id={id}");
        let mut request = Request::post("/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        match method {
            "client_secret_basic" => {
                form = "grant_type=client_credentials".into();
                let basic =
                    base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
                request = request.header(header::AUTHORIZATION, format!("Basic {basic}"));
            }
            "client_secret_post" => form.push_str(&format!("&client_secret={secret}")),
            _ => {}
        }
        let response = send(state, request.body(Body::from(form)).unwrap()).await;
        let status = response.status();
        (status, json(response).await)
    }

    #[tokio::test]
    async fn forced_method_is_registered_returned_and_enforced() {
        let state = tweaked(|b| b.registration_auth_method = Some("client_secret_post".into()));
        let (status, doc) = register_json(
            &state,
            json!({"redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        assert_eq!(doc["token_endpoint_auth_method"], "client_secret_post");
        assert!(doc["client_secret"].is_string(), "{doc}");
        // The method asked for is refused, the forced one gets past authentication.
        let (status, body) = token_auth(&state, &doc, "none").await;
        assert_eq!(
            (status, &body["error"]),
            (StatusCode::UNAUTHORIZED, &json!("invalid_client"))
        );
        let (status, body) = token_auth(&state, &doc, "client_secret_basic").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        let (_, body) = token_auth(&state, &doc, "client_secret_post").await;
        assert_eq!(body["error"], "unauthorized_client", "{body}");

        let public = tweaked(|b| b.registration_auth_method = Some("none".into()));
        let (status, doc) = register_json(
            &public,
            json!({"redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "client_secret_basic"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        assert_eq!(doc["token_endpoint_auth_method"], "none");
        assert!(doc.get("client_secret").is_none(), "{doc}");
    }

    #[tokio::test]
    async fn omitted_method_in_the_response_means_client_secret_basic() {
        let state = tweaked(|b| b.registration_response_omits_auth_method = true);
        let (status, doc) = register_json(
            &state,
            json!({"redirect_uris": ["http://127.0.0.1/cb"], "token_endpoint_auth_method": "none"}),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{doc}");
        assert!(doc.get("token_endpoint_auth_method").is_none(), "{doc}");
        assert!(doc["client_secret"].is_string(), "{doc}");
        let client = state
            .store
            .client(doc["client_id"].as_str().unwrap())
            .unwrap();
        assert_eq!(client.token_endpoint_auth_method, "client_secret_basic");
        let (status, _) = token_auth(&state, &doc, "none").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _) = token_auth(&state, &doc, "client_secret_post").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (_, body) = token_auth(&state, &doc, "client_secret_basic").await;
        assert_eq!(body["error"], "unauthorized_client", "{body}");
        // By default the response names the method.
        let strict = IdpState::for_tests(&[]);
        let (_, doc) =
            register_json(&strict, json!({"redirect_uris": ["http://127.0.0.1/cb"]})).await;
        assert_eq!(doc["token_endpoint_auth_method"], "client_secret_basic");
    }

    #[tokio::test]
    async fn no_registration_endpoint_variant_has_no_route() {
        let state = IdpState::for_tests(&["no-registration-endpoint"]);
        let response = post_json(&state, r#"{"redirect_uris": ["https://a.example/cb"]}"#).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
