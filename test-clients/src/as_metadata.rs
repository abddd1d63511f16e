//! Authorization server metadata (RFC 8414, OIDC Discovery; MCP 2025-11-25 "Authorization Server
//! Metadata Discovery"): the well-known URLs in priority order, the first 200 wins; the `issuer`
//! must be the issuer exactly (RFC 8414 §3.3) and S256 must be advertised (MCP 2025-11-25 PKCE).
//! For a 2025-03-26 server without metadata, the default endpoints.

use serde_json::Value;

use crate::breaks::{Break, Breaks};
use crate::error::{ClientError, Result};
use crate::http::{get_document, Document};
use crate::log;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthServer {
    /// The issuer the metadata was validated against (the authorization base URL for defaults).
    pub issuer: String,
    /// Where the metadata was found; `None` for the 2025-03-26 default endpoints.
    pub metadata_url: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub registration_endpoint: Option<String>,
    /// `None` when the field is absent.
    pub code_challenge_methods: Option<Vec<String>>,
    pub cimd_supported: bool,
    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3).
    pub iss_parameter_supported: bool,
    /// `scopes_supported` (RFC 8414 §2); empty when absent.
    pub scopes_supported: Vec<String>,
}

impl AuthServer {
    /// Whether the metadata lists `scope` in `scopes_supported`.
    pub fn supports_scope(&self, scope: &str) -> bool {
        self.scopes_supported.iter().any(|s| s == scope)
    }
}

/// The metadata URLs for an issuer, in the order MCP 2025-11-25 gives.
pub fn metadata_urls(issuer: &str, breaks: &Breaks) -> Result<Vec<String>> {
    let url = url::Url::parse(issuer)
        .map_err(|e| ClientError::Protocol(format!("issuer `{issuer}` is not a URL: {e}")))?;
    let origin = url.origin().ascii_serialization();
    if breaks.has(Break::AsMetadataRootOnly) {
        return Ok(vec![format!(
            "{origin}/.well-known/oauth-authorization-server"
        )]);
    }
    let path = url.path().trim_end_matches('/');
    let mut urls = if path.is_empty() {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server"),
            format!("{origin}/.well-known/openid-configuration"),
        ]
    } else {
        vec![
            format!("{origin}/.well-known/oauth-authorization-server{path}"),
            format!("{origin}/.well-known/openid-configuration{path}"),
            format!("{origin}{path}/.well-known/openid-configuration"),
        ]
    };
    if breaks.has(Break::NoOidcDiscovery) {
        urls.retain(|u| !u.contains("/.well-known/openid-configuration"));
    }
    Ok(urls)
}

/// Fetches the first document found at `urls`, or `None` when none answered 200.
pub async fn fetch(http: &reqwest::Client, urls: &[String]) -> Result<Option<(String, Value)>> {
    for url in urls {
        if let Document::Found(doc) =
            get_document(http, url, "authorization server metadata", None).await?
        {
            return Ok(Some((url.clone(), doc)));
        }
    }
    Ok(None)
}

/// Reads a metadata document after checking its `issuer` against `expected_issuer`.
pub fn from_document(
    doc: &Value,
    url: &str,
    expected_issuer: &str,
    breaks: &Breaks,
) -> Result<AuthServer> {
    let text = |key: &str| doc.get(key).and_then(Value::as_str).map(String::from);
    let issuer = text("issuer").unwrap_or_default();
    if issuer != expected_issuer {
        if breaks.has(Break::SkipIssuerCheck) {
            log::step(format!(
                "BREAK skip-issuer-check: accepting metadata issuer `{issuer}` for `{expected_issuer}`"
            ));
        } else {
            return Err(ClientError::Refused(format!(
                "the metadata at {url} names issuer `{issuer}`, not `{expected_issuer}` (RFC 8414 §3.3)"
            )));
        }
    }
    let required = |key: &str| {
        text(key)
            .ok_or_else(|| ClientError::Protocol(format!("the metadata at {url} has no `{key}`")))
    };
    Ok(AuthServer {
        issuer: expected_issuer.to_string(),
        metadata_url: Some(url.to_string()),
        authorization_endpoint: text("authorization_endpoint").unwrap_or_default(),
        token_endpoint: required("token_endpoint")?,
        registration_endpoint: text("registration_endpoint"),
        code_challenge_methods: strings(doc, "code_challenge_methods_supported"),
        cimd_supported: doc
            .get("client_id_metadata_document_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        iss_parameter_supported: doc
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        scopes_supported: strings(doc, "scopes_supported").unwrap_or_default(),
    })
}

/// MCP 2025-11-25: a client MUST refuse to proceed when `code_challenge_methods_supported` is
/// absent or lacks `S256`. Also needs an authorization endpoint.
pub fn check_code_flow_support(server: &AuthServer, breaks: &Breaks) -> Result<()> {
    if server.authorization_endpoint.is_empty() {
        return Err(ClientError::Protocol(
            "the authorization server metadata has no `authorization_endpoint`".into(),
        ));
    }
    if server.metadata_url.is_none() {
        return Ok(()); // 2025-03-26 defaults: nothing advertised, nothing to check
    }
    let s256 = server
        .code_challenge_methods
        .as_ref()
        .is_some_and(|m| m.iter().any(|m| m == "S256"));
    if s256 {
        return Ok(());
    }
    if breaks.has(Break::SkipPkceSupportCheck) {
        log::step("BREAK skip-pkce-support-check: S256 is not advertised, going on anyway");
        return Ok(());
    }
    Err(ClientError::Refused(format!(
        "the authorization server does not advertise S256 in code_challenge_methods_supported ({:?})",
        server.code_challenge_methods
    )))
}

/// The strings of the array `key` of `doc` (`None` when there is no such array).
pub(crate) fn strings(doc: &Value, key: &str) -> Option<Vec<String>> {
    doc.get(key).and_then(Value::as_array).map(|a| {
        a.iter()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect()
    })
}

/// MCP 2025-03-26 "Fallbacks for Servers without Metadata Discovery": `/authorize`, `/token`,
/// `/register` on the authorization base URL.
pub fn legacy_defaults(base: &str) -> AuthServer {
    AuthServer {
        issuer: base.to_string(),
        metadata_url: None,
        authorization_endpoint: format!("{base}/authorize"),
        token_endpoint: format!("{base}/token"),
        registration_endpoint: Some(format!("{base}/register")),
        code_challenge_methods: None,
        cimd_supported: false,
        iss_parameter_supported: false,
        scopes_supported: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn with(b: Break) -> Breaks {
        let mut breaks = Breaks::default();
        breaks.insert(b);
        breaks
    }

    #[test]
    fn url_priority_with_and_without_issuer_path() {
        let ok = Breaks::default();
        assert_eq!(
            metadata_urls("https://as.example/tenant1", &ok).unwrap(),
            [
                "https://as.example/.well-known/oauth-authorization-server/tenant1",
                "https://as.example/.well-known/openid-configuration/tenant1",
                "https://as.example/tenant1/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            metadata_urls("https://as.example", &ok).unwrap(),
            [
                "https://as.example/.well-known/oauth-authorization-server",
                "https://as.example/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            metadata_urls(
                "https://as.example/tenant1",
                &with(Break::AsMetadataRootOnly)
            )
            .unwrap(),
            ["https://as.example/.well-known/oauth-authorization-server"]
        );
        assert_eq!(
            metadata_urls("https://as.example/tenant1", &with(Break::NoOidcDiscovery)).unwrap(),
            ["https://as.example/.well-known/oauth-authorization-server/tenant1"]
        );
    }

    fn doc(issuer: &str, methods: Option<&[&str]>) -> Value {
        let mut d = json!({
            "issuer": issuer,
            "authorization_endpoint": "https://as.example/authorize",
            "token_endpoint": "https://as.example/token",
        });
        if let Some(m) = methods {
            d["code_challenge_methods_supported"] = json!(m);
        }
        d
    }

    #[test]
    fn issuer_must_match_exactly() {
        let ok = Breaks::default();
        let url = "https://as.example/.well-known/oauth-authorization-server";
        assert!(from_document(
            &doc("https://as.example", None),
            url,
            "https://as.example",
            &ok
        )
        .is_ok());
        let err = from_document(
            &doc("https://as.example/", None),
            url,
            "https://as.example",
            &ok,
        );
        assert!(matches!(err, Err(ClientError::Refused(_))));
        let skip = with(Break::SkipIssuerCheck);
        assert!(
            from_document(&doc("https://evil", None), url, "https://as.example", &skip).is_ok()
        );
    }

    #[test]
    fn s256_must_be_advertised() {
        let ok = Breaks::default();
        let url = "https://as.example/.well-known/oauth-authorization-server";
        let read =
            |methods| from_document(&doc("https://as", methods), url, "https://as", &ok).unwrap();
        assert!(check_code_flow_support(&read(Some(&["plain", "S256"])), &ok).is_ok());
        assert!(check_code_flow_support(&read(Some(&["plain"])), &ok).is_err());
        assert!(matches!(
            check_code_flow_support(&read(None), &ok),
            Err(ClientError::Refused(_))
        ));
        assert!(check_code_flow_support(&read(None), &with(Break::SkipPkceSupportCheck)).is_ok());
        assert!(check_code_flow_support(&legacy_defaults("http://h"), &ok).is_ok());
    }

    #[test]
    fn scopes_supported_are_read() {
        let url = "https://as.example/.well-known/oauth-authorization-server";
        let mut d = doc("https://as", None);
        d["scopes_supported"] = json!(["a", "offline_access"]);
        let server = from_document(&d, url, "https://as", &Breaks::default()).unwrap();
        assert!(server.supports_scope("offline_access"));
        assert!(!server.supports_scope("b"));
        assert!(!legacy_defaults("http://h").supports_scope("offline_access"));
    }
}
