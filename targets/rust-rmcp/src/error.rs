//! Everything that ends a run early, each naming what went wrong. The SDK's own errors are kept
//! as they are (their messages are what the suite's report shows as the client's reason).

use std::time::Duration;

use rmcp::service::{ClientInitializeError, ServiceError};
use rmcp::transport::auth::AuthError;

#[derive(Debug, thiserror::Error)]
pub enum AdapterError {
    #[error("usage: authlab-rmcp-client [...] <mcp-server-url>")]
    Usage,
    #[error("the server URL `{url}` is not a URL: {source}")]
    ServerUrl {
        url: String,
        source: url::ParseError,
    },
    #[error("MCP_CONFORMANCE_CONTEXT is not a JSON object: {0}")]
    Context(String),
    #[error("MCP_CONFORMANCE_CONTEXT lacks `{0}`")]
    ContextField(&'static str),
    #[error("signing_algorithm `{0}` is not one rmcp's private_key_jwt supports")]
    SigningAlgorithm(String),
    #[error("could not start the async runtime: {0}")]
    Runtime(std::io::Error),
    #[error("could not build an HTTP client: {0}")]
    HttpClient(reqwest::Error),
    #[error("the adapter's deadline ({}s) passed before the flow ended", .0.as_secs())]
    Deadline(Duration),
    #[error("{what} did not finish within {}s", .limit.as_secs())]
    StepTimeout { what: String, limit: Duration },
    /// The headless browser: the authorization endpoint did not redirect back with a code.
    #[error("authorization request {url}: {problem}")]
    Browser { url: String, problem: String },
    #[error("rmcp OAuth: {context}: {source}")]
    Auth {
        context: &'static str,
        source: Box<AuthError>,
    },
    #[error("rmcp OAuth: {0}")]
    NoAuthorizationManager(&'static str),
    #[error("rmcp connect: {0}")]
    Initialize(Box<ClientInitializeError>),
    #[error("rmcp {what}: {source}")]
    Service {
        what: &'static str,
        source: Box<ServiceError>,
    },
    #[error("{what} was refused again after authorizing: {challenge}")]
    StillUnauthorized {
        what: &'static str,
        challenge: String,
    },
    #[error("`{tool}` returned an error result: {result}")]
    ToolError { tool: &'static str, result: String },
}

impl AdapterError {
    pub fn auth(context: &'static str) -> impl FnOnce(AuthError) -> AdapterError {
        move |source| AdapterError::Auth {
            context,
            source: Box::new(source),
        }
    }
}
