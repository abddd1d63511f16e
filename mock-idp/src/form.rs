//! Strict `application/x-www-form-urlencoded` parsing for OAuth endpoints.
//!
//! RFC 6749 §3.1/§3.2: parameters sent without a value are treated as omitted, and request
//! parameters MUST NOT be included more than once, except `resource`, which RFC 8707 §2 allows to
//! repeat. Every failure is an `invalid_request`.

use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{header, Method};

use crate::error::OAuthError;

/// Parameters that may be repeated: `resource` (RFC 8707 §2). Every other one must appear once.
const REPEATABLE: &[&str] = &["resource"];

/// Parsed form (or query) parameters: each present at most once, except the [`REPEATABLE`] ones,
/// whose further values are kept apart (in order) so [`Params::get`] still gives the first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(BTreeMap<String, String>, Vec<(String, String)>);

impl Params {
    /// Parses a urlencoded string, rejecting repeated parameters other than `resource`.
    pub fn parse(input: &[u8]) -> Result<Self, OAuthError> {
        let text = std::str::from_utf8(input)
            .map_err(|_| OAuthError::invalid_request("form body is not UTF-8"))?;
        let mut map = BTreeMap::new();
        let mut repeated = Vec::new();
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let (key, value) = (decode(key)?, decode(value)?);
            if value.is_empty() {
                continue;
            }
            match map.entry(key) {
                Entry::Vacant(entry) => {
                    entry.insert(value);
                }
                Entry::Occupied(entry) if REPEATABLE.contains(&entry.key().as_str()) => {
                    repeated.push((entry.key().clone(), value));
                }
                Entry::Occupied(entry) => {
                    return Err(OAuthError::invalid_request(format!(
                        "parameter `{}` is included more than once (RFC 6749 §3.1)",
                        entry.key()
                    )));
                }
            }
        }
        Ok(Self(map, repeated))
    }

    /// Every value of a parameter, in order (several only for `resource`, RFC 8707 §2).
    pub fn all(&self, key: &str) -> Vec<&str> {
        let further = self.1.iter().filter(|(k, _)| k == key);
        self.get(key)
            .into_iter()
            .chain(further.map(|(_, v)| v.as_str()))
            .collect()
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }

    pub fn require(&self, key: &str) -> Result<&str, OAuthError> {
        self.get(key).ok_or_else(|| {
            OAuthError::invalid_request(format!("missing required parameter `{key}`"))
        })
    }

    pub fn contains(&self, key: &str) -> bool {
        self.0.contains_key(key)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// Space-separated scope values (RFC 6749 §3.3), empty when the parameter is absent.
    pub fn scopes(&self) -> Vec<String> {
        self.get("scope")
            .map(|s| {
                s.split(' ')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.0.insert(key.into(), value.into());
    }
}

/// `application/x-www-form-urlencoded` decoding of one name or value; invalid UTF-8 is an error.
/// The error never quotes the undecodable text: it may be (part of) a secret, and the description
/// is echoed to the client and written to the trace.
fn decode(part: &str) -> Result<String, OAuthError> {
    let spaced = part.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| {
            OAuthError::invalid_request(
                "a parameter name or value is not UTF-8 once percent-decoded \
                 (RFC 6749 Appendix B: application/x-www-form-urlencoded with UTF-8)",
            )
        })
}

/// Extractor for a POST body that must be `application/x-www-form-urlencoded`.
/// The headers are kept so endpoints can read `Authorization` for client authentication.
#[derive(Debug, Clone)]
pub struct OAuthForm {
    pub params: Params,
    pub headers: axum::http::HeaderMap,
}

impl<S: Send + Sync> FromRequest<S> for OAuthForm {
    type Rejection = OAuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if req.method() != Method::POST {
            return Err(OAuthError::invalid_request(
                "this endpoint only accepts POST",
            ));
        }
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim();
        if !mime.eq_ignore_ascii_case("application/x-www-form-urlencoded") {
            return Err(OAuthError::invalid_request(format!(
                "Content-Type must be application/x-www-form-urlencoded, got `{content_type}`"
            )));
        }
        let headers = req.headers().clone();
        let body = Bytes::from_request(req, state).await.map_err(|e| {
            OAuthError::invalid_request(format!("could not read the request body: {e}"))
                .with_status(e.status())
        })?;
        Ok(Self {
            params: Params::parse(&body)?,
            headers,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_drops_empty_values() {
        let p = Params::parse(b"grant_type=authorization_code&scope=&code=abc").unwrap();
        assert_eq!(p.get("grant_type"), Some("authorization_code"));
        assert_eq!(p.get("scope"), None);
        assert_eq!(p.get("code"), Some("abc"));
    }

    #[test]
    fn rejects_repeated_parameters() {
        let err = Params::parse(b"code=a&code=b").unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::InvalidRequest);
        assert!(err.description.contains("more than once"));
    }

    #[test]
    fn keeps_repeated_resources_in_order() {
        let p = Params::parse(b"resource=a&code=c&resource=b&resource=&resource=a").unwrap();
        assert_eq!(p.get("resource"), Some("a"));
        assert_eq!(p.all("resource"), vec!["a", "b", "a"]);
        assert_eq!(p.all("code"), vec!["c"]);
        assert!(p.all("scope").is_empty());
        let err = Params::parse(b"resource=a&scope=x&scope=y").unwrap_err();
        assert!(err.description.contains("`scope`"));
    }

    #[test]
    fn rejects_malformed_encoding() {
        let err = Params::parse(&[0xff, 0xfe, b'=', b'x']).unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::InvalidRequest);
        let err = Params::parse(b"client_secret=s3cr3t%FF%FE").unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::InvalidRequest);
        assert!(!err.description.contains("s3cr3t"), "{}", err.description);
        assert!(!err.description.contains("%FF"), "{}", err.description);
        assert!(err.description.contains("not UTF-8"), "{}", err.description);
        assert_eq!(Params::parse(b"a=b%20c+d").unwrap().get("a"), Some("b c d"));
    }

    #[test]
    fn scopes_split_on_spaces() {
        let p = Params::parse(b"scope=mcp%3Atools+mcp%3Aadmin").unwrap();
        assert_eq!(p.scopes(), vec!["mcp:tools", "mcp:admin"]);
    }
}
