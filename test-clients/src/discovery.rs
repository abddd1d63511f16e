//! From a 401 to a usable authorization server: protected resource metadata, then the authorization
//! server metadata of its first authorization server; or, for a 2025-03-26 server without
//! protected resource metadata, the metadata (or default endpoints) of the MCP origin.

use std::time::Duration;

use crate::as_metadata::{self, AuthServer};
use crate::breaks::{Break, Breaks};
use crate::challenge::BearerChallenge;
use crate::error::{ClientError, Result};
use crate::log;
use crate::prm::{self, Prm, ProtectedResource};
use crate::server_url::ServerUrl;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Discovery {
    /// The resource indicator to send (RFC 8707): the PRM `resource`, or the canonical MCP URL
    /// when there is no PRM.
    pub resource: String,
    /// The PRM `scopes_supported` (empty without a PRM).
    pub scopes_supported: Vec<String>,
    pub server: AuthServer,
}

/// Runs discovery; with `retry-discovery-forever` a failure starts it again after 50 ms, forever.
pub async fn discover(
    http: &reqwest::Client,
    server: &ServerUrl,
    challenge: &BearerChallenge,
    breaks: &Breaks,
) -> Result<Discovery> {
    let mut attempt = 1u64;
    loop {
        match discover_once(http, server, challenge, breaks).await {
            Ok(discovery) => return Ok(discovery),
            Err(e) if breaks.has(Break::RetryDiscoveryForever) => {
                log::step(format!(
                    "BREAK retry-discovery-forever: attempt {attempt} failed ({e}); again in 50 ms"
                ));
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn discover_once(
    http: &reqwest::Client,
    server: &ServerUrl,
    challenge: &BearerChallenge,
    breaks: &Breaks,
) -> Result<Discovery> {
    match prm::discover(http, server, challenge, breaks).await? {
        Prm::Found(resource) => {
            prm::check_resource(&resource, server, breaks)?;
            from_resource(http, &resource, breaks).await
        }
        Prm::NotServed => {
            // MCP 2025-03-26: the authorization base URL is the MCP URL without its path.
            let base = &server.origin;
            log::step(format!(
                "no protected resource metadata: 2025-03-26 discovery on `{base}`"
            ));
            let url = format!("{base}/.well-known/oauth-authorization-server");
            let auth_server = match as_metadata::fetch(http, std::slice::from_ref(&url)).await? {
                Some(_) if breaks.has(Break::IgnoreLegacyMetadataEndpoints) => {
                    log::step(
                        "BREAK ignore-legacy-metadata-endpoints: metadata found, using the \
                         default endpoints anyway",
                    );
                    as_metadata::legacy_defaults(base)
                }
                Some((url, doc)) => as_metadata::from_document(&doc, &url, base, breaks)?,
                None => {
                    log::step(
                        "no metadata either: default endpoints /authorize, /token, /register",
                    );
                    as_metadata::legacy_defaults(base)
                }
            };
            Ok(Discovery {
                resource: server.canonical.clone(),
                scopes_supported: Vec::new(),
                server: auth_server,
            })
        }
    }
}

/// The authorization server metadata of the first authorization server a (checked) protected
/// resource metadata document names.
pub async fn from_resource(
    http: &reqwest::Client,
    resource: &ProtectedResource,
    breaks: &Breaks,
) -> Result<Discovery> {
    let issuer = &resource.authorization_servers[0];
    log::step(format!(
        "protected resource `{}`, authorization server `{issuer}`",
        resource.resource
    ));
    let urls = as_metadata::metadata_urls(issuer, breaks)?;
    let Some((url, doc)) = as_metadata::fetch(http, &urls).await? else {
        return Err(ClientError::Protocol(format!(
            "no authorization server metadata for issuer `{issuer}` at any of {urls:?}"
        )));
    };
    Ok(Discovery {
        resource: resource.resource.clone(),
        scopes_supported: resource.scopes_supported.clone(),
        server: as_metadata::from_document(&doc, &url, issuer, breaks)?,
    })
}
