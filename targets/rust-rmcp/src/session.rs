//! The MCP session: connect (with the [`Lifecycle`] the runner's revision asks for), `tools/list`,
//! `tools/call` of `test-tool`, close.
//! Each step is retried after the SDK handled a challenge: a 401 runs the authorization once per
//! step (a second 401 ends the run), a 403 `insufficient_scope` the SDK's scope upgrade (the SDK
//! limits those).

use std::future::Future;
use std::time::Duration;

use reqwest::Url;
use rmcp::model::{CallToolRequestParams, CallToolResult, ClientConfig, Implementation};
use rmcp::service::{ClientServiceExt, RoleClient, RunningService, ServiceError};
use rmcp::transport::auth::WWWAuthenticateParams;
use rmcp::transport::streamable_http_client::StreamableHttpClientTransportConfig;
use rmcp::transport::{AuthClient, StreamableHttpClientTransport};
use serde_json::{Value, json};

use crate::error::AdapterError;
use crate::flow::Authorizer;
use crate::protocol::Lifecycle;

const TOOL: &str = "test-tool";
/// One MCP step (not counting an authorization it triggers).
const STEP_TIMEOUT: Duration = Duration::from_secs(10);
const CLOSE_TIMEOUT: Duration = Duration::from_secs(3);

type Client = AuthClient<reqwest::Client>;

struct Session<'a> {
    client: Client,
    /// `None` for the client_credentials runs: nothing to do on a challenge.
    authorizer: Option<&'a Authorizer<'a>>,
    server_url: &'a Url,
    lifecycle: Lifecycle,
}

pub async fn run(
    client: Client,
    authorizer: Option<&Authorizer<'_>>,
    server_url: &Url,
) -> Result<Value, AdapterError> {
    let session = Session {
        client,
        authorizer,
        server_url,
        lifecycle: Lifecycle::from_env(),
    };
    let service = session.connect().await?;
    tracing::info!("connected ({})", session.lifecycle);
    let tools = session
        .step("tools/list", || service.list_tools(None))
        .await?;
    let names: Vec<String> = tools.tools.iter().map(|t| t.name.to_string()).collect();
    tracing::info!("tools: {}", names.join(", "));
    let result = session
        .step("tools/call", || {
            service.call_tool(CallToolRequestParams::new(TOOL).with_arguments(Default::default()))
        })
        .await?;
    tracing::info!("{TOOL} called");
    let _ = tokio::time::timeout(CLOSE_TIMEOUT, service.cancel()).await;
    let output = tool_output(&result);
    if result.is_error == Some(true) {
        return Err(AdapterError::ToolError {
            tool: TOOL,
            result: output.to_string(),
        });
    }
    Ok(json!({ "tools": names, "test_tool": output }))
}

impl Session<'_> {
    async fn connect(&self) -> Result<RunningService<RoleClient, ClientConfig>, AdapterError> {
        let mut authorized = false;
        loop {
            let transport = StreamableHttpClientTransport::with_client(
                self.client.clone(),
                StreamableHttpClientTransportConfig::with_uri(self.server_url.as_str()),
            );
            let connecting = self
                .client_config()
                .serve_with_lifecycle(transport, self.lifecycle.mode());
            let error = match limited("connect", connecting).await? {
                Ok(service) => return Ok(service),
                Err(error) => error,
            };
            let Some(challenge) = error.auth_challenge().map(str::to_owned) else {
                return Err(AdapterError::Initialize(Box::new(error)));
            };
            self.answer(&challenge, "connect", &mut authorized).await?;
        }
    }

    fn client_config(&self) -> ClientConfig {
        let config = ClientConfig::new(
            Default::default(),
            Implementation::new("authlab-rmcp-client", env!("CARGO_PKG_VERSION")),
        );
        match self.lifecycle.offered() {
            Some(version) => config.with_protocol_version(version.clone()),
            None => config,
        }
    }

    /// `op` until it succeeds, answering the challenges it meets.
    async fn step<T, F, Fut>(&self, what: &'static str, mut op: F) -> Result<T, AdapterError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, ServiceError>>,
    {
        let mut authorized = false;
        loop {
            let error = match limited(what, op()).await? {
                Ok(value) => return Ok(value),
                Err(error) => error,
            };
            let Some(challenge) = error.auth_challenge().map(str::to_owned) else {
                return Err(AdapterError::Service {
                    what,
                    source: Box::new(error),
                });
            };
            self.answer(&challenge, what, &mut authorized).await?;
        }
    }

    async fn answer(
        &self,
        challenge: &str,
        what: &'static str,
        authorized: &mut bool,
    ) -> Result<(), AdapterError> {
        tracing::info!("{what}: challenged with `{challenge}`");
        let refused = || AdapterError::StillUnauthorized {
            what,
            challenge: challenge.to_string(),
        };
        let Some(authorizer) = self.authorizer else {
            return Err(refused());
        };
        let params = WWWAuthenticateParams::parse(challenge, self.server_url);
        if params.is_insufficient_scope() {
            let manager = self.client.auth_manager.lock().await;
            return authorizer
                .upgrade_scope(&manager, params.scope.as_deref().unwrap_or_default())
                .await;
        }
        if std::mem::replace(authorized, true) {
            return Err(refused());
        }
        let manager = authorizer.authorize(challenge).await?;
        *self.client.auth_manager.lock().await = manager;
        Ok(())
    }
}

async fn limited<T>(
    what: &'static str,
    future: impl Future<Output = T>,
) -> Result<T, AdapterError> {
    tokio::time::timeout(STEP_TIMEOUT, future)
        .await
        .map_err(|_| AdapterError::StepTimeout {
            what: what.to_string(),
            limit: STEP_TIMEOUT,
        })
}

/// `structuredContent` when there is one, else the text of the content blocks.
fn tool_output(result: &CallToolResult) -> Value {
    if let Some(structured) = &result.structured_content {
        return structured.clone();
    }
    let blocks = serde_json::to_value(&result.content).unwrap_or(Value::Null);
    let texts: Vec<&str> = blocks
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect();
    json!({ "text": texts.join("\n") })
}
