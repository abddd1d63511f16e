//! `mcp-authlab server` as a user runs it: the real binary against the mock's own protected MCP
//! server (correct and broken), a spawned server command, and servers that are not there.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-authlab");

fn authlab(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("MCP_AUTHLAB_TOKEN")
        .output()
        .expect("run mcp-authlab")
}

fn text(output: &Output) -> String {
    format!(
        "--- exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

fn script(dir: &Path, name: &str, body: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[test]
fn the_reference_server_passes_and_reports_as_the_server_suite() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = authlab(&[
        "server",
        "--mock",
        "--report",
        &format!("json={}", report.display()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("server/wrong-audience-token"), "{stdout}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["suite"], "server");
    assert_eq!(report["summary"]["failed"], 0);
    assert!(
        report["summary"]["passed"].as_u64().unwrap() >= 20,
        "{report}"
    );
    let raw = report.to_string();
    assert!(!support::contains_jwt(&raw), "a token reached the report");
}

#[test]
fn a_broken_server_fails_and_an_expected_failures_file_accepts_it() {
    let out = authlab(&[
        "server",
        "--mock",
        "--variant",
        "server-accepts-any-audience",
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("server/wrong-audience-token") && stdout.contains("FAILED"),
        "{stdout}"
    );
    assert!(stdout.contains("S-TOK-2"), "{stdout}");

    let dir = tempfile::tempdir().unwrap();
    let baseline = dir.path().join("expected.yml");
    std::fs::write(&baseline, "server:\n  - server/wrong-audience-token\n").unwrap();
    let args = [
        "server",
        "--mock",
        "--variant",
        "server-accepts-any-audience",
        "--expected-failures",
        baseline.to_str().unwrap(),
    ];
    let out = authlab(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The same file against the correct server: the entry is stale.
    let out = authlab(&[
        "server",
        "--mock",
        "--expected-failures",
        baseline.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("stale"), "{}", text(&out));
}

/// A server command gets the mock IdP's coordinates and a port, is waited for, probed, and killed
/// with its process group at the end. This one answers every request with a bare 401 and writes
/// its environment and pid to files.
#[test]
fn a_server_command_is_started_with_the_idp_in_its_environment_and_killed() {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("env.json");
    let pid_file = dir.path().join("pid");
    let server = script(
        dir.path(),
        "server.py",
        &format!(
            r#"#!/usr/bin/env python3
import http.server, json, os
json.dump({{k: v for k, v in os.environ.items() if k == "PORT" or k.startswith("MCP_AUTHLAB_")}}, open({env:?}, "w"))
open({pid:?}, "w").write(str(os.getpid()))
class H(http.server.BaseHTTPRequestHandler):
    def answer(self):
        self.send_response(401)
        self.send_header("WWW-Authenticate", "Bearer")
        self.send_header("Content-Length", "0")
        self.end_headers()
    do_GET = do_POST = answer
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
"#,
            env = env_file.display().to_string(),
            pid = pid_file.display().to_string(),
        ),
    );
    let command = format!("python3 {}", server.display());
    let out = authlab(&[
        "server",
        "--command",
        &command,
        "--scenario",
        "server/unauthenticated-request",
        "--scenario",
        "server/valid-token",
    ]);
    // A bare 401 without resource_metadata or scope warns; the valid token is refused: fails.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let env: Value = serde_json::from_str(&std::fs::read_to_string(&env_file).unwrap()).unwrap();
    let port = env["PORT"].as_str().unwrap();
    assert_eq!(
        env["MCP_AUTHLAB_RESOURCE"],
        format!("http://127.0.0.1:{port}/mcp")
    );
    for name in [
        "MCP_AUTHLAB_ISSUER",
        "MCP_AUTHLAB_JWKS_URI",
        "MCP_AUTHLAB_INTROSPECTION_ENDPOINT",
        "MCP_AUTHLAB_CLIENT_ID",
        "MCP_AUTHLAB_CLIENT_SECRET",
        "MCP_AUTHLAB_SCOPES",
    ] {
        let value = env[name].as_str().unwrap_or("");
        assert!(!value.is_empty(), "{name} missing: {env}");
    }
    assert!(env["MCP_AUTHLAB_ISSUER"]
        .as_str()
        .unwrap()
        .starts_with("http://127.0.0.1:"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(&format!("http://127.0.0.1:{port}/mcp")),
        "{stdout}"
    );
    // The server is gone.
    let pid: i32 = std::fs::read_to_string(&pid_file).unwrap().parse().unwrap();
    assert!(
        !Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z ")),
        "the server process {pid} survived the run"
    );
}

#[test]
fn a_server_that_exits_or_is_missing_is_reported_not_judged() {
    let out = authlab(&["server", "--command", "sh -c 'echo bye; exit 3'"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(
        text(&out).contains("exited before answering"),
        "{}",
        text(&out)
    );
    assert!(
        text(&out).contains("bye"),
        "its output is shown: {}",
        text(&out)
    );

    let out = authlab(&["server", "--command", "no-such-server-program-xyz"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));

    let out = authlab(&["server", "--url", "not a url"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));

    let out = authlab(&["server", "--mock", "--scenario", "server/no-such"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn black_box_without_a_token_skips_the_token_scenarios_and_judges_the_rest() {
    // Nothing listens on the port of a listener that was just closed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/mcp");
    let out = authlab(&["server", "--url", &url, "--timeout", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("server/valid-token") && stdout.contains("ignored"),
        "{stdout}"
    );
    assert!(
        stdout.contains("server/unauthenticated-request ... FAILED") || stdout.contains("FAILED"),
        "{stdout}"
    );
}

#[test]
fn list_shows_the_server_catalogue() {
    let out = authlab(&["list", "--suite", "server", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let list: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"server/unauthenticated-request"), "{ids:?}");
    assert!(ids.contains(&"server/no-token-passthrough"), "{ids:?}");
}

/// Two runs against the same server give byte-identical snapshot reports (ports, durations,
/// tokens and random ids normalized), and `mcp-authlab diff` finds no compliance change between
/// them but does between the correct and a broken server.
#[test]
fn snapshots_of_two_runs_are_identical_and_diff_sees_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let snapshot = |name: &str, variants: &[&str]| {
        let path = dir.path().join(name);
        let mut args = vec![
            "server".to_string(),
            "--mock".to_string(),
            "--report".to_string(),
            format!("snapshot={}", path.display()),
        ];
        for v in variants {
            args.push("--variant".into());
            args.push(v.to_string());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        authlab(&args);
        std::fs::read_to_string(&path).unwrap()
    };
    let first = snapshot("a.json", &[]);
    let second = snapshot("b.json", &[]);
    assert_eq!(first, second, "two runs gave different snapshots");
    let broken = snapshot("c.json", &["server-accepts-any-audience"]);
    assert_ne!(first, broken);
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    let c = dir.path().join("c.json");
    let same = authlab(&["diff", a.to_str().unwrap(), b.to_str().unwrap()]);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    let changed = authlab(&["diff", a.to_str().unwrap(), c.to_str().unwrap()]);
    assert_eq!(changed.status.code(), Some(1), "{}", text(&changed));
    assert!(
        text(&changed).contains("server/wrong-audience-token"),
        "{}",
        text(&changed)
    );
}

/// `MCP_AUTHLAB_TOKEN` exported for black-box jobs does not get in the way of the other modes.
#[test]
fn an_exported_token_does_not_break_mock_runs() {
    let out = Command::new(BIN)
        .args(["server", "--mock", "--scenario", "server/valid-token"])
        .env("NO_COLOR", "1")
        .env("MCP_AUTHLAB_TOKEN", "some-token-for-another-job")
        .output()
        .expect("run mcp-authlab");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// `--spec-version 2026-07-28`: the first probe is `server/discover` with per-request `_meta` (no
/// `initialize`), the session scenario does not apply, the correct mock passes, and each mock
/// variant that breaks one rule 2026-07-28 adds fails the check of that rule.
#[test]
fn at_2026_07_28_the_new_server_checks_pass_the_mock_and_fail_their_variants() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = authlab(&[
        "server",
        "--mock",
        "--spec-version",
        "2026-07-28",
        "--report",
        &format!("json={}", report.display()),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("server/session-without-token")
            && stdout.contains("not part of MCP 2026-07-28"),
        "{stdout}"
    );
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["spec_version"], "2026-07-28");
    let scenario = |id: &str| {
        report["scenarios"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let first = &scenario("server/unauthenticated-request")["trace"][0];
    let body = first["request_body"].as_str().unwrap();
    assert!(
        body.contains("\"server/discover\"") && !body.contains("initialize"),
        "{body}"
    );
    assert_eq!(
        first["request_headers"]["mcp-protocol-version"],
        "2026-07-28"
    );
    for (id, check) in [
        ("server/protocol-revisions", "discover-answered"),
        ("server/protocol-revisions", "stateless-request-answered"),
        ("server/insufficient-scope", "scope-challenge-complete"),
        (
            "server/protected-resource-metadata",
            "prm-no-offline-access",
        ),
        (
            "server/authorization-server-metadata",
            "as-issuer-identical",
        ),
    ] {
        let checks = scenario(id)["checks"].clone();
        let c = checks
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["id"] == check)
            .unwrap_or_else(|| panic!("no {id}:{check}"));
        assert_eq!(c["outcome"], "pass", "{id}:{check} {c}");
    }

    for (variant, scenario, requirement) in [
        (
            "server-2026-requires-initialize",
            "server/protocol-revisions",
            "S-VER-1",
        ),
        (
            "server-incomplete-scope-challenge",
            "server/insufficient-scope",
            "S-SCOPE-04",
        ),
        (
            "prm-advertises-offline-access",
            "server/protected-resource-metadata",
            "S-PRM-07",
        ),
        (
            "prm-issuer-trailing-slash",
            "server/authorization-server-metadata",
            "AS-META-04",
        ),
        (
            "server-2026-accepts-any-version",
            "server/protocol-revisions",
            "S-VER-3",
        ),
        (
            "server-2026-mints-sessions",
            "server/protocol-revisions",
            "S-VER-2",
        ),
    ] {
        let out = authlab(&[
            "server",
            "--mock",
            "--spec-version",
            "2026-07-28",
            "--variant",
            variant,
        ]);
        assert_eq!(out.status.code(), Some(1), "{variant}\n{}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains(&format!("test {scenario}")) && stdout.contains(requirement),
            "{variant}\n{stdout}"
        );
        // Under 2025-11-25 the revision's own rules are not judged: only the trailing slash,
        // which RFC 8414 §3.3 already forbids, fails.
        let older = authlab(&[
            "server",
            "--mock",
            "--spec-version",
            "2025-11-25",
            "--variant",
            variant,
        ]);
        let expected = if variant == "prm-issuer-trailing-slash" {
            1
        } else {
            0
        };
        assert_eq!(
            older.status.code(),
            Some(expected),
            "{variant}\n{}",
            text(&older)
        );
    }
}
