//! Client checks: outcome. Did the client get through the flow and use the MCP server with the
//! token it obtained?

use mcp_authlab_mock_idp::redact::fingerprint;
use mcp_authlab_reports::Level;

use crate::check::{Check, Finding, ALL_VERSIONS};
use crate::client::observation::{ClientExit, Observation};

/// How the client process ended, for messages (`exited with code 1`).
pub fn describe_exit(exit: &ClientExit) -> String {
    match exit {
        ClientExit::Code(code) => format!("the client exited with code {code}"),
        ClientExit::Signal(signal) => format!("the client was killed by signal {signal}"),
        ClientExit::TimedOut(after) => format!(
            "the client was still running after {} s and was killed",
            after.as_secs()
        ),
    }
}

/// `client-completed-flow` (C-TOK-1): the client made an MCP request (not a preflight) with an
/// access token the token endpoint issued, and the MCP server accepted it (2xx).
pub fn client_completed(obs: &Observation) -> Finding {
    let accepted = obs.authorized_mcp_requests();
    match accepted.first() {
        Some(first) => Finding::met(format!(
            "{} MCP request(s) with an access token the token endpoint issued were accepted \
             (first: {}); {}",
            accepted.len(),
            first.summary(),
            describe_exit(&obs.exit)
        )),
        None => {
            let mcp = obs.mcp_requests();
            let statuses: Vec<String> = mcp.iter().map(|r| r.status_label()).collect();
            let with_token = mcp.iter().filter(|r| r.bearer().is_some()).count();
            let issued = obs.issued_token_fingerprints();
            let with_issued = mcp
                .iter()
                .filter(|r| r.bearer().is_some_and(|t| issued.contains(&fingerprint(t))))
                .count();
            Finding::violated(format!(
                "no MCP request with an access token the token endpoint issued was accepted: {} \
                 MCP request(s) (statuses: {}), {with_token} with a bearer token, {with_issued} \
                 of them with an issued token; {} token request(s), {} access token(s) issued; {}",
                mcp.len(),
                if statuses.is_empty() {
                    "none".to_string()
                } else {
                    statuses.join(" ")
                },
                obs.token_requests(None).len(),
                issued.len(),
                describe_exit(&obs.exit)
            ))
        }
    }
}

/// [`client_completed`] with what it enforces, as every "Complete" scenario uses it.
pub const CLIENT_COMPLETED: Check<Observation> = Check {
    id: "client-completed-flow",
    level: Level::Must,
    requirement: "C-TOK-1",
    section: "MCP Authorization, Access Token Usage (Authorization: Bearer on every request); \
              OAuth 2.1 §5.1",
    versions: ALL_VERSIONS,
    run: client_completed,
};

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mcp_authlab_mock_idp::trace::Role::{AuthorizationServer as As, McpServer as Mcp};

    use super::*;
    use crate::client::observation::test_support::*;

    /// The token endpoint issued `token` (with this grant).
    fn issue(obs: &mut Observation, grant: &str, token: &str) {
        request(As, "POST", "/token")
            .body(&format!("grant_type={grant}"))
            .response_body(&format!(r#"{{"access_token":"{}"}}"#, fingerprint(token)))
            .push(obs);
    }

    #[test]
    fn completed_needs_an_accepted_bearer_request() {
        let mut good = observation();
        request(Mcp, "POST", "/mcp").status(401).push(&mut good);
        issue(&mut good, "authorization_code", "t1");
        request(Mcp, "POST", "/mcp")
            .header("Authorization", "Bearer t1")
            .push(&mut good);
        assert!(client_completed(&good).is_met());

        let mut bad = observation();
        request(Mcp, "POST", "/mcp").status(401).push(&mut bad);
        issue(&mut bad, "authorization_code", "t1");
        request(Mcp, "POST", "/mcp")
            .header("Authorization", "Bearer t1")
            .status(401)
            .push(&mut bad);
        bad.exit = ClientExit::Code(1);
        let finding = client_completed(&bad);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("401 401"), "{finding:?}");
        assert!(!finding.message().contains("t1"));
    }

    #[test]
    fn a_made_up_bearer_on_an_unauthenticated_initialize_does_not_complete() {
        // With `unauthenticated_initialize` the server answers initialize whatever the bearer.
        let mut bad = observation();
        issue(&mut bad, "authorization_code", "real-token");
        request(Mcp, "POST", "/mcp")
            .header("Authorization", "Bearer garbage")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#)
            .push(&mut bad);
        request(Mcp, "OPTIONS", "/mcp")
            .header("Authorization", "Bearer real-token")
            .status(204)
            .push(&mut bad);
        let finding = client_completed(&bad);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(
            finding
                .message()
                .contains("2 with a bearer token, 1 of them with an issued token"),
            "{finding:?}"
        );
        assert!(
            !finding.message().contains("garbage") && !finding.message().contains("real-token")
        );

        // The client_credentials grant issues tokens too.
        let mut good = observation();
        issue(&mut good, "client_credentials", "machine-token");
        request(Mcp, "POST", "/mcp")
            .header("Authorization", "Bearer machine-token")
            .push(&mut good);
        let finding = client_completed(&good);
        assert!(finding.is_met(), "{finding:?}");
        assert!(!finding.message().contains("machine-token"));
    }

    #[test]
    fn exits_are_described() {
        assert_eq!(
            describe_exit(&ClientExit::TimedOut(Duration::from_secs(15))),
            "the client was still running after 15 s and was killed"
        );
        assert_eq!(
            describe_exit(&ClientExit::Code(0)),
            "the client exited with code 0"
        );
    }
}
