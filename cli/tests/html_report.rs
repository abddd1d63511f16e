//! The HTML report (`--report html=PATH`) in a real headless browser: the page is rendered from
//! `mcp_authlab_reports::fixtures::sample_report()` (no suite runs), loaded from a `file://` URL
//! by Debian's Chromium with `--dump-dom`, and the DOM after the page script ran must hold the
//! drawn sequence diagrams: one `<svg class="sequence">` per scenario with a trace, one request
//! arrow per exchange and one response arrow per answered exchange, the failing steps (and the
//! suspects) marked, and the outcome filters.
//!
//! **Chromium** is `/usr/bin/chromium` (Debian's `chromium` package), or the binary named by
//! `MCP_AUTHLAB_CHROMIUM`. When it is not installed the tests FAIL if the `CI` environment
//! variable is set (CI installs it), and otherwise print why and pass without checking anything.
//! Chromium runs in its own process group, killed at the end and after a 60 s timeout.
//!
//! To look at the page yourself, set `MCP_AUTHLAB_HTML_REPORT_OUT=/some/file.html`: the sample
//! page is written there too.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use mcp_authlab_harness::process::{ProcessError, ProcessGroup};
use mcp_authlab_reports::fixtures::sample_report;
use mcp_authlab_reports::{html, Outcome, Report, ScenarioResult, Verdict};

const DEFAULT_CHROMIUM: &str = "/usr/bin/chromium";
const BROWSER_TIMEOUT: Duration = Duration::from_secs(60);

/// The Chromium binary, or `None` (after saying why) when the test cannot run here.
fn chromium() -> Option<PathBuf> {
    let path = std::env::var_os("MCP_AUTHLAB_CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_CHROMIUM));
    if path.is_file() {
        return Some(path);
    }
    if std::env::var_os("CI").is_some() {
        panic!(
            "{} is not installed, and CI is set: CI must install Debian's `chromium` for the HTML \
             report test",
            path.display()
        );
    }
    eprintln!(
        "SKIPPED: {} not found; install Debian's `chromium` (apt-get install chromium) to check \
         the HTML report in a browser",
        path.display()
    );
    None
}

/// The DOM of `page` after its scripts ran, as headless Chromium serializes it.
fn dump_dom(chromium: &Path, page: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.html");
    std::fs::write(&file, page).unwrap();
    let stderr_path = dir.path().join("chromium.stderr");
    let mut command = Command::new(chromium);
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--virtual-time-budget=2000",
        ])
        .arg(format!(
            "--user-data-dir={}",
            dir.path().join("profile").display()
        ))
        .arg("--dump-dom")
        .arg(format!("file://{}", file.display()))
        // Nothing of the user's: Chromium writes its caches and config under the temporary dir.
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path())
        .env("XDG_CACHE_HOME", dir.path())
        .stdin(Stdio::null())
        .stderr(std::fs::File::create(&stderr_path).unwrap());
    let mut browser = ProcessGroup::spawn(&mut command).expect("start chromium");
    let stderr = || std::fs::read_to_string(&stderr_path).unwrap_or_default();
    let deadline = Instant::now() + BROWSER_TIMEOUT;
    let mut dom = String::new();
    loop {
        match browser.next_line(deadline.saturating_duration_since(Instant::now())) {
            Ok(line) => {
                dom.push_str(&line);
                dom.push('\n');
            }
            // Stdout closed: the DOM is all there.
            Err(ProcessError::NoReadyLine { .. }) => break,
            Err(error) => panic!("chromium: {error}\n--- stderr\n{}", stderr()),
        }
    }
    let status = browser
        .wait_timeout(deadline.saturating_duration_since(Instant::now()))
        .expect("wait for chromium");
    assert!(
        status.is_some_and(|s| s.success()),
        "chromium ended with {status:?}\n--- stderr\n{}",
        stderr()
    );
    assert!(
        dom.contains("</html>"),
        "chromium printed no DOM\n--- stdout\n{dom}\n--- stderr\n{}",
        stderr()
    );
    dom
}

/// The start tag of the element with `id`.
fn tag_with_id<'a>(dom: &'a str, id: &str) -> Option<&'a str> {
    let at = dom.find(&format!(" id=\"{id}\""))?;
    let start = dom[..at].rfind('<')?;
    Some(&dom[start..at + dom[at..].find('>')? + 1])
}

/// The drawn diagram of scenario `index`: from its `<svg` to its `</svg>`.
fn diagram(dom: &str, index: usize) -> Option<&str> {
    let host = format!("<div class=\"diagram\" data-scenario=\"{index}\">");
    let start = dom.find(&host)? + host.len();
    let end = start + dom[start..].find("</svg>")?;
    dom[start..end]
        .starts_with("<svg")
        .then(|| &dom[start..end])
}

/// The exchanges the page must mark, worked out here from the report on its own: the evidence
/// of failed and warned checks, else (in a scenario that did not succeed) the unanswered and
/// 5xx exchanges as suspects.
fn expected_marks(scenario: &ScenarioResult) -> (BTreeSet<u64>, BTreeSet<u64>) {
    let seqs: BTreeSet<u64> = scenario.trace.iter().map(|e| e.seq).collect();
    let failing: BTreeSet<u64> = scenario
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
        .flat_map(|c| c.evidence.iter().copied())
        .filter(|seq| seqs.contains(seq))
        .collect();
    let unsuccessful = matches!(
        scenario.verdict,
        Verdict::Fail | Verdict::Warn | Verdict::Error
    );
    let suspects = if failing.is_empty() && unsuccessful {
        scenario
            .trace
            .iter()
            .filter(|e| !e.answered || e.status >= 500)
            .map(|e| e.seq)
            .collect()
    } else {
        BTreeSet::new()
    };
    (failing, suspects)
}

fn check_diagrams(report: &Report, dom: &str) -> (usize, usize) {
    let (mut failing_marked, mut suspects_marked) = (0, 0);
    for (index, scenario) in report.scenarios.iter().enumerate() {
        let Some(svg) = diagram(dom, index) else {
            assert!(
                scenario.trace.is_empty(),
                "{}: no diagram drawn",
                scenario.id
            );
            continue;
        };
        assert!(
            !scenario.trace.is_empty(),
            "{}: a diagram of nothing",
            scenario.id
        );
        assert!(svg.starts_with("<svg class=\"sequence\""), "{svg}");
        let answered = scenario.trace.iter().filter(|e| e.answered).count();
        assert_eq!(
            svg.matches("class=\"arrow arrow-request\"").count(),
            scenario.trace.len(),
            "{}: one request arrow per exchange",
            scenario.id
        );
        assert_eq!(
            svg.matches("class=\"arrow arrow-response\"").count(),
            answered,
            "{}: one response arrow per answered exchange",
            scenario.id
        );
        let lifelines = svg.matches("class=\"lifeline\"").count();
        let participants: BTreeSet<&str> = scenario
            .trace
            .iter()
            .flat_map(|e| [e.from.as_str(), e.to.as_str()])
            .collect();
        assert_eq!(lifelines, participants.len(), "{}", scenario.id);
        let (failing, suspects) = expected_marks(scenario);
        for exchange in &scenario.trace {
            let id = format!("s{index}-x{}", exchange.seq);
            let tag = tag_with_id(svg, &id).unwrap_or_else(|| panic!("no row {id}"));
            assert!(tag.starts_with("<g class=\"exchange"), "{tag}");
            let is_failing = tag.contains(" failing ");
            let is_suspect = tag.contains(" suspect");
            assert_eq!(is_failing, failing.contains(&exchange.seq), "{tag}");
            assert_eq!(is_suspect, suspects.contains(&exchange.seq), "{tag}");
            failing_marked += usize::from(is_failing);
            suspects_marked += usize::from(is_suspect);
        }
        // Each row carries its label (`METHOD path`) and its marks are explained.
        for exchange in &scenario.trace {
            assert!(
                svg.contains(&format!(">{} /", exchange.method)),
                "{}: no `{} …` label",
                scenario.id,
                exchange.method
            );
        }
        if !failing.is_empty() {
            assert!(svg.contains("class=\"marker mark-"), "{}", scenario.id);
        }
    }
    (failing_marked, suspects_marked)
}

#[test]
fn the_sample_report_renders_its_diagrams_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let report = sample_report();
    let page = html::render(&report);
    if let Some(out) = std::env::var_os("MCP_AUTHLAB_HTML_REPORT_OUT") {
        std::fs::write(out, &page).unwrap();
    }
    let dom = dump_dom(&chromium, &page);

    let with_trace = report.scenarios.iter().filter(|s| !s.trace.is_empty());
    assert_eq!(
        dom.matches("<svg class=\"sequence\"").count(),
        with_trace.count(),
        "one diagram per scenario with a trace"
    );
    let (failing, suspects) = check_diagrams(&report, &dom);
    // The sample has both kinds of marks, so the checks above did check something.
    assert!(failing > 0, "no failing step marked");
    assert!(suspects > 0, "no suspect marked");
    assert!(
        dom.contains("class=\"exchange failing fail\""),
        "no failed step"
    );

    // The legends say what the marks mean, and were shown by the script.
    assert!(dom.contains("failing step</span>: named by a failed check"));
    assert!(dom.contains("? suspect</span>: no check named the failing step"));
    assert!(!dom.contains("class=\"legend\" data-scenario=\"1\" hidden"));

    // The filters, one per outcome.
    for category in ["pass", "fail", "warn", "skip", "error", "expected"] {
        assert!(
            dom.contains(&format!("<input type=\"checkbox\" id=\"show-{category}\"")),
            "no `{category}` filter"
        );
    }
}

#[test]
fn a_hostile_report_stays_text_in_the_browser() {
    let Some(chromium) = chromium() else { return };
    let mut report = sample_report();
    let failing = report
        .scenarios
        .iter_mut()
        .find(|s| s.verdict == Verdict::Fail)
        .unwrap();
    let exchange = &mut failing.trace[0];
    exchange.method = "GET<img src=x onerror=document.title='pwned'>".into();
    exchange.to = "authorization_server\"><img src=x onerror=alert(1)>".into();
    exchange
        .response_headers
        .insert("x-evil".into(), "<img src=x onerror=alert(2)>".into());
    failing.checks[0].message = "</script><script>document.title='pwned'</script><!--".into();
    let page = html::render(&report);
    let dom = dump_dom(&chromium, &page);

    // Nothing was injected: the page's own two scripts, no image, the title untouched...
    assert_eq!(dom.matches("<script").count(), 2, "{dom}");
    assert!(!dom.contains("<img"), "an element was injected");
    assert!(!dom.contains("pwned</title>"));
    // ...and the diagrams are still drawn, the hostile strings in them as text.
    assert!(dom.contains("&lt;img src=x onerror=document.title='pwned'&gt;"));
    assert_eq!(
        dom.matches("<svg class=\"sequence\"").count(),
        report
            .scenarios
            .iter()
            .filter(|s| !s.trace.is_empty())
            .count()
    );
}
