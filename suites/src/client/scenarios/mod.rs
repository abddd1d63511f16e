//! The client scenarios, one file per topic; [`all`] is the catalogue in a stable order.

pub mod authorization;
pub mod discovery;
pub mod issuer;
pub mod migration;
pub mod registration;
pub mod scope;
pub mod token;

use super::scenario::Scenario;

/// Every client scenario, in catalogue order (ids are unique: see the test below).
pub fn all() -> Vec<Scenario> {
    let mut all = Vec::new();
    all.extend(discovery::scenarios());
    all.extend(registration::scenarios());
    all.extend(authorization::scenarios());
    all.extend(issuer::scenarios());
    all.extend(scope::scenarios());
    all.extend(token::scenarios());
    all.extend(migration::scenarios());
    all
}

/// The scenario with this id.
pub fn find(id: &str) -> Option<Scenario> {
    all().into_iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use mcp_authlab_mock_idp::trace::Role;
    use mcp_authlab_reports::Outcome;

    use crate::client::observation::test_support::{observation, request, AS, MCP};
    use crate::client::observation::{ClientExit, Observation};
    use crate::client::run::default_version;

    #[test]
    fn scenario_ids_are_unique_and_checks_ids_unique_within_a_scenario() {
        let all = super::all();
        let ids: BTreeSet<_> = all.iter().map(|s| s.id).collect();
        assert_eq!(ids.len(), all.len());
        for scenario in &all {
            let checks: BTreeSet<_> = scenario.checks.iter().map(|c| c.id).collect();
            assert_eq!(checks.len(), scenario.checks.len(), "{}", scenario.id);
        }
    }

    #[test]
    fn the_official_auth_suite_has_its_fourteen_scenarios() {
        let auth: Vec<&str> = super::all()
            .iter()
            .filter(|s| s.suites().contains(&"auth"))
            .map(|s| s.id)
            .collect();
        for id in [
            "auth/metadata-default",
            "auth/metadata-var1",
            "auth/metadata-var2",
            "auth/metadata-var3",
            "auth/basic-cimd",
            "auth/scope-from-www-authenticate",
            "auth/scope-from-scopes-supported",
            "auth/scope-omitted-when-undefined",
            "auth/scope-step-up",
            "auth/scope-retry-limit",
            "auth/token-endpoint-auth-basic",
            "auth/token-endpoint-auth-post",
            "auth/token-endpoint-auth-none",
            "auth/pre-registration",
        ] {
            assert!(
                auth.contains(&id),
                "{id} missing from --suite auth: {auth:?}"
            );
        }
        assert_eq!(auth.len(), 14, "{auth:?}");
        let backcompat = super::all()
            .iter()
            .filter(|s| s.suites().contains(&"backcompat"))
            .count();
        assert_eq!(backcompat, 2);
    }

    #[test]
    fn texts_have_no_broken_line_continuations() {
        // A string continued on the next line without a trailing `\` keeps the indentation.
        for scenario in super::all() {
            assert!(!scenario.description.contains("   "), "{}", scenario.id);
            for check in &scenario.checks {
                assert!(
                    !check.section.contains("   "),
                    "{} {}",
                    scenario.id,
                    check.id
                );
            }
        }
    }

    /// The scenarios whose checks, at the scenario's default version, give no fail and no warn on
    /// `obs`: each would pass a client that behaved as `obs` shows.
    fn passed_by(obs: &Observation) -> Vec<String> {
        super::all()
            .iter()
            .filter_map(|scenario| {
                let version = default_version(scenario).expect(scenario.id);
                let results: Vec<_> = scenario
                    .checks
                    .iter()
                    .map(|check| check.evaluate(obs, version))
                    .collect();
                let caught = results
                    .iter()
                    .any(|r| matches!(r.outcome, Outcome::Fail | Outcome::Warn));
                (!caught).then(|| {
                    let outcomes: Vec<String> = results
                        .iter()
                        .map(|r| format!("{} {:?}: {}", r.id, r.outcome, r.message))
                        .collect();
                    format!("{} [{}]", scenario.id, outcomes.join("; "))
                })
            })
            .collect()
    }

    #[test]
    fn no_scenario_passes_a_client_that_did_nothing() {
        let mut idle = observation();
        idle.exit = ClientExit::Code(0);
        let passed = passed_by(&idle);
        assert!(passed.is_empty(), "{passed:#?}");
    }

    #[test]
    fn no_scenario_passes_a_client_that_stopped_after_the_protected_resource_metadata() {
        // The first unauthenticated MCP request (401 with the usual challenge), the protected
        // resource metadata of the default deployment, then a clean exit.
        let mut stopped = observation();
        request(Role::McpServer, "POST", "/mcp")
            .header("content-type", "application/json")
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#)
            .status(401)
            .response_header(
                "www-authenticate",
                &format!(
                    r#"Bearer resource_metadata="{MCP}/.well-known/oauth-protected-resource/mcp", scope="mcp:basic""#
                ),
            )
            .push(&mut stopped);
        request(
            Role::McpServer,
            "GET",
            "/.well-known/oauth-protected-resource/mcp",
        )
        .response_body(
            &serde_json::json!({
                "resource": format!("{MCP}/mcp"),
                "authorization_servers": [AS],
                "scopes_supported": ["mcp:basic"],
            })
            .to_string(),
        )
        .push(&mut stopped);
        stopped.exit = ClientExit::Code(0);
        let passed = passed_by(&stopped);
        assert!(passed.is_empty(), "{passed:#?}");
    }
}
