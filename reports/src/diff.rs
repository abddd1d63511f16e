//! What changed in compliance between two runs (`mcp-authlab diff OLD NEW`): scenarios added or
//! removed, verdicts that changed, and checks added, removed or with another outcome. Messages,
//! durations and the trace are not compared: they say how, not whether.

use std::fmt;

use crate::model::{Outcome, Verdict};
use crate::snapshot::{Snapshot, SnapshotCheck, SnapshotScenario};

/// The changes, scenario by scenario (sorted by id); empty when compliance did not change.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Diff {
    pub scenarios: Vec<ScenarioDiff>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioDiff {
    pub id: String,
    pub change: ScenarioChange,
    /// The checks that changed (empty for an added or removed scenario).
    pub checks: Vec<CheckChange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScenarioChange {
    Added(Verdict),
    Removed(Verdict),
    /// The verdict changed (or not: `old == new` when only checks changed).
    Verdict {
        old: Verdict,
        new: Verdict,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckChange {
    Added {
        id: String,
        outcome: Outcome,
        message: String,
    },
    Removed {
        id: String,
        outcome: Outcome,
    },
    Outcome {
        id: String,
        old: Outcome,
        new: Outcome,
        /// What the new run observed.
        message: String,
    },
}

impl Diff {
    pub fn is_empty(&self) -> bool {
        self.scenarios.is_empty()
    }
}

/// Compares two snapshots (see the module docs).
pub fn diff(old: &Snapshot, new: &Snapshot) -> Diff {
    let mut ids: Vec<&str> = old
        .scenarios
        .iter()
        .chain(&new.scenarios)
        .map(|s| s.id.as_str())
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let find = |snapshot: &'_ Snapshot, id: &str| -> Option<SnapshotScenario> {
        snapshot.scenarios.iter().find(|s| s.id == id).cloned()
    };
    let scenarios = ids
        .into_iter()
        .filter_map(|id| match (find(old, id), find(new, id)) {
            (None, Some(new)) => Some(ScenarioDiff {
                id: id.to_string(),
                change: ScenarioChange::Added(new.verdict),
                checks: Vec::new(),
            }),
            (Some(old), None) => Some(ScenarioDiff {
                id: id.to_string(),
                change: ScenarioChange::Removed(old.verdict),
                checks: Vec::new(),
            }),
            (Some(old), Some(new)) => {
                let checks = check_changes(&old.checks, &new.checks);
                (old.verdict != new.verdict || !checks.is_empty()).then(|| ScenarioDiff {
                    id: id.to_string(),
                    change: ScenarioChange::Verdict {
                        old: old.verdict,
                        new: new.verdict,
                    },
                    checks,
                })
            }
            (None, None) => None,
        })
        .collect();
    Diff { scenarios }
}

/// Checks matched by id (and by occurrence, should an id repeat), in the new run's order, then
/// the removed ones.
fn check_changes(old: &[SnapshotCheck], new: &[SnapshotCheck]) -> Vec<CheckChange> {
    let keyed = |checks: &[SnapshotCheck]| -> Vec<(String, usize, SnapshotCheck)> {
        let mut seen: std::collections::BTreeMap<&str, usize> = Default::default();
        checks
            .iter()
            .map(|c| {
                let n = seen.entry(c.id.as_str()).or_default();
                *n += 1;
                (c.id.clone(), *n, c.clone())
            })
            .collect()
    };
    let old = keyed(old);
    let new = keyed(new);
    let mut changes = Vec::new();
    for (id, n, check) in &new {
        match old.iter().find(|(i, m, _)| i == id && m == n) {
            None => changes.push(CheckChange::Added {
                id: id.clone(),
                outcome: check.outcome,
                message: check.message.clone(),
            }),
            Some((_, _, before)) if before.outcome != check.outcome => {
                changes.push(CheckChange::Outcome {
                    id: id.clone(),
                    old: before.outcome,
                    new: check.outcome,
                    message: check.message.clone(),
                })
            }
            Some(_) => {}
        }
    }
    for (id, n, check) in &old {
        if !new.iter().any(|(i, m, _)| i == id && m == n) {
            changes.push(CheckChange::Removed {
                id: id.clone(),
                outcome: check.outcome,
            });
        }
    }
    changes
}

/// One line per scenario, one indented line per check:
///
/// ```text
/// auth/scope-step-up: warn -> pass
///   scope-step-up-escalation: warn -> pass (the client re-authorized with …)
/// auth/new: added (pass)
/// ```
impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for scenario in &self.scenarios {
            match scenario.change {
                ScenarioChange::Added(verdict) => {
                    writeln!(f, "{}: added ({verdict})", scenario.id)?
                }
                ScenarioChange::Removed(verdict) => {
                    writeln!(f, "{}: removed (was {verdict})", scenario.id)?
                }
                ScenarioChange::Verdict { old, new } if old == new => {
                    writeln!(f, "{}: {new} (checks changed)", scenario.id)?
                }
                ScenarioChange::Verdict { old, new } => {
                    writeln!(f, "{}: {old} -> {new}", scenario.id)?
                }
            }
            for check in &scenario.checks {
                match check {
                    CheckChange::Added {
                        id,
                        outcome,
                        message,
                    } => writeln!(f, "  {id}: added ({outcome}) — {message}")?,
                    CheckChange::Removed { id, outcome } => {
                        writeln!(f, "  {id}: removed (was {outcome})")?
                    }
                    CheckChange::Outcome {
                        id,
                        old,
                        new,
                        message,
                    } => writeln!(f, "  {id}: {old} -> {new} — {message}")?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::sample_report;
    use crate::snapshot::snapshot;

    #[test]
    fn the_same_run_has_no_changes() {
        let base = snapshot(&sample_report());
        let diff = diff(&base, &base.clone());
        assert!(diff.is_empty());
        assert_eq!(diff.to_string(), "");
    }

    #[test]
    fn a_message_or_trace_change_is_not_a_compliance_change() {
        let old = snapshot(&sample_report());
        let mut new = old.clone();
        for scenario in &mut new.scenarios {
            for check in &mut scenario.checks {
                check.message = "other words".into();
            }
            scenario.requests.clear();
        }
        assert!(diff(&old, &new).is_empty());
    }

    #[test]
    fn verdicts_outcomes_and_added_or_removed_scenarios_and_checks() {
        let old = snapshot(&sample_report());
        let mut new = old.clone();
        // auth/scope-step-up is fixed.
        let fixed = new
            .scenarios
            .iter_mut()
            .find(|s| s.id == "auth/scope-step-up")
            .unwrap();
        fixed.verdict = Verdict::Pass;
        fixed.checks[1].outcome = Outcome::Pass;
        fixed.checks[1].message = "re-authorized with `mcp:basic mcp:write`".into();
        // A check disappears from one scenario, another appears.
        let default = new
            .scenarios
            .iter_mut()
            .find(|s| s.id == "auth/metadata-default")
            .unwrap();
        let mut added = default.checks.remove(3);
        added.id = "pkce-verifier-format".into();
        added.outcome = Outcome::Pass;
        added.message = "43 characters".into();
        default.checks.push(added);
        // A scenario disappears, another appears.
        new.scenarios
            .retain(|s| s.id != "auth/hanging-token-endpoint");
        let mut extra = new.scenarios[0].clone();
        extra.id = "auth/zz-new".into();
        new.scenarios.push(extra);

        let changes = diff(&old, &new);
        assert_eq!(
            changes.to_string(),
            "auth/hanging-token-endpoint: removed (was error)\n\
             auth/metadata-default: pass (checks changed)\n\
             \x20 pkce-verifier-format: added (pass) — 43 characters\n\
             \x20 pkce-challenge-fresh: removed (was skip)\n\
             auth/scope-step-up: warn -> pass\n\
             \x20 scope-step-up-escalation: warn -> pass — re-authorized with `mcp:basic mcp:write`\n\
             auth/zz-new: added (skip)\n"
        );
        // And back: everything reversed.
        let back = diff(&new, &old).to_string();
        assert!(
            back.contains("auth/scope-step-up: pass -> warn\n"),
            "{back}"
        );
        assert!(
            back.contains("auth/hanging-token-endpoint: added (error)\n"),
            "{back}"
        );
    }
}
