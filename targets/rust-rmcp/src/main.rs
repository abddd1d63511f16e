//! Adapter: the Rust MCP SDK (`rmcp`, crates.io) as an MCP OAuth client, driven headlessly under
//! `mcp-authlab client` (the official conformance client contract).
//!
//! ```text
//! authlab-rmcp-client [...] <mcp-server-url>   the server URL is the LAST argument
//! authlab-rmcp-client --version                prints `rmcp <version>` (the compiled SDK) and exits
//! MCP_CONFORMANCE_SCENARIO   `auth/client-credentials-jwt` / `auth/client-credentials-basic` use the
//!                            client_credentials grant; anything else (or nothing) the authorization
//!                            code grant
//! MCP_CONFORMANCE_CONTEXT    optional JSON: `client_id` (+ `client_secret`) of a pre-registered
//!                            client; `private_key_pem` + `signing_algorithm` for private_key_jwt
//! MCP_CONFORMANCE_PROTOCOL_VERSION   the revision to speak: 2026-07-28 uses `server/discover`, older
//!                            ones `initialize` (see `protocol.rs`)
//! SSL_CERT_FILE              the CA of an https run; rustls reads it itself (rustls-native-certs)
//! ```
//!
//! Flow: connect (`initialize` + `notifications/initialized`, or `server/discover`), `tools/list`,
//! `tools/call` of `test-tool` with `{}`, close. A 401 at any step starts the SDK's authorization
//! (seeded with the challenge), a 403 `insufficient_scope` its scope upgrade; the failed step is
//! then retried. Output: exactly one JSON line on stdout, `{"ok":true,...}` (exit 0) or
//! `{"ok":false,"error":...}` (exit 1); progress and the SDK's own log go to stderr.
//!
//! Only rmcp's public API is used (`transport::auth`: `OAuthState`, `AuthorizationRequest`,
//! `AuthorizationCallback`, `AuthorizationManager`, `AuthClient`, `ClientCredentialsConfig`,
//! `WWWAuthenticateParams`; `StreamableHttpClientTransport`; `ServiceError::auth_challenge`). The
//! adapter's own requests (the headless browser) have a 10 s timeout, the SDK's OAuth requests the
//! 10 s of the reqwest client handed to it, every MCP step a 10 s limit, and the whole run 25 s.

mod browser;
mod client_credentials;
mod context;
mod error;
mod flow;
mod http;
mod logging;
mod protocol;
mod session;

use std::io::Write;
use std::time::Duration;

use rmcp::model::Implementation;
use serde_json::{Map, Value, json};

use crate::context::Context;
use crate::error::AdapterError;

/// The whole run, so the adapter always exits before the runner's 30 s.
const DEADLINE: Duration = Duration::from_secs(25);

/// The compiled rmcp's name and version (`Implementation::from_build_env` is rmcp's own
/// `CARGO_PKG_VERSION`), e.g. `rmcp 3.11.0`.
fn sdk() -> Implementation {
    Implementation::from_build_env()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() == 1 && args[0] == "--version" {
        let sdk = sdk();
        println!("{} {}", sdk.name, sdk.version);
        return;
    }
    logging::init();
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO")
        .ok()
        .filter(|s| !s.is_empty());
    let mut line = Map::new();
    line.insert("sdk".into(), json!(sdk().version));
    if let Some(scenario) = &scenario {
        line.insert("scenario".into(), json!(scenario));
    }
    let (code, outcome) = match run(&args, scenario.as_deref()) {
        Ok(outcome) => {
            line.insert("ok".into(), json!(true));
            (0, outcome)
        }
        Err(error) => {
            tracing::error!("failed: {error}");
            line.insert("ok".into(), json!(false));
            (1, json!({ "error": error.to_string() }))
        }
    };
    if let Value::Object(fields) = outcome {
        line.extend(fields);
    }
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", Value::Object(line));
    let _ = stdout.flush();
    // Exit at once: the SDK's background tasks (transport workers) must not keep the process alive.
    std::process::exit(code);
}

fn run(args: &[String], scenario: Option<&str>) -> Result<Value, AdapterError> {
    let server_url = args.last().ok_or(AdapterError::Usage)?;
    let server_url = reqwest::Url::parse(server_url).map_err(|source| AdapterError::ServerUrl {
        url: server_url.clone(),
        source,
    })?;
    let context = Context::from_env()?;
    let sdk = sdk();
    tracing::info!(
        "{} {}: connecting to {server_url} (scenario {})",
        sdk.name,
        sdk.version,
        scenario.unwrap_or("-")
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(AdapterError::Runtime)?;
    runtime.block_on(async {
        tokio::time::timeout(DEADLINE, flow::run(server_url, scenario, context))
            .await
            .unwrap_or(Err(AdapterError::Deadline(DEADLINE)))
    })
}
