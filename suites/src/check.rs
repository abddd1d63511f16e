//! A check: a small named function from an observation to a [`Finding`], plus the metadata the
//! scenario gives at its call site (stable id, level, requirement id, section, spec versions).

use mcp_authlab_reports::{CheckResult, Level, Outcome, SpecVersion};

/// What a check function concluded, before the level is applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// The requirement is met; the message says what was seen.
    Met(String),
    /// The requirement is not met; the message says what was seen instead.
    Violated(String),
    /// The check could not be judged (what it needs did not happen); the message says why.
    NotJudged(String),
    /// Worth knowing, neither good nor bad.
    Note(String),
}

impl Finding {
    pub fn met(message: impl Into<String>) -> Self {
        Finding::Met(message.into())
    }
    pub fn violated(message: impl Into<String>) -> Self {
        Finding::Violated(message.into())
    }
    pub fn not_judged(message: impl Into<String>) -> Self {
        Finding::NotJudged(message.into())
    }
    pub fn note(message: impl Into<String>) -> Self {
        Finding::Note(message.into())
    }
    pub fn is_met(&self) -> bool {
        matches!(self, Finding::Met(_))
    }
    pub fn is_violated(&self) -> bool {
        matches!(self, Finding::Violated(_))
    }
    pub fn message(&self) -> &str {
        match self {
            Finding::Met(m) | Finding::Violated(m) | Finding::NotJudged(m) | Finding::Note(m) => m,
        }
    }
}

/// A check as a scenario uses it: the function and, at the call site, what it enforces.
#[derive(Debug, Clone)]
pub struct Check<O> {
    /// Stable id: the official suite's id where it has one (`pkce-code-challenge-sent`).
    pub id: &'static str,
    pub level: Level,
    /// Requirement id from the spec digest (`C-PKCE-1`).
    pub requirement: &'static str,
    /// Spec or RFC section (`MCP 2025-11-25 Authorization Code Protection; RFC 7636 §4.3`).
    pub section: &'static str,
    /// The versions whose text requires it.
    pub versions: &'static [SpecVersion],
    pub run: fn(&O) -> Finding,
}

/// Every version from 2025-06-18 on.
pub const SINCE_2025_06_18: &[SpecVersion] = &[
    SpecVersion::V2025_06_18,
    SpecVersion::V2025_11_25,
    SpecVersion::V2026_07_28,
];
/// Every version from 2025-11-25 on.
pub const SINCE_2025_11_25: &[SpecVersion] = &[SpecVersion::V2025_11_25, SpecVersion::V2026_07_28];
/// Every version.
pub const ALL_VERSIONS: &[SpecVersion] = &SpecVersion::ALL;
/// Only 2025-03-26.
pub const ONLY_2025_03_26: &[SpecVersion] = &[SpecVersion::V2025_03_26];

impl<O> Check<O> {
    pub fn applies_to(&self, version: SpecVersion) -> bool {
        self.versions.contains(&version)
    }

    /// Runs the check for `version` and applies the level: a violated MUST fails, a violated
    /// SHOULD or MAY warns; a check the version does not require is skipped.
    pub fn evaluate(&self, observation: &O, version: SpecVersion) -> CheckResult {
        let (outcome, message) = if !self.applies_to(version) {
            (Outcome::Skip, format!("not required by MCP {version}"))
        } else {
            let finding = (self.run)(observation);
            let outcome = match (&finding, self.level) {
                (Finding::Met(_), _) => Outcome::Pass,
                (Finding::Violated(_), Level::Must) => Outcome::Fail,
                (Finding::Violated(_), _) => Outcome::Warn,
                (Finding::NotJudged(_), _) => Outcome::Skip,
                (Finding::Note(_), _) => Outcome::Info,
            };
            (outcome, finding.message().to_string())
        };
        CheckResult {
            id: self.id.to_string(),
            level: self.level,
            requirement: self.requirement.to_string(),
            section: self.section.to_string(),
            outcome,
            message,
            expected_failure: false,
            expected: crate::requirements::describe(self.requirement).map(str::to_string),
            evidence: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn even(n: &u32) -> Finding {
        if n % 2 == 0 {
            Finding::met(format!("{n} is even"))
        } else {
            Finding::violated(format!("{n} is odd"))
        }
    }

    fn check(level: Level) -> Check<u32> {
        Check {
            id: "even",
            level,
            requirement: "T-1",
            section: "test",
            versions: SINCE_2025_11_25,
            run: even,
        }
    }

    #[test]
    fn level_decides_fail_or_warn() {
        let v = SpecVersion::V2025_11_25;
        assert_eq!(check(Level::Must).evaluate(&2, v).outcome, Outcome::Pass);
        assert_eq!(check(Level::Must).evaluate(&3, v).outcome, Outcome::Fail);
        assert_eq!(check(Level::Should).evaluate(&3, v).outcome, Outcome::Warn);
        assert_eq!(check(Level::May).evaluate(&3, v).message, "3 is odd");
    }

    #[test]
    fn versions_that_do_not_require_it_skip_it() {
        let result = check(Level::Must).evaluate(&3, SpecVersion::V2025_06_18);
        assert_eq!(result.outcome, Outcome::Skip);
        assert_eq!(result.message, "not required by MCP 2025-06-18");
    }
}
