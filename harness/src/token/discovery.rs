//! Finding the authorization server metadata of an issuer: `--metadata-url` when given, else the
//! well-known locations in the order MCP 2025-11-25 clients try them (RFC 8414 §3.1 with path
//! insertion, then OpenID Connect Discovery with path insertion and with path appending), and
//! the `issuer` equality check of RFC 8414 §3.3.

use serde_json::{Map, Value};
use url::Url;

use super::error::{describe, Attempt, TokenError};
use super::http::{json_type, Http};

/// The parts of the metadata the token flows use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metadata {
    /// Where the document was found.
    pub url: String,
    pub issuer: String,
    pub document: Map<String, Value>,
}

impl Metadata {
    /// An endpoint URL named by the metadata (`token_endpoint`, `device_authorization_endpoint`).
    pub fn endpoint(&self, field: &'static str) -> Result<String, TokenError> {
        let bad = |problem: String| TokenError::BadMetadata {
            metadata_url: self.url.clone(),
            problem,
        };
        let value = match self.document.get(field) {
            None => return Err(bad(format!("has no `{field}`"))),
            Some(Value::String(value)) => value,
            Some(other) => {
                return Err(bad(format!(
                    "has a {} `{field}`, not a URL string",
                    json_type(other)
                )))
            }
        };
        let url = Url::parse(value).map_err(|e| {
            bad(format!(
                "has a `{field}` that is not an absolute URL: `{value}` ({e})"
            ))
        })?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad(format!(
                "has a `{field}` that is not http(s): `{value}`"
            )));
        }
        Ok(value.clone())
    }

    /// Whether the metadata lists `value` in the array `field` (`None` when it has no such array).
    pub fn lists(&self, field: &str, value: &str) -> Option<bool> {
        let values = self.document.get(field)?.as_array()?;
        Some(values.iter().any(|v| v.as_str() == Some(value)))
    }
}

/// The issuer as a URL: absolute, http(s), no query or fragment (RFC 8414 §2).
pub fn parse_issuer(issuer: &str) -> Result<Url, TokenError> {
    let invalid = |why: String| TokenError::InvalidRequest(format!("--issuer `{issuer}` {why}"));
    let url = Url::parse(issuer).map_err(|e| invalid(format!("is not an absolute URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("must be an http or https URL".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(invalid(
            "must not have a query or fragment (RFC 8414 §2)".into(),
        ));
    }
    Ok(url)
}

/// The well-known metadata URLs of `issuer`, in the order a 2025-11-25 client tries them: for an
/// issuer without a path, RFC 8414 then OIDC; with a path, RFC 8414 inserted, OIDC inserted, OIDC
/// appended.
pub fn well_known_urls(issuer: &Url) -> Vec<String> {
    let origin = issuer.origin().ascii_serialization();
    let path = issuer.path().trim_end_matches('/');
    let mut urls = vec![
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
        format!("{origin}/.well-known/openid-configuration{path}"),
        format!("{origin}{path}/.well-known/openid-configuration"),
    ];
    urls.dedup();
    urls
}

/// Fetches the metadata (from `metadata_url`, else the well-known locations) and checks that it
/// names `issuer`. A document that names another issuer is refused, not skipped: a client must not
/// use it (RFC 8414 §3.3).
pub(crate) async fn discover(
    http: &Http,
    issuer: &str,
    metadata_url: Option<&str>,
) -> Result<Metadata, TokenError> {
    let parsed = parse_issuer(issuer)?;
    let candidates = match metadata_url {
        Some(url) => {
            Url::parse(url).map_err(|e| {
                TokenError::InvalidRequest(format!(
                    "--metadata-url `{url}` is not an absolute URL ({e})"
                ))
            })?;
            vec![url.to_string()]
        }
        None => well_known_urls(&parsed),
    };
    let mut attempts = Vec::new();
    for url in candidates {
        match fetch(http, &url).await {
            Ok(document) => return checked(url, issuer, document),
            Err(attempt) => attempts.push(attempt),
        }
    }
    Err(TokenError::NoMetadata {
        issuer: issuer.to_string(),
        attempts,
    })
}

async fn fetch(http: &Http, url: &str) -> Result<Map<String, Value>, Attempt> {
    let attempt = |problem: String, unreachable| Attempt {
        url: url.to_string(),
        problem,
        unreachable,
    };
    let answer = http
        .get(url)
        .await
        .map_err(|e| attempt(describe(&e), true))?;
    if answer.status != 200 {
        let why = if (300..400).contains(&answer.status) {
            format!("HTTP {}: {}", answer.status, answer.problem_if_not_json)
        } else {
            format!("HTTP {}", answer.status)
        };
        return Err(attempt(why, false));
    }
    match answer.json {
        Some(Value::Object(document)) => Ok(document),
        Some(other) => Err(attempt(
            format!("HTTP 200 but a JSON {}, not an object", json_type(&other)),
            false,
        )),
        None => Err(attempt(
            format!("HTTP 200 but {}", answer.problem_if_not_json),
            false,
        )),
    }
}

fn checked(
    url: String,
    issuer: &str,
    document: Map<String, Value>,
) -> Result<Metadata, TokenError> {
    let found = match document.get("issuer") {
        Some(Value::String(found)) => found.clone(),
        Some(other) => {
            return Err(TokenError::BadMetadata {
                metadata_url: url,
                problem: format!("has a {} `issuer`, not a string", json_type(other)),
            })
        }
        None => {
            return Err(TokenError::BadMetadata {
                metadata_url: url,
                problem: "has no `issuer` (required, RFC 8414 §2)".into(),
            })
        }
    };
    if found != issuer {
        return Err(TokenError::IssuerMismatch {
            metadata_url: url,
            expected: issuer.to_string(),
            found,
        });
    }
    Ok(Metadata {
        url,
        issuer: found,
        document,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn well_known_order_with_and_without_a_path() {
        let root = Url::parse("https://as.example.com/").unwrap();
        assert_eq!(
            well_known_urls(&root),
            vec![
                "https://as.example.com/.well-known/oauth-authorization-server",
                "https://as.example.com/.well-known/openid-configuration",
            ]
        );
        let tenant = Url::parse("https://as.example.com:8443/tenant1/").unwrap();
        assert_eq!(
            well_known_urls(&tenant),
            vec![
                "https://as.example.com:8443/.well-known/oauth-authorization-server/tenant1",
                "https://as.example.com:8443/.well-known/openid-configuration/tenant1",
                "https://as.example.com:8443/tenant1/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn issuer_must_be_http_without_query() {
        assert!(parse_issuer("https://as.example.com/t").is_ok());
        for bad in [
            "as.example.com",
            "ftp://as.example.com",
            "https://a.example/?x=1",
            "https://a.example/#f",
        ] {
            assert!(
                matches!(parse_issuer(bad), Err(TokenError::InvalidRequest(_))),
                "{bad}"
            );
        }
    }

    fn doc(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn issuer_must_be_identical() {
        let issuer = "https://as.example.com";
        let ok = checked("m".into(), issuer, doc(json!({"issuer": issuer}))).unwrap();
        assert_eq!(ok.issuer, issuer);
        // A trailing slash is another issuer (RFC 8414 §3.3: identical).
        let e = checked(
            "m".into(),
            issuer,
            doc(json!({"issuer": "https://as.example.com/"})),
        )
        .unwrap_err();
        assert!(
            matches!(e, TokenError::IssuerMismatch { ref found, .. } if found == "https://as.example.com/"),
            "{e}"
        );
        assert!(
            e.to_string().contains("differ only by a trailing slash"),
            "{e}"
        );
        let other = checked(
            "m".into(),
            issuer,
            doc(json!({"issuer": "https://evil.example"})),
        )
        .unwrap_err();
        assert!(!other.to_string().contains("trailing slash"), "{other}");
        let e = checked("m".into(), issuer, doc(json!({"token_endpoint": "x"}))).unwrap_err();
        assert!(e.to_string().contains("has no `issuer`"), "{e}");
    }

    #[test]
    fn endpoints_must_be_http_urls() {
        let metadata = Metadata {
            url: "m".into(),
            issuer: "i".into(),
            document: doc(json!({
                "token_endpoint": "https://as.example.com/token",
                "device_authorization_endpoint": "/device",
                "registration_endpoint": 3,
                "grant_types_supported": ["client_credentials"],
            })),
        };
        assert_eq!(
            metadata.endpoint("token_endpoint").unwrap(),
            "https://as.example.com/token"
        );
        for field in [
            "device_authorization_endpoint",
            "registration_endpoint",
            "jwks_uri",
        ] {
            assert!(
                matches!(
                    metadata.endpoint(field),
                    Err(TokenError::BadMetadata { .. })
                ),
                "{field}"
            );
        }
        assert_eq!(
            metadata.lists("grant_types_supported", "client_credentials"),
            Some(true)
        );
        assert_eq!(
            metadata.lists("grant_types_supported", "password"),
            Some(false)
        );
        assert_eq!(metadata.lists("response_types_supported", "code"), None);
    }
}
