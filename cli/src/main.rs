//! `mcp-authlab`: the command line. Only this crate sees clap; the libraries take plain options.

mod authserver;
mod browse;
mod client;
mod diff;
mod idp;
mod list;
mod report_args;
mod server;
mod token;
mod variants;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "mcp-authlab",
    version,
    about = "Conformance harness and mock identity provider for MCP authorization"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the mock authorization server and protected MCP server on loopback.
    Idp(idp::IdpArgs),
    /// List the catalogue of deliberately broken or unusual deployments.
    Variants(variants::VariantsArgs),
    /// Run the client suite: drive an MCP client through mock deployments, check by check.
    Client(client::ClientArgs),
    /// Run the server suite: probe an MCP server's authorization with good and bad tokens.
    Server(server::ServerArgs),
    /// Inspect an authorization server the way MCP clients will: a verdict per spec version.
    Authserver(authserver::AuthServerArgs),
    /// List the scenarios of a suite and the checks each one enforces.
    List(list::ListArgs),
    /// What changed in compliance between two runs (JSON reports or snapshots).
    Diff(diff::DiffArgs),
    /// Obtain an access token outside MCP (device flow or client credentials); prints only the token.
    Token(token::TokenArgs),
    /// Headless user agent given to clients as BROWSER: open a URL, follow loopback redirects.
    #[command(hide = true)]
    Browse(browse::BrowseArgs),
}

/// Exit codes shared by every command.
pub mod exit {
    pub const OK: u8 = 0;
    /// Conformance failures (the client suite), or the headless browser did not get through.
    pub const FAILURES: u8 = 1;
    pub const USAGE: u8 = 2;
    pub const HARNESS: u8 = 3;
}

/// Restores the default SIGPIPE action (Rust ignores it), so `mcp-authlab list | head` ends quietly
/// like any Unix tool instead of panicking on a closed stdout.
fn restore_sigpipe() {
    use nix::sys::signal::{signal, SigHandler, Signal};
    // SAFETY: called first thing in `main`, before any other thread exists; SIG_DFL installs no
    // handler code.
    let _ = unsafe { signal(Signal::SIGPIPE, SigHandler::SigDfl) };
}

fn main() -> ExitCode {
    restore_sigpipe();
    let cli = Cli::parse();
    match cli.command {
        Command::Idp(args) => idp::run(args),
        Command::Variants(args) => variants::run(args),
        Command::Client(args) => client::run(args),
        Command::Server(args) => server::run(args),
        Command::Authserver(args) => authserver::run(args),
        Command::List(args) => list::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Token(args) => token::run(args),
        Command::Browse(args) => browse::run(args),
    }
}
