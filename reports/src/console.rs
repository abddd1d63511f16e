//! The end-of-run summary for a terminal, in libtest's style: each scenario with an unexpected
//! failure and its failed checks (requirement, level, what was expected and observed), the lists of
//! failures, expected failures and stale expected-failures entries, and a final
//! `test result: ok. …` line counting verdicts. Colour only when asked: the caller decides (a
//! terminal is attached and `NO_COLOR` is unset).
//!
//! The per-scenario lines while the suite runs are libtest-mimic's; a caller that ran the trials
//! with libtest-mimic has printed the failures already and shows only [`result_line`].

use std::fmt::Write;

use anstyle::{AnsiColor, Style};

use crate::model::{CheckResult, Level, Outcome, Report, ScenarioResult};

const RED: Style = AnsiColor::Red.on_default();
const GREEN: Style = AnsiColor::Green.on_default();
const YELLOW: Style = AnsiColor::Yellow.on_default();
const BOLD: Style = Style::new().bold();

/// Paints with a style only when colour is on.
struct Paint {
    color: bool,
}

impl Paint {
    fn paint(&self, style: Style, value: impl std::fmt::Display) -> String {
        if self.color {
            format!("{style}{value}{style:#}")
        } else {
            value.to_string()
        }
    }
}

/// The whole summary (see the module docs).
pub fn render(report: &Report, color: bool) -> String {
    let paint = Paint { color };
    let mut out = String::new();
    let failing: Vec<&ScenarioResult> = report
        .scenarios
        .iter()
        .filter(|s| s.has_unexpected_failures())
        .collect();
    if !failing.is_empty() {
        out.push_str("\nfailures:\n");
        for scenario in &failing {
            scenario_failures(&mut out, &paint, scenario);
        }
        out.push_str("\nfailures:\n");
        for scenario in &failing {
            let _ = writeln!(out, "    {}", scenario.id);
        }
    }
    let expected = expected_failures(report);
    if !expected.is_empty() {
        out.push_str("\nexpected failures:\n");
        for entry in expected {
            let _ = writeln!(out, "    {entry}");
        }
    }
    let stale = &report.summary.stale_expected_failures;
    if !stale.is_empty() {
        out.push_str("\nstale expected-failures entries (they pass now: remove them):\n");
        for entry in stale {
            let _ = writeln!(out, "    {entry}");
        }
    }
    out.push('\n');
    out.push_str(&result_line(report, color));
    out.push('\n');
    out
}

/// `test result: FAILED. 1 passed; 1 failed; 1 warned; 1 errors; 1 skipped; 1 expected failures;
/// 1 stale entries; finished in 30.14s` — ok when nothing failed beyond the expected failures and
/// no entry is stale.
pub fn result_line(report: &Report, color: bool) -> String {
    let paint = Paint { color };
    let s = &report.summary;
    let ok = !report.has_unexpected_failures() && s.stale_expected_failures.is_empty();
    let result = if ok {
        paint.paint(GREEN, "ok")
    } else {
        paint.paint(RED, "FAILED")
    };
    format!(
        "test result: {result}. {} passed; {} failed; {} warned; {} errors; {} skipped; \
         {} expected failures; {} stale entries; finished in {:.2}s",
        s.passed,
        s.failed,
        s.warned,
        s.errors,
        s.skipped,
        s.expected_failures,
        s.stale_expected_failures.len(),
        report.duration_ms as f64 / 1000.0
    )
}

fn scenario_failures(out: &mut String, paint: &Paint, scenario: &ScenarioResult) {
    let _ = writeln!(
        out,
        "\n---- {} ----\n{}: {} (MCP {})",
        paint.paint(BOLD, &scenario.id),
        scenario.id,
        scenario.verdict,
        scenario.spec_version
    );
    if let Some(error) = &scenario.error {
        let _ = writeln!(out, "  error: {error}");
    }
    for check in scenario.unexpected_failures() {
        failed_check(out, paint, scenario, check);
    }
}

fn failed_check(out: &mut String, paint: &Paint, scenario: &ScenarioResult, check: &CheckResult) {
    let style = match (check.outcome, check.level) {
        (Outcome::Fail, _) | (_, Level::Must) => RED,
        _ => YELLOW,
    };
    let _ = writeln!(
        out,
        "  [{}] {} {} — {}",
        check.id,
        paint.paint(style, check.level),
        check.requirement,
        check.message
    );
    if let Some(expected) = &check.expected {
        let _ = writeln!(out, "    expected: {expected}");
    }
    let _ = writeln!(out, "    section: {}", check.section);
    for seq in &check.evidence {
        if let Some(exchange) = scenario.exchange(*seq) {
            let _ = writeln!(out, "    evidence: {}", exchange.summary());
        }
    }
}

/// `scenario` (listed whole) or `scenario:check (LEVEL requirement)` for each expected failure.
fn expected_failures(report: &Report) -> Vec<String> {
    let mut entries = Vec::new();
    for scenario in &report.scenarios {
        if scenario.expected_failure {
            entries.push(format!("{} ({})", scenario.id, scenario.verdict));
            continue;
        }
        for check in scenario
            .checks
            .iter()
            .filter(|c| c.expected_failure && c.outcome.is_failing())
        {
            entries.push(format!(
                "{}:{} ({} {})",
                scenario.id, check.id, check.level, check.requirement
            ));
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{passing_report, sample_report};

    #[test]
    fn the_sample_report() {
        insta::assert_snapshot!(render(&sample_report(), false));
    }

    #[test]
    fn a_passing_run() {
        let text = render(&passing_report(), false);
        assert_eq!(
            text,
            "\ntest result: ok. 1 passed; 0 failed; 0 warned; 0 errors; 0 skipped; \
             0 expected failures; 0 stale entries; finished in 0.12s\n"
        );
    }

    #[test]
    fn colour_only_when_asked() {
        let plain = render(&sample_report(), false);
        assert!(!plain.contains('\u{1b}'), "{plain}");
        let coloured = render(&sample_report(), true);
        assert!(
            coloured.contains("\u{1b}[31mFAILED\u{1b}[0m"),
            "{coloured:?}"
        );
        assert!(
            coloured.contains("\u{1b}[33mSHOULD\u{1b}[0m"),
            "{coloured:?}"
        );
        let green = result_line(&passing_report(), true);
        assert!(green.contains("\u{1b}[32mok\u{1b}[0m"), "{green:?}");
    }

    #[test]
    fn only_unexpected_failures_are_detailed() {
        let text = render(&sample_report(), false);
        assert!(text.contains("---- auth/scope-step-up ----"));
        assert!(text.contains("---- auth/hanging-token-endpoint ----"));
        assert!(!text.contains("---- auth/token-endpoint-auth-basic ----"));
        assert!(text.contains(
            "expected failures:\n    auth/token-endpoint-auth-basic:token-endpoint-auth-method (MUST C-DCR-2)\n"
        ));
    }
}
