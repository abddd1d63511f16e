//! A whole run: set up the HTTP client, the transport and the authorizer from the environment,
//! then initialize → notifications/initialized → tools/list → tools/call `test-tool` `{}`.

use serde_json::{json, Value};

use crate::args::Args;
use crate::authorizer::Authorizer;
use crate::browser;
use crate::context::{Context, Grant};
use crate::error::{ClientError, Result};
use crate::log;
use crate::mcp::Transport;
use crate::server_url::ServerUrl;
use crate::session::Session;

/// The protocol version the client asks for, and the ones it can speak.
pub const PROTOCOL_VERSION: &str = "2025-11-25";
pub const SUPPORTED_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26"];
pub const TOOL: &str = "test-tool";

pub async fn run(args: Args) -> Result<()> {
    let server = ServerUrl::parse(&args.mcp_url)?;
    let (grant, context) = Context::from_env()?;
    log::step(format!(
        "MCP server {}, {} grant{}",
        server.canonical,
        match grant {
            Grant::AuthorizationCode => "authorization code",
            Grant::ClientCredentials => "client credentials",
        },
        if args.breaks.names().is_empty() {
            String::new()
        } else {
            format!(", breaking: {}", args.breaks.names().join(", "))
        }
    ));
    // With `ignore-ca-env`, main removed SSL_CERT_FILE before the runtime started.
    let ca_file = std::env::var("SSL_CERT_FILE")
        .ok()
        .filter(|p| !p.is_empty());
    let http = crate::http::client(ca_file.as_deref())?;
    let browser = if args.use_browser {
        let command = browser::command_from(std::env::var("BROWSER").ok().as_deref())?;
        if command.is_none() {
            log::step("--use-browser without BROWSER: headless");
        }
        command
    } else {
        None
    };
    let authorizer = Authorizer::new(
        http.clone(),
        server.clone(),
        args.breaks.clone(),
        context,
        grant,
        browser,
    );
    let transport = Transport::new(http, server.url.clone(), args.breaks.clone());
    let mut session = Session::new(transport, authorizer, args.breaks.clone());

    let init = session
        .request(
            "initialize",
            json!({
                "protocolVersion": PROTOCOL_VERSION,
                "capabilities": {},
                "clientInfo": {"name": "authlab-test-client", "version": env!("CARGO_PKG_VERSION")},
            }),
        )
        .await?;
    let version = init["protocolVersion"].as_str().unwrap_or("");
    if !SUPPORTED_VERSIONS.contains(&version) {
        return Err(ClientError::Protocol(format!(
            "the server chose protocol version `{version}`, which this client does not speak"
        )));
    }
    log::step(format!("initialized, protocol version {version}"));
    session.set_protocol_version(version);
    session.notify("notifications/initialized").await?;

    let tools = session.request("tools/list", json!({})).await?;
    let names: Vec<&str> = tools["tools"]
        .as_array()
        .map(|t| t.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    log::step(format!("tools: {}", names.join(", ")));

    let result = session
        .request("tools/call", json!({"name": TOOL, "arguments": {}}))
        .await?;
    if result.get("isError") == Some(&Value::Bool(true)) {
        log::step(format!(
            "{TOOL} ran and reported a tool error (isError: true)"
        ));
    } else {
        log::step(format!("{TOOL} called"));
    }
    Ok(())
}
