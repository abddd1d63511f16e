//! `mcp-authlab browse URL` (hidden): the headless user agent the client suite gives clients as
//! `BROWSER`. Opens the URL, follows its redirects on loopback hosts only, and exits 0 once the
//! redirect target (the client's redirect URI) has answered. With `MCP_AUTHLAB_BROWSER_LOG` set
//! (the client suite sets it), each redirect target reached is recorded in that file.

use std::process::ExitCode;

use clap::Args;
use mcp_authlab_suites::client::browser;

#[derive(Args)]
pub struct BrowseArgs {
    /// The URL to open (an authorization URL).
    url: String,
}

pub fn run(args: BrowseArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("mcp-authlab browse: could not start the runtime: {e}");
            return ExitCode::from(crate::exit::HARNESS);
        }
    };
    let log = std::env::var_os(browser::DELIVERY_LOG_ENV)
        .filter(|path| !path.is_empty())
        .map(std::path::PathBuf::from);
    match runtime.block_on(browser::browse_logged(&args.url, log.as_deref())) {
        Ok(outcome) if outcome.reached_redirect_target() => ExitCode::SUCCESS,
        Ok(outcome) => {
            eprintln!(
                "mcp-authlab browse: {} answered {} without redirecting (nothing for a headless \
                 browser to do)",
                outcome.visited[0], outcome.status
            );
            ExitCode::from(crate::exit::FAILURES)
        }
        Err(e @ browser::BrowseError::DeliveryLog { .. }) => {
            eprintln!("mcp-authlab browse: {e}");
            ExitCode::from(crate::exit::HARNESS)
        }
        Err(e) => {
            eprintln!("mcp-authlab browse: {e}");
            ExitCode::from(crate::exit::FAILURES)
        }
    }
}
