//! `authlab-test-client`: a correct MCP OAuth 2.1 client (MCP 2025-11-25, with 2025-03-26
//! back-compat, and the authorization rules of 2026-07-28: exact RFC 9207 `iss` validation, the
//! step-up scope union, `application_type`, credentials keyed by issuer, `offline_access` only when
//! listed) following the official conformance contract, that can be told to break one rule at a
//! time with `--break RULE`. A fixture for testing the client suite.
//!
//! Exit codes: 0 the MCP calls succeeded; 1 the run failed (or refused, as it must); 2 usage error.

mod args;
mod as_metadata;
mod authorize;
mod authorizer;
mod breaks;
mod browser;
mod callback;
mod challenge;
mod client_assertion;
mod client_auth;
mod context;
mod discovery;
mod error;
mod flows;
mod http;
mod log;
mod mcp;
mod pkce;
mod prm;
mod registration;
mod server_url;
mod session;
mod token;

use std::process::ExitCode;
use std::time::Duration;

use args::Command;
use breaks::Break;
use error::ClientError;

/// The whole run, discovery to the last MCP call.
const RUN_BUDGET: Duration = Duration::from_secs(60);

fn main() -> ExitCode {
    let args = match args::parse(std::env::args().skip(1)) {
        Ok(Command::Run(args)) => args,
        Ok(Command::ListBreaks) => {
            print!("{}", args::list_breaks());
            return ExitCode::SUCCESS;
        }
        Ok(Command::Help) => {
            println!("{}", args::USAGE);
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("authlab-test-client: {e}\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    if args.breaks.has(Break::IgnoreCaEnv) {
        // The platform verifier would read SSL_CERT_FILE itself; the variable goes before any
        // thread exists, so the client trusts only the platform's roots.
        log::step("BREAK ignore-ca-env: ignoring SSL_CERT_FILE");
        std::env::remove_var("SSL_CERT_FILE");
    }
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("authlab-test-client: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(async {
        tokio::time::timeout(RUN_BUDGET, flows::run(args))
            .await
            .unwrap_or(Err(ClientError::Budget(RUN_BUDGET.as_secs())))
    });
    match outcome {
        Ok(()) => {
            log::step("done");
            ExitCode::SUCCESS
        }
        Err(e) => {
            log::step(format!("FAILED: {e}"));
            ExitCode::FAILURE
        }
    }
}
