//! What the HTML report derives from a scenario before drawing it: the filter category of the
//! scenario, the participants of its sequence diagram in a stable order, and which exchanges
//! are marked (the failing step, or suspects when no check named one).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::model::{Outcome, ScenarioResult, Verdict};

/// The outcome filters of the page, in display order: `(category, label)`.
pub const CATEGORIES: [(&str, &str); 6] = [
    ("fail", "fail"),
    ("warn", "warn"),
    ("error", "error"),
    ("expected", "expected failure"),
    ("pass", "pass"),
    ("skip", "skip"),
];

/// The category a scenario is filtered by: its verdict, or `expected` when it did not succeed
/// and the expected-failures file covers all of it (the scenario is listed whole, or every
/// failed or warned check is listed).
pub fn category(scenario: &ScenarioResult) -> &'static str {
    let verdict = verdict_str(scenario.verdict);
    if !matches!(
        scenario.verdict,
        Verdict::Fail | Verdict::Warn | Verdict::Error
    ) {
        return verdict;
    }
    let mut failing = scenario.checks.iter().filter(|c| failing(c.outcome));
    let covered = scenario.expected_failure || {
        let mut any = false;
        let all = failing.all(|c| {
            any = true;
            c.expected_failure
        });
        any && all
    };
    if covered {
        "expected"
    } else {
        verdict
    }
}

pub fn verdict_str(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "pass",
        Verdict::Fail => "fail",
        Verdict::Warn => "warn",
        Verdict::Skip => "skip",
        Verdict::Error => "error",
    }
}

pub fn outcome_str(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Pass => "pass",
        Outcome::Fail => "fail",
        Outcome::Warn => "warn",
        Outcome::Skip => "skip",
        Outcome::Info => "info",
    }
}

fn failing(outcome: Outcome) -> bool {
    matches!(outcome, Outcome::Fail | Outcome::Warn)
}

/// How an exchange is marked in the diagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mark {
    /// Named in the evidence of a failed check.
    Fail,
    /// Named in the evidence of a warned check (and of no failed one).
    Warn,
    /// No failed or warned check named an exchange, and this one got no response or a 5xx.
    Suspect,
}

impl Mark {
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Fail => "fail",
            Mark::Warn => "warn",
            Mark::Suspect => "suspect",
        }
    }
}

/// A lifeline of the sequence diagram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participant {
    /// As in `Exchange::from` / `to`.
    pub id: String,
    pub label: String,
}

/// What the page script needs beyond the report to draw one scenario's diagram.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScenarioView {
    pub participants: Vec<Participant>,
    /// Marked exchanges by `seq`.
    pub marks: BTreeMap<u64, Mark>,
    /// The failed or warned checks naming each exchange, by `seq`.
    pub cited_by: BTreeMap<u64, Vec<String>>,
}

impl ScenarioView {
    pub fn of(scenario: &ScenarioResult) -> ScenarioView {
        ScenarioView {
            participants: participants(scenario),
            marks: marks(scenario),
            cited_by: cited_by(scenario),
        }
    }
}

/// The participants of the trace: the client or harness first, then the MCP server, then the
/// authorization server, then the others in order of appearance.
pub fn participants(scenario: &ScenarioResult) -> Vec<Participant> {
    let mut seen: Vec<&str> = Vec::new();
    for exchange in &scenario.trace {
        for id in [exchange.from.as_str(), exchange.to.as_str()] {
            if !seen.contains(&id) {
                seen.push(id);
            }
        }
    }
    let rank = |id: &str| match id {
        "client" | "harness" => 0,
        "mcp_server" => 1,
        "authorization_server" => 2,
        _ => 3,
    };
    // A stable sort keeps the order of appearance within a rank.
    seen.sort_by_key(|id| rank(id));
    seen.into_iter()
        .map(|id| Participant {
            id: id.to_string(),
            label: participant_label(id),
        })
        .collect()
}

/// `mcp_server` → `MCP server`; an unknown id is shown with its underscores as spaces.
pub fn participant_label(id: &str) -> String {
    match id {
        "client" => "Client".into(),
        "harness" => "Harness".into(),
        "mcp_server" => "MCP server".into(),
        "authorization_server" => "Authorization server".into(),
        "metadata_host" => "Metadata host".into(),
        other => other.replace('_', " "),
    }
}

/// The marked exchanges: the evidence of failed (then warned) checks; when the scenario did not
/// succeed and no failed or warned check names an exchange of the trace, the unanswered requests
/// and 5xx responses as suspects.
pub fn marks(scenario: &ScenarioResult) -> BTreeMap<u64, Mark> {
    let in_trace: BTreeSet<u64> = scenario.trace.iter().map(|e| e.seq).collect();
    let mut marks = BTreeMap::new();
    for (outcome, mark) in [(Outcome::Fail, Mark::Fail), (Outcome::Warn, Mark::Warn)] {
        for check in scenario.checks.iter().filter(|c| c.outcome == outcome) {
            for seq in check.evidence.iter().filter(|s| in_trace.contains(s)) {
                marks.entry(*seq).or_insert(mark);
            }
        }
    }
    let unsuccessful = matches!(
        scenario.verdict,
        Verdict::Fail | Verdict::Warn | Verdict::Error
    );
    if marks.is_empty() && unsuccessful {
        for exchange in &scenario.trace {
            if !exchange.answered || exchange.status >= 500 {
                marks.insert(exchange.seq, Mark::Suspect);
            }
        }
    }
    marks
}

/// The ids of the failed or warned checks naming each exchange.
fn cited_by(scenario: &ScenarioResult) -> BTreeMap<u64, Vec<String>> {
    let mut cited: BTreeMap<u64, Vec<String>> = BTreeMap::new();
    for check in scenario.checks.iter().filter(|c| failing(c.outcome)) {
        for seq in &check.evidence {
            let ids = cited.entry(*seq).or_default();
            if !ids.contains(&check.id) {
                ids.push(check.id.clone());
            }
        }
    }
    cited
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::{CheckResult, Exchange, Level, SpecVersion};

    pub(crate) fn exchange(seq: u64, from: &str, to: &str, status: u16) -> Exchange {
        Exchange {
            seq,
            from: from.into(),
            to: to.into(),
            method: "GET".into(),
            url: format!("http://127.0.0.1:1/{seq}"),
            status,
            answered: status != 0,
            duration_ms: 1,
            request_headers: Default::default(),
            request_body: None,
            response_headers: Default::default(),
            response_body: None,
        }
    }

    pub(crate) fn check(id: &str, outcome: Outcome, evidence: &[u64]) -> CheckResult {
        CheckResult {
            id: id.into(),
            level: Level::Must,
            requirement: "C-1".into(),
            section: "s".into(),
            outcome,
            message: "m".into(),
            expected_failure: false,
            expected: None,
            evidence: evidence.to_vec(),
        }
    }

    pub(crate) fn scenario(
        verdict: Verdict,
        checks: Vec<CheckResult>,
        trace: Vec<Exchange>,
    ) -> ScenarioResult {
        ScenarioResult {
            id: "auth/x".into(),
            description: "d".into(),
            spec_version: SpecVersion::V2025_11_25,
            verdict,
            duration_ms: 0,
            checks,
            error: None,
            expected_failure: false,
            output: Vec::new(),
            trace,
        }
    }

    #[test]
    fn participants_are_ordered_client_mcp_as_then_others() {
        let s = scenario(
            Verdict::Pass,
            vec![],
            vec![
                exchange(1, "client", "metadata_host", 200),
                exchange(2, "client", "authorization_server", 200),
                exchange(3, "client", "mcp_server", 401),
                exchange(4, "client", "cimd_host", 200),
            ],
        );
        let ids: Vec<_> = participants(&s).into_iter().map(|p| p.id).collect();
        assert_eq!(
            ids,
            [
                "client",
                "mcp_server",
                "authorization_server",
                "metadata_host",
                "cimd_host"
            ]
        );
        let harness = scenario(
            Verdict::Pass,
            vec![],
            vec![exchange(1, "harness", "mcp_server", 401)],
        );
        assert_eq!(participants(&harness)[0].label, "Harness");
        assert_eq!(participant_label("cimd_host"), "cimd host");
    }

    #[test]
    fn evidence_of_failed_and_warned_checks_is_marked() {
        let s = scenario(
            Verdict::Fail,
            vec![
                check("a", Outcome::Warn, &[2, 3]),
                check("b", Outcome::Fail, &[3, 99]),
                check("c", Outcome::Pass, &[1]),
            ],
            vec![
                exchange(1, "client", "mcp_server", 401),
                exchange(2, "client", "authorization_server", 500),
                exchange(3, "client", "authorization_server", 200),
            ],
        );
        let marks = marks(&s);
        // 99 is not in the trace; a passed check's evidence is not a failing step; the 500 is
        // not a suspect once a check named the failing step.
        assert_eq!(
            marks.into_iter().collect::<Vec<_>>(),
            [(2, Mark::Warn), (3, Mark::Fail)]
        );
        let view = ScenarioView::of(&s);
        assert_eq!(view.cited_by[&3], ["a", "b"]);
        assert!(!view.cited_by.contains_key(&1));
    }

    #[test]
    fn without_evidence_unanswered_and_5xx_exchanges_are_suspects() {
        let trace = vec![
            exchange(1, "client", "mcp_server", 401),
            exchange(2, "client", "authorization_server", 0),
            exchange(3, "client", "authorization_server", 502),
        ];
        let failed = scenario(
            Verdict::Error,
            vec![check("a", Outcome::Fail, &[])],
            trace.clone(),
        );
        assert_eq!(
            marks(&failed).into_iter().collect::<Vec<_>>(),
            [(2, Mark::Suspect), (3, Mark::Suspect)]
        );
        // A scenario that passed has no suspects.
        let passed = scenario(Verdict::Pass, vec![check("a", Outcome::Pass, &[])], trace);
        assert!(marks(&passed).is_empty());
    }

    #[test]
    fn a_scenario_covered_by_expected_failures_is_its_own_category() {
        let mut s = scenario(Verdict::Fail, vec![check("a", Outcome::Fail, &[])], vec![]);
        assert_eq!(category(&s), "fail");
        s.checks[0].expected_failure = true;
        assert_eq!(category(&s), "expected");
        s.checks.push(check("b", Outcome::Warn, &[]));
        assert_eq!(category(&s), "fail", "an unlisted warning remains");
        let mut errored = scenario(Verdict::Error, vec![], vec![]);
        assert_eq!(category(&errored), "error");
        errored.expected_failure = true;
        assert_eq!(category(&errored), "expected");
        let mut passed = scenario(Verdict::Pass, vec![], vec![]);
        passed.expected_failure = true;
        assert_eq!(category(&passed), "pass");
    }
}
