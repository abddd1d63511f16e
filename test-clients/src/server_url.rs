//! The MCP server URL given on the command line, its canonical form (the resource identifier,
//! RFC 8707 §2 / MCP 2025-11-25 "Canonical Server URI") and the well-known URLs derived from it.

use url::Url;

use crate::error::{ClientError, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerUrl {
    /// Where MCP requests go: the URL as given, without a fragment.
    pub url: Url,
    /// The URL without fragment, as given (no trailing `/` added to a bare origin).
    pub canonical: String,
    /// `scheme://host[:port]`.
    pub origin: String,
}

impl ServerUrl {
    pub fn parse(input: &str) -> Result<ServerUrl> {
        let mut url = Url::parse(input)
            .map_err(|e| ClientError::Config(format!("`{input}` is not a URL: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err(ClientError::Config(format!(
                "`{input}` is not an http(s) URL with a host"
            )));
        }
        url.set_fragment(None);
        let mut canonical = url.to_string();
        // `Url` writes a bare origin with a `/` path; the canonical URI has none (MCP 2025-11-25
        // recommends the form without a trailing slash), unless the user wrote one.
        let without_fragment = input.split('#').next().unwrap_or(input);
        if url.path() == "/" && url.query().is_none() && !without_fragment.ends_with('/') {
            canonical.pop();
        }
        let origin = url.origin().ascii_serialization();
        Ok(ServerUrl {
            url,
            canonical,
            origin,
        })
    }

    /// The path without a trailing `/` (`""` for the root).
    fn path(&self) -> &str {
        self.url.path().trim_end_matches('/')
    }

    /// RFC 9728 §3.1: the well-known suffix inserted between the host and the path (the query kept).
    pub fn prm_path_url(&self) -> String {
        let query = self
            .url
            .query()
            .map(|q| format!("?{q}"))
            .unwrap_or_default();
        format!(
            "{}/.well-known/oauth-protected-resource{}{query}",
            self.origin,
            self.path()
        )
    }

    /// The root well-known URL: the metadata of the origin as a resource.
    pub fn prm_root_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource", self.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_and_well_known_urls() {
        let s = ServerUrl::parse("http://127.0.0.1:8080/mcp#frag").unwrap();
        assert_eq!(s.canonical, "http://127.0.0.1:8080/mcp");
        assert_eq!(s.origin, "http://127.0.0.1:8080");
        assert_eq!(
            s.prm_path_url(),
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource/mcp"
        );
        assert_eq!(
            s.prm_root_url(),
            "http://127.0.0.1:8080/.well-known/oauth-protected-resource"
        );
        let bare = ServerUrl::parse("https://mcp.example.com").unwrap();
        assert_eq!(bare.canonical, "https://mcp.example.com");
        assert_eq!(bare.prm_path_url(), bare.prm_root_url());
        let q = ServerUrl::parse("http://h/a/mcp/?t=1").unwrap();
        assert_eq!(
            q.prm_path_url(),
            "http://h/.well-known/oauth-protected-resource/a/mcp?t=1"
        );
    }

    #[test]
    fn non_http_urls_are_rejected() {
        assert!(ServerUrl::parse("ftp://h/mcp").is_err());
        assert!(ServerUrl::parse("not a url").is_err());
    }
}
