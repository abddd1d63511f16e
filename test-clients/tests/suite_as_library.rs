//! The client suite as a library in a `harness = false` test, exactly as the README shows it for a
//! Rust project's own client: every scenario is a libtest trial (filter, `--list`, `--ignored` and
//! `--test-threads` work as usual), and the correct test client passes them all.

use mcp_authlab_suites::client::command::ClientCommand;
use mcp_authlab_suites::client::run::{ClientTarget, RunOptions};
use mcp_authlab_suites::client::trials::trials;

fn main() {
    let client = ClientCommand::parse(env!("CARGO_BIN_EXE_authlab-test-client"))
        .expect("the test client's path is one word");
    let trials = trials(ClientTarget::new(client), RunOptions::default());
    libtest_mimic::run(&libtest_mimic::Arguments::from_args(), trials).exit();
}
