//! Client checks: outcome. Did the client get through the flow and use the MCP server with the
//! token it obtained?

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

/// `client-completed-flow` (C-TOK-1): the client made an MCP request with a bearer token that the
/// MCP server accepted (2xx).
pub fn client_completed(obs: &Observation) -> Finding {
    let accepted = obs.authorized_mcp_requests();
    match accepted.first() {
        Some(first) => Finding::met(format!(
            "{} MCP request(s) with a bearer token were accepted (first: {}); {}",
            accepted.len(),
            first.summary(),
            describe_exit(&obs.exit)
        )),
        None => {
            let mcp = obs.mcp_requests();
            let statuses: Vec<String> = mcp.iter().map(|r| r.status().to_string()).collect();
            let with_token = mcp.iter().filter(|r| r.bearer().is_some()).count();
            Finding::violated(format!(
                "no MCP request with a bearer token was accepted: {} MCP request(s) (statuses: \
                 {}), {with_token} with a bearer token, {} token request(s); {}",
                mcp.len(),
                if statuses.is_empty() {
                    "none".to_string()
                } else {
                    statuses.join(" ")
                },
                obs.token_requests(None).len(),
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

    use mcp_authlab_mock_idp::trace::Role::McpServer as Mcp;

    use super::*;
    use crate::client::observation::test_support::*;

    #[test]
    fn completed_needs_an_accepted_bearer_request() {
        let mut good = observation();
        request(Mcp, "POST", "/mcp").status(401).push(&mut good);
        request(Mcp, "POST", "/mcp")
            .header("Authorization", "Bearer t1")
            .push(&mut good);
        assert!(client_completed(&good).is_met());

        let mut bad = observation();
        request(Mcp, "POST", "/mcp").status(401).push(&mut bad);
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
