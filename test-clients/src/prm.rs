//! Protected resource metadata discovery (RFC 9728; MCP 2025-11-25 "Protected Resource Metadata
//! Discovery Requirements"): the URL of the 401's `resource_metadata` if there is one, otherwise the
//! path-inserted well-known URL, then the root one. No document anywhere (every URL 404) means a
//! 2025-03-26 server.

use serde_json::Value;

use crate::breaks::{Break, Breaks};
use crate::challenge::BearerChallenge;
use crate::error::{ClientError, Result};
use crate::http::{get_document, Document};
use crate::server_url::ServerUrl;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedResource {
    pub resource: String,
    pub authorization_servers: Vec<String>,
    pub scopes_supported: Vec<String>,
    /// The URL the document was fetched from.
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prm {
    Found(ProtectedResource),
    /// No protected resource metadata: every URL tried answered 404 (a 2025-03-26 server).
    NotServed,
}

/// The URLs to try, in order.
pub fn candidates(server: &ServerUrl, challenge: &BearerChallenge, breaks: &Breaks) -> Vec<String> {
    let named = challenge
        .resource_metadata
        .clone()
        .filter(|_| !breaks.has(Break::IgnoreResourceMetadata));
    let mut urls = match named {
        Some(url) => vec![url],
        None if breaks.has(Break::NoPrmFallback) => Vec::new(),
        None => vec![server.prm_path_url(), server.prm_root_url()],
    };
    if breaks.has(Break::PrmRootFirst) {
        urls.insert(0, server.prm_root_url());
    }
    let mut seen = Vec::new();
    urls.retain(|u| {
        let new = !seen.contains(u);
        seen.push(u.clone());
        new
    });
    urls
}

pub async fn discover(
    http: &reqwest::Client,
    server: &ServerUrl,
    challenge: &BearerChallenge,
    breaks: &Breaks,
) -> Result<Prm> {
    let urls = candidates(server, challenge, breaks);
    let mut all_404 = true;
    for url in &urls {
        match get_document(http, url, "protected resource metadata", None).await? {
            Document::Found(doc) => return parse(&doc, url).map(Prm::Found),
            Document::Missing(status) => all_404 &= status.as_u16() == 404,
        }
    }
    if let Some(named) = &challenge.resource_metadata {
        if urls.contains(named) {
            return Err(ClientError::Protocol(format!(
                "the 401 names the protected resource metadata {named}, which could not be fetched"
            )));
        }
    }
    if all_404 {
        Ok(Prm::NotServed)
    } else {
        Err(ClientError::Protocol(
            "protected resource metadata discovery failed (see the statuses above)".into(),
        ))
    }
}

fn parse(doc: &Value, url: &str) -> Result<ProtectedResource> {
    let strings = |key: &str| crate::as_metadata::strings(doc, key).unwrap_or_default();
    let resource = doc
        .get("resource")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ClientError::Protocol(format!(
                "the protected resource metadata at {url} has no `resource`"
            ))
        })?
        .to_string();
    let authorization_servers = strings("authorization_servers");
    if authorization_servers.is_empty() {
        return Err(ClientError::Protocol(format!(
            "the protected resource metadata at {url} names no authorization server"
        )));
    }
    Ok(ProtectedResource {
        resource,
        authorization_servers,
        scopes_supported: strings("scopes_supported"),
        url: url.to_string(),
    })
}

/// RFC 9728 §3.3: `resource` must be the identifier the client used: the canonical MCP URL, or the
/// origin when the document came from the root well-known URL (which is the origin's metadata).
pub fn check_resource(prm: &ProtectedResource, server: &ServerUrl, breaks: &Breaks) -> Result<()> {
    let expected_root = prm.url == server.prm_root_url() && prm.resource == server.origin;
    if prm.resource == server.canonical || expected_root {
        return Ok(());
    }
    if breaks.has(Break::SkipPrmResourceCheck) {
        crate::log::step(format!(
            "BREAK skip-prm-resource-check: accepting PRM resource `{}` for `{}`",
            prm.resource, server.canonical
        ));
        return Ok(());
    }
    Err(ClientError::Refused(format!(
        "the protected resource metadata at {} is for `{}`, not for `{}` (RFC 9728 §3.3)",
        prm.url, prm.resource, server.canonical
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn server() -> ServerUrl {
        ServerUrl::parse("http://127.0.0.1:9/mcp").unwrap()
    }

    fn with(breaks: &[Break]) -> Breaks {
        let mut b = Breaks::default();
        breaks.iter().for_each(|x| b.insert(*x));
        b
    }

    const PATH: &str = "http://127.0.0.1:9/.well-known/oauth-protected-resource/mcp";
    const ROOT: &str = "http://127.0.0.1:9/.well-known/oauth-protected-resource";

    #[test]
    fn candidate_order() {
        let named = BearerChallenge {
            resource_metadata: Some("http://127.0.0.1:9/custom.json".into()),
            ..Default::default()
        };
        let none = BearerChallenge::default();
        let ok = Breaks::default();
        assert_eq!(
            candidates(&server(), &named, &ok),
            ["http://127.0.0.1:9/custom.json"]
        );
        assert_eq!(candidates(&server(), &none, &ok), [PATH, ROOT]);
        assert_eq!(
            candidates(&server(), &none, &with(&[Break::PrmRootFirst])),
            [ROOT, PATH]
        );
        assert_eq!(
            candidates(&server(), &named, &with(&[Break::PrmRootFirst])),
            [ROOT, "http://127.0.0.1:9/custom.json"]
        );
        assert_eq!(
            candidates(&server(), &named, &with(&[Break::IgnoreResourceMetadata])),
            [PATH, ROOT]
        );
        assert!(candidates(&server(), &none, &with(&[Break::NoPrmFallback])).is_empty());
    }

    fn prm(resource: &str, url: &str) -> ProtectedResource {
        parse(
            &json!({"resource": resource, "authorization_servers": ["http://as"]}),
            url,
        )
        .unwrap()
    }

    #[test]
    fn resource_must_be_the_server() {
        let ok = Breaks::default();
        assert!(check_resource(&prm("http://127.0.0.1:9/mcp", PATH), &server(), &ok).is_ok());
        assert!(check_resource(&prm("http://127.0.0.1:9", ROOT), &server(), &ok).is_ok());
        let err = check_resource(&prm("https://evil.example/mcp", PATH), &server(), &ok);
        assert!(matches!(err, Err(ClientError::Refused(_))));
        assert!(check_resource(&prm("http://127.0.0.1:9", PATH), &server(), &ok).is_err());
        assert!(check_resource(&prm("http://127.0.0.1:9/mcp/", PATH), &server(), &ok).is_err());
        let skip = with(&[Break::SkipPrmResourceCheck]);
        assert!(check_resource(&prm("https://evil.example/mcp", PATH), &server(), &skip).is_ok());
    }

    #[test]
    fn documents_need_resource_and_servers() {
        assert!(parse(&json!({"authorization_servers": ["x"]}), PATH).is_err());
        assert!(parse(&json!({"resource": "x", "authorization_servers": []}), PATH).is_err());
        let p = parse(
            &json!({"resource": "r", "authorization_servers": ["a"], "scopes_supported": ["s1", "s2"]}),
            PATH,
        )
        .unwrap();
        assert_eq!(p.scopes_supported, ["s1", "s2"]);
    }
}
