//! The Markdown report (`--report markdown=PATH`), for a pull-request comment or
//! `$GITHUB_STEP_SUMMARY` (GitHub-flavoured Markdown): a title line, a summary table, the scenarios
//! with their verdicts, then each failing, warned or errored scenario with its failed checks —
//! requirement, level, section, what was expected and what was observed. When everything passed
//! the scenario table is folded away.
//!
//! Everything that comes from the run (messages, descriptions, the target) is escaped: it cannot
//! open a link, a tag or a table cell.

use std::fmt::Write;

use crate::model::{CheckResult, Outcome, Report, ScenarioResult, Verdict};

/// How many of the target's last output lines an errored scenario shows.
const OUTPUT_LINES: usize = 10;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let failed = report.has_unexpected_failures();
    let stale = &report.summary.stale_expected_failures;
    let ok = !failed && stale.is_empty();
    title(&mut out, report, ok);
    summary(&mut out, report);
    if ok {
        out.push_str("\n<details><summary>Scenarios</summary>\n");
        scenarios(&mut out, report);
        out.push_str("\n</details>\n");
    } else {
        scenarios(&mut out, report);
    }
    let failing: Vec<&ScenarioResult> = report
        .scenarios
        .iter()
        .filter(|s| matches!(s.verdict, Verdict::Fail | Verdict::Warn | Verdict::Error))
        .collect();
    if !failing.is_empty() {
        out.push_str("\n## Failures\n");
        for scenario in failing {
            failure_section(&mut out, scenario);
        }
    }
    if !stale.is_empty() {
        out.push_str("\n## Stale expected-failures entries\n\n");
        out.push_str("They pass now: remove them from the expected-failures file.\n\n");
        for entry in stale {
            let _ = writeln!(out, "- {}", code(entry));
        }
    }
    out
}

fn title(out: &mut String, report: &Report, ok: bool) {
    let _ = writeln!(
        out,
        "## {} mcp-authlab {} suite: {}\n",
        if ok { "✅" } else { "❌" },
        text(&report.suite),
        if ok { "passed" } else { "FAILED" },
    );
    let _ = writeln!(
        out,
        "Target {} · MCP {} · {} {} · {}\n",
        code(&report.target),
        report.spec_version,
        text(&report.tool.name),
        text(&report.tool.version),
        seconds(report.duration_ms),
    );
}

fn summary(out: &mut String, report: &Report) {
    let s = &report.summary;
    out.push_str(
        "| scenarios | ✅ passed | ❌ failed | ⚠️ warned | ⏭️ skipped | 💥 errors | expected failures | stale entries |\n",
    );
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} |",
        s.total,
        s.passed,
        s.failed,
        s.warned,
        s.skipped,
        s.errors,
        s.expected_failures,
        s.stale_expected_failures.len()
    );
}

fn scenarios(out: &mut String, report: &Report) {
    out.push_str("\n| | scenario | verdict | checks | MCP | time |\n");
    out.push_str("|---|---|---|---|---|---:|\n");
    for scenario in &report.scenarios {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            emoji(scenario.verdict),
            code_cell(&scenario.id),
            verdict_text(scenario),
            check_counts(scenario),
            scenario.spec_version,
            seconds(scenario.duration_ms),
        );
    }
}

fn failure_section(out: &mut String, scenario: &ScenarioResult) {
    let _ = writeln!(
        out,
        "\n### {} {} — {}\n",
        emoji(scenario.verdict),
        code(&scenario.id),
        verdict_text(scenario)
    );
    let _ = writeln!(out, "{}\n", paragraph(&scenario.description));
    if let Some(error) = &scenario.error {
        let _ = writeln!(out, "**Error:** {}\n", text(error));
    }
    for check in scenario.checks.iter().filter(|c| c.outcome.is_failing()) {
        failed_check(out, scenario, check);
    }
    if scenario.verdict == Verdict::Error && !scenario.output.is_empty() {
        let start = scenario.output.len().saturating_sub(OUTPUT_LINES);
        let lines = scenario.output[start..].join("\n");
        let _ = writeln!(out, "Last output of the target:\n\n{}", fenced(&lines));
    }
}

fn failed_check(out: &mut String, scenario: &ScenarioResult, check: &CheckResult) {
    let expected_failure = if check.expected_failure || scenario.expected_failure {
        " · expected failure"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "- {} **{}** {} {} — {}{expected_failure}",
        if check.outcome == Outcome::Fail {
            "❌"
        } else {
            "⚠️"
        },
        code(&check.id),
        check.level,
        code(&check.requirement),
        text(&check.section),
    );
    if let Some(expected) = &check.expected {
        let _ = writeln!(out, "  - **Expected:** {}", text(expected));
    }
    let _ = writeln!(out, "  - **Observed:** {}", text(&check.message));
    if !check.evidence.is_empty() {
        let evidence: Vec<String> = check
            .evidence
            .iter()
            .map(|seq| match scenario.exchange(*seq) {
                Some(exchange) => code(&exchange.summary()),
                None => format!("#{seq}"),
            })
            .collect();
        let _ = writeln!(out, "  - **Evidence:** {}", evidence.join(", "));
    }
}

fn emoji(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Pass => "✅",
        Verdict::Fail => "❌",
        Verdict::Warn => "⚠️",
        Verdict::Skip => "⏭️",
        Verdict::Error => "💥",
    }
}

/// `fail`, `fail (expected failure)`, `skip: not part of …` (escaped, one line).
fn verdict_text(scenario: &ScenarioResult) -> String {
    let verdict = scenario.verdict.as_str();
    let failing = matches!(
        scenario.verdict,
        Verdict::Fail | Verdict::Warn | Verdict::Error
    );
    if failing && !scenario.has_unexpected_failures() {
        format!("{verdict} (expected failure)")
    } else if scenario.verdict == Verdict::Skip && scenario.checks.is_empty() {
        match &scenario.error {
            Some(reason) => format!("{verdict}: {}", text(reason)),
            None => verdict.to_string(),
        }
    } else {
        verdict.to_string()
    }
}

/// `3 passed, 1 failed, 1 skipped`.
fn check_counts(scenario: &ScenarioResult) -> String {
    let counts: Vec<String> = [
        (Outcome::Pass, "passed"),
        (Outcome::Fail, "failed"),
        (Outcome::Warn, "warned"),
        (Outcome::Skip, "skipped"),
        (Outcome::Info, "info"),
    ]
    .into_iter()
    .filter_map(|(outcome, name)| {
        let n = scenario
            .checks
            .iter()
            .filter(|c| c.outcome == outcome)
            .count();
        (n > 0).then(|| format!("{n} {name}"))
    })
    .collect();
    if counts.is_empty() {
        "—".into()
    } else {
        counts.join(", ")
    }
}

fn seconds(ms: u64) -> String {
    format!("{:.2} s", ms as f64 / 1000.0)
}

/// Text from the run, escaped for inline use: a backslash (CommonMark allows one before any ASCII
/// punctuation) before every character that could emphasize, link, open an HTML tag, start math
/// or end a table cell; line breaks become spaces.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 8);
    for c in value.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '~' | '&' | '!' | '#' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// [`text`] for the start of a line: also escapes what would open a block there (`-`, `+`, `=`,
/// `1.`, `1)`).
pub fn paragraph(value: &str) -> String {
    let value = value.trim_start();
    let digits = value.chars().take_while(char::is_ascii_digit).count();
    let split = match value[digits..].chars().next() {
        Some('.' | ')') if digits > 0 => Some(digits),
        Some('-' | '+' | '=') if digits == 0 => Some(0),
        _ => None,
    };
    match split {
        Some(at) => format!("{}\\{}", &value[..at], text(&value[at..])),
        None => text(value),
    }
}

/// An inline code span that holds `value` whatever backticks it contains (outside tables).
pub fn code(value: &str) -> String {
    let value = value.replace(['\n', '\r'], " ");
    let longest_run = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run + 1);
    let pad = if value.starts_with('`') || value.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{value}{pad}{fence}")
}

/// A code span inside a table cell: GitHub splits cells before reading code spans, so a `|`
/// must be escaped there too.
fn code_cell(value: &str) -> String {
    code(value).replace('|', "\\|")
}

/// A fenced code block that holds `value` whatever fences it contains.
fn fenced(value: &str) -> String {
    let longest_run = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest_run.max(2) + 1);
    format!("{fence}text\n{value}\n{fence}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{passing_report, sample_report};
    use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

    fn events(markdown: &str) -> Vec<Event<'_>> {
        Parser::new_ext(
            markdown,
            Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
        )
        .collect()
    }

    /// The plain text of every table cell, table by table, row by row.
    fn tables(markdown: &str) -> Vec<Vec<Vec<String>>> {
        let mut tables = Vec::new();
        let mut cell: Option<String> = None;
        for event in events(markdown) {
            match event {
                Event::Start(Tag::Table(_)) => tables.push(Vec::new()),
                Event::Start(Tag::TableHead) | Event::Start(Tag::TableRow) => {
                    tables.last_mut().unwrap().push(Vec::new())
                }
                Event::Start(Tag::TableCell) => cell = Some(String::new()),
                Event::End(TagEnd::TableCell) => {
                    let row = tables.last_mut().unwrap().last_mut().unwrap();
                    row.push(cell.take().unwrap());
                }
                Event::Text(t) | Event::Code(t) => {
                    if let Some(cell) = &mut cell {
                        cell.push_str(&t);
                    }
                }
                _ => {}
            }
        }
        tables
    }

    #[test]
    fn the_sample_report() {
        insta::assert_snapshot!(render(&sample_report()));
    }

    #[test]
    fn a_passing_run_is_short() {
        let markdown = render(&passing_report());
        insta::assert_snapshot!(markdown);
        assert!(!markdown.contains("## Failures"));
        assert!(markdown.lines().count() < 20, "{markdown}");
    }

    #[test]
    fn tables_keep_their_shape_and_nothing_from_the_run_becomes_html_or_a_link() {
        let mut report = sample_report();
        report.target = "sh -c 'client | tee log' `x` <b>".into();
        report.scenarios[2].id = "auth/odd|id`".into();
        report.scenarios[0].description = "[click](https://evil.example) *bold* <img src=x>".into();
        let markdown = render(&report);
        for event in events(&markdown) {
            match event {
                Event::Html(html) | Event::InlineHtml(html) => {
                    // Only the <details> of a passing run is ours; there is none here.
                    panic!("HTML in the Markdown: {html}")
                }
                Event::Start(Tag::Link { .. }) | Event::Start(Tag::Emphasis) => {
                    panic!("markup from the run: {event:?}")
                }
                _ => {}
            }
        }
        let tables = tables(&markdown);
        assert_eq!(tables.len(), 2, "{markdown}");
        assert_eq!(tables[0].len(), 2);
        assert!(tables[0].iter().all(|row| row.len() == 8));
        assert_eq!(tables[1].len(), 1 + report.scenarios.len());
        assert!(
            tables[1].iter().all(|row| row.len() == 6),
            "{:?}",
            tables[1]
        );
        assert_eq!(tables[1][3][1], "auth/odd|id`");
        assert!(
            tables[1][5][2].starts_with("skip: not part of MCP 2025-11-25"),
            "{:?}",
            tables[1][5]
        );
    }

    #[test]
    fn failures_say_what_was_expected_and_observed() {
        let markdown = render(&sample_report());
        let failures = &markdown[markdown.find("## Failures").unwrap()..];
        for part in [
            "`auth/token-endpoint-auth-basic` — fail (expected failure)",
            "**`token-endpoint-auth-method`** MUST `C-DCR-2`",
            "· expected failure",
            "`auth/scope-step-up` — warn",
            "**`scope-step-up-escalation`** SHOULD `C-SCOPE-2`",
            "**Expected:** On 403 insufficient\\_scope",
            "**Observed:** after the 403",
            "**Evidence:** `#5 POST http://127.0.0.1:46097/mcp -> 403`",
            "`auth/hanging-token-endpoint` — error",
            "**Error:** the client did not finish within 30s",
            "[mcp-authlab] the client did not finish within 30s and was killed",
        ] {
            assert!(failures.contains(part), "{part}\n{failures}");
        }
        // Passed and skipped scenarios have no section.
        assert!(!failures.contains("### ✅"));
        assert!(!failures.contains("oauth-metadata-backcompat` —"));
        assert!(markdown.contains("- `auth/metadata-default:prm-priority-order`"));
    }

    #[test]
    fn code_spans_hold_any_backticks() {
        assert_eq!(code("a"), "`a`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
        for value in ["a`b", "``x``", "`"] {
            let rendered = code(value);
            let parsed: Vec<Event> = events(&rendered);
            assert!(
                parsed
                    .iter()
                    .any(|e| matches!(e, Event::Code(c) if c.as_ref() == value)),
                "{value}: {rendered} -> {parsed:?}"
            );
        }
        assert_eq!(text("a|b *c* <d>"), "a\\|b \\*c\\* \\<d\\>");
        assert_eq!(text("v0.1.0 - 1. x"), "v0.1.0 - 1. x");
        assert_eq!(paragraph("- a-b"), "\\- a-b");
        assert_eq!(paragraph("12. x (y)"), "12\\. x (y)");
        assert_eq!(paragraph("12) x"), "12\\) x");
        assert_eq!(paragraph("# no heading"), "\\# no heading");
        assert_eq!(paragraph("2025-11-25 only"), "2025-11-25 only");
    }
}
