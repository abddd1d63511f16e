//! `mcp-authlab authserver` as a user runs it: the real binary against the mock IdP (started in
//! this process), its verdict block, exit codes and reports.

mod support;

use std::process::{Command, Output};
use std::sync::Arc;

use mcp_authlab_mock_idp::config::ClientConfig;
use mcp_authlab_mock_idp::keys::Keys;
use mcp_authlab_mock_idp::{Config, Deployment, Options, ReadyInfo};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_mcp-authlab");
const SECRET: &str = "cli-readiness-secret-0123456789";

fn authlab(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("MCP_AUTHLAB_AUTHSERVER_CLIENT_SECRET")
        .output()
        .expect("run mcp-authlab")
}

/// Whether the libtest-style line of `scenario` says `ok` (the names are padded to one width).
fn passed(stdout: &str, scenario: &str) -> bool {
    stdout.lines().any(|line| {
        line.strip_prefix("test ")
            .and_then(|rest| rest.strip_prefix(scenario))
            .is_some_and(|rest| rest.starts_with(' ') && rest.trim_start() == "... ok")
    })
}

fn text(output: &Output) -> String {
    format!(
        "--- exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The mock IdP with `variants` and a confidential client, served by `runtime` in the background.
fn mock(runtime: &tokio::runtime::Runtime, variants: &[&str]) -> (Deployment, ReadyInfo) {
    let mut config = Config::default();
    config.clients.push(ClientConfig {
        client_id: "cli-cc".into(),
        client_secret: Some(SECRET.into()),
        redirect_uris: Vec::new(),
        grant_types: vec!["client_credentials".into()],
        token_endpoint_auth_method: Some("client_secret_basic".into()),
        jwks: None,
        scope: None,
        client_name: None,
    });
    let deployment = runtime
        .block_on(Deployment::start(Options {
            variants: variants.iter().map(|v| v.to_string()).collect(),
            config,
            keys: Some(Arc::new(Keys::new())),
            ..Options::default()
        }))
        .expect("the mock starts");
    let ready = deployment.ready().clone();
    (deployment, ready)
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn split_domain_metadata_is_diagnosed_with_the_fix_and_a_verdict_per_version() {
    let runtime = runtime();
    let (deployment, ready) = mock(&runtime, &["split-domain-metadata"]);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = authlab(&[
        "authserver",
        "--issuer",
        &ready.issuer,
        "--metadata-url",
        &ready.authorization_server_metadata_url,
        "--report",
        &format!("json={}", report.display()),
    ]);
    runtime.block_on(deployment.shutdown());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let fix = format!(
        "Fix: the metadata at {} cannot be found from the issuer: host it at {}/.well-known/oauth-authorization-server, or put a reverse proxy there (clients, and this check, do not all follow redirects).",
        ready.authorization_server_metadata_url, ready.issuer
    );
    let verdicts = stdout
        .split("verdict per MCP version:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no verdict block\n{}", text(&out)));
    assert!(
        verdicts.starts_with("MCP 2025-03-26 clients: will work"),
        "{verdicts}"
    );
    for version in ["2025-06-18", "2025-11-25", "2026-07-28"] {
        assert!(
            verdicts.contains(&format!(
                "MCP {version} clients: will NOT work:\n  - no metadata where a client looks"
            )),
            "{version}: {verdicts}"
        );
    }
    assert_eq!(verdicts.matches(&fix).count(), 3, "{verdicts}");
    assert!(stdout.contains("(split domain)"), "{stdout}");

    let report: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(report["suite"], "authserver");
    assert_eq!(report["target"], ready.issuer.as_str());
    let discovery = report["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "authserver/discovery-2025-06-18")
        .unwrap();
    assert_eq!(discovery["spec_version"], "2025-06-18");
    assert_eq!(discovery["verdict"], "fail");
}

#[test]
fn the_correct_mock_works_for_every_version() {
    let runtime = runtime();
    let (deployment, ready) = mock(&runtime, &[]);
    let out = authlab(&["authserver", "--issuer", &ready.issuer, "--register"]);
    runtime.block_on(deployment.shutdown());
    let stdout = String::from_utf8_lossy(&out.stdout);
    for version in ["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"] {
        assert!(
            stdout.contains(&format!("MCP {version} clients: will work")),
            "{version}\n{}",
            text(&out)
        );
    }
    assert!(passed(&stdout, "authserver/registration"), "{stdout}");
    // Nothing fails, CORS included (the mock's authorization server allows any origin).
    assert!(passed(&stdout, "authserver/cors"), "{stdout}");
    let failed: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("test ") && l.ends_with("FAILED"))
        .collect();
    assert!(failed.is_empty(), "{stdout}");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn client_credentials_never_show_the_secret_or_the_token() {
    let runtime = runtime();
    let (deployment, ready) = mock(&runtime, &["wrong-audience"]);
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("report.json");
    let out = Command::new(BIN)
        .args([
            "authserver",
            "--issuer",
            &ready.issuer,
            "--client-id",
            "cli-cc",
            "--resource",
            &ready.mcp_url,
            "--report",
            &format!("json={}", report.display()),
        ])
        .env("NO_COLOR", "1")
        .env("MCP_AUTHLAB_AUTHSERVER_CLIENT_SECRET", SECRET)
        .output()
        .unwrap();
    runtime.block_on(deployment.shutdown());
    let all = format!(
        "{}{}",
        text(&out),
        std::fs::read_to_string(&report).unwrap()
    );
    assert!(all.contains("cc-token-audience"), "{all}");
    assert!(all.contains("not the resource asked for"), "{all}");
    assert!(!all.contains(SECRET), "the secret leaked:\n{all}");
    assert!(!support::contains_jwt(&all), "a token leaked:\n{all}");
}

#[test]
fn an_issuer_that_is_not_there_or_not_a_url() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = authlab(&[
        "authserver",
        "--issuer",
        &format!("http://127.0.0.1:{port}"),
    ]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing answers at"));
    let out = authlab(&["authserver", "--issuer", "idp.example/no-scheme"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = authlab(&[
        "authserver",
        "--issuer",
        "http://127.0.0.1:1",
        "--client-id",
        "x",
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}

#[test]
fn list_shows_the_authserver_catalogue() {
    let out = authlab(&["list", "--suite", "authserver", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&"authserver/discovery-2025-11-25"), "{ids:?}");
    assert!(
        ids.contains(&"authserver/split-or-custom-metadata"),
        "{ids:?}"
    );
}

/// `--spec-version 2026-07-28` with `--register`: the throw-away client's authorization request
/// comes back from the mock (it approves at once) and its RFC 9207 `iss` is judged; a wrong `iss`
/// (the `iss-trailing-slash` variant: equal only after normalisation) makes the 2026-07-28
/// verdict fail with the fix, while the earlier versions still work.
#[test]
fn at_2026_07_28_the_authorization_response_iss_is_judged() {
    let runtime = runtime();
    let registered_at_2026 = |variants: &[&str]| {
        let (deployment, ready) = mock(&runtime, variants);
        let out = authlab(&[
            "authserver",
            "--issuer",
            &ready.issuer,
            "--register",
            "--spec-version",
            "2026-07-28",
        ]);
        runtime.block_on(deployment.shutdown());
        (out, ready.issuer)
    };
    let (out, _) = registered_at_2026(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        passed(&stdout, "authserver/authorization-response-iss"),
        "{stdout}"
    );
    assert!(
        stdout.contains("MCP 2026-07-28 clients: will work"),
        "{stdout}"
    );

    let (out, issuer) = registered_at_2026(&["iss-trailing-slash"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let verdicts = stdout
        .split("verdict per MCP version:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no verdict block\n{}", text(&out)));
    assert!(
        verdicts.contains("MCP 2025-11-25 clients: will work"),
        "{verdicts}"
    );
    assert!(
        verdicts.contains("MCP 2026-07-28 clients: will NOT work:")
            && verdicts.contains("a trailing slash")
            && verdicts.contains(&format!("Fix: send iss exactly as {issuer}")),
        "{verdicts}"
    );
    assert!(
        !stdout.contains("code="),
        "an authorization code leaked:\n{stdout}"
    );
}

/// CI use: `--expected-failures` (its `authserver:` list) accepts the known failures of an
/// authorization server and reports a fixed one as stale; `--scenario` runs only what is named.
#[test]
fn expected_failures_and_scenario_selection() {
    let runtime = runtime();
    let (deployment, ready) = mock(&runtime, &["pkce-not-advertised"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let file = |name: &str, body: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, body).expect("write the expected-failures file");
        path.display().to_string()
    };
    let known = file(
        "known.yml",
        "authserver:\n  - authserver/discovery-2025-11-25:as-pkce-s256\n  \
         - authserver/discovery-2026-07-28:as-pkce-s256\n",
    );
    let stale = file(
        "stale.yml",
        "authserver:\n  - authserver/discovery-2025-11-25:as-pkce-s256\n  \
         - authserver/discovery-2026-07-28:as-pkce-s256\n  - authserver/jwks\n",
    );
    let issuer = ready.issuer.as_str();
    let without = authlab(&["authserver", "--issuer", issuer]);
    let accepted = authlab(&[
        "authserver",
        "--issuer",
        issuer,
        "--expected-failures",
        &known,
    ]);
    let with_stale = authlab(&[
        "authserver",
        "--issuer",
        issuer,
        "--expected-failures",
        &stale,
    ]);
    let one = authlab(&[
        "authserver",
        "--issuer",
        issuer,
        "--scenario",
        "authserver/jwks",
    ]);
    let unknown = authlab(&[
        "authserver",
        "--issuer",
        issuer,
        "--scenario",
        "authserver/nope",
    ]);
    runtime.block_on(deployment.shutdown());

    assert_eq!(without.status.code(), Some(1), "{}", text(&without));
    assert_eq!(accepted.status.code(), Some(0), "{}", text(&accepted));
    let stdout = String::from_utf8_lossy(&accepted.stdout);
    assert!(
        stdout.contains("Baseline check passed")
            && stdout.contains("~ authserver/discovery-2025-11-25:as-pkce-s256")
            && stdout.contains("[xfail] authserver/discovery-2026-07-28"),
        "{stdout}"
    );
    assert_eq!(with_stale.status.code(), Some(1), "{}", text(&with_stale));
    assert!(
        String::from_utf8_lossy(&with_stale.stdout).contains("✓ authserver/jwks"),
        "{}",
        text(&with_stale)
    );
    assert_eq!(one.status.code(), Some(0), "{}", text(&one));
    let tests: Vec<_> = String::from_utf8_lossy(&one.stdout)
        .lines()
        .filter(|l| l.starts_with("test "))
        .map(str::to_string)
        .collect();
    assert_eq!(tests.len(), 2, "{tests:?}"); // the scenario's line and libtest's `test result`
    assert!(passed(&tests.join("\n"), "authserver/jwks"), "{tests:?}");
    assert_eq!(unknown.status.code(), Some(2), "{}", text(&unknown));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("authserver/nope"),
        "{}",
        text(&unknown)
    );
}

/// The explicit issuer rule of 2026-07-28: an issuer given with a trailing slash the metadata
/// does not have is not identical (no normalisation), and the message says so.
#[test]
fn at_2026_07_28_an_issuer_with_a_trailing_slash_is_not_identical() {
    let runtime = runtime();
    let (deployment, ready) = mock(&runtime, &[]);
    let issuer = format!("{}/", ready.issuer);
    let out = authlab(&["authserver", "--issuer", &issuer]);
    runtime.block_on(deployment.shutdown());
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("[as-issuer-identical] MUST AS-META-04")
            && stdout.contains("they differ by a trailing slash"),
        "{stdout}"
    );
}

#[test]
fn the_leak_check_finds_a_jwt_but_not_eyj_inside_a_modulus() {
    assert!(support::contains_jwt(
        r#"{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"}"#
    ));
    assert!(!support::contains_jwt(
        r#"{"n":"v_PMcb8FKZeyJbwW_jk9qq","e":"AQAB"}"#
    ));
}
