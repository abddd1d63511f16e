//! The authorization-server scenarios; [`all`] is the catalogue in a stable order.

pub mod authorization;
pub mod discovery;
pub mod inspection;

use mcp_authlab_reports::SpecVersion;

use super::scenario::AuthServerScenario;

/// Only 2026-07-28 (what that revision adds for authorization servers).
pub const ONLY_2026_07_28: &[SpecVersion] = &[SpecVersion::V2026_07_28];

/// Every scenario, in catalogue order (ids are unique: see the test below).
pub fn all() -> Vec<AuthServerScenario> {
    let mut all = discovery::scenarios();
    all.extend(inspection::scenarios());
    all.extend(authorization::scenarios());
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_requirement_is_described() {
        let all = all();
        let mut ids: Vec<&str> = all.iter().map(|s| s.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        for scenario in &all {
            assert!(scenario.id.starts_with("authserver/"), "{}", scenario.id);
            let mut checks: Vec<&str> = scenario.checks.iter().map(|c| c.id).collect();
            checks.sort_unstable();
            checks.dedup();
            assert_eq!(checks.len(), scenario.checks.len(), "{}", scenario.id);
            for check in &scenario.checks {
                assert!(
                    crate::requirements::describe(check.requirement).is_some(),
                    "{} / {}: requirement {} has no sentence",
                    scenario.id,
                    check.id,
                    check.requirement
                );
            }
        }
    }
}
