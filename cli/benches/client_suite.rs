//! Regression benchmark of the client suite, end to end through the real binaries: one scenario
//! (`auth/metadata-default`: discovery, registration, authorization code + PKCE, MCP session) run by
//! `mcp-authlab client` on our native test client, and the same scenario with a client that exits at
//! once (`true`), which is the harness's own cost per scenario. Whole-suite figures, and the
//! comparison with the official suite, come from `ci/bench-suite`.
//!
//! Run: `cargo build --release -p mcp-authlab-test-clients && cargo bench -p mcp-authlab --bench client_suite`
//! (the test client is another package's binary, so it must be built first, into the same target dir).

use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use mcp_authlab_harness::process::{ProcessError, ProcessGroup};

const SCENARIO: &str = "auth/metadata-default";
const TIMEOUT: Duration = Duration::from_secs(60);

/// `authlab-test-client`, next to `mcp-authlab` in the target directory.
fn native_client() -> PathBuf {
    let path =
        PathBuf::from(env!("CARGO_BIN_EXE_mcp-authlab")).with_file_name("authlab-test-client");
    assert!(
        path.is_file(),
        "{} is missing: run `cargo build --release -p mcp-authlab-test-clients` first",
        path.display()
    );
    path
}

/// Runs `mcp-authlab client --scenario SCENARIO --command CLIENT` to its end and returns how long it
/// took and how it exited. The end is seen when its stdout closes (no polling), then it is reaped.
fn run_scenario(client: &str) -> (Duration, ExitStatus) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_mcp-authlab"));
    command
        .args(["client", "--scenario", SCENARIO, "--command", client])
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut process = ProcessGroup::spawn(&mut command).expect("spawn mcp-authlab client");
    loop {
        match process.next_line(TIMEOUT) {
            Ok(_) => continue,
            Err(ProcessError::NoReadyLine { .. }) => break, // stdout closed: it has exited
            Err(e) => panic!("mcp-authlab client did not finish: {e}"),
        }
    }
    let status = process
        .wait_timeout(Duration::from_secs(5))
        .expect("wait for mcp-authlab client")
        .expect("mcp-authlab client closed its stdout but did not exit");
    (started.elapsed(), status)
}

fn one_scenario(c: &mut Criterion) {
    let native = native_client();
    let native = native.to_str().expect("UTF-8 path");
    // The benchmark must not get faster by breaking: the correct client passes the scenario, and
    // the do-nothing client fails it (a conformance failure, exit 1; not a usage or harness error).
    let (_, status) = run_scenario(native);
    assert_eq!(
        status.code(),
        Some(0),
        "the native client must pass {SCENARIO}"
    );
    let (_, status) = run_scenario("true");
    assert_eq!(
        status.code(),
        Some(1),
        "a client that does nothing must fail {SCENARIO}"
    );

    let mut group = c.benchmark_group("client_suite");
    group
        .sample_size(10)
        .sampling_mode(SamplingMode::Flat)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5));
    for (name, client) in [("native_client", native), ("true_client", "true")] {
        group.bench_function(format!("metadata-default/{name}"), |b| {
            b.iter_custom(|iters| (0..iters).map(|_| run_scenario(client).0).sum())
        });
    }
    group.finish();
}

criterion_group!(benches, one_scenario);
criterion_main!(benches);
