//! `mcp-authlab token` as a user runs it: against `mcp-authlab idp` in its own process, and its
//! token fed to `mcp-authlab server` through MCP_AUTHLAB_TOKEN.

use std::process::{Command, Output};
use std::time::Duration;

use mcp_authlab_harness::process::ProcessGroup;
use mcp_authlab_harness::token::unverified_claims;
use serde_json::Value;

const READY_TIMEOUT: Duration = Duration::from_secs(20);

const CONFIG: &str = r#"
[[clients]]
client_id = "device-cli"
grant_types = ["urn:ietf:params:oauth:grant-type:device_code"]
token_endpoint_auth_method = "none"

[[clients]]
client_id = "service"
client_secret = "service-S3cret"
grant_types = ["client_credentials"]
"#;

/// A running `mcp-authlab idp` with the two clients; killed with its process group on drop.
struct Idp {
    process: ProcessGroup,
    ready: Value,
    _dir: tempfile::TempDir,
}

impl Idp {
    fn start(variants: &[&str]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("idp.toml");
        std::fs::write(&config, CONFIG).unwrap();
        let mut command = Command::new(env!("CARGO_BIN_EXE_mcp-authlab"));
        command.args(["idp", "--quiet", "--config", config.to_str().unwrap()]);
        for variant in variants {
            command.args(["--variant", variant]);
        }
        let mut process = ProcessGroup::spawn(&mut command).expect("spawn mcp-authlab idp");
        let line = process.next_line(READY_TIMEOUT).expect("ready line");
        let ready = serde_json::from_str(&line).expect("ready line is JSON");
        Self {
            process,
            ready,
            _dir: dir,
        }
    }

    fn url(&self, field: &str) -> &str {
        self.ready[field].as_str().unwrap()
    }

    fn stop(mut self) {
        let status = self.process.terminate(Duration::from_secs(5)).unwrap();
        assert!(status.success(), "idp exited with {status:?}");
    }
}

fn token(idp: &Idp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mcp-authlab"))
        .args(["token", "--issuer", idp.url("issuer"), "--timeout", "30"])
        .args(args)
        .env_remove("MCP_AUTHLAB_TOKEN_CLIENT_SECRET")
        .output()
        .expect("run mcp-authlab token")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// The token on stdout, checked to be the only thing there.
fn printed_token(output: &Output) -> String {
    let stdout = text(&output.stdout);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let token = stdout
        .strip_suffix('\n')
        .unwrap_or_else(|| panic!("one line on stdout: {stdout:?}"));
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "only the token on stdout: {stdout:?}"
    );
    token.to_string()
}

const DEVICE: &[&str] = &["--grant", "device", "--client-id", "device-cli"];
const SERVICE: &[&str] = &[
    "--grant",
    "client_credentials",
    "--client-id",
    "service",
    "--client-secret",
    "service-S3cret",
];

#[test]
fn both_grants_print_only_a_token_for_the_resource() {
    let idp = Idp::start(&[]);
    let resource = idp.url("mcp_url").to_string();
    for grant in [DEVICE, SERVICE] {
        let mut args = grant.to_vec();
        args.extend(["--resource", &resource, "--scope", "mcp:tools"]);
        let output = token(&idp, &args);
        let token = printed_token(&output);
        let claims = unverified_claims(&token).unwrap_or_else(|| panic!("a JWT: {token}"));
        assert_eq!(claims["aud"], resource.as_str(), "{claims:?}");
        assert_eq!(claims["iss"], idp.url("issuer"), "{claims:?}");
        assert_eq!(claims["scope"], "mcp:tools", "{claims:?}");
        let stderr = text(&output.stderr);
        assert!(stderr.contains("token issued (type Bearer"), "{stderr}");
        assert!(
            !stderr.contains(&token),
            "the token only on stdout: {stderr}"
        );
        if grant == DEVICE {
            assert!(
                stderr.contains(&format!("Open {}/device?user_code=", idp.url("issuer"))),
                "{stderr}"
            );
        }
    }
    idp.stop();
}

#[test]
fn refusals_and_usage_errors_have_their_exit_codes() {
    let idp = Idp::start(&[]);
    let mut wrong = SERVICE.to_vec();
    *wrong.last_mut().unwrap() = "not-the-secret";
    let output = token(&idp, &wrong);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(stderr.contains("error `invalid_client`"), "{stderr}");
    assert!(stderr.contains("HTTP 401"), "{stderr}");

    // client_credentials without a secret, and a public client not registered for it.
    let output = token(&idp, &SERVICE[..4]);
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    let output = token(
        &idp,
        &[
            "--grant",
            "client_credentials",
            "--client-id",
            "device-cli",
            "--client-secret",
            "x",
        ],
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(text(&output.stderr).contains("invalid_client"));
    let output = token(&idp, &["--grant", "password", "--client-id", "x"]);
    assert_eq!(output.status.code(), Some(2));
    idp.stop();
}

#[test]
fn an_issuer_mismatch_is_refused() {
    let idp = Idp::start(&["issuer-mismatch"]);
    let output = token(&idp, DEVICE);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty());
    assert!(stderr.contains("issuer mismatch"), "{stderr}");
    assert!(stderr.contains("RFC 8414 §3.3"), "{stderr}");
    idp.stop();
}

#[test]
fn nothing_listening_is_a_harness_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let issuer = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let output = Command::new(env!("CARGO_BIN_EXE_mcp-authlab"))
        .args(["token", "--issuer", &issuer, "--timeout", "10"])
        .args(DEVICE)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(3), "{}", text(&output.stderr));
}

#[test]
fn the_token_opens_a_black_box_server_run() {
    let idp = Idp::start(&[]);
    let mcp_url = idp.url("mcp_url").to_string();
    let mut args = DEVICE.to_vec();
    args.extend(["--resource", &mcp_url]);
    let token = printed_token(&token(&idp, &args));
    let output = Command::new(env!("CARGO_BIN_EXE_mcp-authlab"))
        .args([
            "server",
            "--url",
            &mcp_url,
            "--scenario",
            "server/valid-token",
        ])
        .env("MCP_AUTHLAB_TOKEN", &token)
        .output()
        .unwrap();
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout: {stdout}\nstderr: {}",
        text(&output.stderr)
    );
    assert!(stdout.contains("server/valid-token ... ok"), "{stdout}");
    assert!(
        !stdout.contains(&token),
        "the report does not show the token"
    );
    idp.stop();
}
