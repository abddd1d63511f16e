//! The JUnit XML report (`--report junit=PATH`), built with quick-junit, so CI systems show
//! failures natively: one `<testsuite>` per scenario, one `<testcase>` per check (classname =
//! scenario id, name = check id).
//!
//! A testcase fails exactly when it is a failure the expected-failures file does not cover (the
//! rule of [`Report::has_unexpected_failures`]): a failed MUST or a warned SHOULD/MAY is a
//! `<failure>` (a warning fails the run, as in the official suite) unless listed, then it is
//! `<skipped>` as an expected failure; a check not judged is `<skipped>`; pass and info pass. A
//! scenario in `error` with no failed check gets an extra testcase `scenario` with an `<error>`;
//! a scenario that did not run gets one `<skipped>`. Stale expected-failures entries (the run fails
//! on them too) are failures of a last testsuite, `expected-failures`.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Property, TestCase, TestCaseStatus, TestSuite};

use crate::model::{CheckResult, Outcome, Report, ScenarioResult, Verdict};

/// The name of the extra testcase a scenario gets when it errored or did not run.
pub const SCENARIO_CASE: &str = "scenario";
/// The name of the testsuite of the stale expected-failures entries.
pub const STALE_SUITE: &str = "expected-failures";

pub fn render(report: &Report) -> String {
    let mut junit = quick_junit::Report::new(format!(
        "mcp-authlab {} suite: {}",
        report.suite, report.target
    ));
    junit.set_time(Duration::from_millis(report.duration_ms));
    junit.add_test_suites(report.scenarios.iter().map(scenario_suite));
    if !report.summary.stale_expected_failures.is_empty() {
        junit.add_test_suite(stale_suite(&report.summary.stale_expected_failures));
    }
    junit
        .to_string()
        .expect("a JUnit report built in memory always serializes")
}

fn scenario_suite(scenario: &ScenarioResult) -> TestSuite {
    let mut suite = TestSuite::new(scenario.id.as_str());
    suite.set_time(Duration::from_millis(scenario.duration_ms));
    suite.add_properties([
        Property::new("description", scenario.description.as_str()),
        Property::new("spec_version", scenario.spec_version.as_str()),
        Property::new("verdict", scenario.verdict.as_str()),
    ]);
    if scenario.expected_failure {
        suite.add_property(Property::new("expected_failure", "true"));
    }
    suite.add_test_cases(scenario.checks.iter().map(|c| check_case(scenario, c)));
    if let Some(case) = scenario_case(scenario) {
        suite.add_test_case(case);
    }
    if !scenario.output.is_empty() {
        suite.set_system_out(scenario.output.join("\n"));
    }
    suite
}

fn check_case(scenario: &ScenarioResult, check: &CheckResult) -> TestCase {
    let expected = scenario.expected_failure || check.expected_failure;
    let status = match check.outcome {
        Outcome::Pass | Outcome::Info => TestCaseStatus::success(),
        Outcome::Skip => {
            let mut status = TestCaseStatus::skipped();
            status.set_message(check.message.as_str());
            status
        }
        Outcome::Fail | Outcome::Warn if expected => {
            let mut status = TestCaseStatus::skipped();
            status
                .set_type("expected failure")
                .set_message(format!("expected failure: {}", headline(check)))
                .set_description(details(scenario, check));
            status
        }
        Outcome::Fail | Outcome::Warn => {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
            status
                .set_type(format!("{} not met", check.level))
                .set_message(headline(check))
                .set_description(details(scenario, check));
            status
        }
    };
    let mut case = TestCase::new(check.id.as_str(), status);
    case.set_classname(scenario.id.as_str());
    if check.outcome == Outcome::Info {
        case.set_system_out(check.message.as_str());
    }
    case
}

/// The extra testcase of a scenario that errored without a failed check, or did not run.
fn scenario_case(scenario: &ScenarioResult) -> Option<TestCase> {
    let reason = scenario.error.clone().unwrap_or_default();
    let status = if scenario.verdict == Verdict::Error
        && !scenario.checks.iter().any(|c| c.outcome.is_failing())
    {
        if scenario.expected_failure {
            let mut status = TestCaseStatus::skipped();
            status
                .set_type("expected failure")
                .set_message(format!("expected failure: error: {reason}"));
            status
        } else {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status
                .set_type("error")
                .set_message(format!("the scenario could not be judged: {reason}"));
            if !scenario.output.is_empty() {
                status.set_description(format!(
                    "last output of the target:\n{}",
                    scenario.output.join("\n")
                ));
            }
            status
        }
    } else if scenario.verdict == Verdict::Skip && scenario.checks.is_empty() {
        let mut status = TestCaseStatus::skipped();
        status.set_message(if reason.is_empty() {
            "not run".to_string()
        } else {
            reason
        });
        status
    } else {
        return None;
    };
    let mut case = TestCase::new(SCENARIO_CASE, status);
    case.set_classname(scenario.id.as_str());
    Some(case)
}

fn stale_suite(entries: &[String]) -> TestSuite {
    let mut suite = TestSuite::new(STALE_SUITE);
    suite.add_test_cases(entries.iter().map(|entry| {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Failure);
        status.set_type("stale entry").set_message(format!(
            "the expected-failures entry `{entry}` passes now: remove it from the file"
        ));
        let mut case = TestCase::new(entry.as_str(), status);
        case.set_classname(STALE_SUITE);
        case
    }));
    suite
}

/// `MUST C-DCR-2: <what was observed>`.
fn headline(check: &CheckResult) -> String {
    format!("{} {}: {}", check.level, check.requirement, check.message)
}

/// The text of a failure: requirement, level, section, expected, observed, evidence.
fn details(scenario: &ScenarioResult, check: &CheckResult) -> String {
    let mut lines = vec![
        format!("requirement: {} ({})", check.requirement, check.level),
        format!("section: {}", check.section),
    ];
    if let Some(expected) = &check.expected {
        lines.push(format!("expected: {expected}"));
    }
    lines.push(format!("observed: {}", check.message));
    for seq in &check.evidence {
        lines.push(match scenario.exchange(*seq) {
            Some(exchange) => format!("evidence: {}", exchange.summary()),
            None => format!("evidence: #{seq}"),
        });
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::{passing_report, sample_report};
    use crate::model::{Level, Summary};

    fn parse(xml: &str) -> quick_junit::Report {
        quick_junit::Report::deserialize_from_str(xml).expect("the JUnit report parses")
    }

    fn failed(case: &TestCase) -> bool {
        matches!(case.status, TestCaseStatus::NonSuccess { .. })
    }

    /// Whether some testcase of a scenario suite is a failure or an error.
    fn any_scenario_case_failed(xml: &str) -> bool {
        parse(xml)
            .test_suites
            .iter()
            .filter(|s| s.name.as_str() != STALE_SUITE)
            .flat_map(|s| s.test_cases.iter())
            .any(failed)
    }

    #[test]
    fn the_sample_report() {
        insta::assert_snapshot!(render(&sample_report()));
    }

    #[test]
    fn one_suite_per_scenario_and_one_case_per_check() {
        let report = sample_report();
        let junit = parse(&render(&report));
        let scenarios: Vec<&str> = junit.test_suites.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            scenarios,
            [
                "auth/metadata-default",
                "auth/token-endpoint-auth-basic",
                "auth/scope-step-up",
                "auth/hanging-token-endpoint",
                "auth/2025-03-26-oauth-metadata-backcompat",
                STALE_SUITE
            ]
        );
        for (suite, scenario) in junit.test_suites.iter().zip(&report.scenarios) {
            let names: Vec<&str> = suite.test_cases.iter().map(|c| c.name.as_str()).collect();
            let mut expected: Vec<&str> = scenario.checks.iter().map(|c| c.id.as_str()).collect();
            if matches!(scenario.verdict, Verdict::Error | Verdict::Skip)
                && !scenario.checks.iter().any(|c| c.outcome.is_failing())
                && (scenario.verdict == Verdict::Error || scenario.checks.is_empty())
            {
                expected.push(SCENARIO_CASE);
            }
            assert_eq!(names, expected, "{}", scenario.id);
            assert!(suite
                .test_cases
                .iter()
                .all(|c| c.classname.as_ref().map(|n| n.as_str()) == Some(&scenario.id)));
        }
    }

    #[test]
    fn failures_errors_and_expected_failures() {
        let junit = parse(&render(&sample_report()));
        let case = |suite: &str, name: &str| {
            junit
                .test_suites
                .iter()
                .find(|s| s.name.as_str() == suite)
                .and_then(|s| s.test_cases.iter().find(|c| c.name.as_str() == name))
                .unwrap_or_else(|| panic!("{suite} {name}"))
                .status
                .clone()
        };
        // The expected MUST failure is skipped, saying so.
        match case(
            "auth/token-endpoint-auth-basic",
            "token-endpoint-auth-method",
        ) {
            TestCaseStatus::Skipped { message, .. } => {
                assert!(message.unwrap().as_str().starts_with("expected failure: "))
            }
            other => panic!("{other:?}"),
        }
        // The warned SHOULD fails, with requirement, level, section, expected and observed.
        match case("auth/scope-step-up", "scope-step-up-escalation") {
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                message,
                description,
                ..
            } => {
                let message = message.unwrap();
                assert!(message
                    .as_str()
                    .starts_with("SHOULD C-SCOPE-2: after the 403"));
                let description = description.unwrap();
                for part in [
                    "requirement: C-SCOPE-2 (SHOULD)",
                    "section: MCP 2025-11-25 Scope Challenge Handling",
                    "expected: On 403 insufficient_scope",
                    "observed: after the 403",
                    "evidence: #5 POST http://127.0.0.1:46097/mcp -> 403",
                    "evidence: #6 GET http://127.0.0.1:46101/authorize?",
                ] {
                    assert!(
                        description.as_str().contains(part),
                        "{part}: {description:?}"
                    );
                }
            }
            other => panic!("{other:?}"),
        }
        // The error without a failed check is an <error>.
        assert!(matches!(
            case("auth/hanging-token-endpoint", SCENARIO_CASE),
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Error,
                ..
            }
        ));
        assert!(matches!(
            case("auth/2025-03-26-oauth-metadata-backcompat", SCENARIO_CASE),
            TestCaseStatus::Skipped { .. }
        ));
        assert!(matches!(
            case("auth/metadata-default", "pkce-challenge-fresh"),
            TestCaseStatus::Skipped { .. }
        ));
        assert!(matches!(
            case(STALE_SUITE, "auth/metadata-default:prm-priority-order"),
            TestCaseStatus::NonSuccess {
                kind: NonSuccessKind::Failure,
                ..
            }
        ));
    }

    /// Every way a scenario can end, one scenario per report: a testcase fails exactly when the
    /// report has an unexpected failure.
    #[test]
    fn a_testcase_fails_iff_the_report_has_an_unexpected_failure() {
        let outcomes = [
            Outcome::Pass,
            Outcome::Fail,
            Outcome::Warn,
            Outcome::Skip,
            Outcome::Info,
        ];
        let mut cases = 0;
        for outcome in outcomes {
            for level in [Level::Must, Level::Should, Level::May] {
                for check_listed in [false, true] {
                    for scenario_listed in [false, true] {
                        for error in [false, true] {
                            for no_checks in [false, true] {
                                let mut report = sample_report();
                                report.summary = Summary::default();
                                let mut scenario = report.scenarios.swap_remove(1);
                                scenario.checks.truncate(1);
                                let check = &mut scenario.checks[0];
                                check.outcome = outcome;
                                check.level = level;
                                check.expected_failure = check_listed && outcome.is_failing();
                                if no_checks {
                                    scenario.checks.clear();
                                }
                                scenario.verdict = if error {
                                    Verdict::Error
                                } else {
                                    Verdict::from_outcomes(
                                        scenario.checks.iter().map(|c| c.outcome),
                                    )
                                };
                                scenario.expected_failure = scenario_listed
                                    && matches!(
                                        scenario.verdict,
                                        Verdict::Fail | Verdict::Warn | Verdict::Error
                                    );
                                report.scenarios = vec![scenario];
                                report.summarize();
                                assert_eq!(
                                    any_scenario_case_failed(&render(&report)),
                                    report.has_unexpected_failures(),
                                    "{:#?}",
                                    report.scenarios[0]
                                );
                                cases += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(cases, 240);
        assert!(any_scenario_case_failed(&render(&sample_report())));
        assert!(!any_scenario_case_failed(&render(&passing_report())));
    }

    #[test]
    fn xml_special_characters_are_escaped() {
        let xml = render(&sample_report());
        assert!(!xml.contains("<script>"), "{xml}");
        assert!(xml.contains("&lt;script&gt;"), "{xml}");
        parse(&xml);
    }
}
