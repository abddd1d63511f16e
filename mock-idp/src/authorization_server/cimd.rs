//! Client lookup, including client ID metadata documents (draft-ietf-oauth-client-id-metadata-document,
//! MCP 2025-11-25 "Client ID Metadata Documents", requirement AS-CIMD-1): a `client_id` that is an
//! https URL with a path is resolved from `Config::client_metadata_documents` or, for loopback hosts
//! only, by fetching the document.
//!
//! Test convenience: besides `https://`, an `http://` client_id URL is accepted when its host is a
//! loopback address (127.0.0.0/8, `::1`, `localhost`), so the fetch path can be exercised against a
//! plain local listener. The mock never sends a request to any other host (SSRF guard): it only
//! connects to loopback IP literals, and `localhost` is never resolved but pinned to `127.0.0.1`
//! (the request keeps `Host: localhost[:port]`; over https the certificate must then be valid for
//! `127.0.0.1`, as the mock's own is). Bodies are read chunk by chunk and abandoned past 64 KiB.

use std::net::{IpAddr, Ipv4Addr};

use axum::http::{header, HeaderValue};
use serde_json::{Map, Value};
use url::{Host, Url};

use crate::error::OAuthError;
use crate::state::IdpState;
use crate::store::{Client, ClientSource};
use crate::urls::is_loopback_host;

/// Largest metadata document (or JWK Set) the mock reads.
const MAX_DOCUMENT_BYTES: usize = 64 * 1024;

/// Token endpoint authentication methods a metadata document may name: the document is public, so
/// no shared secret can be bound to it (draft-ietf-oauth-client-id-metadata-document §4.1).
const DOCUMENT_AUTH_METHODS: &[&str] = &["none", "private_key_jwt"];

/// The client registered under `client_id`, resolving a metadata document URL when the deployment
/// supports them. A resolved document is cached in the store.
pub(crate) async fn resolve_client(
    state: &IdpState,
    client_id: &str,
) -> Result<Client, OAuthError> {
    if let Some(client) = state.store.client(client_id) {
        return Ok(client);
    }
    let unknown =
        |why: &str| OAuthError::invalid_client(format!("unknown client_id `{client_id}`{why}"));
    let Some(url) = metadata_document_url(client_id) else {
        return Err(unknown(""));
    };
    if !state.behaviour.cimd_supported {
        return Err(unknown(
            ": this deployment does not support client ID metadata documents \
             (`client_id_metadata_document_supported` is false) and the client is not registered",
        ));
    }
    let document = match state.config.client_metadata_documents.get(client_id) {
        Some(document) => document.clone(),
        None => fetch_json(state, &url, "client ID metadata document").await?,
    };
    let mut client = client_from_document(client_id, &document)?;
    if client.token_endpoint_auth_method == "private_key_jwt" && client.jwks.is_none() {
        client.jwks = Some(fetch_jwks_uri(state, &document).await?);
    }
    state.store.insert_client(client.clone());
    Ok(client)
}

/// The client of an authorization request: [`resolve_client`], except that with
/// `Behaviour::cimd_accept_unfetchable` (and `cimd_supported`) a metadata document URL the mock
/// cannot fetch (not loopback, not preloaded) is accepted as a public client (`none`) whose
/// redirect URIs are the loopback ones presented so far; `redirect_uri` must then be sent and be
/// loopback. The token request must repeat it (the code records it, OAuth 2.1 §4.1.3).
pub(crate) async fn resolve_authorizing_client(
    state: &IdpState,
    client_id: &str,
    redirect_uri: Option<&str>,
) -> Result<Client, OAuthError> {
    if !accepts_unfetchable(state, client_id) {
        return resolve_client(state, client_id).await;
    }
    let redirect_uri = unfetched_redirect_uri(client_id, redirect_uri)?;
    let mut clients = state.store.clients.lock().unwrap();
    let client = clients
        .entry(client_id.to_string())
        .or_insert_with(|| Client {
            client_id: client_id.to_string(),
            client_secret: None,
            redirect_uris: Vec::new(),
            grant_types: vec!["authorization_code".into(), "refresh_token".into()],
            token_endpoint_auth_method: "none".into(),
            jwks: None,
            scope: None,
            client_name: None,
            source: ClientSource::UnfetchedMetadataDocument,
        });
    if !client.redirect_uris.contains(&redirect_uri) {
        client.redirect_uris.push(redirect_uri);
    }
    Ok(client.clone())
}

/// Whether `client_id` is a metadata document URL that `cimd_accept_unfetchable` lets in: one the
/// mock would not fetch and that is not preloaded, or one it already let in.
fn accepts_unfetchable(state: &IdpState, client_id: &str) -> bool {
    let b = &state.behaviour;
    if !(b.cimd_accept_unfetchable && b.cimd_supported)
        || state
            .config
            .client_metadata_documents
            .contains_key(client_id)
    {
        return false;
    }
    match state.store.client(client_id) {
        Some(client) => client.source == ClientSource::UnfetchedMetadataDocument,
        None => metadata_document_url(client_id).is_some_and(|url| pinned_target(&url).is_none()),
    }
}

/// The redirect URI of an authorization request by an unfetched metadata document client: it must
/// be sent, absolute, without fragment, and on a loopback host (RFC 8252 §7.3), since no document
/// says which redirect URIs the client has.
fn unfetched_redirect_uri(client_id: &str, sent: Option<&str>) -> Result<String, OAuthError> {
    let Some(sent) = sent else {
        return Err(OAuthError::invalid_request(format!(
            "`redirect_uri` is required: the client ID metadata document `{client_id}` is not              fetched by the mock, which then accepts only a loopback redirect URI sent with the              request (OAuth 2.1 §4.1.1)"
        )));
    };
    let loopback = Url::parse(sent).is_ok_and(|url| {
        matches!(url.scheme(), "http" | "https")
            && url.fragment().is_none()
            && url.host().is_some_and(|host| is_loopback_host(&host))
    });
    if !loopback {
        return Err(OAuthError::invalid_request(format!(
            "redirect_uri `{sent}` is not registered for client `{client_id}`: its client ID              metadata document is not fetched by the mock, so only a loopback redirect URI              (http://127.0.0.1, http://[::1] or http://localhost, any port) is accepted              (OAuth 2.1 §4.1.2.1, RFC 8252 §7.3)"
        )));
    }
    Ok(sent.to_string())
}

/// `Some(url)` when `client_id` has the form of a metadata document URL: `https` (or `http` on a
/// loopback host, see the module docs), a path other than `/`, no fragment, no user info, no dot
/// segments (draft-ietf-oauth-client-id-metadata-document §3).
fn metadata_document_url(client_id: &str) -> Option<Url> {
    let url = Url::parse(client_id).ok()?;
    let scheme_ok = match url.scheme() {
        "https" => true,
        "http" => url.host().is_some_and(|host| is_loopback_host(&host)),
        _ => false,
    };
    let path_ok = !url.path().is_empty() && url.path() != "/";
    let dot_segments = client_id
        .split(['/', '?'])
        .any(|segment| segment == "." || segment == "..");
    let clean = url.fragment().is_none() && url.username().is_empty() && url.password().is_none();
    (scheme_ok && path_ok && clean && !dot_segments).then_some(url)
}

/// Where the mock really connects to fetch `url`: `None` unless the host is loopback
/// ([`is_loopback_host`]). A loopback IP literal is used as is; `localhost` is pinned to
/// `127.0.0.1` instead of being resolved (so neither `/etc/hosts` nor DNS can send the request
/// elsewhere), and the `Host` header to send (`localhost[:port]`) is returned with it.
fn pinned_target(url: &Url) -> Option<(Url, Option<HeaderValue>)> {
    let host = url.host()?;
    if !is_loopback_host(&host) {
        return None;
    }
    match host {
        Host::Ipv4(_) | Host::Ipv6(_) => Some((url.clone(), None)),
        Host::Domain(name) => {
            let authority = match url.port() {
                Some(port) => format!("{name}:{port}"),
                None => name.to_string(),
            };
            let host_header = HeaderValue::from_str(&authority).ok()?;
            let mut pinned = url.clone();
            pinned.set_ip_host(IpAddr::V4(Ipv4Addr::LOCALHOST)).ok()?;
            Some((pinned, Some(host_header)))
        }
    }
}

/// Fetches a JSON document with `state.http` (which has a timeout, no proxy and follows no
/// redirects), but only from a loopback host ([`pinned_target`]); anything else must be preloaded
/// in the config. The body is read chunk by chunk and abandoned as soon as it exceeds
/// [`MAX_DOCUMENT_BYTES`].
async fn fetch_json(state: &IdpState, url: &Url, what: &str) -> Result<Value, OAuthError> {
    let Some((target, host_header)) = pinned_target(url) else {
        return Err(OAuthError::invalid_client(format!(
            "the {what} `{url}` is not preloaded and the mock only fetches loopback URLs \
             (127.0.0.0/8, ::1, localhost) to guard against SSRF; add it to the config under \
             `client_metadata_documents` (a table keyed by the URL) to use it"
        )));
    };
    let failed = |why: String| {
        OAuthError::invalid_client(format!("could not fetch the {what} `{url}`: {why}"))
    };
    let too_large = || failed(format!("larger than {MAX_DOCUMENT_BYTES} bytes"));
    let mut request = state
        .http
        .get(target)
        .header(header::ACCEPT, "application/json");
    if let Some(host_header) = host_header {
        request = request.header(header::HOST, host_header);
    }
    let mut response = request.send().await.map_err(|e| failed(e.to_string()))?;
    if !response.status().is_success() {
        return Err(failed(format!("HTTP status {}", response.status())));
    }
    if response
        .content_length()
        .is_some_and(|length| length > MAX_DOCUMENT_BYTES as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| failed(e.to_string()))? {
        if body.len() + chunk.len() > MAX_DOCUMENT_BYTES {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body).map_err(|e| failed(format!("not valid JSON: {e}")))
}

/// The JWK Set of a `private_key_jwt` document that names `jwks_uri` instead of inline `jwks`.
async fn fetch_jwks_uri(state: &IdpState, document: &Value) -> Result<Value, OAuthError> {
    let invalid = |d: &str| OAuthError::invalid_client(format!("client ID metadata document: {d}"));
    let uri = document
        .get("jwks_uri")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("`private_key_jwt` needs `jwks` or `jwks_uri` (RFC 7591 §2)"))?;
    let url = Url::parse(uri).map_err(|e| invalid(&format!("`jwks_uri` is not a URL: {e}")))?;
    let jwks = fetch_json(state, &url, "JWK Set").await?;
    if !jwks.get("keys").is_some_and(Value::is_array) {
        return Err(invalid("`jwks_uri` does not serve a JWK Set (RFC 7517 §5)"));
    }
    Ok(jwks)
}

/// Validates a metadata document (AS-CIMD-1) and turns it into a client.
fn client_from_document(client_id: &str, document: &Value) -> Result<Client, OAuthError> {
    let invalid = |d: String| {
        OAuthError::invalid_client(format!(
            "client ID metadata document `{client_id}`: {d} (draft-ietf-oauth-client-id-metadata-document §4)"
        ))
    };
    let doc: &Map<String, Value> = document
        .as_object()
        .ok_or_else(|| invalid("is not a JSON object".into()))?;
    let string = |key: &str| -> Result<Option<&str>, OAuthError> {
        match doc.get(key) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.as_str())),
            Some(_) => Err(invalid(format!("`{key}` is not a string"))),
        }
    };
    let strings = |key: &str| -> Result<Option<Vec<String>>, OAuthError> {
        match doc.get(key) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| invalid(format!("`{key}` is not an array of strings"))),
            Some(_) => Err(invalid(format!("`{key}` is not an array"))),
        }
    };

    match string("client_id")? {
        Some(id) if id == client_id => {}
        Some(id) => {
            return Err(invalid(format!(
                "its `client_id` is `{id}`, which is not exactly the URL it was fetched from"
            )))
        }
        None => return Err(invalid("`client_id` is missing".into())),
    }
    let client_name = string("client_name")?
        .filter(|n| !n.is_empty())
        .ok_or_else(|| invalid("`client_name` is missing or empty".into()))?;
    let redirect_uris = strings("redirect_uris")?
        .filter(|uris| !uris.is_empty())
        .ok_or_else(|| invalid("`redirect_uris` is missing or empty".into()))?;
    for uri in &redirect_uris {
        let parsed = Url::parse(uri)
            .map_err(|e| invalid(format!("redirect URI `{uri}` is not an absolute URI: {e}")))?;
        if parsed.fragment().is_some() {
            return Err(invalid(format!(
                "redirect URI `{uri}` has a fragment (OAuth 2.1 §2.3.1)"
            )));
        }
    }
    if doc.contains_key("client_secret") {
        return Err(invalid(
            "it contains `client_secret`; a public document cannot carry a shared secret".into(),
        ));
    }
    let method = string("token_endpoint_auth_method")?.unwrap_or("none");
    if !DOCUMENT_AUTH_METHODS.contains(&method) {
        return Err(invalid(format!(
            "`token_endpoint_auth_method` is `{method}`; only `none` or `private_key_jwt` are allowed \
             (no shared secrets)"
        )));
    }
    let jwks = doc.get("jwks").cloned();
    if jwks
        .as_ref()
        .is_some_and(|j| !j.get("keys").is_some_and(Value::is_array))
    {
        return Err(invalid("`jwks` is not a JWK Set (RFC 7517 §5)".into()));
    }
    let grant_types = strings("grant_types")?
        .unwrap_or_else(|| vec!["authorization_code".into(), "refresh_token".into()]);
    Ok(Client {
        client_id: client_id.to_string(),
        client_secret: None,
        redirect_uris,
        grant_types,
        token_endpoint_auth_method: method.to_string(),
        jwks,
        scope: string("scope")?.map(str::to_owned),
        client_name: Some(client_name.to_string()),
        source: ClientSource::MetadataDocument,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;
    use crate::error::ErrorCode;
    use crate::urls::Urls;
    use serde_json::json;

    const DOC_URL: &str = "https://client.example.com/oauth/client.json";

    fn document(client_id: &str) -> Value {
        json!({
            "client_id": client_id,
            "client_name": "Example MCP Client",
            "redirect_uris": ["http://127.0.0.1/callback"],
            "token_endpoint_auth_method": "none"
        })
    }

    fn state_with(variants: &[&str], documents: &[(&str, Value)]) -> IdpState {
        let behaviour = crate::variants::behaviour_for(variants).unwrap();
        let urls = Urls::new("http://127.0.0.1:1", "http://127.0.0.1:2", None, &behaviour);
        let mut config = Config::default();
        for (url, doc) in documents {
            config
                .client_metadata_documents
                .insert(url.to_string(), doc.clone());
        }
        IdpState::new(config, behaviour, urls).unwrap()
    }

    const UNSERVED: &str = "https://conformance-test.local/client-metadata.json";

    fn accepting(tweak: fn(&mut crate::Behaviour)) -> IdpState {
        IdpState::for_tests_with(Config::default(), tweak)
    }

    #[tokio::test]
    async fn unfetchable_document_is_a_public_client_with_the_loopback_redirect() {
        let state = accepting(|b| b.cimd_accept_unfetchable = true);
        let first = "http://127.0.0.1:3456/callback";
        let client = resolve_authorizing_client(&state, UNSERVED, Some(first))
            .await
            .unwrap();
        assert_eq!(client.source, ClientSource::UnfetchedMetadataDocument);
        assert_eq!(client.token_endpoint_auth_method, "none");
        assert_eq!(client.client_secret, None);
        assert_eq!(client.redirect_uris, vec![first]);
        // A second request adds its own loopback redirect URI; the token endpoint finds the client.
        let second = "http://localhost:9/cb";
        let client = resolve_authorizing_client(&state, UNSERVED, Some(second))
            .await
            .unwrap();
        assert_eq!(client.redirect_uris, vec![first, second]);
        assert_eq!(resolve_client(&state, UNSERVED).await.unwrap(), client);
    }

    #[tokio::test]
    async fn unfetchable_document_needs_a_loopback_redirect() {
        let state = accepting(|b| b.cimd_accept_unfetchable = true);
        for bad in [
            None,
            Some("https://app.example.com/cb"),
            Some("http://127.0.0.1/cb#x"),
            Some("com.example.app:/cb"),
        ] {
            let err = resolve_authorizing_client(&state, UNSERVED, bad)
                .await
                .unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidRequest, "{bad:?}");
            assert!(err.description.contains("loopback"), "{bad:?}: {err}");
        }
        assert!(state.store.client(UNSERVED).is_none());
    }

    #[tokio::test]
    async fn unfetchable_document_is_refused_by_default_or_without_cimd() {
        let redirect = Some("http://127.0.0.1/cb");
        for state in [
            accepting(|_| {}),
            accepting(|b| {
                b.cimd_accept_unfetchable = true;
                b.cimd_supported = false;
            }),
        ] {
            let err = resolve_authorizing_client(&state, UNSERVED, redirect)
                .await
                .unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidClient, "{err}");
        }
    }

    #[tokio::test]
    async fn preloaded_and_plain_clients_are_not_affected() {
        let mut config = Config::default();
        config
            .client_metadata_documents
            .insert(DOC_URL.into(), document(DOC_URL));
        let state = IdpState::for_tests_with(config, |b| b.cimd_accept_unfetchable = true);
        let client = resolve_authorizing_client(&state, DOC_URL, Some("http://127.0.0.1:5/x"))
            .await
            .unwrap();
        assert_eq!(client.source, ClientSource::MetadataDocument);
        assert_eq!(client.redirect_uris, vec!["http://127.0.0.1/callback"]);
        let err = resolve_authorizing_client(&state, "plain-id", Some("http://127.0.0.1/cb"))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
    }

    #[tokio::test]
    async fn preloaded_document_is_accepted_and_cached() {
        let state = state_with(&[], &[(DOC_URL, document(DOC_URL))]);
        let client = resolve_client(&state, DOC_URL).await.unwrap();
        assert_eq!(client.source, ClientSource::MetadataDocument);
        assert_eq!(client.redirect_uris, vec!["http://127.0.0.1/callback"]);
        assert_eq!(client.token_endpoint_auth_method, "none");
        assert_eq!(client.client_name.as_deref(), Some("Example MCP Client"));
        assert_eq!(state.store.client(DOC_URL), Some(client));
    }

    #[tokio::test]
    async fn mismatched_client_id_is_rejected() {
        let other = "https://client.example.com/oauth/other.json";
        let state = state_with(&[], &[(DOC_URL, document(other))]);
        let err = resolve_client(&state, DOC_URL).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
        assert!(err.description.contains("not exactly the URL"), "{err}");
        assert!(state.store.client(DOC_URL).is_none());
    }

    #[tokio::test]
    async fn documents_missing_fields_or_with_secrets_are_rejected() {
        let cases = [
            ("client_name", json!(null), "client_name"),
            ("redirect_uris", json!([]), "redirect_uris"),
            ("redirect_uris", json!(["not a uri"]), "not an absolute URI"),
            (
                "token_endpoint_auth_method",
                json!("client_secret_basic"),
                "no shared secrets",
            ),
            ("client_secret", json!("s3cret"), "client_secret"),
        ];
        for (key, value, expected) in cases {
            let mut doc = document(DOC_URL);
            if value.is_null() {
                doc.as_object_mut().unwrap().remove(key);
            } else {
                doc[key] = value;
            }
            let state = state_with(&[], &[(DOC_URL, doc)]);
            let err = resolve_client(&state, DOC_URL).await.unwrap_err();
            assert!(err.description.contains(expected), "{key}: {err}");
        }
        let state = state_with(&[], &[(DOC_URL, json!(["not", "an", "object"]))]);
        let err = resolve_client(&state, DOC_URL).await.unwrap_err();
        assert!(err.description.contains("JSON object"), "{err}");
    }

    #[tokio::test]
    async fn non_loopback_host_is_refused_without_network() {
        let state = state_with(&[], &[]);
        let err = resolve_client(&state, DOC_URL).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
        assert!(err.description.contains("only fetches loopback"), "{err}");
        assert!(
            err.description.contains("client_metadata_documents"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn cimd_disabled_means_unknown_client() {
        let state = state_with(
            &["no-registration-endpoint"],
            &[(DOC_URL, document(DOC_URL))],
        );
        let err = resolve_client(&state, DOC_URL).await.unwrap_err();
        assert!(err.description.starts_with("unknown client_id"), "{err}");
        assert!(err.description.contains("does not support"), "{err}");
    }

    #[tokio::test]
    async fn non_url_client_ids_are_just_unknown() {
        let state = state_with(&[], &[]);
        for id in [
            "plain-id",
            "https://client.example.com/",
            "https://client.example.com",
            "http://client.example.com/doc.json",
            "https://client.example.com/a/../doc.json",
            "https://client.example.com/doc.json#frag",
        ] {
            let err = resolve_client(&state, id).await.unwrap_err();
            assert_eq!(err.description, format!("unknown client_id `{id}`"), "{id}");
        }
    }

    #[tokio::test]
    async fn loopback_document_is_fetched_over_a_real_socket() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let url = format!("http://{addr}/client.json");
        let served = document(&url);
        let app = axum::Router::new().route(
            "/client.json",
            axum::routing::get(move || async move { axum::Json(served) }),
        );
        let server = tokio::spawn(async move { axum::serve(listener, app).await });

        let state = state_with(&[], &[]);
        let client = resolve_client(&state, &url).await.unwrap();
        assert_eq!(client.client_id, url);
        assert_eq!(client.source, ClientSource::MetadataDocument);

        let missing = format!("http://{addr}/missing.json");
        let err = resolve_client(&state, &missing).await.unwrap_err();
        assert!(err.description.contains("404"), "{err}");
        server.abort();
    }

    #[test]
    fn only_loopback_is_fetched_and_localhost_is_pinned() {
        let target = |url: &str| pinned_target(&Url::parse(url).unwrap());
        let (url, host) = target("http://localhost:8123/client.json?x=1").unwrap();
        assert_eq!(url.as_str(), "http://127.0.0.1:8123/client.json?x=1");
        assert_eq!(host.unwrap(), "localhost:8123");
        let (url, host) = target("https://LOCALHOST/client.json").unwrap();
        assert_eq!(url.as_str(), "https://127.0.0.1/client.json");
        assert_eq!(host.unwrap(), "localhost");
        for literal in [
            "http://127.0.0.1:9/c.json",
            "http://127.3.4.5/c",
            "http://[::1]:9/c",
        ] {
            let (url, host) = target(literal).unwrap();
            assert_eq!(url.as_str(), literal);
            assert!(host.is_none(), "{literal}");
        }
        for remote in [
            "http://128.0.0.1/c.json",
            "https://localhost.example.com/c.json",
            "https://client.example.com/c.json",
        ] {
            assert!(target(remote).is_none(), "{remote}");
        }
    }

    #[tokio::test]
    async fn localhost_document_is_fetched_from_127_0_0_1_with_its_host_header() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let url = format!("http://localhost:{port}/client.json");
        let served = document(&url);
        let seen_host = std::sync::Arc::new(std::sync::Mutex::new(None::<String>));
        let seen = seen_host.clone();
        let app = axum::Router::new().route(
            "/client.json",
            axum::routing::get(move |headers: axum::http::HeaderMap| async move {
                *seen.lock().unwrap() = headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .map(str::to_owned);
                axum::Json(served)
            }),
        );
        let server = tokio::spawn(async move { axum::serve(listener, app).await });

        let state = state_with(&[], &[]);
        let client = resolve_client(&state, &url).await.unwrap();
        assert_eq!(client.client_id, url);
        let expected = format!("localhost:{port}");
        assert_eq!(
            seen_host.lock().unwrap().as_deref(),
            Some(expected.as_str())
        );
        server.abort();
    }

    /// A server that answers every request with an endless chunked JSON body (whitespace).
    async fn endless_body_server() -> (std::net::SocketAddr, tokio::task::JoinHandle<()>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                                transfer-encoding: chunked\r\n\r\n";
                    let chunk = format!("{:x}\r\n{}\r\n", 8192, " ".repeat(8192));
                    if socket.write_all(head.as_bytes()).await.is_err() {
                        return;
                    }
                    while socket.write_all(chunk.as_bytes()).await.is_ok() {}
                });
            }
        });
        (addr, task)
    }

    #[tokio::test]
    async fn endless_document_is_abandoned_at_the_size_cap() {
        let (addr, server) = endless_body_server().await;
        let url = format!("http://{addr}/client.json");
        let state = state_with(&[], &[]);
        let started = std::time::Instant::now();
        let err = resolve_client(&state, &url).await.unwrap_err();
        assert!(err.description.contains("larger than 65536 bytes"), "{err}");
        // Stopped at the cap, not at the request timeout.
        assert!(
            started.elapsed() < crate::state::OUTGOING_TIMEOUT / 2,
            "{:?}",
            started.elapsed()
        );
        server.abort();
    }

    #[tokio::test]
    async fn declared_oversized_document_is_refused() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().route(
            "/client.json",
            axum::routing::get(|| async { " ".repeat(MAX_DOCUMENT_BYTES + 1) }),
        );
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let state = state_with(&[], &[]);
        let err = resolve_client(&state, &format!("http://{addr}/client.json"))
            .await
            .unwrap_err();
        assert!(err.description.contains("larger than"), "{err}");
        server.abort();
    }
}
