//! The client scenarios, one file per topic; [`all`] is the catalogue in a stable order.

pub mod authorization;
pub mod discovery;
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
    all.extend(scope::scenarios());
    all.extend(token::scenarios());
    all
}

/// The scenario with this id.
pub fn find(id: &str) -> Option<Scenario> {
    all().into_iter().find(|s| s.id == id)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

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
}
