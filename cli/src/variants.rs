//! `mcp-authlab variants`: the catalogue of deliberately broken deployments.

use std::process::ExitCode;

use clap::Args;
use mcp_authlab_mock_idp::catalogue;

#[derive(Args)]
pub struct VariantsArgs {
    /// Print the catalogue as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(args: VariantsArgs) -> ExitCode {
    let variants = catalogue();
    if args.json {
        match serde_json::to_string_pretty(&variants) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(crate::exit::HARNESS);
            }
        }
        return ExitCode::SUCCESS;
    }
    let width = variants.iter().map(|v| v.name.len()).max().unwrap_or(0);
    for v in variants {
        let kind = match v.kind {
            mcp_authlab_mock_idp::VariantKind::Broken => "broken ",
            mcp_authlab_mock_idp::VariantKind::Unusual => "unusual",
        };
        println!(
            "{:<width$}  {kind}  {}  [{}: {}]",
            v.name, v.description, v.requirement, v.reference
        );
    }
    ExitCode::SUCCESS
}
