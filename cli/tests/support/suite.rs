//! Starting a suite of `mcp-authlab` (`client`, `server`) as the real-SDK tests run it.

use std::ffi::OsStr;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use mcp_authlab_harness::process::ProcessGroup;

use super::{clear_env, BIN};

/// Where a suite run writes: its stderr log and its reports, in a temp dir that lives as long as
/// this value.
pub struct SuiteFiles {
    _dir: tempfile::TempDir,
    pub stderr: PathBuf,
    /// The JSON report (`--report json=`).
    pub report: PathBuf,
    /// The snapshot report (`--report snapshot=`), for `matrix_support`.
    pub snapshot: PathBuf,
}

/// Starts `mcp-authlab SUBCOMMAND ARGS --jobs 2 --report json=… --report snapshot=…` in `dir`, in
/// its own process group: stdin closed, stderr to a log, `NO_COLOR=1`, the variables of `cleared`
/// removed from its environment and `env` added.
pub fn start_suite<S: AsRef<OsStr>>(
    subcommand: &str,
    args: &[S],
    cleared: &[&[&str]],
    env: &[(&str, &str)],
    dir: &Path,
) -> (ProcessGroup, SuiteFiles) {
    let temp = tempfile::tempdir().expect("temp dir");
    let files = SuiteFiles {
        stderr: temp.path().join("suite.stderr"),
        report: temp.path().join("report.json"),
        snapshot: temp.path().join("snapshot.json"),
        _dir: temp,
    };
    let log = File::create(&files.stderr).expect("create the suite's stderr log");
    let mut command = Command::new(BIN);
    command
        .arg(subcommand)
        .args(args)
        .args(["--jobs", "2"])
        .arg("--report")
        .arg(format!("json={}", files.report.display()))
        .arg("--report")
        .arg(format!("snapshot={}", files.snapshot.display()))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stderr(Stdio::from(log));
    clear_env(&mut command, cleared);
    command.envs(env.iter().copied());
    let suite = ProcessGroup::spawn(&mut command)
        .unwrap_or_else(|e| panic!("start `mcp-authlab {subcommand}`: {e:?}"));
    (suite, files)
}
