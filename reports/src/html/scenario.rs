//! One scenario of the HTML report: its verdict, its checks, the place of its sequence diagram
//! (drawn by the page script) and, for a browser without scripts, a table of its exchanges.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use html_escape::encode_text as text;

use super::duration;
use super::view::{self, category, participant_label, Mark};
use crate::model::{CheckResult, Exchange, ScenarioResult, Verdict};

/// The `<details>` of one scenario; open unless it passed or was skipped.
pub fn section(page: &mut String, index: usize, scenario: &ScenarioResult) {
    let category = category(scenario);
    let verdict = view::verdict_str(scenario.verdict);
    let open = match scenario.verdict {
        Verdict::Pass | Verdict::Skip => "",
        _ if category == "expected" => "",
        _ => " open",
    };
    let expected = if category == "expected" {
        " <span class=\"tag expected\">expected failure</span>"
    } else {
        ""
    };
    let _ = write!(
        page,
        "<details class=\"scenario\" id=\"scenario-{index}\" data-category=\"{category}\"{open}>\n\
         <summary><span class=\"badge {verdict}\">{verdict}</span>{expected} \
         <code class=\"scenario-id\">{}</code> <span class=\"description\">{}</span> \
         <span class=\"facts\">{} · {}</span></summary>\n<div class=\"body\">\n",
        text(&scenario.id),
        text(&scenario.description),
        scenario.spec_version,
        duration(scenario.duration_ms),
    );
    if let Some(error) = &scenario.error {
        let _ = writeln!(page, "<p class=\"error-text\">{}</p>", text(error));
    }
    checks(page, index, scenario);
    if !scenario.trace.is_empty() {
        flow(page, index, scenario);
    }
    if !scenario.output.is_empty() {
        let _ = write!(
            page,
            "<details class=\"output\"><summary>Target output (last {} lines)</summary><pre>",
            scenario.output.len()
        );
        for line in &scenario.output {
            let _ = writeln!(page, "{}", text(line));
        }
        page.push_str("</pre></details>\n");
    }
    page.push_str("</div>\n</details>\n");
}

fn checks(page: &mut String, index: usize, scenario: &ScenarioResult) {
    if scenario.checks.is_empty() {
        page.push_str("<p class=\"no-checks\">No check concluded.</p>\n");
        return;
    }
    page.push_str(
        "<div class=\"table-wrap\"><table class=\"checks\">\n<thead><tr><th>Check</th>\
         <th>Level</th><th>Requirement</th><th>Section</th><th>Expected</th><th>Observed</th>\
         <th>Outcome</th></tr></thead>\n<tbody>\n",
    );
    for check in &scenario.checks {
        check_row(page, index, scenario, check);
    }
    page.push_str("</tbody>\n</table></div>\n");
}

fn check_row(page: &mut String, index: usize, scenario: &ScenarioResult, check: &CheckResult) {
    let outcome = view::outcome_str(check.outcome);
    let _ = write!(
        page,
        "<tr class=\"check {outcome}\"><td data-label=\"Check\"><code>{}</code></td>\
         <td data-label=\"Level\">{}</td><td data-label=\"Requirement\">{}</td>\
         <td data-label=\"Section\">{}</td><td data-label=\"Expected\">{}</td>\
         <td data-label=\"Observed\">{}",
        text(&check.id),
        check.level,
        text(&check.requirement),
        text(&check.section),
        text(check.expected.as_deref().unwrap_or("")),
        text(&check.message),
    );
    let in_trace: Vec<u64> = check
        .evidence
        .iter()
        .copied()
        .filter(|seq| scenario.trace.iter().any(|e| e.seq == *seq))
        .collect();
    if !in_trace.is_empty() {
        page.push_str("<span class=\"evidence\">Exchanges:");
        for seq in in_trace {
            let _ = write!(
                page,
                " <a class=\"evidence-link\" href=\"#{}\" data-scenario=\"{index}\" \
                 data-seq=\"{seq}\">#{seq}</a>",
                exchange_anchor(index, seq)
            );
        }
        page.push_str("</span>");
    }
    let expected = if check.expected_failure {
        " <span class=\"tag expected\">expected</span>"
    } else {
        ""
    };
    let _ = writeln!(
        page,
        "</td><td data-label=\"Outcome\"><span class=\"badge {outcome}\">{outcome}</span>\
         {expected}</td></tr>"
    );
}

/// `s3-x12`: the element of exchange 12 of scenario 3 (a diagram row, or a `<noscript>` row).
fn exchange_anchor(index: usize, seq: u64) -> String {
    format!("s{index}-x{seq}")
}

fn flow(page: &mut String, index: usize, scenario: &ScenarioResult) {
    let marks = view::marks(scenario);
    let _ = write!(
        page,
        "<section class=\"flow\" aria-label=\"Observed flow\">\n<h3>Observed flow \
         <span class=\"n-exchanges\">{} exchange{}</span></h3>\n\
         <div class=\"diagram\" data-scenario=\"{index}\"></div>\n\
         <div class=\"legend\" data-scenario=\"{index}\" hidden></div>\n\
         <div class=\"exchange-detail\" data-scenario=\"{index}\" hidden></div>\n<noscript>\n",
        scenario.trace.len(),
        if scenario.trace.len() == 1 { "" } else { "s" },
    );
    legend_text(page, &marks);
    page.push_str(
        "<div class=\"table-wrap\"><table class=\"exchanges\">\n<thead><tr><th>#</th><th>From</th>\
         <th>To</th><th>Request</th><th>Status</th><th>Raw exchange</th></tr></thead>\n<tbody>\n",
    );
    for exchange in &scenario.trace {
        exchange_row(page, index, exchange, marks.get(&exchange.seq).copied());
    }
    page.push_str("</tbody>\n</table></div>\n</noscript>\n</section>\n");
}

/// The meaning of the marks present, for the `<noscript>` table (the script writes its own
/// legend under the diagram).
fn legend_text(page: &mut String, marks: &BTreeMap<u64, Mark>) {
    let has = |mark: Mark| marks.values().any(|m| *m == mark);
    let mut items = Vec::new();
    if has(Mark::Fail) {
        items.push("<span class=\"mark fail\">✖ failing step</span>: named by a failed check");
    }
    if has(Mark::Warn) {
        items.push("<span class=\"mark warn\">! warned step</span>: named by a check that warned");
    }
    if has(Mark::Suspect) {
        items.push(
            "<span class=\"mark suspect\">? suspect</span>: no check named the failing step; \
             this request got no response or a 5xx",
        );
    }
    if !items.is_empty() {
        let _ = writeln!(page, "<p class=\"legend\">{}</p>", items.join(" · "));
    }
}

fn exchange_row(page: &mut String, index: usize, exchange: &Exchange, mark: Option<Mark>) {
    let class = mark
        .map(|m| format!(" class=\"{}\"", m.as_str()))
        .unwrap_or_default();
    let glyph = match mark {
        Some(Mark::Fail) => "✖ ",
        Some(Mark::Warn) => "! ",
        Some(Mark::Suspect) => "? ",
        None => "",
    };
    let status = if exchange.answered {
        exchange.status.to_string()
    } else {
        "no response".into()
    };
    let _ = write!(
        page,
        "<tr id=\"{}\"{class}><td>{glyph}{}</td><td>{}</td><td>{}</td>\
         <td><code>{} {}</code></td><td>{}</td><td><details><summary>show</summary>",
        exchange_anchor(index, exchange.seq),
        exchange.seq,
        text(&participant_label(&exchange.from)),
        text(&participant_label(&exchange.to)),
        text(&exchange.method),
        text(&exchange.url),
        text(&status),
    );
    raw_part(
        page,
        "Request",
        &exchange.request_headers,
        &exchange.request_body,
    );
    if exchange.answered {
        raw_part(
            page,
            "Response",
            &exchange.response_headers,
            &exchange.response_body,
        );
    } else {
        page.push_str("<h4>Response</h4><p>none: the server never answered</p>");
    }
    page.push_str("</details></td></tr>\n");
}

fn raw_part(
    page: &mut String,
    title: &str,
    headers: &BTreeMap<String, String>,
    body: &Option<String>,
) {
    let _ = write!(page, "<h4>{title}</h4><pre>");
    for (name, value) in headers {
        let _ = writeln!(page, "{}: {}", text(name), text(value));
    }
    if let Some(body) = body {
        let _ = write!(page, "\n{}", text(body));
    }
    page.push_str("</pre>");
}
