//! A realistic, fixed report for the renderers' tests (and anyone else's): a client-suite run with
//! one scenario of each kind —
//!
//! - `auth/metadata-default`: pass, with the whole observed flow (401, discovery, DCR, authorize,
//!   token, MCP requests; headers and bodies, secrets already redacted as the runner does);
//! - `auth/token-endpoint-auth-basic`: fail, the failed MUST listed as an expected failure;
//! - `auth/scope-step-up`: warn, a SHOULD not met and not expected (it fails the run), with a
//!   message full of Markdown and HTML special characters;
//! - `auth/hanging-token-endpoint`: error, the client timed out and no check found anything wrong;
//! - `auth/2025-03-26-oauth-metadata-backcompat`: skip, not part of the spec version asked for;
//!
//! and one stale expected-failures entry. Available to other crates with the `fixtures` feature.

use std::collections::BTreeMap;

use crate::model::{
    CheckResult, Exchange, Level, Outcome, Report, ScenarioResult, SpecVersion, Summary, Tool,
    Verdict, SCHEMA_VERSION,
};

const MCP: &str = "http://127.0.0.1:46097";
const AS: &str = "http://127.0.0.1:46101";

fn headers(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[allow(clippy::too_many_arguments)]
fn exchange(
    seq: u64,
    to: &str,
    method: &str,
    url: String,
    status: u16,
    request_headers: &[(&str, &str)],
    request_body: Option<&str>,
    response_headers: &[(&str, &str)],
    response_body: Option<&str>,
) -> Exchange {
    Exchange {
        seq,
        from: "client".into(),
        to: to.into(),
        method: method.into(),
        url,
        status,
        answered: true,
        duration_ms: seq % 3,
        request_headers: headers(request_headers),
        request_body: request_body.map(str::to_string),
        response_headers: headers(response_headers),
        response_body: response_body.map(str::to_string),
    }
}

#[allow(clippy::too_many_arguments)]
fn check(
    id: &str,
    level: Level,
    requirement: &str,
    section: &str,
    outcome: Outcome,
    message: &str,
    expected: &str,
    evidence: &[u64],
) -> CheckResult {
    CheckResult {
        id: id.into(),
        level,
        requirement: requirement.into(),
        section: section.into(),
        outcome,
        message: message.into(),
        expected_failure: false,
        expected: Some(expected.into()),
        evidence: evidence.to_vec(),
    }
}

const UA: (&str, &str) = ("user-agent", "authlab-test-client/0.1.0");
const JSON_IN: (&str, &str) = ("content-type", "application/json");
const ACCEPT_JSON: (&str, &str) = ("accept", "application/json");
const ACCEPT_MCP: (&str, &str) = ("accept", "application/json, text/event-stream");
const BEARER: (&str, &str) = ("authorization", "Bearer ‹redacted:9d7a2cd6›");
const INITIALIZE: &str = r#"{"id":1,"jsonrpc":"2.0","method":"initialize","params":{"capabilities":{},"clientInfo":{"name":"authlab-test-client","version":"0.1.0"},"protocolVersion":"2025-11-25"}}"#;

/// The flow of a client that does everything right against the default deployment.
fn default_flow() -> Vec<Exchange> {
    let challenge = format!(
        r#"Bearer resource_metadata="{MCP}/.well-known/oauth-protected-resource/mcp", scope="mcp:tools""#
    );
    let prm = format!(
        r#"{{"authorization_servers":["{AS}"],"bearer_methods_supported":["header"],"resource":"{MCP}/mcp","scopes_supported":["mcp:tools","mcp:admin"]}}"#
    );
    let asm = format!(
        r#"{{"authorization_endpoint":"{AS}/authorize","code_challenge_methods_supported":["S256"],"issuer":"{AS}","registration_endpoint":"{AS}/register","response_types_supported":["code"],"token_endpoint":"{AS}/token","token_endpoint_auth_methods_supported":["none","client_secret_basic"]}}"#
    );
    let authorize = format!(
        "{AS}/authorize?response_type=code&client_id=B2_e3i-m25ct1BLTMiYx1A&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcallback&scope=mcp%3Atools&state=q8Vt0cW4aZ1rQ2s3&code_challenge=ITCiXExuJqVYQCYeNOzkxnFu4FgoEvaI6DV-tc2ieFQ&code_challenge_method=S256&resource=http%3A%2F%2F127.0.0.1%3A46097%2Fmcp"
    );
    let location = "http://127.0.0.1:3000/callback?code=‹redacted:9de0f30b›&state=q8Vt0cW4aZ1rQ2s3&iss=http%3A%2F%2F127.0.0.1%3A46101";
    vec![
        exchange(
            1,
            "mcp_server",
            "POST",
            format!("{MCP}/mcp"),
            401,
            &[ACCEPT_MCP, JSON_IN, UA],
            Some(INITIALIZE),
            &[("www-authenticate", &challenge), JSON_IN],
            Some(r#"{"error_description":"this MCP server needs an access token in `Authorization: Bearer <token>`"}"#),
        ),
        exchange(
            2,
            "mcp_server",
            "GET",
            format!("{MCP}/.well-known/oauth-protected-resource/mcp"),
            200,
            &[ACCEPT_JSON, UA],
            None,
            &[JSON_IN],
            Some(&prm),
        ),
        exchange(
            3,
            "authorization_server",
            "GET",
            format!("{AS}/.well-known/oauth-authorization-server"),
            200,
            &[ACCEPT_JSON, UA],
            None,
            &[JSON_IN],
            Some(&asm),
        ),
        exchange(
            4,
            "authorization_server",
            "POST",
            format!("{AS}/register"),
            201,
            &[ACCEPT_JSON, JSON_IN, UA],
            Some(r#"{"client_name":"authlab-test-client","grant_types":["authorization_code","refresh_token"],"redirect_uris":["http://127.0.0.1:3000/callback"],"response_types":["code"],"token_endpoint_auth_method":"none"}"#),
            &[("cache-control", "no-store"), JSON_IN],
            Some(r#"{"client_id":"B2_e3i-m25ct1BLTMiYx1A","client_id_issued_at":1795439690,"client_name":"authlab-test-client","redirect_uris":["http://127.0.0.1:3000/callback"],"token_endpoint_auth_method":"none"}"#),
        ),
        exchange(
            5,
            "authorization_server",
            "GET",
            authorize,
            302,
            &[("accept", "*/*"), UA],
            None,
            &[("cache-control", "no-store"), ("location", location)],
            None,
        ),
        exchange(
            6,
            "authorization_server",
            "POST",
            format!("{AS}/token"),
            200,
            &[ACCEPT_JSON, ("content-type", "application/x-www-form-urlencoded"), UA],
            Some("grant_type=authorization_code&code=‹redacted:9de0f30b›&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcallback&code_verifier=‹redacted:2130a25c›&resource=http%3A%2F%2F127.0.0.1%3A46097%2Fmcp&client_id=B2_e3i-m25ct1BLTMiYx1A"),
            &[("cache-control", "no-store"), JSON_IN],
            Some(r#"{"access_token":"‹redacted:9d7a2cd6›","expires_in":3600,"refresh_token":"‹redacted:e9faf031›","scope":"mcp:tools","token_type":"Bearer"}"#),
        ),
        exchange(
            7,
            "mcp_server",
            "POST",
            format!("{MCP}/mcp"),
            200,
            &[ACCEPT_MCP, BEARER, JSON_IN, UA],
            Some(INITIALIZE),
            &[JSON_IN, ("mcp-session-id", "w6jV-DiB2-HfZkp7nuGwToT6nJVguDt4")],
            Some(r#"{"id":1,"jsonrpc":"2.0","result":{"capabilities":{"tools":{}},"protocolVersion":"2025-11-25","serverInfo":{"name":"mcp-authlab-mock","version":"0.1.0"}}}"#),
        ),
        exchange(
            8,
            "mcp_server",
            "POST",
            format!("{MCP}/mcp"),
            200,
            &[
                ACCEPT_MCP,
                BEARER,
                JSON_IN,
                ("mcp-protocol-version", "2025-11-25"),
                ("mcp-session-id", "w6jV-DiB2-HfZkp7nuGwToT6nJVguDt4"),
                UA,
            ],
            Some(r#"{"id":2,"jsonrpc":"2.0","method":"tools/call","params":{"arguments":{},"name":"test-tool"}}"#),
            &[JSON_IN],
            Some(r#"{"id":2,"jsonrpc":"2.0","result":{"content":[{"text":"ok","type":"text"}]}}"#),
        ),
    ]
}

fn metadata_default() -> ScenarioResult {
    let prm_section =
        "MCP 2025-11-25 Protected Resource Metadata Discovery Requirements; RFC 9728 §3.1, §5.1";
    ScenarioResult {
        id: "auth/metadata-default".into(),
        description: "Default deployment: PRM at the path-inserted well-known URL and named in the 401, RFC 8414 metadata for an issuer without a path; the root PRM URL is a trap".into(),
        spec_version: SpecVersion::V2025_11_25,
        verdict: Verdict::Pass,
        duration_ms: 107,
        checks: vec![
            check(
                "prm-priority-order",
                Level::Must,
                "C-PRM-2",
                prm_section,
                Outcome::Pass,
                "protected resource metadata requests in order: #2 GET http://127.0.0.1:46097/.well-known/oauth-protected-resource/mcp -> 200",
                "The client fetches the protected resource metadata from the URL in the challenge, else from the well-known URLs in priority order.",
                &[2],
            ),
            check(
                "client-completed-flow",
                Level::Must,
                "C-TOK-1",
                "MCP Authorization, Access Token Usage; OAuth 2.1 §5.1",
                Outcome::Pass,
                "2 MCP request(s) with an access token the token endpoint issued were accepted (first: #7 MCP POST /mcp -> 200); the client exited with code 0",
                "The client sends the access token in an Authorization: Bearer header on every MCP request.",
                &[7],
            ),
            check(
                "pkce-code-challenge-sent",
                Level::Must,
                "C-PKCE-1",
                "MCP Authorization, Authorization Code Protection (PKCE); OAuth 2.1 §4.1.1; RFC 7636 §4",
                Outcome::Pass,
                "every authorization request (1) carried `code_challenge`",
                "The client uses PKCE: a code_challenge in the authorization request and the code_verifier in the token request.",
                &[5],
            ),
            check(
                "pkce-challenge-fresh",
                Level::Must,
                "C-PKCE-1",
                "OAuth 2.1 §4.1.1, §7.5.2",
                Outcome::Skip,
                "fewer than two distinct authorization requests: nothing to compare",
                "The client uses PKCE: a code_challenge in the authorization request and the code_verifier in the token request.",
                &[],
            ),
        ],
        error: None,
        expected_failure: false,
        output: vec![
            "authlab-test-client: MCP server http://127.0.0.1:46097/mcp, authorization code grant".into(),
            "authlab-test-client: registered client `B2_e3i-m25ct1BLTMiYx1A` (none)".into(),
            "authlab-test-client: got access token ‹secret sha256:9d7a2cd6›, refresh token ‹secret sha256:e9faf031›".into(),
            "authlab-test-client: done".into(),
        ],
        trace: default_flow(),
    }
}

fn token_endpoint_auth_basic() -> ScenarioResult {
    let mut wrong_method = check(
        "token-endpoint-auth-method",
        Level::Must,
        "C-DCR-2",
        "RFC 7591 §2 (token_endpoint_auth_method); RFC 6749 §2.3.1",
        Outcome::Fail,
        "the token request (#4) sent the client secret in the form (client_secret_post), not in an Authorization: Basic header as registered (client_secret_basic)",
        "The client registers by Dynamic Client Registration with a JSON request and then authenticates as registered.",
        &[4],
    );
    wrong_method.expected_failure = true;
    let register = exchange(
        3,
        "authorization_server",
        "POST",
        format!("{AS}/register"),
        201,
        &[ACCEPT_JSON, JSON_IN, UA],
        Some(
            r#"{"client_name":"authlab-test-client","redirect_uris":["http://127.0.0.1:3000/callback"]}"#,
        ),
        &[JSON_IN],
        Some(
            r#"{"client_id":"sW1r9Qm0uXo5-bJzQeHk2w","client_secret":"‹redacted:5b1c0e7a›","token_endpoint_auth_method":"client_secret_basic"}"#,
        ),
    );
    let token = exchange(
        4,
        "authorization_server",
        "POST",
        format!("{AS}/token"),
        200,
        &[("content-type", "application/x-www-form-urlencoded"), UA],
        Some("grant_type=authorization_code&code=‹redacted:77aa01f3›&client_id=sW1r9Qm0uXo5-bJzQeHk2w&client_secret=‹redacted:5b1c0e7a›&code_verifier=‹redacted:0c4d9e21›"),
        &[JSON_IN],
        Some(r#"{"access_token":"‹redacted:4f00ba11›","token_type":"Bearer"}"#),
    );
    ScenarioResult {
        id: "auth/token-endpoint-auth-basic".into(),
        description: "DCR registers the client as client_secret_basic (the only method advertised); the token request must use it".into(),
        spec_version: SpecVersion::V2025_11_25,
        verdict: Verdict::Fail,
        duration_ms: 88,
        checks: vec![
            wrong_method,
            check(
                "client-completed-flow",
                Level::Must,
                "C-TOK-1",
                "MCP Authorization, Access Token Usage; OAuth 2.1 §5.1",
                Outcome::Pass,
                "1 MCP request(s) with an access token the token endpoint issued were accepted (first: #5 MCP POST /mcp -> 200); the client exited with code 0",
                "The client sends the access token in an Authorization: Bearer header on every MCP request.",
                &[5],
            ),
        ],
        error: None,
        expected_failure: false,
        output: Vec::new(),
        trace: vec![register, token],
    }
}

fn scope_step_up() -> ScenarioResult {
    let forbidden = exchange(
        5,
        "mcp_server",
        "POST",
        format!("{MCP}/mcp"),
        403,
        &[ACCEPT_MCP, BEARER, JSON_IN, UA],
        Some(r#"{"id":3,"jsonrpc":"2.0","method":"tools/call","params":{"name":"admin_action"}}"#),
        &[(
            "www-authenticate",
            r#"Bearer error="insufficient_scope", scope="mcp:basic mcp:write""#,
        )],
        None,
    );
    let reauthorize = exchange(
        6,
        "authorization_server",
        "GET",
        format!("{AS}/authorize?response_type=code&client_id=B2_e3i-m25ct1BLTMiYx1A&scope=mcp%3Abasic%7Cmcp%3Awrite&state=Zk3p0Lr8Yy2Wq1e4&code_challenge=3tO5ZVJ8-2mY7bq4r1XnV0e6sKpQhWc9aLdFgUiE0Zo&code_challenge_method=S256"),
        302,
        &[UA],
        None,
        &[("location", "http://127.0.0.1:3000/callback?code=‹redacted:1a2b3c4d›&state=Zk3p0Lr8Yy2Wq1e4")],
        None,
    );
    ScenarioResult {
        id: "auth/scope-step-up".into(),
        description: "initialize needs no token; other requests need mcp:basic (401 names it); tools/call also needs mcp:write (403 insufficient_scope with scope=\"mcp:basic mcp:write\"): the client re-authorizes with the larger scope and retries the call with the new token".into(),
        spec_version: SpecVersion::V2025_11_25,
        verdict: Verdict::Warn,
        duration_ms: 131,
        checks: vec![
            check(
                "scope-step-up-initial",
                Level::Should,
                "C-SCOPE-1",
                "MCP 2025-11-25 Scope Selection Strategy",
                Outcome::Pass,
                "the first authorization request asked for `mcp:basic`, the scope of the 401 challenge",
                "The client asks for the scope named in the challenge, else for the scopes_supported of the protected resource metadata, else for no scope.",
                &[2],
            ),
            check(
                "scope-step-up-escalation",
                Level::Should,
                "C-SCOPE-2",
                "MCP 2025-11-25 Scope Challenge Handling; RFC 6750 §3.1",
                Outcome::Warn,
                "after the 403 (#5) the client asked for scope `mcp:basic|mcp:write` (a `|`-separated list, not the space-separated *mcp:basic mcp:write*) <script>alert(1)</script>",
                "On 403 insufficient_scope the client re-authorizes once with the scopes the challenge names and retries, without looping.",
                &[5, 6],
            ),
            check(
                "client-completed-flow",
                Level::Must,
                "C-TOK-1",
                "MCP Authorization, Access Token Usage; OAuth 2.1 §5.1",
                Outcome::Pass,
                "3 MCP request(s) with an access token the token endpoint issued were accepted; the client exited with code 0",
                "The client sends the access token in an Authorization: Bearer header on every MCP request.",
                &[],
            ),
        ],
        error: None,
        expected_failure: false,
        output: Vec::new(),
        trace: vec![forbidden, reauthorize],
    }
}

fn hanging_token_endpoint() -> ScenarioResult {
    let mut hanging = exchange(
        3,
        "authorization_server",
        "POST",
        format!("{AS}/token"),
        0,
        &[("content-type", "application/x-www-form-urlencoded"), UA],
        Some("grant_type=authorization_code&code=‹redacted:5e6f7a8b›&code_verifier=‹redacted:9c0d1e2f›"),
        &[],
        None,
    );
    hanging.answered = false;
    hanging.duration_ms = 30000;
    ScenarioResult {
        id: "auth/hanging-token-endpoint".into(),
        description: "The token endpoint accepts the connection and never answers: the client must time its request out and stop, not hang".into(),
        spec_version: SpecVersion::V2025_11_25,
        verdict: Verdict::Error,
        duration_ms: 30012,
        checks: vec![check(
            "gives-up-on-unresponsive-token-endpoint",
            Level::Should,
            "C-TIMEOUT-1",
            "MCP Authorization, Security Considerations (timeouts); OAuth 2.1 §7",
            Outcome::Skip,
            "the client was still waiting for the token endpoint when it was killed",
            "The client times out a request the server never answers and stops instead of hanging.",
            &[3],
        )],
        error: Some("the client did not finish within 30s".into()),
        expected_failure: false,
        output: vec![
            "authlab-test-client: POST http://127.0.0.1:46101/token (grant_type=authorization_code, client auth none) ...".into(),
            "[mcp-authlab] the client did not finish within 30s and was killed".into(),
        ],
        trace: vec![hanging],
    }
}

fn backcompat_skipped() -> ScenarioResult {
    ScenarioResult {
        id: "auth/2025-03-26-oauth-metadata-backcompat".into(),
        description: "2025-03-26 layout: no PRM, the authorization server on the MCP origin, metadata at <MCP origin>/.well-known/oauth-authorization-server".into(),
        spec_version: SpecVersion::V2025_11_25,
        verdict: Verdict::Skip,
        duration_ms: 0,
        checks: Vec::new(),
        error: Some("not part of MCP 2025-11-25; the scenario applies to 2025-03-26".into()),
        expected_failure: false,
        output: Vec::new(),
        trace: Vec::new(),
    }
}

/// The sample report (see the module docs).
pub fn sample_report() -> Report {
    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        tool: Tool {
            name: "mcp-authlab".into(),
            version: "0.1.0".into(),
        },
        suite: "client".into(),
        target: "authlab-test-client --break auth-method-post-always".into(),
        spec_version: SpecVersion::V2025_11_25,
        duration_ms: 30140,
        scenarios: vec![
            metadata_default(),
            token_endpoint_auth_basic(),
            scope_step_up(),
            hanging_token_endpoint(),
            backcompat_skipped(),
        ],
        summary: Summary {
            stale_expected_failures: vec!["auth/metadata-default:prm-priority-order".into()],
            ..Summary::default()
        },
    };
    report.summarize();
    report
}

/// A report where every scenario passed (for the short forms of the renderers).
pub fn passing_report() -> Report {
    let mut report = sample_report();
    report.scenarios.truncate(1);
    report.duration_ms = 120;
    report.summary.stale_expected_failures.clear();
    report.summarize();
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sample_has_one_scenario_of_each_kind() {
        let report = sample_report();
        let verdicts: Vec<Verdict> = report.scenarios.iter().map(|s| s.verdict).collect();
        assert_eq!(
            verdicts,
            [
                Verdict::Pass,
                Verdict::Fail,
                Verdict::Warn,
                Verdict::Error,
                Verdict::Skip
            ]
        );
        let s = &report.summary;
        assert_eq!(
            (s.total, s.passed, s.failed, s.warned, s.errors, s.skipped),
            (5, 1, 1, 1, 1, 1)
        );
        assert_eq!(s.expected_failures, 1);
        assert!(report.has_unexpected_failures());
        assert!(!passing_report().has_unexpected_failures());
    }
}
