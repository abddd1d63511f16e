//! `mcp-authlab token`: obtains an access token outside MCP (device flow or client credentials)
//! and prints only the token on stdout, so `MCP_AUTHLAB_TOKEN=$(mcp-authlab token ...)` works.
//! Everything else goes to stderr.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use mcp_authlab_harness::token::{
    obtain, ClientCredentials, FailureKind, GrantType, Secret, TokenRequest,
};

const AFTER_HELP: &str = "\
Prints only the access token on stdout; the device flow's instructions, warnings and errors go to
stderr. Example:

  export MCP_AUTHLAB_TOKEN=$(mcp-authlab token --issuer https://idp.example.com \\
      --grant device --client-id my-cli --resource https://mcp.example.com/mcp --scope mcp:tools)
  mcp-authlab server --url https://mcp.example.com/mcp

Exit codes:
  0  the token was printed
  1  the authorization server refused, or the flow failed (denied, expired, issuer mismatch,
     no usable metadata) or timed out
  2  usage error
  3  harness failure (the authorization server could not be reached)";

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Grant {
    /// RFC 8628 device authorization grant: a user approves on another device.
    Device,
    /// OAuth 2.1 §4.2 client credentials grant: a confidential client on its own behalf.
    #[value(name = "client_credentials")]
    ClientCredentials,
}

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct TokenArgs {
    /// The authorization server's issuer identifier (its metadata must name exactly this).
    #[arg(long, value_name = "URL")]
    issuer: String,
    /// Which grant to use.
    #[arg(long, value_enum)]
    grant: Grant,
    /// The client id (required; registered for the grant at the authorization server).
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// The client secret: sent with client_secret_basic. Required for client_credentials; with
    /// device, makes the client a confidential one.
    #[arg(
        long,
        value_name = "SECRET",
        env = "MCP_AUTHLAB_TOKEN_CLIENT_SECRET",
        hide_env_values = true
    )]
    client_secret: Option<String>,
    /// Space-separated scopes to ask for (default: the authorization server's choice).
    #[arg(long, value_name = "SCOPES")]
    scope: Option<String>,
    /// The MCP server the token is for (RFC 8707 resource indicator; the token's audience).
    #[arg(long, value_name = "URL")]
    resource: Option<String>,
    /// The metadata document, when it is not at the issuer's well-known locations.
    #[arg(long, value_name = "URL")]
    metadata_url: Option<String>,
    /// Give up after this many seconds (the user's approval included).
    #[arg(long, value_name = "SECS", default_value_t = 300)]
    timeout: u64,
}

pub fn run(args: TokenArgs) -> ExitCode {
    let request = TokenRequest {
        issuer: args.issuer,
        metadata_url: args.metadata_url,
        grant: match args.grant {
            Grant::Device => GrantType::Device,
            Grant::ClientCredentials => GrantType::ClientCredentials,
        },
        client: ClientCredentials {
            id: args.client_id.unwrap_or_default(),
            secret: args.client_secret.map(Secret::new),
        },
        scope: args.scope,
        resource: args.resource,
        timeout: Duration::from_secs(args.timeout),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the runtime: {e}");
            return ExitCode::from(crate::exit::HARNESS);
        }
    };
    let result = runtime.block_on(obtain(&request, &mut |event| {
        eprintln!("mcp-authlab token: {event}")
    }));
    match result {
        Ok(token) => {
            let mut stdout = std::io::stdout().lock();
            match writeln!(stdout, "{}", token.access_token.expose()).and_then(|()| stdout.flush())
            {
                Ok(()) => ExitCode::from(crate::exit::OK),
                Err(e) => {
                    eprintln!("error: could not write the token to stdout: {e}");
                    ExitCode::from(crate::exit::HARNESS)
                }
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(match e.kind() {
                FailureKind::Usage => crate::exit::USAGE,
                FailureKind::Flow => crate::exit::FAILURES,
                FailureKind::Harness => crate::exit::HARNESS,
            })
        }
    }
}
