//! The `idp` command as a user runs it: a real process, real sockets.

use std::process::Command;
use std::time::Duration;

use mcp_authlab_harness::process::ProcessGroup;
use serde_json::Value;

const READY_TIMEOUT: Duration = Duration::from_secs(20);

fn idp(args: &[&str]) -> (ProcessGroup, Value) {
    let mut process = ProcessGroup::spawn(
        Command::new(env!("CARGO_BIN_EXE_mcp-authlab"))
            .arg("idp")
            .args(args),
    )
    .expect("spawn mcp-authlab idp");
    let line = process.next_line(READY_TIMEOUT).expect("ready line");
    let ready: Value = serde_json::from_str(&line).expect("ready line is JSON");
    (process, ready)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

#[tokio::test]
async fn ready_line_names_the_deployment_and_sigterm_stops_it() {
    let (mut process, ready) = idp(&["--quiet"]);
    for field in [
        "mcp_url",
        "issuer",
        "authorization_server_metadata_url",
        "protected_resource_metadata_url",
    ] {
        let url = ready[field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} missing: {ready}"));
        assert!(url.starts_with("http://127.0.0.1:"), "{field} = {url}");
    }
    assert!(ready["ca_cert"].is_null());

    let http = client();
    let metadata: Value = http
        .get(ready["authorization_server_metadata_url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["issuer"], ready["issuer"]);
    let prm = http
        .get(ready["protected_resource_metadata_url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(prm.status(), 200);

    let status = process.terminate(Duration::from_secs(5)).unwrap();
    assert!(status.success(), "idp exited with {status:?} on SIGTERM");
}

#[tokio::test]
async fn tls_serves_https_with_a_ca_the_client_can_trust() {
    let (mut process, ready) = idp(&["--tls", "--quiet"]);
    let ca_path = ready["ca_cert"].as_str().expect("ca_cert path");
    let ca = std::fs::read(ca_path).expect("CA file written");
    let url = ready["authorization_server_metadata_url"].as_str().unwrap();
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");

    let trusting = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .tls_certs_only([reqwest::Certificate::from_pem(&ca).unwrap()])
        .build()
        .unwrap();
    let metadata: Value = trusting
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(metadata["issuer"].as_str().unwrap().starts_with("https://"));

    // Without the CA the handshake must fail: the certificate is really ours, not a public one.
    assert!(client().get(url).send().await.is_err());

    assert!(process.terminate(Duration::from_secs(5)).unwrap().success());
    assert!(
        !std::path::Path::new(ca_path).exists(),
        "the temporary CA file is removed at shutdown"
    );
}

#[tokio::test]
async fn variants_and_trace_file() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("trace.jsonl");
    let (mut process, ready) = idp(&[
        "--quiet",
        "--variant",
        "custom-metadata-path",
        "--trace",
        trace.to_str().unwrap(),
    ]);
    let served = ready["authorization_server_metadata_url"].as_str().unwrap();
    assert!(served.ends_with("/custom/oauth-metadata.json"), "{served}");
    let issuer = ready["issuer"].as_str().unwrap();
    let http = client();
    let well_known = format!("{issuer}/.well-known/oauth-authorization-server");
    assert_eq!(http.get(&well_known).send().await.unwrap().status(), 404);
    assert_eq!(http.get(served).send().await.unwrap().status(), 200);
    let unauthorized = http
        .post(ready["mcp_url"].as_str().unwrap())
        .bearer_auth("secret-token-value")
        .json(&serde_json::json!({"jsonrpc":"2.0","id":1,"method":"ping"}))
        .send()
        .await
        .unwrap();
    assert_eq!(unauthorized.status(), 401);

    assert!(process.terminate(Duration::from_secs(5)).unwrap().success());
    let text = std::fs::read_to_string(&trace).unwrap();
    assert!(text.ends_with('\n'), "every trace line is complete: {text}");
    let events: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(events.len(), 3, "{text}");
    assert_eq!(events[0]["status"], 404);
    assert_eq!(events[2]["role"], "mcp_server");
    assert!(
        !text.contains("secret-token-value"),
        "token leaked into the trace"
    );
    assert!(events[2]["request_headers"]["authorization"]
        .as_str()
        .unwrap()
        .starts_with("Bearer ‹redacted:"));
}

#[test]
fn unknown_variant_is_a_usage_error() {
    let output = Command::new(env!("CARGO_BIN_EXE_mcp-authlab"))
        .args(["idp", "--variant", "no-such-variant"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("unknown variant `no-such-variant`"),
        "{stderr}"
    );
    assert!(output.stdout.is_empty(), "no ready line on failure");
}

#[test]
fn variants_command_lists_the_catalogue_as_json() {
    let output = Command::new(env!("CARGO_BIN_EXE_mcp-authlab"))
        .args(["variants", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let list: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    assert!(list.len() >= 23);
    let split = list
        .iter()
        .find(|v| v["name"] == "split-domain-metadata")
        .unwrap();
    assert_eq!(split["requirement"], "AS-META-1");
    assert_eq!(split["kind"], "broken");
}
