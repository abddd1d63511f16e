//! `mcp-authlab`: the command line. Only this crate sees clap; the libraries take plain options.

mod idp;
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
}

/// Exit codes shared by every command.
pub mod exit {
    pub const OK: u8 = 0;
    pub const USAGE: u8 = 2;
    pub const HARNESS: u8 = 3;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Idp(args) => idp::run(args),
        Command::Variants(args) => variants::run(args),
    }
}
