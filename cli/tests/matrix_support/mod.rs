//! The compatibility matrix: every real implementation's run through a suite is committed as a
//! snapshot report (`reports/matrix/<implementation>-<version>.<suite>.json`, the file
//! `--report snapshot=PATH` writes), and a test fails when a fresh run no longer matches it.
//!
//! A run matches when its compliance is the committed one: the same scenarios with the same verdicts,
//! the same checks with the same outcomes (what `mcp-authlab diff` compares). Messages may differ:
//! they quote trace positions (`#11 GET /mcp`) and counts that depend on the timing of a real SDK
//! (a concurrent SSE `GET`, a retry), so they are reported, not failed on.
//!
//! To accept a change after reading it, rerun the test with `AUTHLAB_BLESS=1`: the committed
//! snapshot is rewritten (never under `CI`). `mcp-authlab diff reports/matrix/X.json NEW.json`
//! shows the same compliance changes this module prints.
//!
//! [`SNAPSHOTS`] lists every snapshot the matrix tests write, with the version taken from the
//! target's lock file; a file in `reports/matrix/` that no entry names (a target upgraded or
//! removed) fails `matrix_table.rs`, so the README table never shows a stale row.
#![allow(dead_code)] // each test binary uses a part of it

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use mcp_authlab_reports::diff::diff;
use mcp_authlab_reports::snapshot;

/// `reports/matrix/` in this checkout.
pub fn matrix_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .join("reports")
        .join("matrix")
}

/// `targets/` in this checkout.
pub fn targets_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .join("targets")
}

/// One snapshot of the matrix: the target folder whose lock gives the version, how to read it, and
/// the snapshot's name with `{version}` standing for it.
pub struct MatrixSnapshot {
    pub dir: &'static str,
    pub version: fn(&Path) -> Result<String, String>,
    pub name: &'static str,
}

/// Every snapshot the matrix tests write (`matrix.rs`, `typescript_sdk_server.rs`,
/// `python_sdk_server.rs`).
pub const SNAPSHOTS: &[MatrixSnapshot] = &[
    MatrixSnapshot {
        dir: "typescript",
        version: npm_locked_version,
        name: "typescript-sdk-{version}.client",
    },
    MatrixSnapshot {
        dir: "typescript-1.11",
        version: npm_locked_version,
        name: "typescript-sdk-{version}.client",
    },
    MatrixSnapshot {
        dir: "python",
        version: pip_locked_version,
        name: "python-sdk-{version}.client",
    },
    MatrixSnapshot {
        dir: "python-1.9",
        version: pip_locked_version,
        name: "python-sdk-{version}.client",
    },
    MatrixSnapshot {
        dir: "rust-rmcp",
        version: cargo_locked_version,
        name: "rmcp-{version}.client",
    },
    MatrixSnapshot {
        dir: "typescript",
        version: npm_locked_version,
        name: "typescript-sdk-{version}-example-server.server",
    },
    MatrixSnapshot {
        dir: "python",
        version: pip_locked_version,
        name: "python-sdk-{version}.server",
    },
];

/// The names (file stems) of every snapshot the matrix should hold now, from the targets' locks.
pub fn expected_snapshot_names() -> Result<BTreeSet<String>, String> {
    SNAPSHOTS
        .iter()
        .map(|entry| {
            let version = (entry.version)(&targets_dir().join(entry.dir))?;
            Ok(entry.name.replace("{version}", &version))
        })
        .collect()
}

/// The `@modelcontextprotocol/sdk` version in the folder's `package-lock.json` (`install` runs
/// `npm ci`, which installs exactly that).
pub fn npm_locked_version(dir: &Path) -> Result<String, String> {
    let path = dir.join("package-lock.json");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let lock: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    lock["packages"]["node_modules/@modelcontextprotocol/sdk"]["version"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{} locks no @modelcontextprotocol/sdk", path.display()))
}

/// The `mcp==VERSION` pin of the folder's `requirements.txt` (what `install` put in the venv).
pub fn pip_locked_version(dir: &Path) -> Result<String, String> {
    let path = dir.join("requirements.txt");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    text.lines()
        .find_map(|line| line.trim().strip_prefix("mcp=="))
        .map(str::to_string)
        .ok_or_else(|| format!("{} pins no mcp==VERSION", path.display()))
}

/// The `rmcp` version in the folder's `Cargo.lock` (`install` builds with `--locked`).
pub fn cargo_locked_version(dir: &Path) -> Result<String, String> {
    let path = dir.join("Cargo.lock");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "name = \"rmcp\"" {
            if let Some(version) = lines
                .next()
                .and_then(|l| l.trim().strip_prefix("version = \""))
            {
                return Ok(version.trim_end_matches('"').to_string());
            }
        }
    }
    Err(format!("{} locks no rmcp", path.display()))
}

/// Whether the run was asked to rewrite committed snapshots (`AUTHLAB_BLESS=1`, not under `CI`).
pub fn blessing() -> bool {
    std::env::var("AUTHLAB_BLESS").is_ok_and(|v| v == "1") && std::env::var_os("CI").is_none()
}

/// Compares the snapshot a run wrote at `fresh` with the committed `reports/matrix/<name>.json`
/// (`name` is `<implementation>-<version>.<suite>`, e.g. `typescript-sdk-1.32.2.client`), and
/// panics with the compliance changes and the changed lines when compliance differs (see the module
/// docs). With `AUTHLAB_BLESS=1` the committed file is written instead.
pub fn assert_matches(name: &str, fresh: &Path) {
    let fresh_text = std::fs::read_to_string(fresh)
        .unwrap_or_else(|e| panic!("the run wrote no snapshot at {}: {e}", fresh.display()));
    assert_text_matches(name, &fresh_text);
}

/// [`assert_matches`] for a snapshot already read.
pub fn assert_text_matches(name: &str, fresh_text: &str) {
    assert!(
        valid_name(name),
        "matrix name `{name}` is not `<implementation>-<version>.<client|server|authserver>`"
    );
    let expected = expected_snapshot_names().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        expected.contains(name),
        "matrix snapshot `{name}` is not one of matrix_support::SNAPSHOTS at the locked versions \
         ({expected:?}): add its entry there"
    );
    let fresh_snapshot = snapshot::read(fresh_text)
        .unwrap_or_else(|e| panic!("the run's snapshot for {name} is not a snapshot: {e}"));
    let committed_path = matrix_dir().join(format!("{name}.json"));
    if blessing() {
        std::fs::create_dir_all(matrix_dir()).expect("create reports/matrix");
        std::fs::write(&committed_path, fresh_text).expect("write the matrix snapshot");
        return;
    }
    let committed_text = std::fs::read_to_string(&committed_path).unwrap_or_else(|e| {
        panic!(
            "no committed matrix snapshot {} ({e}); run this test with AUTHLAB_BLESS=1, read the \
             file, and commit it",
            committed_path.display()
        )
    });
    if committed_text == fresh_text {
        return;
    }
    let committed = snapshot::read(&committed_text)
        .unwrap_or_else(|e| panic!("{} is not a snapshot: {e}", committed_path.display()));
    let changes = diff(&committed, &fresh_snapshot);
    if changes.is_empty() {
        // Written to the real stderr: libtest captures `eprintln!` of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "NOTE: {name}: compliance matches {}; only messages or requests differ:\n{}",
            committed_path.display(),
            changed_lines(&committed_text, fresh_text)
        );
        return;
    }
    let compliance = changes.to_string();
    panic!(
        "the run no longer matches its matrix snapshot {}\n\n{compliance}\n\nchanged lines \
         (- committed, + this run):\n{}\nIf the change is right, rerun with AUTHLAB_BLESS=1, read \
         the new file and commit it.",
        committed_path.display(),
        changed_lines(&committed_text, fresh_text)
    );
}

fn valid_name(name: &str) -> bool {
    name.rsplit_once('.')
        .is_some_and(|(implementation, suite)| {
            matches!(suite, "client" | "server" | "authserver")
                && implementation.contains('-')
                && implementation
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_'))
        })
}

/// The changed lines with two lines of context, as a unified diff.
fn changed_lines(old: &str, new: &str) -> String {
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(2)
        .to_string()
}
