//! The server suite (`mcp-authlab server`) against the TypeScript MCP SDK's own example OAuth server:
//! `simpleStreamableHttp.js --oauth` from the installed npm package (`@modelcontextprotocol/sdk`,
//! locked in `targets/typescript/`), judged against `targets/typescript/server/expected-failures.yml`.
//!
//! The example trusts only the demo authorization server it starts itself (in memory, opaque tokens,
//! checked by introspection), not our mock IdP, so it is tested black box (`--url`): once without a
//! token, and once with a real token that the test obtains from the demo authorization server with
//! plain HTTP, as a client would (RFC 9728 and RFC 8414 discovery, RFC 7591 registration, the
//! authorization code flow with PKCE, which the demo approves without a login), passed with
//! `MCP_AUTHLAB_TOKEN`. Also with `--oauth-strict` (the example's audience check on), and one test
//! records the finding the suite cannot see black box: without `--oauth-strict` the example accepts
//! a token issued for another resource.
//!
//! Needs `node` (>= 20) on PATH and `targets/typescript/install` (`ci/test` runs it). When the
//! SDK is not installed the tests are skipped with a message, unless `CI` is set: then they fail.
//! Everything is on loopback: the example listens on the ports the test picks (it uses `localhost`
//! URLs and, being an example, listens on every interface), and nothing is sent elsewhere.

mod matrix_support;
mod server_suite_support;
mod support;

use std::fs::File;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mcp_authlab_harness::process::ProcessGroup;
use mcp_authlab_mock_idp::authorization_server::pkce::s256_challenge;
use mcp_authlab_mock_idp::store::random_token;
use serde_json::{json, Value};
use server_suite_support::{run_server_suite, SuiteRun};
use support::tail;
use support::targets::installed_typescript_sdk;
use url::Url;

/// The example prints one line per listener when it is up (about a second on 2 cores).
const READY_TIMEOUT: Duration = Duration::from_secs(30);
/// Every request the test makes to the example.
const HTTP_TIMEOUT: Duration = Duration::from_secs(10);
const EXAMPLE: &str =
    "node_modules/@modelcontextprotocol/sdk/dist/esm/examples/server/simpleStreamableHttp.js";
/// The redirect URI the test registers; nothing listens there: the code is read from `Location`.
const REDIRECT_URI: &str = "http://127.0.0.1:9/callback";
/// Where a token for "another resource" is meant to be used; only ever a string, never contacted.
const OTHER_RESOURCE: &str = "https://other-resource.example/mcp";

fn target_dir() -> PathBuf {
    support::targets::target_dir("typescript")
}

fn baseline() -> PathBuf {
    target_dir().join("server").join("expected-failures.yml")
}

/// The installed SDK's version; `None` (skip) when it is not installed outside CI, a failure in CI.
fn installed_sdk_version() -> Option<String> {
    installed_typescript_sdk("typescript", "the TypeScript MCP SDK")
}

/// Two distinct free loopback ports (bound together, read, released: the example binds them next).
fn free_ports() -> (u16, u16) {
    let a = TcpListener::bind(("127.0.0.1", 0)).expect("a free port");
    let b = TcpListener::bind(("127.0.0.1", 0)).expect("a free port");
    (
        a.local_addr().expect("its address").port(),
        b.local_addr().expect("its address").port(),
    )
}

/// The running example (the MCP server on `mcp_port`, its demo authorization server on
/// `auth_port`), in its own process group: killed with it when dropped.
struct Example {
    process: ProcessGroup,
    mcp_port: u16,
    log_dir: tempfile::TempDir,
}

impl Example {
    fn start(flags: &[&str]) -> Example {
        let (mcp_port, auth_port) = free_ports();
        let log_dir = tempfile::tempdir().expect("temp dir");
        let log = File::create(log_dir.path().join("example.stderr")).expect("create a log");
        let mut command = Command::new("node");
        command
            .arg(EXAMPLE)
            .args(flags)
            .current_dir(target_dir())
            .env("MCP_PORT", mcp_port.to_string())
            .env("MCP_AUTH_PORT", auth_port.to_string())
            .stdin(Stdio::null())
            .stderr(Stdio::from(log));
        let mut process = ProcessGroup::spawn(&mut command)
            .unwrap_or_else(|e| panic!("could not run node ({e}): Node.js >= 20 must be on PATH"));
        // It prints "OAuth Authorization Server listening on port …" and "MCP Streamable HTTP
        // Server listening on port …" (stdout); later stdout lines (request logs, which include
        // tokens) are read and dropped by the process group's reader.
        let deadline = Instant::now() + READY_TIMEOUT;
        let mut seen = Vec::new();
        while !(seen
            .iter()
            .any(|l: &String| l.contains("Authorization Server listening"))
            && seen
                .iter()
                .any(|l| l.contains("MCP Streamable HTTP Server listening")))
        {
            match process.next_line(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => seen.push(line),
                Err(e) => panic!(
                    "the example `node {EXAMPLE} {}` did not come up: {e}\nstdout:\n{}\nstderr:\n{}",
                    flags.join(" "),
                    seen.join("\n"),
                    std::fs::read_to_string(log_dir.path().join("example.stderr"))
                        .unwrap_or_default()
                ),
            }
        }
        Example {
            process,
            mcp_port,
            log_dir,
        }
    }

    /// The MCP endpoint as the example names it (its metadata says `localhost`).
    fn mcp_url(&self) -> String {
        format!("http://localhost:{}/mcp", self.mcp_port)
    }

    fn stderr(&self) -> String {
        tail(
            &std::fs::read_to_string(self.log_dir.path().join("example.stderr"))
                .unwrap_or_default(),
            40,
        )
    }

    fn stop(mut self) {
        let _ = self.process.terminate(Duration::from_secs(5));
    }
}

fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(HTTP_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .build()
        .expect("an HTTP client")
}

async fn get_json(client: &reqwest::Client, url: &str) -> Result<Value, String> {
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| format!("GET {url}: {e}"))?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("GET {url} -> {status}"));
    }
    response
        .json()
        .await
        .map_err(|e| format!("GET {url}: not JSON: {e}"))
}

/// Obtains an access token for `resource` from the authorization server the example's protected
/// resource metadata names, as an MCP client would, with no user: PRM (RFC 9728) → AS metadata
/// (RFC 8414) → dynamic registration of a public client (RFC 7591) → authorization request with
/// PKCE S256 (the demo approves it at once and redirects with a code) → token request.
async fn obtain_token(mcp_url: &str, resource: &str) -> Result<String, String> {
    let client = http_client();
    let mcp = Url::parse(mcp_url).map_err(|e| e.to_string())?;
    let prm_url = mcp
        .join(&format!(
            "/.well-known/oauth-protected-resource{}",
            mcp.path()
        ))
        .map_err(|e| e.to_string())?;
    let prm = get_json(&client, prm_url.as_str()).await?;
    let issuer = prm["authorization_servers"][0]
        .as_str()
        .ok_or_else(|| format!("the PRM names no authorization server: {prm}"))?;
    let scope = prm["scopes_supported"]
        .as_array()
        .map(|s| {
            s.iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .unwrap_or_default();
    // A path-less issuer: the RFC 8414 well-known URL is at the root.
    let metadata_url = Url::parse(issuer)
        .and_then(|i| i.join("/.well-known/oauth-authorization-server"))
        .map_err(|e| format!("issuer `{issuer}`: {e}"))?;
    let metadata = get_json(&client, metadata_url.as_str()).await?;
    let endpoint = |name: &str| {
        metadata[name]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("the AS metadata has no {name}: {metadata}"))
    };

    let registration = client
        .post(endpoint("registration_endpoint")?)
        .json(&json!({
            "client_name": "mcp-authlab server suite",
            "redirect_uris": [REDIRECT_URI],
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "token_endpoint_auth_method": "none",
        }))
        .send()
        .await
        .map_err(|e| format!("registration: {e}"))?;
    let status = registration.status();
    let registration: Value = registration
        .json()
        .await
        .map_err(|e| format!("registration ({status}): not JSON: {e}"))?;
    let client_id = registration["client_id"]
        .as_str()
        .ok_or_else(|| format!("registration ({status}) gave no client_id: {registration}"))?
        .to_string();

    let verifier = random_token(48);
    let state = random_token(16);
    let authorization = client
        .get(endpoint("authorization_endpoint")?)
        .query(&[
            ("response_type", "code"),
            ("client_id", client_id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_challenge", s256_challenge(&verifier).as_str()),
            ("code_challenge_method", "S256"),
            ("scope", scope.as_str()),
            ("resource", resource),
            ("state", state.as_str()),
        ])
        .send()
        .await
        .map_err(|e| format!("authorization request: {e}"))?;
    let location = authorization
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            format!(
                "the authorization request got {} without a redirect",
                authorization.status()
            )
        })?;
    let redirect = Url::parse(location).map_err(|e| format!("Location `{location}`: {e}"))?;
    let param = |name: &str| {
        redirect
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if param("state").as_deref() != Some(state.as_str()) {
        return Err(format!(
            "the redirect does not return our state: {redirect}"
        ));
    }
    let code = param("code").ok_or_else(|| format!("the redirect has no code: {redirect}"))?;

    let token = client
        .post(endpoint("token_endpoint")?)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("client_id", client_id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", verifier.as_str()),
            ("resource", resource),
        ])
        .send()
        .await
        .map_err(|e| format!("token request: {e}"))?;
    let status = token.status();
    let body = token
        .text()
        .await
        .map_err(|e| format!("token response: {e}"))?;
    let token: Value = serde_json::from_str(&body)
        .map_err(|e| format!("token response ({status}) is not JSON: {e}: {body}"))?;
    token["access_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("the token response ({status}) has no access_token: {body}"))
}

/// A token from the example's demo authorization server for the example itself.
fn token_for_the_example(example: &Example) -> String {
    runtime()
        .block_on(obtain_token(&example.mcp_url(), &example.mcp_url()))
        .unwrap_or_else(|e| {
            panic!(
                "no token from the demo authorization server: {e}\nexample stderr:\n{}",
                example.stderr()
            )
        })
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("tokio runtime")
}

/// The scenarios judged without any token: they must have run (not `skip`) in every run.
const BLACK_BOX_SCENARIOS: [&str; 4] = [
    "server/unauthenticated-request",
    "server/protected-resource-metadata",
    "server/authorization-server-metadata",
    "server/garbage-credentials",
];

/// Runs the whole suite on the example's MCP URL, with `token` in `MCP_AUTHLAB_TOKEN` when given,
/// against the expected-failures file; asserts exit 0 and that the black-box scenarios were judged.
///
/// Judged at 2025-11-25, the newest revision the example speaks: it answers 2026-07-28's
/// `server/discover` and session-less requests with 400 "No valid session ID provided"
/// (`example_server_does_not_speak_2026_07_28` records that).
fn run_suite_on(sdk: &str, example: &Example, token: Option<&str>) -> SuiteRun {
    let args = vec![
        "--spec-version".to_string(),
        "2025-11-25".to_string(),
        "--url".to_string(),
        example.mcp_url(),
        "--expected-failures".to_string(),
        baseline().display().to_string(),
    ];
    let env: Vec<(&str, &str)> = token
        .map(|t| ("MCP_AUTHLAB_TOKEN", t))
        .into_iter()
        .collect();
    let run = run_server_suite(&args, &env, &target_dir());
    let what = format!(
        "SDK {sdk} example server ({})",
        if token.is_some() {
            "with a token"
        } else {
            "no token"
        }
    );
    if run.status != Some(0) {
        eprintln!("example stderr (tail):\n{}", example.stderr());
    }
    run.assert_matches_baseline(&what, &baseline(), token);
    for id in BLACK_BOX_SCENARIOS {
        assert_ne!(
            run.verdict(id),
            "skip",
            "{what}: `{id}` was not judged\n{}",
            run.context(token)
        );
    }
    run
}

/// Black box with no token: what needs no token is judged; every scenario that needs one is
/// skipped (and the expected-failures entries of skipped scenarios are not stale).
#[test]
fn example_server_without_a_token_fails_exactly_its_expected_failures() {
    let Some(sdk) = installed_sdk_version() else {
        return;
    };
    let example = Example::start(&["--oauth"]);
    let run = run_suite_on(&sdk, &example, None);
    for id in [
        "server/valid-token",
        "server/expired-token",
        "server/bearer-extra-spaces",
        "server/session-without-token",
    ] {
        assert_eq!(
            run.verdict(id),
            "skip",
            "`{id}` needs a token\n{}",
            run.context(None)
        );
    }
    example.stop();
}

/// Asserts what a run with the demo authorization server's token must show: the positive control
/// passed (so the refusals mean something), the token-based black-box scenarios were judged, and the
/// JWT variants were not made (the demo issues opaque tokens).
fn assert_token_scenarios_judged(run: &SuiteRun, token: &str) {
    let judged = [
        ("server/valid-token", "valid-token-accepted"),
        ("server/token-in-query", "token-in-query-rejected"),
        (
            "server/bearer-scheme-case",
            "bearer-scheme-case-insensitive",
        ),
        ("server/bearer-extra-spaces", "extra-spaces-accepted"),
        (
            "server/session-without-token",
            "session-id-not-authentication",
        ),
    ];
    for (scenario, check) in judged {
        assert!(
            matches!(
                run.outcome(scenario, check).as_deref(),
                Some("pass" | "fail" | "warn")
            ),
            "`{scenario}:{check}` was not judged\n{}",
            run.context(Some(token))
        );
    }
    assert_eq!(
        run.outcome("server/valid-token", "valid-token-accepted")
            .as_deref(),
        Some("pass"),
        "the positive control failed: the example refused the token its own authorization server \
         issued\n{}",
        run.context(Some(token))
    );
    assert_eq!(
        run.outcome("server/expired-token", "expired-rejected")
            .as_deref(),
        Some("skip"),
        "the demo's tokens are opaque (UUIDs): no expired variant can be made\n{}",
        run.context(Some(token))
    );
}

/// The example as documented (`--oauth`), with a real token: the matrix entry, whose snapshot must
/// match the committed `reports/matrix/typescript-sdk-<version>-example-server.server.json`.
#[test]
fn example_server_with_a_token_from_its_demo_authorization_server_fails_exactly_its_expected_failures(
) {
    let Some(sdk) = installed_sdk_version() else {
        return;
    };
    let example = Example::start(&["--oauth"]);
    let token = token_for_the_example(&example);
    let run = run_suite_on(&sdk, &example, Some(&token));
    assert_token_scenarios_judged(&run, &token);
    matrix_support::assert_text_matches(
        &format!("typescript-sdk-{sdk}-example-server.server"),
        run.snapshot.as_deref().expect("the run wrote its snapshot"),
    );
    example.stop();
}

/// `--oauth-strict`: the example passes `expectedResource` to `requireBearerAuth`, and its demo
/// authorization server only issues tokens for the example's URL. Same results as without.
#[test]
fn example_server_in_strict_mode_with_a_token_fails_exactly_its_expected_failures() {
    let Some(sdk) = installed_sdk_version() else {
        return;
    };
    let example = Example::start(&["--oauth", "--oauth-strict"]);
    let token = token_for_the_example(&example);
    let run = run_suite_on(&sdk, &example, Some(&token));
    assert_token_scenarios_judged(&run, &token);
    example.stop();
}

/// S-VER-1 (MUST at 2026-07-28): a 2026-07-28 server answers `server/discover` without an
/// `initialize` or a session.
///
/// FINDING (recorded, not hidden): the example speaks only the session-based revisions. At
/// 2026-07-28 the suite's `server/discover` and session-less requests get 400 "Bad Request: No
/// valid session ID provided", so the matrix judges it at 2025-11-25. Fails the day the example
/// answers them: then judge it at 2026-07-28 and update targets/typescript/README.md.
#[test]
fn example_server_does_not_speak_2026_07_28() {
    let Some(_) = installed_sdk_version() else {
        return;
    };
    let example = Example::start(&["--oauth"]);
    let token = token_for_the_example(&example);
    let args = vec![
        "--spec-version".to_string(),
        "2026-07-28".to_string(),
        "--url".to_string(),
        example.mcp_url(),
        "--scenario".to_string(),
        "server/protocol-revisions".to_string(),
    ];
    let run = run_server_suite(&args, &[("MCP_AUTHLAB_TOKEN", &token)], &target_dir());
    assert_eq!(
        run.outcome("server/protocol-revisions", "discover-answered")
            .as_deref(),
        Some("fail"),
        "{}",
        run.context(Some(&token))
    );
    assert_eq!(
        run.outcome("server/protocol-revisions", "revisions-spoken")
            .as_deref(),
        Some("pass"),
        "{}",
        run.context(Some(&token))
    );
    example.stop();
}

/// S-TOK-2 (MUST; MCP 2025-11-25 "Token Audience Binding and Validation"): a server must refuse a
/// token that was not issued for it (what a server passing its client's token through would send).
///
/// FINDING (recorded, not hidden): the example as documented (`--oauth`, without `--oauth-strict`)
/// accepts such a token. Its introspection verifier reports no `resource` for an `aud` on another
/// origin and `requireBearerAuth` compares it only when `expectedResource` is set, which the example
/// does only with `--oauth-strict`. The suite cannot see this black box (it cannot mint a token for
/// another resource at the demo authorization server), so this test gets one itself and presents it.
/// It fails the day the example refuses: then update targets/typescript/README.md.
#[test]
fn example_server_accepts_a_token_issued_for_another_resource_violating_s_tok_2() {
    let Some(_) = installed_sdk_version() else {
        return;
    };
    let example = Example::start(&["--oauth"]);
    let runtime = runtime();
    let token = runtime
        .block_on(obtain_token(&example.mcp_url(), OTHER_RESOURCE))
        .unwrap_or_else(|e| {
            panic!(
                "no token for {OTHER_RESOURCE} from the demo authorization server: {e}\nexample \
                 stderr:\n{}",
                example.stderr()
            )
        });
    let initialize = json!({
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "mcp-authlab", "version": "0"}
        }
    });
    let status = runtime
        .block_on(async {
            http_client()
                .post(example.mcp_url())
                .bearer_auth(&token)
                .header(
                    reqwest::header::ACCEPT,
                    "application/json, text/event-stream",
                )
                .json(&initialize)
                .send()
                .await
        })
        .expect("the example answers")
        .status();
    assert_eq!(
        status,
        reqwest::StatusCode::OK,
        "the example refused a token issued for {OTHER_RESOURCE} ({status}): it now validates the \
         audience without --oauth-strict, as S-TOK-2 requires; update this test and \
         targets/typescript/README.md\nexample stderr:\n{}",
        example.stderr()
    );
    example.stop();
}
