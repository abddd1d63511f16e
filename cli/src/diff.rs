//! `mcp-authlab diff OLD NEW`: what changed in compliance between two runs, each given as a JSON
//! report (`--report json=`) or a snapshot (`--report snapshot=`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use mcp_authlab_reports::diff::diff;
use mcp_authlab_reports::snapshot::{self, Snapshot};

use crate::exit;

const AFTER_HELP: &str = "\
Compared: the scenarios (added, removed, verdict changed) and their checks (added, removed,
outcome changed). Not compared: messages, durations, the trace, the tool's version.

Exit status:
  0  no change in compliance
  1  something changed (printed)
  2  usage error: a file cannot be read, or is neither a JSON report nor a snapshot";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct DiffArgs {
    /// The earlier run: a JSON report or a snapshot.
    old: PathBuf,
    /// The later run: a JSON report or a snapshot.
    new: PathBuf,
}

fn load(path: &Path) -> Result<Snapshot, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    snapshot::read(&text).map_err(|e| format!("{}: {e}", path.display()))
}

pub fn run(args: DiffArgs) -> ExitCode {
    let (old, new) = match (load(&args.old), load(&args.new)) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::USAGE);
        }
    };
    if old.suite != new.suite {
        eprintln!(
            "warning: comparing a {} suite run with a {} suite run",
            old.suite, new.suite
        );
    }
    let changes = diff(&old, &new);
    if changes.is_empty() {
        println!("no change in compliance");
        ExitCode::from(exit::OK)
    } else {
        print!("{changes}");
        ExitCode::from(exit::FAILURES)
    }
}
