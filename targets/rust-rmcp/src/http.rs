//! The reqwest clients of a run (rustls; proxies ignored: the mock deployment is on loopback).

use std::time::Duration;

use reqwest::redirect::Policy;

use crate::error::AdapterError;

/// Per request: the adapter's own requests and, through the client handed to `OAuthState::new`,
/// every OAuth request of the SDK (discovery, registration, token).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

pub struct HttpClients {
    /// Handed to the SDK for its OAuth requests (`OAuthState::new(url, Some(client))`, the SDK's
    /// way to configure them): 10 s per request, redirects not followed (the SDK's own default
    /// client does not follow them on token requests either, and follows discovery redirects
    /// itself).
    pub oauth: reqwest::Client,
    /// Handed to the SDK's streamable HTTP transport (through `AuthClient`). No overall timeout:
    /// it would cut the SSE streams; each MCP step has the adapter's limit instead.
    pub transport: reqwest::Client,
    /// The adapter's headless browser: one GET of the authorization URL, redirects not followed.
    pub browser: reqwest::Client,
}

impl HttpClients {
    pub fn new() -> Result<Self, AdapterError> {
        let base = || {
            reqwest::Client::builder()
                .no_proxy()
                .connect_timeout(CONNECT_TIMEOUT)
        };
        let build =
            |builder: reqwest::ClientBuilder| builder.build().map_err(AdapterError::HttpClient);
        Ok(Self {
            oauth: build(base().timeout(REQUEST_TIMEOUT).redirect(Policy::none()))?,
            transport: build(base())?,
            browser: build(base().timeout(REQUEST_TIMEOUT).redirect(Policy::none()))?,
        })
    }
}
