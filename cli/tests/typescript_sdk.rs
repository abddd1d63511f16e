//! The real TypeScript MCP SDK (`@modelcontextprotocol/sdk`, pinned in `targets/typescript/package.json`)
//! as an MCP client against the real `mcp-authlab idp` binary.
//!
//! Needs `node` (>= 18) on PATH and `npm ci --prefix targets/typescript` run once; the test fails (it does
//! not skip) when either is missing. The adapter, `targets/typescript/client.mjs`, prints one JSON line.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

const READY_TIMEOUT: Duration = Duration::from_secs(20);
/// The adapter stops itself after 20 s; this is the backstop.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(40);

/// A child process that is killed and reaped when dropped, whatever the test did.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    workspace_root().join("targets").join("typescript")
}

/// The installed SDK's version; fails with the command to run when it is not installed.
fn installed_sdk_version() -> String {
    let manifest = target_dir().join("node_modules/@modelcontextprotocol/sdk/package.json");
    let text = std::fs::read_to_string(&manifest).unwrap_or_else(|e| {
        panic!(
            "the TypeScript MCP SDK is not installed ({}: {e}): run `npm ci --prefix targets/typescript` \
             (the README's test command does it)",
            manifest.display()
        )
    });
    let manifest: Value = serde_json::from_str(&text).expect("the SDK's package.json is JSON");
    manifest["version"]
        .as_str()
        .unwrap_or("unknown")
        .to_string()
}

/// Collects a child's stderr in the background.
fn collect_stderr(stderr: ChildStderr) -> Arc<Mutex<String>> {
    let buffer = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&buffer);
    thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let mut sink = sink.lock().unwrap();
            sink.push_str(&line);
            sink.push('\n');
        }
    });
    buffer
}

/// A running `mcp-authlab idp`.
struct Idp {
    child: KillOnDrop,
    ready: Value,
    stderr: Arc<Mutex<String>>,
    _trace_dir: tempfile::TempDir,
    trace_file: PathBuf,
}

impl Idp {
    fn start(args: &[&str]) -> Idp {
        let trace_dir = tempfile::tempdir().expect("temp dir");
        let trace_file = trace_dir.path().join("trace.jsonl");
        let mut child = KillOnDrop(
            Command::new(env!("CARGO_BIN_EXE_mcp-authlab"))
                .arg("idp")
                .args(args)
                .arg("--trace")
                .arg(&trace_file)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start `mcp-authlab idp`"),
        );
        let stderr = collect_stderr(child.0.stderr.take().expect("piped stderr"));
        let stdout = child.0.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            // Keep draining so the idp never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(READY_TIMEOUT) {
            Ok(Some(Ok(line))) => line,
            other => panic!(
                "`mcp-authlab idp {}` printed no ready line within {READY_TIMEOUT:?} ({other:?}); stderr:\n{}",
                args.join(" "),
                stderr.lock().unwrap()
            ),
        };
        let ready: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("the ready line is not JSON ({e}): {line}"));
        for field in [
            "mcp_url",
            "issuer",
            "authorization_server_metadata_url",
            "protected_resource_metadata_url",
            "ca_cert",
        ] {
            assert!(
                ready.get(field).is_some(),
                "ready line lacks `{field}`: {line}"
            );
        }
        Idp {
            child,
            ready,
            stderr,
            _trace_dir: trace_dir,
            trace_file,
        }
    }

    fn field(&self, name: &str) -> Option<&str> {
        self.ready[name].as_str()
    }

    /// The readable trace printed on stderr so far.
    fn trace(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The JSON-lines trace; waits briefly for `until` to hold, since the idp writes it asynchronously.
    fn trace_events(&self, until: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(3);
        loop {
            let events: Vec<Value> = std::fs::read_to_string(&self.trace_file)
                .unwrap_or_default()
                .lines()
                .filter_map(|line| serde_json::from_str(line).ok())
                .collect();
            if until(&events) || Instant::now() > deadline {
                return events;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    fn stop(mut self) {
        let _ = self.child.0.kill();
        let status = self.child.0.wait().expect("wait for the idp");
        assert!(
            status.code().is_none() || status.code() == Some(0),
            "the idp exited with {status} before it was stopped; stderr:\n{}",
            self.trace()
        );
    }
}

/// What the adapter did.
struct ClientRun {
    status: Option<ExitStatus>,
    stdout: String,
    stderr: String,
}

impl ClientRun {
    /// The adapter's JSON result line (the last line on stdout).
    fn result(&self) -> Value {
        let line = self.stdout.lines().rev().find(|l| !l.trim().is_empty());
        line.and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_else(|| {
                panic!(
                    "the adapter printed no JSON result (status {:?}); stdout:\n{}\nstderr:\n{}",
                    self.status, self.stdout, self.stderr
                )
            })
    }
}

fn read_all(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        let _ = pipe.read_to_string(&mut text);
        text
    })
}

/// Runs `node targets/typescript/client.mjs <mcp_url>`, killing it after `CLIENT_TIMEOUT`.
fn run_client(idp: &Idp) -> ClientRun {
    let mcp_url = idp.field("mcp_url").expect("ready line has mcp_url");
    let mut command = Command::new("node");
    command
        .arg(target_dir().join("client.mjs"))
        .arg(mcp_url)
        .current_dir(target_dir())
        .env_remove("MCP_CONFORMANCE_SCENARIO")
        .env_remove("MCP_CONFORMANCE_CONTEXT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(ca) = idp.field("ca_cert") {
        command.env("NODE_EXTRA_CA_CERTS", ca);
    }
    let mut child =
        KillOnDrop(command.spawn().unwrap_or_else(|e| {
            panic!("could not run `node` ({e}): Node.js >= 18 must be on PATH")
        }));
    let stdout = read_all(child.0.stdout.take().expect("piped stdout"));
    let stderr = read_all(child.0.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + CLIENT_TIMEOUT;
    let status = loop {
        if let Some(status) = child.0.try_wait().expect("poll node") {
            break Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.0.kill();
            let _ = child.0.wait();
            break None;
        }
        thread::sleep(Duration::from_millis(50));
    };
    ClientRun {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

/// Everything needed to understand a failure: the adapter's output and the idp's trace.
fn report(run: &ClientRun, idp: &Idp) -> String {
    format!(
        "adapter status: {:?}\nadapter stdout:\n{}\nadapter stderr:\n{}\nidp trace (stderr):\n{}",
        run.status,
        run.stdout,
        run.stderr,
        idp.trace()
    )
}

fn assert_full_flow(idp_args: &[&str]) {
    let sdk = installed_sdk_version();
    let idp = Idp::start(idp_args);
    let run = run_client(&idp);
    let result = run.result();
    let context = || format!("SDK {sdk}, idp {idp_args:?}\n{}", report(&run, &idp));
    assert_eq!(
        result["ok"],
        Value::Bool(true),
        "the SDK did not complete the flow: {result}\n{}",
        context()
    );
    assert_eq!(run.status.and_then(|s| s.code()), Some(0), "{}", context());
    let tools = result["tools"].as_array().cloned().unwrap_or_default();
    assert!(
        tools.iter().any(|t| t == "whoami"),
        "`whoami` is not among the listed tools {tools:?}\n{}",
        context()
    );
    assert_eq!(
        result["whoami"]["sub"],
        "test-user",
        "whoami answered {}\n{}",
        result["whoami"],
        context()
    );
    idp.stop();
}

#[test]
fn sdk_completes_the_oauth_flow_against_the_default_deployment() {
    assert_full_flow(&[]);
}

#[test]
fn sdk_completes_the_oauth_flow_over_tls() {
    assert_full_flow(&["--tls"]);
}

/// C-PKCE-3 (MCP 2025-11-25, "Authorization Code Protection"): when the authorization server metadata has
/// no `code_challenge_methods_supported`, the client MUST refuse to proceed.
///
/// FINDING (recorded, not hidden): `@modelcontextprotocol/sdk` 1.32.2 does NOT refuse. Its
/// `startAuthorization` (dist/esm/client/auth.js) only throws when the field is present and lacks `S256`;
/// when the field is absent it sends the authorization request with `code_challenge_method=S256` and
/// finishes the flow. This test asserts that observed behaviour, so it fails the day the SDK starts
/// refusing: then turn the assertions round (`ok: false`, no `/authorize` request) and update
/// targets/typescript/README.md.
#[test]
fn sdk_proceeds_although_pkce_methods_are_not_advertised_violating_c_pkce_3() {
    let sdk = installed_sdk_version();
    let idp = Idp::start(&["--variant", "pkce-not-advertised"]);
    let run = run_client(&idp);
    let result = run.result();
    let context = || format!("SDK {sdk}\n{}", report(&run, &idp));
    let is_authorize = |e: &Value| {
        e["role"] == "authorization_server"
            && e["path"]
                .as_str()
                .is_some_and(|p| p.starts_with("/authorize?"))
    };
    let events = idp.trace_events(|events| events.iter().any(is_authorize));
    let authorize = events.iter().find(|e| is_authorize(e)).unwrap_or_else(|| {
        panic!(
            "the SDK sent no authorization request: it now refuses as C-PKCE-3 requires; \
             update this test and targets/typescript/README.md\n{}",
            context()
        )
    });
    let path = authorize["path"].as_str().unwrap_or_default();
    assert!(
        path.contains("code_challenge_method=S256"),
        "the SDK's authorization request did not use S256: {path}\n{}",
        context()
    );
    assert_eq!(
        result["ok"],
        Value::Bool(true),
        "the SDK did not complete the flow ({}); if it refused because no PKCE method is advertised, \
         it now follows C-PKCE-3: update this test and targets/typescript/README.md\n{}",
        result["error"],
        context()
    );
    assert_eq!(result["whoami"]["sub"], "test-user", "{}", context());
    idp.stop();
}
