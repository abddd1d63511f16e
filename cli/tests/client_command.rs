//! `mcp-authlab client` and `mcp-authlab list` as a user runs them: the real binary, real mock
//! deployments, and small shell-script clients written here.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-authlab");
const SCENARIO: &str = "auth/metadata-default";

fn authlab(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
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
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// A client that exits at once, doing nothing.
fn idle_client(dir: &Path) -> String {
    script(dir, "idle.sh", "exit 0").display().to_string()
}

/// A client that gets the 401 and fetches the protected resource metadata from the path-inserted
/// well-known URL, then gives up: `prm-priority-order` passes, the flow does not complete.
fn partial_client(dir: &Path) -> String {
    script(
        dir,
        "partial.sh",
        r#"url="$1"
origin=$(echo "$url" | sed -E 's#^(https?://[^/]+).*#\1#')
curl -s -o /dev/null -X POST -H 'content-type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}' "$url"
curl -s -o /dev/null "$origin/.well-known/oauth-protected-resource/mcp"
exit 0"#,
    )
    .display()
    .to_string()
}

#[test]
fn list_shows_the_catalogue_with_its_checks() {
    let output = authlab(&["list"]);
    assert!(output.status.success(), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(SCENARIO), "{}", text(&output));
    assert!(
        stdout.contains("client-completed-flow"),
        "{}",
        text(&output)
    );

    let output = authlab(&["list", "--json"]);
    assert!(output.status.success(), "{}", text(&output));
    let list: Value = serde_json::from_slice(&output.stdout).unwrap();
    let default = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == SCENARIO)
        .unwrap();
    assert_eq!(default["official"], true);
    assert!(default["versions"]
        .as_array()
        .unwrap()
        .contains(&"2025-11-25".into()));
    let check = default["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "client-completed-flow")
        .unwrap();
    assert_eq!(check["level"], "MUST");
    assert_eq!(check["requirement"], "C-TOK-1");
    assert!(default.get("timeout_secs").is_none(), "{default}");
    let split = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "auth/split-domain-metadata")
        .unwrap();
    assert_eq!(split["timeout_secs"], 15);
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let client = idle_client(dir.path());
    let bad_yaml = dir.path().join("bad.yml");
    std::fs::write(
        &bad_yaml,
        "client:\n  - auth/metadata-default: prm-priority-order\n",
    )
    .unwrap();
    let bad_yaml = bad_yaml.display().to_string();
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["client", "--command", &client, "--no-such-flag"],
            "--no-such-flag",
        ),
        (vec!["client"], "--command"),
        (
            vec!["client", "--command", &client, "--scenario", "auth/nope"],
            "unknown scenario `auth/nope`",
        ),
        (
            vec!["client", "--command", &client, "--suite", "nope"],
            "nope",
        ),
        (
            vec![
                "client",
                "--command",
                &client,
                "--spec-version",
                "2024-11-05",
            ],
            "unknown spec version",
        ),
        (
            vec!["client", "--command", &client, "--report", "pdf=x.pdf"],
            "supported: json, junit, markdown, html, snapshot",
        ),
        (
            vec!["client", "--command", &client, "--report", "x.json"],
            "FORMAT=PATH",
        ),
        (
            vec!["client", "--command", &client, "--timeout", "0"],
            "--timeout",
        ),
        (
            vec![
                "client",
                "--command",
                &client,
                "--expected-failures",
                &bad_yaml,
            ],
            "Remove the space after the colon",
        ),
        (
            vec![
                "client",
                "--command",
                &client,
                "--expected-failures",
                "/no/such.yml",
            ],
            "could not read",
        ),
        (
            vec!["client", "--command", "sh -c 'exit 0"],
            "unbalanced quote",
        ),
        (vec!["client", "--command", "/no/such/client"], "not found"),
        (
            vec![
                "client",
                "--command",
                &client,
                "--report",
                "json=/no/such/dir/r.json",
            ],
            "cannot write the report",
        ),
    ];
    for (args, expected) in cases {
        let output = authlab(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}\n{}", text(&output));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(expected),
            "{args:?}: expected `{expected}`\n{}",
            text(&output)
        );
    }
}

#[test]
fn a_client_that_does_nothing_fails_the_flow_and_the_report_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let output = authlab(&[
        "client",
        "--command",
        &idle_client(dir.path()),
        "--scenario",
        SCENARIO,
        "--report",
        &format!("json={}", report.display()),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("test {SCENARIO} ... FAILED")),
        "{}",
        text(&output)
    );
    assert!(
        stdout.contains("  [client-completed-flow] MUST C-TOK-1 — "),
        "{}",
        text(&output)
    );

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["tool"]["name"], "mcp-authlab");
    assert_eq!(report["suite"], "client");
    assert!(
        report["target"].as_str().unwrap().ends_with("idle.sh"),
        "{report}"
    );
    assert!(report["spec_version"].is_string());
    assert_eq!(report["summary"]["total"], 1);
    assert_eq!(report["summary"]["failed"], 1);
    let scenario = &report["scenarios"][0];
    assert_eq!(scenario["id"], SCENARIO);
    assert_eq!(scenario["verdict"], "fail");
    assert!(scenario["duration_ms"].is_u64());
    let checks = scenario["checks"].as_array().unwrap();
    for check in checks {
        for field in ["id", "level", "outcome", "requirement", "message"] {
            assert!(check[field].is_string(), "{field} missing in {check}");
        }
    }
    let completed = checks
        .iter()
        .find(|c| c["id"] == "client-completed-flow")
        .unwrap();
    assert_eq!(completed["outcome"], "fail");
}

fn pid_is_gone(pid: &str) -> bool {
    // Gone, or a zombie waiting for init: either way nothing runs any more.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn a_hanging_client_is_killed_with_its_children_at_the_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let client = script(
        dir.path(),
        "hang.sh",
        &format!(
            "echo $$ > {d}/leader\nsleep 300 &\necho $! > {d}/child\nwait",
            d = dir.path().display()
        ),
    );
    let report = dir.path().join("report.json");
    let started = Instant::now();
    let output = authlab(&[
        "client",
        "--command",
        &client.display().to_string(),
        "--scenario",
        SCENARIO,
        "--timeout",
        "1",
        "--report",
        &format!("json={}", report.display()),
    ]);
    let elapsed = started.elapsed();
    // It did nothing, so checks failed: a failure (1), not an error of the harness (3).
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    for name in ["leader", "child"] {
        let pid = std::fs::read_to_string(dir.path().join(name)).unwrap();
        let pid = pid.trim();
        let deadline = Instant::now() + Duration::from_secs(3);
        while !pid_is_gone(pid) {
            assert!(
                Instant::now() < deadline,
                "the client's {name} ({pid}) survived"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let output_lines = report["scenarios"][0]["output"].to_string();
    assert!(
        output_lines.contains("did not finish within 1s"),
        "{report}"
    );
}

#[test]
fn expected_failures_make_the_run_pass_and_stale_entries_fail_it() {
    let dir = tempfile::tempdir().unwrap();
    let client = partial_client(dir.path());
    let run = |yaml: &str| {
        let file = dir.path().join("expected.yml");
        std::fs::write(&file, yaml).unwrap();
        authlab(&[
            "client",
            "--command",
            &client,
            "--scenario",
            SCENARIO,
            "--expected-failures",
            &file.display().to_string(),
        ])
    };

    let output = run(&format!("client:\n  - {SCENARIO}\n"));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!("test [xfail] {SCENARIO}")),
        "{}",
        text(&output)
    );
    assert!(
        stdout.contains(&format!(
            "Expected failures (in baseline):\n  ~ {SCENARIO}\n"
        )),
        "{}",
        text(&output)
    );
    assert!(
        stdout.contains("Baseline check passed"),
        "{}",
        text(&output)
    );

    // The partial client passes `prm-priority-order`: listing it is stale.
    let output = run(&format!(
        "client:\n  - {SCENARIO}:prm-priority-order\n  - {SCENARIO}:client-completed-flow\n  - {SCENARIO}:client-registration-json\n"
    ));
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains(&format!(
            "Stale baseline entries (now passing - remove from baseline):\n  ✓ {SCENARIO}:prm-priority-order\n"
        )),
        "{}",
        text(&output)
    );
    assert!(stdout.contains("Baseline is stale"), "{}", text(&output));

    // Unknown entries are warned about, not fatal.
    let output = run(&format!(
        "client:\n  - {SCENARIO}:client-completed-flow\n  - {SCENARIO}:client-registration-json\n  - auth/not-a-scenario\n"
    ));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("`auth/not-a-scenario` names no known scenario"),
        "{}",
        text(&output)
    );
}

#[test]
fn an_inapplicable_spec_version_skips_and_passes() {
    let dir = tempfile::tempdir().unwrap();
    let output = authlab(&[
        "client",
        "--command",
        &idle_client(dir.path()),
        "--scenario",
        SCENARIO,
        "--spec-version",
        "2025-03-26",
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("ignored (not part of MCP 2025-03-26; the scenario applies to"),
        "{}",
        text(&output)
    );
}

#[test]
fn the_2026_scenarios_apply_only_at_2026_07_28_and_an_idle_client_fails_them() {
    let dir = tempfile::tempdir().unwrap();
    let idle = idle_client(dir.path());
    let new_ones = [
        "auth/iss-supported",
        "auth/iss-not-advertised",
        "auth/iss-unexpected",
        "auth/iss-normalized",
        "auth/authorization-server-migration",
    ];
    let mut args = vec!["client", "--command", &idle, "--spec-version", "2025-11-25"];
    for id in &new_ones {
        args.extend(["--scenario", id]);
    }
    let output = authlab(&args);
    assert_eq!(output.status.code(), Some(0), "{}", text(&output));
    let stdout = String::from_utf8_lossy(&output.stdout);
    for id in new_ones {
        assert!(
            stdout
                .lines()
                .any(|l| l.contains(id) && l.contains("ignored (not part of MCP 2025-11-25")),
            "{id}: {}",
            text(&output)
        );
    }

    let report = dir.path().join("report.json");
    let mut args = vec!["client", "--command", &idle, "--spec-version", "2026-07-28"];
    for id in &new_ones {
        args.extend(["--scenario", id]);
    }
    let json = format!("json={}", report.display());
    args.extend(["--report", &json]);
    let output = authlab(&args);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let scenarios = report["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), new_ones.len());
    for scenario in scenarios {
        assert_eq!(scenario["verdict"], "fail", "{scenario}");
        assert_eq!(scenario["spec_version"], "2026-07-28", "{scenario}");
    }
    let migration = scenarios
        .iter()
        .find(|s| s["id"] == "auth/authorization-server-migration")
        .unwrap();
    let reregister = migration["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "sep-2352-reregister-on-as-change")
        .unwrap();
    assert_eq!(reregister["outcome"], "fail");
    assert_eq!(reregister["requirement"], "C-REG-26-02");
    assert!(
        reregister["message"]
            .as_str()
            .unwrap()
            .contains("never reached the migration"),
        "{reregister}"
    );
}

#[test]
fn the_headless_browser_refuses_other_hosts() {
    let output = authlab(&["browse", "http://example.com/authorize"]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("only talks to loopback hosts"),
        "{}",
        text(&output)
    );
    // Hidden from the help, but there.
    let help = authlab(&["--help"]);
    assert!(!String::from_utf8_lossy(&help.stdout).contains("browse"));
}

#[test]
fn the_help_explains_timeouts_and_exit_statuses() {
    let help = authlab(&["client", "--help"]);
    let stdout = String::from_utf8_lossy(&help.stdout);
    assert!(
        stdout.contains("they keep it unless --timeout is\ngiven and longer"),
        "{}",
        text(&help)
    );
    assert!(stdout.contains("[default: 30]"), "{}", text(&help));
    assert!(stdout.contains("whatever else failed"), "{}", text(&help));
}

/// Registers with a redirect URI on the MCP origin (which answers, with an error status), opens
/// the authorization URL with `$BROWSER`, and prints the browser's delivery log.
fn browsing_client(dir: &Path) -> String {
    script(
        dir,
        "browsing.sh",
        r#"url="$1"
origin=$(echo "$url" | sed -E 's#^(https?://[^/]+).*#\1#')
field() { sed -E "s/.*\"$1\":\"?([^\",]*).*/\1/"; }
as=$(curl -s "$origin/.well-known/oauth-protected-resource/mcp" | sed -E 's/.*"authorization_servers":\["([^"]*)".*/\1/')
meta=$(curl -s "$as/.well-known/oauth-authorization-server")
dcr=$(curl -s -X POST -H 'content-type: application/json' -d "{\"redirect_uris\":[\"$origin/cb\"],\"token_endpoint_auth_method\":\"none\"}" "$(echo "$meta" | field registration_endpoint)")
redirect=$(printf '%s/cb' "$origin" | sed -e 's#:#%3A#g' -e 's#/#%2F#g')
$BROWSER "$(echo "$meta" | field authorization_endpoint)?response_type=code&client_id=$(echo "$dcr" | field client_id)&redirect_uri=$redirect&state=s1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGjSWe7-cM&code_challenge_method=S256"
echo "browse exit $?"
sed 's/^/delivery: /' "$MCP_AUTHLAB_BROWSER_LOG"
exit 0"#,
    )
    .display()
    .to_string()
}

#[test]
fn the_default_browser_records_the_callback_it_delivered() {
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let output = authlab(&[
        "client",
        "--command",
        &browsing_client(dir.path()),
        "--scenario",
        SCENARIO,
        "--report",
        &format!("json={}", report.display()),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let lines: Vec<&str> = report["scenarios"][0]["output"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(lines.contains(&"browse exit 0"), "{lines:#?}");
    let deliveries: Vec<&str> = lines
        .iter()
        .filter_map(|l| l.strip_prefix("delivery: "))
        .collect();
    assert_eq!(deliveries.len(), 1, "{lines:#?}");
    let (status, url) = deliveries[0].split_once(' ').unwrap();
    assert!(status.parse::<u16>().is_ok(), "{lines:#?}");
    assert!(
        url.starts_with("http://127.0.0.1:") && url.contains("/cb?code=‹redacted:"),
        "{lines:#?}"
    );
    assert!(url.contains("&state=s1"), "{lines:#?}");
}
