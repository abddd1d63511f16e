//! `--report junit=… markdown=… snapshot=… json=…` and `mcp-authlab diff` as a user runs them: the
//! real binary against `authlab-test-client` (breaking one rule), twice, on a few fast scenarios;
//! and the GitHub Action in `ci/github/` (its YAML, and its run step as GitHub would run it).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use quick_junit::{NonSuccessKind, TestCaseStatus};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-authlab");

/// One pass, one warn partly expected, one pass, one not part of the spec version.
const SCENARIOS: [&str; 4] = [
    "auth/metadata-default",
    "auth/state-mismatch",
    "auth/token-endpoint-auth-basic",
    "auth/2025-03-26-oauth-metadata-backcompat",
];

/// `authlab-test-client`, next to `mcp-authlab` in the target directory; built when missing (it is
/// another package of the workspace, which `cargo test -p mcp-authlab` alone does not build).
fn test_client() -> PathBuf {
    let path = PathBuf::from(BIN).with_file_name("authlab-test-client");
    if !path.exists() {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build.args([
            "build",
            "-p",
            "mcp-authlab-test-clients",
            "--bin",
            "authlab-test-client",
        ]);
        if path.parent().is_some_and(|dir| dir.ends_with("release")) {
            build.arg("--release");
        }
        let status = build.status().expect("run cargo build");
        assert!(status.success(), "building authlab-test-client failed");
    }
    path
}

fn text(output: &Output) -> String {
    format!(
        "--- exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

struct Run {
    output: Output,
    json: PathBuf,
    junit: PathBuf,
    markdown: PathBuf,
    snapshot: PathBuf,
}

fn run(dir: &Path, name: &str, client: &str, expected_failures: &Path) -> Run {
    let path = |ext: &str| dir.join(format!("{name}.{ext}"));
    let (json, junit, markdown, snapshot) =
        (path("json"), path("xml"), path("md"), path("snapshot.json"));
    let mut command = Command::new(BIN);
    command
        .args([
            "client",
            "--command",
            client,
            "--spec-version",
            "2025-11-25",
        ])
        .arg("--expected-failures")
        .arg(expected_failures)
        .args(["--jobs", "4"])
        .env("NO_COLOR", "1");
    for scenario in SCENARIOS {
        command.args(["--scenario", scenario]);
    }
    for (format, path) in [
        ("json", &json),
        ("junit", &junit),
        ("markdown", &markdown),
        ("snapshot", &snapshot),
    ] {
        command
            .arg("--report")
            .arg(format!("{format}={}", path.display()));
    }
    Run {
        output: command.output().expect("run mcp-authlab client"),
        json,
        junit,
        markdown,
        snapshot,
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn two_runs_give_identical_snapshots_and_every_format_says_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let client = format!("{} --break no-state", test_client().display());
    let expected_failures = dir.path().join("expected-failures.yml");
    std::fs::write(
        &expected_failures,
        "client:\n  - auth/state-mismatch:state-sent\n  - auth/metadata-default:prm-priority-order\n",
    )
    .unwrap();

    let first = run(dir.path(), "first", &client, &expected_failures);
    let second = run(dir.path(), "second", &client, &expected_failures);
    for run in [&first, &second] {
        // state-mismatch-rejected warns (not expected), an entry is stale: exit 1.
        assert_eq!(run.output.status.code(), Some(1), "{}", text(&run.output));
    }

    // Snapshots: the same bytes, although ports, ids, secrets and durations differ.
    let snapshot = read(&first.snapshot);
    assert_eq!(snapshot, read(&second.snapshot));
    assert_ne!(read(&first.json), read(&second.json));
    assert!(!snapshot.contains("duration"), "{snapshot}");
    assert!(
        snapshot.contains("\"id\": \"state-mismatch-rejected\""),
        "{snapshot}"
    );

    // The JSON report, for the counts the other formats must agree with.
    let report: Value = serde_json::from_str(&read(&first.json)).unwrap();
    let scenarios = report["scenarios"].as_array().unwrap();
    assert_eq!(scenarios.len(), SCENARIOS.len());
    let checks: usize = scenarios
        .iter()
        .map(|s| s["checks"].as_array().unwrap().len())
        .sum();
    let not_run = scenarios
        .iter()
        .filter(|s| s["verdict"] == "skip" && s["checks"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(not_run, 1, "{report}");
    assert_eq!(
        report["summary"]["stale_expected_failures"],
        serde_json::json!(["auth/metadata-default:prm-priority-order"])
    );

    // JUnit: parses, one testcase per check (+ one for the scenario that did not run, + one per
    // stale entry); fails exactly the unexpected warning and the stale entry.
    let junit = quick_junit::Report::deserialize_from_str(&read(&first.junit))
        .expect("the JUnit report parses as JUnit XML");
    let cases: Vec<_> = junit
        .test_suites
        .iter()
        .flat_map(|s| s.test_cases.iter())
        .collect();
    assert_eq!(cases.len(), checks + not_run + 1);
    let failed: Vec<&str> = cases
        .iter()
        .filter(|c| {
            matches!(
                c.status,
                TestCaseStatus::NonSuccess {
                    kind: NonSuccessKind::Failure,
                    ..
                }
            )
        })
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(
        failed,
        [
            "state-mismatch-rejected",
            "auth/metadata-default:prm-priority-order"
        ]
    );
    let state_sent = cases
        .iter()
        .find(|c| c.name.as_str() == "state-sent")
        .unwrap();
    assert!(
        matches!(&state_sent.status, TestCaseStatus::Skipped { message: Some(m), .. }
        if m.as_str().starts_with("expected failure: SHOULD C-STATE-1"))
    );

    // Markdown: the title, the summary table, the failure with what was expected.
    let markdown = read(&first.markdown);
    for part in [
        "## ❌ mcp-authlab client suite: FAILED",
        "| scenarios | ✅ passed | ❌ failed | ⚠️ warned | ⏭️ skipped | 💥 errors | expected failures | stale entries |",
        "| 4 | 2 | 0 | 1 | 1 | 0 | 1 | 1 |",
        "### ⚠️ `auth/state-mismatch` — warn",
        "**`state-mismatch-rejected`** SHOULD `C-STATE-1`",
        "**Expected:** The client sends state and discards an authorization response",
        "- `auth/metadata-default:prm-priority-order`",
    ] {
        assert!(markdown.contains(part), "{part}\n{markdown}");
    }

    // diff: a report and a snapshot of the same compliance are the same; another client is not.
    let diff = |old: &Path, new: &Path| {
        Command::new(BIN)
            .arg("diff")
            .args([old, new])
            .output()
            .expect("run mcp-authlab diff")
    };
    let same = diff(&first.json, &second.snapshot);
    assert_eq!(same.status.code(), Some(0), "{}", text(&same));
    assert_eq!(
        String::from_utf8_lossy(&same.stdout),
        "no change in compliance\n"
    );

    let fixed = run(
        dir.path(),
        "fixed",
        &test_client().display().to_string(),
        &expected_failures,
    );
    let changed = diff(&first.snapshot, &fixed.snapshot);
    assert_eq!(changed.status.code(), Some(1), "{}", text(&changed));
    let stdout = String::from_utf8_lossy(&changed.stdout);
    assert!(
        stdout.starts_with("auth/state-mismatch: warn -> pass\n  state-sent: warn -> pass — "),
        "{}",
        text(&changed)
    );
    assert!(
        stdout.contains("\n  state-mismatch-rejected: warn -> pass — "),
        "{}",
        text(&changed)
    );

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"neither\": true}").unwrap();
    let unusable = diff(&first.json, &broken);
    assert_eq!(unusable.status.code(), Some(2), "{}", text(&unusable));
    let missing = diff(&first.json, &dir.path().join("missing.json"));
    assert_eq!(missing.status.code(), Some(2), "{}", text(&missing));
}

fn ci_file(name: &str) -> (PathBuf, serde_yaml_ng::Value) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../ci/github")
        .join(name);
    let yaml = serde_yaml_ng::from_str(&read(&path))
        .unwrap_or_else(|e| panic!("{} is not YAML: {e}", path.display()));
    (path, yaml)
}

/// The steps of the composite action, by name.
fn action_step<'a>(action: &'a serde_yaml_ng::Value, name: &str) -> &'a serde_yaml_ng::Value {
    action["runs"]["steps"]
        .as_sequence()
        .unwrap()
        .iter()
        .find(|s| s["name"].as_str().is_some_and(|n| n.starts_with(name)))
        .unwrap_or_else(|| panic!("no step `{name}`"))
}

#[test]
fn the_github_action_and_workflow_are_consistent() {
    let (_, action) = ci_file("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let inputs = action["inputs"].as_mapping().unwrap();
    for input in ["suite", "command", "url", "args", "reports-dir"] {
        assert!(inputs.contains_key(input), "input {input}");
    }
    assert!(action["outputs"]["exit-code"]["value"].is_string());
    for step in action["runs"]["steps"].as_sequence().unwrap() {
        assert!(
            step.get("uses").is_some() || step["shell"] == "bash",
            "a composite run step needs a shell: {step:?}"
        );
    }
    let uploaded = action_step(&action, "Upload the reports");
    assert_eq!(uploaded["if"], "always()");

    let (_, workflow) = ci_file("workflow-example.yml");
    let mut uses_of_the_action = 0;
    for (_, job) in workflow["jobs"].as_mapping().unwrap() {
        for step in job["steps"].as_sequence().unwrap() {
            if step["uses"]
                .as_str()
                .is_some_and(|u| u.contains("/mcp-authlab/ci/github@"))
            {
                uses_of_the_action += 1;
                for (key, _) in step["with"].as_mapping().unwrap() {
                    assert!(inputs.contains_key(key), "the action has no input {key:?}");
                }
            }
        }
    }
    assert_eq!(uses_of_the_action, 2);
}

/// Runs a `run:` script of the action with bash, as GitHub would: the step's environment, files
/// for `$GITHUB_OUTPUT` and `$GITHUB_STEP_SUMMARY`, mcp-authlab on the PATH.
fn run_step(script: &str, env: &[(&str, &str)], dir: &Path) -> (Output, String, String) {
    let output_file = dir.join("github-output");
    let summary_file = dir.join("step-summary");
    std::fs::write(&output_file, "").unwrap();
    std::fs::write(&summary_file, "# earlier content\n").unwrap();
    let bin_dir = Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let output = Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("PATH", path)
        .env("GITHUB_OUTPUT", &output_file)
        .env("GITHUB_STEP_SUMMARY", &summary_file)
        .env("NO_COLOR", "1")
        .envs(env.iter().copied())
        .output()
        .expect("run bash");
    (output, read(&output_file), read(&summary_file))
}

#[test]
fn the_action_runs_the_suite_writes_the_reports_and_the_summary_and_fails_after() {
    let (_, action) = ci_file("action.yml");
    let script = action_step(&action, "Run the").get("run").unwrap();
    let script = script.as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let client = format!("{} --break no-state", test_client().display());

    let passing = [
        ("MCP_AUTHLAB_SUITE", "client"),
        ("MCP_AUTHLAB_COMMAND", client.as_str()),
        ("MCP_AUTHLAB_URL", ""),
        (
            "MCP_AUTHLAB_ARGS",
            "--scenario auth/metadata-default --scenario 'auth/token-endpoint-auth-basic'",
        ),
        ("MCP_AUTHLAB_REPORTS", "out/reports"),
    ];
    let (output, github_output, summary) = run_step(script, &passing, dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(github_output, "exit-code=0\n", "{}", text(&output));
    assert!(
        summary.starts_with("# earlier content\n## ✅ mcp-authlab client suite: passed"),
        "{summary}"
    );
    for file in [
        "junit.xml",
        "report.html",
        "summary.md",
        "report.json",
        "snapshot.json",
    ] {
        let path = dir.path().join("out/reports").join(file);
        assert!(read(&path).len() > 100, "{}", path.display());
    }

    // A failing suite: the step itself succeeds (the reports get uploaded), the exit code is
    // passed on, and the last step fails with it.
    let mut failing = passing;
    failing[3] = ("MCP_AUTHLAB_ARGS", "--scenario auth/state-mismatch");
    let (output, github_output, summary) = run_step(script, &failing, dir.path());
    assert!(output.status.success(), "{}", text(&output));
    assert_eq!(github_output, "exit-code=1\n", "{}", text(&output));
    assert!(
        summary.contains("## ❌ mcp-authlab client suite: FAILED"),
        "{summary}"
    );
    let fail = action_step(&action, "Fail when").get("run").unwrap();
    let (output, _, _) = run_step(fail.as_str().unwrap(), &[("CODE", "1")], dir.path());
    assert_eq!(output.status.code(), Some(1), "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("::error::conformance failures"));

    // No command for the client suite: a usage error, said as a GitHub annotation.
    let mut unusable = passing;
    unusable[1] = ("MCP_AUTHLAB_COMMAND", "");
    let (output, github_output, _) = run_step(script, &unusable, dir.path());
    assert_eq!(github_output, "exit-code=2\n", "{}", text(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("::error::the client suite needs"));
}
