//! The compatibility matrix's client runs: every real MCP SDK client (installed from its registry by
//! `targets/<dir>/install`) through the whole client suite, in parallel, each judged against its
//! `expected-failures.yml` (a new failure and a stale entry both fail) and compared with its
//! committed snapshot `reports/matrix/<implementation>-<version>.client.json` (see `matrix_support`).
//!
//! A target that is not installed is reported as ignored outside CI and fails under `CI`, so CI can
//! never pass without having run it. `cargo test -p mcp-authlab --test matrix -- python` runs the
//! Python entries only; `--test-threads N` sets how many run at once (default 3: the clients mostly
//! wait on the network, so more runs than cores fit).
//!
//! The server entries run in `typescript_sdk_server.rs` and `python_sdk_server.rs` (a few seconds
//! each): they need a token from the example's own authorization server, or a started server.

mod matrix_support;
mod support;

use std::path::Path;

use libtest_mimic::{Arguments, Failed, Trial};

/// One real client of the matrix.
struct ClientTarget {
    /// The implementation's name in the matrix (the snapshot is `<name>-<version>.client.json`).
    name: &'static str,
    /// Its folder under `targets/`.
    dir: &'static str,
    /// The adapter's command, run in the target's folder (no word may need quoting).
    command: &'static [&'static str],
    /// The file that exists once `install` ran (relative to the folder).
    installed: &'static str,
    /// The SDK's exact version, from the target's lock (what `install` puts there).
    version: fn(&Path) -> Result<String, String>,
    /// `scenario:check` ids that must pass, proving the SDK really ran (empty: some scenario passes).
    proof: &'static [&'static str],
}

const TARGETS: &[ClientTarget] = &[
    ClientTarget {
        name: "typescript-sdk",
        dir: "typescript",
        command: &["node", "client.mjs"],
        installed: "node_modules/@modelcontextprotocol/sdk/package.json",
        version: matrix_support::npm_locked_version,
        proof: &[],
    },
    // Before protected resource metadata: no scenario of the current suite passes, but the
    // 2025-03-26 discovery and PKCE exchange does (and `typescript_sdk_1_11.rs` completes a flow).
    ClientTarget {
        name: "typescript-sdk",
        dir: "typescript-1.11",
        command: &["node", "client.mjs"],
        installed: "node_modules/@modelcontextprotocol/sdk/package.json",
        version: matrix_support::npm_locked_version,
        proof: &[
            "auth/2025-03-26-oauth-metadata-backcompat:authorization-server-metadata",
            "auth/2025-03-26-oauth-metadata-backcompat:pkce-code-challenge-sent",
            "auth/2025-03-26-oauth-metadata-backcompat:pkce-verifier-matches-challenge",
        ],
    },
    ClientTarget {
        name: "python-sdk",
        dir: "python",
        command: &[".venv/bin/python", "client.py"],
        installed: ".venv/bin/python",
        version: matrix_support::pip_locked_version,
        proof: &[],
    },
    // Before protected resource metadata, like TypeScript 1.11.
    ClientTarget {
        name: "python-sdk",
        dir: "python-1.9",
        command: &[".venv/bin/python", "client.py"],
        installed: ".venv/bin/python",
        version: matrix_support::pip_locked_version,
        proof: &[
            "auth/2025-03-26-oauth-endpoint-fallback:default-endpoints-after-metadata",
            "auth/2025-03-26-oauth-endpoint-fallback:client-completed-flow",
        ],
    },
    ClientTarget {
        name: "rmcp",
        dir: "rust-rmcp",
        command: &["target/debug/authlab-rmcp-client"],
        installed: "target/debug/authlab-rmcp-client",
        version: matrix_support::cargo_locked_version,
        proof: &[],
    },
];

/// The adapter's command line, relative to the target's folder, where the suite runs (so reports and
/// the committed snapshots name no checkout path).
fn command_line(target: &ClientTarget) -> String {
    target.command.join(" ")
}

fn run(target: &ClientTarget) -> Result<(), Failed> {
    let dir = matrix_support::targets_dir().join(target.dir);
    let version = (target.version)(&dir)?;
    let reports = support::assert_suite_matches_baseline(
        &format!("{} {version}", target.name),
        &command_line(target),
        &dir.join("expected-failures.yml"),
        &dir,
        target.proof,
    );
    matrix_support::assert_matches(
        &format!("{}-{version}.client", target.name),
        &reports.snapshot,
    );
    Ok(())
}

fn main() {
    let mut args = Arguments::from_args();
    args.test_threads.get_or_insert(3);
    let in_ci = std::env::var_os("CI").is_some();
    let trials = TARGETS
        .iter()
        .map(|target| {
            let dir = matrix_support::targets_dir().join(target.dir);
            let installed = dir.join(target.installed).exists();
            let trial = Trial::test(target.dir, move || {
                if !installed {
                    return Err(format!(
                        "targets/{}/install has not run ({} is missing); CI is set, so this is a \
                         failure, not a skip",
                        target.dir, target.installed
                    )
                    .into());
                }
                run(target)
            });
            // Not installed outside CI: ignored, with the reason in the listing.
            trial.with_ignored_flag(!installed && !in_ci)
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}
