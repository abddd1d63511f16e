//! What the break tests share: running a scenario with the test client (correct, or breaking
//! rules), a readable account of a result, and the assertion that a break fails exactly its check.

use std::collections::BTreeSet;

use mcp_authlab_reports::{Outcome, ScenarioResult, SpecVersion, Verdict};
use mcp_authlab_suites::client::command::ClientCommand;
use mcp_authlab_suites::client::scenarios;
use mcp_authlab_suites::client::{run_scenario, ClientTarget, RunOptions};

pub const CLIENT: &str = env!("CARGO_BIN_EXE_authlab-test-client");
pub const COMPLETED: &str = "client-completed-flow";

pub fn target(breaks: &[&str]) -> ClientTarget {
    let mut argv = vec![CLIENT.to_string()];
    for rule in breaks {
        argv.push("--break".into());
        argv.push(rule.to_string());
    }
    ClientTarget::new(ClientCommand::from_argv(argv).expect("a command"))
}

pub async fn run(scenario_id: &str, breaks: &[&str]) -> ScenarioResult {
    run_at(None, scenario_id, breaks).await
}

/// [`run`] judged against `version` (`None`: the scenario's default version).
pub async fn run_at(
    version: Option<SpecVersion>,
    scenario_id: &str,
    breaks: &[&str],
) -> ScenarioResult {
    let scenario = scenarios::find(scenario_id)
        .unwrap_or_else(|| panic!("no scenario {scenario_id} in the catalogue"));
    let options = RunOptions {
        spec_version: version,
        ..RunOptions::default()
    };
    run_scenario(&target(breaks), &scenario, &options).await
}

/// A readable account of a result for assertion messages (redacted fields only).
pub fn account(result: &ScenarioResult) -> String {
    let mut lines = vec![format!(
        "{} -> {:?} {}",
        result.id,
        result.verdict,
        result.error.as_deref().unwrap_or("")
    )];
    for check in &result.checks {
        lines.push(format!(
            "  {} {:?}: {}",
            check.id, check.outcome, check.message
        ));
    }
    lines.extend(result.output.iter().map(|l| format!("  | {l}")));
    for exchange in &result.trace {
        lines.push(format!(
            "  #{} {} {} -> {}",
            exchange.seq, exchange.method, exchange.url, exchange.status
        ));
    }
    lines.join("\n")
}

pub fn not_passing(result: &ScenarioResult) -> BTreeSet<&str> {
    result
        .checks
        .iter()
        .filter(|c| matches!(c.outcome, Outcome::Fail | Outcome::Warn))
        .map(|c| c.id.as_str())
        .collect()
}

pub fn outcome_of(result: &ScenarioResult, id: &str) -> Outcome {
    result
        .checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}:\n{}", account(result)))
        .outcome
}

/// Runs `scenario` with the correct client (the named check must pass), then with `--break
/// rule`: `check` must come out as `outcome`, and the checks that do not pass must be exactly
/// `check` plus `collateral`; the verdict follows (fail if anything failed, else warn).
pub async fn assert_break(
    rule: &str,
    scenario: &str,
    check: &str,
    outcome: Outcome,
    collateral: &[&str],
) {
    assert_break_at(None, rule, scenario, check, outcome, collateral).await;
}

/// [`assert_break`] with both runs judged against `version` (`None`: the scenario's default).
pub async fn assert_break_at(
    version: Option<SpecVersion>,
    rule: &str,
    scenario: &str,
    check: &str,
    outcome: Outcome,
    collateral: &[&str],
) {
    let correct = run_at(version, scenario, &[]).await;
    assert_eq!(
        outcome_of(&correct, check),
        Outcome::Pass,
        "the correct client:\n{}",
        account(&correct)
    );
    assert_eq!(
        correct.verdict,
        Verdict::Pass,
        "the correct client:\n{}",
        account(&correct)
    );

    let broken = run_at(version, scenario, &[rule]).await;
    assert_eq!(
        outcome_of(&broken, check),
        outcome,
        "--break {rule}:\n{}",
        account(&broken)
    );
    let expected: BTreeSet<&str> = collateral.iter().copied().chain([check]).collect();
    assert_eq!(
        not_passing(&broken),
        expected,
        "--break {rule}:\n{}",
        account(&broken)
    );
    let any_fail = broken.checks.iter().any(|c| c.outcome == Outcome::Fail);
    assert_eq!(
        broken.verdict,
        if any_fail {
            Verdict::Fail
        } else {
            Verdict::Warn
        },
        "--break {rule}:\n{}",
        account(&broken)
    );
}
