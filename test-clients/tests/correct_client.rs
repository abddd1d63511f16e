//! The correct `authlab-test-client` against real mock deployments: it completes the flow where a
//! conforming client can, and stops (non-zero exit, no token request) where it must refuse.

use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use mcp_authlab_harness::process::ProcessGroup;
use mcp_authlab_mock_idp::config::ClientConfig;
use mcp_authlab_mock_idp::trace::{Role, TraceEvent};
use mcp_authlab_mock_idp::{Behaviour, Config, Deployment, Options, ReadyInfo};
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_authlab-test-client");
const CLIENT_TIMEOUT: Duration = Duration::from_secs(40);

/// What the client-suite runner applies to every deployment: the official CIMD URL is accepted
/// although nobody serves it.
fn accept_unfetchable_cimd(b: &mut Behaviour) {
    b.cimd_accept_unfetchable = true;
}

struct Run {
    /// `None`: killed at the timeout.
    status: Option<ExitStatus>,
    stderr: String,
    events: Vec<TraceEvent>,
    ready: ReadyInfo,
}

impl Run {
    fn describe(&self) -> String {
        let trace: Vec<String> = self.events.iter().map(TraceEvent::summary).collect();
        format!(
            "exit {:?}\n--- client stderr ---\n{}\n--- trace ---\n{}",
            self.status,
            self.stderr,
            trace.join("\n")
        )
    }

    fn exited_ok(&self) -> bool {
        self.status.is_some_and(|s| s.success())
    }

    fn refused(&self) -> bool {
        self.status.is_some_and(|s| s.code() == Some(1))
    }

    fn path_of(url: &str) -> String {
        url::Url::parse(url).unwrap().path().to_string()
    }

    /// Requests to the authorization server's endpoint with this URL (path compared).
    fn to_endpoint(&self, url: &str) -> Vec<&TraceEvent> {
        let path = Self::path_of(url);
        let origin = url::Url::parse(url).unwrap().origin();
        let role_ok = |e: &TraceEvent| {
            let mcp_origin = url::Url::parse(&self.ready.mcp_url).unwrap().origin();
            // In the 2025-03-26 layout the AS shares the MCP server's origin.
            e.role == Role::AuthorizationServer
                || (origin == mcp_origin && e.role == Role::McpServer)
        };
        self.events
            .iter()
            .filter(|e| role_ok(e) && e.path.split('?').next() == Some(path.as_str()))
            .collect()
    }

    fn token_requests(&self) -> Vec<&TraceEvent> {
        self.to_endpoint(&self.ready.token_endpoint)
    }

    fn authorization_requests(&self) -> Vec<&TraceEvent> {
        self.to_endpoint(&self.ready.authorization_endpoint)
    }

    fn registration_requests(&self) -> Vec<&TraceEvent> {
        match &self.ready.registration_endpoint {
            Some(url) => self.to_endpoint(url),
            None => Vec::new(),
        }
    }

    fn requested(&self, path: &str) -> bool {
        self.events
            .iter()
            .any(|e| e.path.split('?').next() == Some(path))
    }

    /// MCP POSTs with a bearer token that the server accepted.
    fn authorized_mcp_calls(&self) -> Vec<&TraceEvent> {
        self.events
            .iter()
            .filter(|e| {
                e.role == Role::McpServer && e.method == "POST" && e.path.starts_with("/mcp")
            })
            .filter(|e| (200..300).contains(&e.status))
            .filter(|e| {
                e.raw
                    .as_ref()
                    .and_then(|r| r.header("authorization"))
                    .is_some_and(|h| h.starts_with("Bearer "))
            })
            .collect()
    }

    /// The JSON-RPC methods of the accepted, authorized MCP calls.
    fn authorized_methods(&self) -> Vec<String> {
        self.authorized_mcp_calls()
            .iter()
            .filter_map(|e| e.raw.as_ref())
            .filter_map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
            .filter_map(|m| m["method"].as_str().map(String::from))
            .collect()
    }

    fn assert_completed(&self) {
        assert!(
            self.exited_ok(),
            "the client did not complete\n{}",
            self.describe()
        );
        let methods = self.authorized_methods();
        for method in [
            "initialize",
            "notifications/initialized",
            "tools/list",
            "tools/call",
        ] {
            assert!(
                methods.iter().any(|m| m == method),
                "no accepted authorized {method}: {methods:?}\n{}",
                self.describe()
            );
        }
        let call = self
            .authorized_mcp_calls()
            .into_iter()
            .filter_map(|e| e.raw.as_ref())
            .filter_map(|r| serde_json::from_slice::<serde_json::Value>(&r.body).ok())
            .find(|m| m["method"] == "tools/call")
            .unwrap();
        assert_eq!(
            call["params"],
            json!({"name": "test-tool", "arguments": {}})
        );
    }

    /// Non-zero exit, no token request, and no access token ever used.
    fn assert_refused(&self) {
        assert!(
            self.refused(),
            "the client did not stop with exit 1\n{}",
            self.describe()
        );
        assert!(
            self.token_requests().is_empty(),
            "the client requested a token\n{}",
            self.describe()
        );
        assert!(
            self.authorized_mcp_calls().is_empty(),
            "{}",
            self.describe()
        );
    }
}

async fn run_client(options: Options, env: &[(&str, String)], args: &[&str]) -> Run {
    let deployment = Deployment::start(options).await.expect("deployment starts");
    let ready = deployment.ready().clone();
    let stderr_file = tempfile::NamedTempFile::new().unwrap();
    let mut command = Command::new(BIN);
    command
        .args(args)
        .arg(&ready.mcp_url)
        .env_remove("MCP_CONFORMANCE_SCENARIO")
        .env_remove("MCP_CONFORMANCE_CONTEXT")
        .env_remove("SSL_CERT_FILE")
        .env_remove("BROWSER")
        .stdin(Stdio::null())
        .stderr(stderr_file.reopen().unwrap());
    for (k, v) in env {
        command.env(k, v);
    }
    let status = tokio::task::spawn_blocking(move || {
        let mut group = ProcessGroup::spawn(&mut command).expect("client starts");
        group.wait_timeout(CLIENT_TIMEOUT).expect("wait")
    })
    .await
    .unwrap();
    let events = deployment.state().trace.events();
    deployment.shutdown().await;
    Run {
        status,
        stderr: std::fs::read_to_string(stderr_file.path()).unwrap_or_default(),
        events,
        ready,
    }
}

fn options(variants: &[&str], tweaks: &[fn(&mut Behaviour)]) -> Options {
    let mut all: Vec<fn(&mut Behaviour)> = vec![accept_unfetchable_cimd];
    all.extend_from_slice(tweaks);
    Options {
        variants: variants.iter().map(|v| v.to_string()).collect(),
        tweaks: all,
        ..Options::default()
    }
}

async fn run(variants: &[&str], tweaks: &[fn(&mut Behaviour)]) -> Run {
    run_client(options(variants, tweaks), &[], &[]).await
}

fn no_cimd(b: &mut Behaviour) {
    b.cimd_supported = false;
}

// --- flows that complete

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_deployment_uses_cimd_pkce_state_and_resource() {
    let r = run(&[], &[]).await;
    r.assert_completed();
    assert!(r.registration_requests().is_empty(), "{}", r.describe());
    let auth = r.authorization_requests();
    assert_eq!(auth.len(), 1, "{}", r.describe());
    let query: std::collections::HashMap<String, String> = auth[0]
        .raw
        .as_ref()
        .unwrap()
        .query_pairs()
        .into_iter()
        .collect();
    assert_eq!(
        query["client_id"],
        "https://conformance-test.local/client-metadata.json"
    );
    assert_eq!(query["code_challenge_method"], "S256");
    assert_eq!(query["resource"], r.ready.mcp_url);
    // The challenged scope, plus offline_access, which the default authorization server lists
    // (MCP 2026-07-28 Refresh Tokens: a client MAY then ask for it).
    assert_eq!(query["scope"], "mcp:tools offline_access");
    assert!(query["state"].len() >= 16);
    let token = r.token_requests();
    assert_eq!(token.len(), 1, "{}", r.describe());
    let form: std::collections::HashMap<String, String> = token[0]
        .raw
        .as_ref()
        .unwrap()
        .form_pairs()
        .into_iter()
        .collect();
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["redirect_uri"], query["redirect_uri"]);
    assert_eq!(form["resource"], r.ready.mcp_url);
    assert_eq!(form["code_verifier"].len(), 64);
    // The PRM came from the URL in the challenge; the root URL was never asked.
    assert!(r.requested("/.well-known/oauth-protected-resource/mcp"));
    assert!(!r.requested("/.well-known/oauth-protected-resource"));
    // Nothing secret on stderr.
    assert!(!r.stderr.contains(&form["code"]), "the code was logged");
    assert!(
        !r.stderr.contains(&form["code_verifier"]),
        "the verifier was logged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_cimd_it_registers_with_json() {
    let r = run(&[], &[no_cimd]).await;
    r.assert_completed();
    let reg = r.registration_requests();
    assert_eq!(reg.len(), 1, "{}", r.describe());
    let raw = reg[0].raw.as_ref().unwrap();
    assert!(raw
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let body: serde_json::Value = serde_json::from_slice(&raw.body).unwrap();
    assert_eq!(
        body["grant_types"],
        json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(body["token_endpoint_auth_method"], "none");
    let access_token = r.authorized_mcp_calls()[0]
        .raw
        .as_ref()
        .unwrap()
        .header("authorization")
        .unwrap()["Bearer ".len()..]
        .to_string();
    assert!(
        !r.stderr.contains(&access_token),
        "the access token was logged"
    );
}

fn forced_basic(b: &mut Behaviour) {
    b.cimd_supported = false;
    b.registration_auth_method = Some("client_secret_basic".into());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uses_the_auth_method_the_registration_returned() {
    let r = run(&[], &[forced_basic]).await;
    r.assert_completed();
    let token = r.token_requests();
    let raw = token[0].raw.as_ref().unwrap();
    assert!(
        raw.header("authorization").unwrap().starts_with("Basic "),
        "{}",
        r.describe()
    );
    assert!(!raw.form_pairs().iter().any(|(k, _)| k == "client_secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issuer_with_path() {
    let r = run(&["issuer-with-path"], &[]).await;
    r.assert_completed();
    assert!(
        r.requested("/.well-known/oauth-authorization-server/tenant1"),
        "{}",
        r.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_discovery_only() {
    let r = run(&["oidc-discovery-only"], &[]).await;
    r.assert_completed();
    assert!(
        r.requested("/.well-known/openid-configuration"),
        "{}",
        r.describe()
    );
}

/// The paths of the PRM requests, in order.
fn prm_requests(r: &Run) -> Vec<(String, u16)> {
    r.events
        .iter()
        .filter(|e| e.path.starts_with("/.well-known/oauth-protected-resource"))
        .map(|e| (e.path.clone(), e.status))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prm_fallback_tries_the_path_then_the_root() {
    let r = run(&["prm-root-only"], &[]).await;
    r.assert_completed();
    assert_eq!(
        prm_requests(&r),
        [
            ("/.well-known/oauth-protected-resource/mcp".to_string(), 404),
            ("/.well-known/oauth-protected-resource".to_string(), 200)
        ],
        "{}",
        r.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prm_from_the_well_known_path_without_resource_metadata() {
    let r = run(&["challenge-without-resource-metadata"], &[]).await;
    r.assert_completed();
    assert_eq!(
        prm_requests(&r),
        [("/.well-known/oauth-protected-resource/mcp".to_string(), 200)],
        "{}",
        r.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_2025_03_26_layout() {
    let r = run(&["legacy-2025-03-26"], &[no_cimd]).await;
    r.assert_completed();
    assert!(r.requested("/.well-known/oauth-protected-resource/mcp"));
    assert!(r.requested("/.well-known/oauth-authorization-server"));
    assert_eq!(r.registration_requests().len(), 1, "{}", r.describe());
    // The endpoints the metadata names (under /oauth/), never the guessed defaults.
    assert!(
        r.requested("/oauth/register") && r.requested("/oauth/token"),
        "{}",
        r.describe()
    );
    assert!(
        !r.requested("/register") && !r.requested("/token"),
        "{}",
        r.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn legacy_2025_03_26_default_endpoints() {
    let r = run(&["legacy-2025-03-26-no-metadata"], &[]).await;
    r.assert_completed();
    // No metadata: the default /register, /authorize, /token on the MCP origin.
    assert!(
        r.requested("/register") && r.requested("/authorize") && r.requested("/token"),
        "{}",
        r.describe()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_with_the_ca_of_ssl_cert_file() {
    let r = run_with_own_ca(&[]).await;
    r.assert_completed();
    assert!(r.ready.mcp_url.starts_with("https://"));
}

/// Starts a TLS deployment and runs the client with `SSL_CERT_FILE` = its CA.
async fn run_with_own_ca(args: &[&str]) -> Run {
    let ca_path = std::env::temp_dir().join(format!(
        "authlab-test-client-ca-{}-{}.pem",
        std::process::id(),
        args.join("_")
    ));
    let options = Options {
        tls: true,
        ca_cert_path: Some(ca_path.clone()),
        ..options(&[], &[])
    };
    let run = run_client(
        options,
        &[("SSL_CERT_FILE", ca_path.display().to_string())],
        args,
    )
    .await;
    let _ = std::fs::remove_file(&ca_path);
    run
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_without_the_ca_fails_with_ignore_ca_env() {
    let r = run_with_own_ca(&["--break", "ignore-ca-env"]).await;
    assert!(r.refused(), "{}", r.describe());
    assert!(
        r.events.is_empty(),
        "no request can get through TLS\n{}",
        r.describe()
    );
}

// --- refresh, step-up, pre-registration, client credentials

fn one_request_per_token(b: &mut Behaviour) {
    b.token_valid_for_requests = Some(1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshes_and_rotates_when_tokens_expire() {
    let r = run(&[], &[one_request_per_token]).await;
    r.assert_completed();
    let forms: Vec<std::collections::HashMap<String, String>> = r
        .token_requests()
        .iter()
        .map(|e| e.raw.as_ref().unwrap().form_pairs().into_iter().collect())
        .collect();
    let refreshes: Vec<_> = forms
        .iter()
        .filter(|f| f["grant_type"] == "refresh_token")
        .collect();
    assert_eq!(refreshes.len(), 3, "{}", r.describe());
    assert_eq!(r.authorization_requests().len(), 1);
    let presented: Vec<&String> = refreshes.iter().map(|f| &f["refresh_token"]).collect();
    assert!(
        presented.windows(2).all(|w| w[0] != w[1]),
        "a refresh token was reused"
    );
    assert!(refreshes.iter().all(|f| f["resource"] == r.ready.mcp_url));
}

fn step_up_on_call(b: &mut Behaviour) {
    b.step_up_on_tools_call = true;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_up_on_insufficient_scope() {
    let r = run(&[], &[step_up_on_call]).await;
    r.assert_completed();
    let scopes: Vec<String> = r
        .authorization_requests()
        .iter()
        .map(|e| {
            e.raw
                .as_ref()
                .unwrap()
                .query_pairs()
                .into_iter()
                .find(|(k, _)| k == "scope")
                .map(|(_, v)| v)
                .unwrap_or_default()
        })
        .collect();
    // The union of what was asked before and the challenge (MCP 2026-07-28 Step-Up Authorization
    // Flow); offline_access because the authorization server lists it.
    assert_eq!(
        scopes,
        [
            "mcp:tools offline_access",
            "mcp:tools offline_access mcp:admin"
        ],
        "{}",
        r.describe()
    );
}

fn scope_never_enough(b: &mut Behaviour) {
    b.insufficient_scope_always = true;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gives_up_after_two_step_ups() {
    let r = run(&[], &[scope_never_enough]).await;
    assert!(r.refused(), "{}", r.describe());
    assert_eq!(r.authorization_requests().len(), 3, "{}", r.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pre_registered_credentials_from_the_context() {
    let mut config = Config::default();
    config.clients.push(ClientConfig {
        client_id: "pre-registered-client".into(),
        client_secret: Some("pre-registered-secret".into()),
        redirect_uris: vec!["http://127.0.0.1:3000/callback".into()],
        grant_types: Vec::new(),
        token_endpoint_auth_method: None,
        jwks: None,
        scope: None,
        client_name: None,
    });
    let context = json!({
        "name": "auth/pre-registration",
        "client_id": "pre-registered-client",
        "client_secret": "pre-registered-secret"
    });
    let r = run_client(
        Options {
            config,
            ..options(&[], &[])
        },
        &[
            ("MCP_CONFORMANCE_SCENARIO", "auth/pre-registration".into()),
            ("MCP_CONFORMANCE_CONTEXT", context.to_string()),
        ],
        &[],
    )
    .await;
    r.assert_completed();
    assert!(r.registration_requests().is_empty());
    let raw = r.token_requests()[0].raw.clone().unwrap();
    assert_eq!(
        raw.header("authorization").unwrap(),
        "Basic cHJlLXJlZ2lzdGVyZWQtY2xpZW50OnByZS1yZWdpc3RlcmVkLXNlY3JldA=="
    );
    assert!(
        !r.stderr.contains("pre-registered-secret"),
        "the secret was logged"
    );
}

/// The P-256 key of `client_assertion.rs`'s unit test, as PKCS#8 PEM and as a public JWK.
const TEST_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgocxsDziyOo1zQ9GO
zkE5WmRtEUgm9GBQDzTXvmNsOi6hRANCAAR2iXIVDhodURYg5uc/k41An60knjDp
E62cu8PW6DyjBgiuhJbqOEBhgbR8BaCHk9NfHfN5no3OrGWjQFMgB7F0
-----END PRIVATE KEY-----
";

fn cc_client(secret: Option<&str>) -> Config {
    let mut config = Config::default();
    config.clients.push(ClientConfig {
        client_id: "conformance-test-client".into(),
        client_secret: secret.map(String::from),
        redirect_uris: Vec::new(),
        grant_types: vec!["client_credentials".into()],
        token_endpoint_auth_method: None,
        jwks: secret.is_none().then(|| {
            json!({"keys": [{
                "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "test",
                "x": "dolyFQ4aHVEWIObnP5ONQJ-tJJ4w6ROtnLvD1ug8owY",
                "y": "CK6Eluo4QGGBtHwFoIeT018d83mejc6sZaNAUyAHsXQ"
            }]})
        }),
        scope: None,
        client_name: None,
    });
    config
}

async fn run_client_credentials(secret: Option<&str>, args: &[&str]) -> Run {
    let mut context =
        json!({"name": "auth/client-credentials", "client_id": "conformance-test-client"});
    match secret {
        Some(s) => context["client_secret"] = json!(s),
        None => {
            context["private_key_pem"] = json!(TEST_KEY_PEM);
            context["signing_algorithm"] = json!("ES256");
        }
    }
    let scenario = if secret.is_some() {
        "auth/client-credentials-basic"
    } else {
        "auth/client-credentials-jwt"
    };
    run_client(
        Options {
            config: cc_client(secret),
            ..options(&[], &[])
        },
        &[
            ("MCP_CONFORMANCE_SCENARIO", scenario.into()),
            ("MCP_CONFORMANCE_CONTEXT", context.to_string()),
        ],
        args,
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_with_basic_auth() {
    let r = run_client_credentials(Some("conformance-test-secret"), &[]).await;
    r.assert_completed();
    assert!(r.authorization_requests().is_empty());
    let raw = r.token_requests()[0].raw.clone().unwrap();
    assert!(raw.header("authorization").unwrap().starts_with("Basic "));
    let form: std::collections::HashMap<String, String> = raw.form_pairs().into_iter().collect();
    assert_eq!(form["grant_type"], "client_credentials");
    assert_eq!(form["resource"], r.ready.mcp_url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_with_private_key_jwt() {
    let r = run_client_credentials(None, &[]).await;
    r.assert_completed();
    let raw = r.token_requests()[0].raw.clone().unwrap();
    let form: std::collections::HashMap<String, String> = raw.form_pairs().into_iter().collect();
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    // A wrong audience makes the same request fail.
    let wrong = run_client_credentials(None, &["--break", "jwt-wrong-audience"]).await;
    assert!(wrong.refused(), "{}", wrong.describe());
    assert_eq!(wrong.token_requests().len(), 1);
    assert!(wrong.token_requests()[0].status >= 400);
}

// --- the browser path

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn use_browser_opens_browser_and_waits_for_the_callback() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("browser.sh");
    let log = dir.path().join("opened");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$@\" > '{}'\nexec curl --noproxy '*' -s -o /dev/null -L \"$2\"\n",
            log.display()
        ),
    )
    .unwrap();
    let browser = format!("sh '{}' --first-arg", script.display());
    let r = run_client(
        options(&[], &[]),
        &[("BROWSER", browser)],
        &["--use-browser"],
    )
    .await;
    r.assert_completed();
    let opened = std::fs::read_to_string(&log).unwrap();
    assert!(
        opened.starts_with("--first-arg http://127.0.0.1:"),
        "{opened}"
    );
    let redirect = r.authorization_requests()[0]
        .raw
        .as_ref()
        .unwrap()
        .query_pairs()
        .into_iter()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1;
    assert!(redirect.starts_with("http://127.0.0.1:"), "{redirect}");
    assert_ne!(
        redirect, "http://127.0.0.1:3000/callback",
        "not the listener's port"
    );
}

// --- refusals: exit 1 after reaching the point of refusal, no token request

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_a_metadata_issuer_mismatch() {
    let r = run(&["issuer-mismatch"], &[]).await;
    r.assert_refused();
    assert!(
        r.requested("/.well-known/oauth-authorization-server"),
        "{}",
        r.describe()
    );
    assert!(r.authorization_requests().is_empty());
    assert!(r.registration_requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_an_as_without_s256() {
    let r = run(&["pkce-not-advertised"], &[]).await;
    r.assert_refused();
    assert!(
        r.requested("/.well-known/oauth-authorization-server"),
        "{}",
        r.describe()
    );
    assert!(r.authorization_requests().is_empty(), "{}", r.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_a_prm_for_another_resource() {
    let r = run(&["prm-resource-mismatch"], &[]).await;
    r.assert_refused();
    assert!(
        r.requested("/.well-known/oauth-protected-resource/mcp"),
        "{}",
        r.describe()
    );
    assert!(
        !r.requested("/.well-known/oauth-authorization-server"),
        "{}",
        r.describe()
    );
    assert!(r.authorization_requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_a_wrong_state() {
    let r = run(&["wrong-state"], &[]).await;
    r.assert_refused();
    assert_eq!(r.authorization_requests().len(), 1, "{}", r.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_a_wrong_iss() {
    let r = run(&["wrong-iss"], &[]).await;
    r.assert_refused();
    assert_eq!(r.authorization_requests().len(), 1, "{}", r.describe());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_a_missing_iss_when_advertised() {
    let r = run(&["missing-iss"], &[]).await;
    r.assert_refused();
    assert_eq!(r.authorization_requests().len(), 1, "{}", r.describe());
}

// --- command line

#[test]
fn unknown_break_is_a_usage_error() {
    let out = Command::new(BIN)
        .args(["--break", "no-such-rule", "http://127.0.0.1:9/mcp"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-rule"));
    let out = Command::new(BIN).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn list_breaks_names_every_rule_of_the_brief() {
    let out = Command::new(BIN).arg("--list-breaks").output().unwrap();
    assert!(out.status.success());
    let names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect();
    assert_eq!(names.len(), 45);
    for name in [
        "prm-root-first",
        "retry-discovery-forever",
        "ignore-ca-env",
        "jwt-wrong-audience",
        "iss-normalize",
        "step-up-challenge-only",
        "no-application-type",
        "reuse-client-across-as",
        "require-refresh-token",
        "ignore-legacy-metadata-endpoints",
    ] {
        assert!(names.iter().any(|n| n == name), "{name}");
    }
}
