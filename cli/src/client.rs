//! `mcp-authlab client`: runs the client suite against a client command, one libtest trial per
//! scenario (the same trials a `harness = false` test gets from the library), then writes the
//! reports and compares the run with the expected-failures file.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::builder::PossibleValuesParser;
use clap::Args;
use libtest_mimic::{Arguments, ColorSetting};
use mcp_authlab_reports::SpecVersion;
use mcp_authlab_suites::client::command::ClientCommand;
use mcp_authlab_suites::client::run::{self, ClientTarget, RunOptions};
use mcp_authlab_suites::client::scenarios;
use mcp_authlab_suites::client::trials::{select_scenarios, Runner, SUITES};
use mcp_authlab_suites::expected_failures::ExpectedFailures;

use crate::exit;
use crate::report_args::{self, OpenReports, ReportTarget};

const AFTER_HELP: &str = "\
The client is started once per scenario with the MCP server URL as its last argument and
MCP_CONFORMANCE_SCENARIO, MCP_CONFORMANCE_CONTEXT (when the scenario has one),
MCP_CONFORMANCE_PROTOCOL_VERSION, BROWSER (a headless user agent) and, for HTTPS scenarios,
SSL_CERT_FILE / NODE_EXTRA_CA_CERTS / REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE in its environment.
The command is split like a shell would (quotes work) but not run by a shell: use
`sh -c '...'` for pipes, `&&` or variables. Its process group is killed at the end or at the timeout.

A scenario fails when a MUST check fails or a SHOULD/MAY check warns (as in the official suite).

Timeouts: a client gets --timeout seconds per scenario (default 30). A few scenarios have a
timeout of their own, the longest a correct client needs there (15 s to give up on metadata it
cannot find, 30 s to time out a token request that never ends): they keep it unless --timeout is
given and longer. A client that is still running at the timeout is killed; the scenario is then
judged by its checks (fail or warn), or is an error when no check found anything wrong.

Exit status:
  0  nothing failed beyond the expected failures, and no expected-failures entry is stale
  1  conformance failures: a check failed or warned (not expected), the client timed out or
     could not be started, or an expected-failures entry is stale (it passes now: remove it)
  2  usage error: bad flag, unknown scenario, suite or spec version, bad expected-failures file,
     unknown --report format, client program not found
  3  the harness itself failed (a mock deployment could not start, a check or the runner
     crashed, a report could not be written), whatever else failed";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct ClientArgs {
    /// The client under test; the MCP server URL is appended as its last argument.
    #[arg(long, value_name = "CMD")]
    command: String,
    /// Which scenarios: all; auth, backcompat, extensions, draft (the official suite's suites of
    /// the same names); extended (the scenarios only mcp-authlab has).
    #[arg(long, value_name = "NAME", default_value = "all",
          value_parser = PossibleValuesParser::new(SUITES), conflicts_with = "scenarios")]
    suite: String,
    /// Run only this scenario (repeatable; see `mcp-authlab list`).
    #[arg(long = "scenario", value_name = "ID")]
    scenarios: Vec<String>,
    /// Judge against this MCP version (2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28 or `draft`);
    /// scenarios that are not part of it are skipped. Default: 2026-07-28, the current revision,
    /// for every scenario that is part of it; the back-compat scenarios at their own revision.
    #[arg(long, value_name = "V", value_parser = parse_version)]
    spec_version: Option<SpecVersion>,
    /// Seconds a client gets per scenario [default: 30]; a scenario's own longer timeout is kept
    /// (see below).
    #[arg(long, value_name = "SECS",
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: Option<u64>,
    /// Scenarios run in parallel (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: Option<u64>,
    /// Write a report: FORMAT=PATH (formats: json, junit, markdown, html, snapshot). Repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = report_args::parse_report)]
    reports: Vec<ReportTarget>,
    /// Expected failures, in the official suite's YAML format (`client:` list of `scenario` or
    /// `scenario:check-id` entries).
    #[arg(long, value_name = "FILE")]
    expected_failures: Option<PathBuf>,
    /// The BROWSER command given to the client (default: this program's headless `browse`).
    #[arg(long, value_name = "CMD")]
    browser: Option<String>,
}

fn parse_version(value: &str) -> Result<SpecVersion, String> {
    match value {
        "draft" => Ok(SpecVersion::V2026_07_28),
        _ => value.parse::<SpecVersion>().map_err(|e| e.to_string()),
    }
}

struct Prepared {
    runner: Runner,
    scenarios: Vec<mcp_authlab_suites::client::Scenario>,
    reports: OpenReports,
    baseline_given: bool,
    jobs: usize,
}

/// Everything that can be a usage error, checked before any scenario runs.
fn prepare(args: ClientArgs) -> Result<Prepared, (u8, String)> {
    let usage = |message: String| (exit::USAGE, message);
    let command = ClientCommand::parse(&args.command).map_err(|e| usage(e.to_string()))?;
    if command.resolve_program().is_none() {
        return Err(usage(format!(
            "the client program `{}` was not found or is not executable (the command is not run \
             by a shell: use `sh -c '...'` for shell syntax)",
            command.program()
        )));
    }
    let expected = ExpectedFailures::load_or_none(args.expected_failures.as_deref())
        .map_err(|e| usage(e.to_string()))?;
    let selected =
        select_scenarios(&args.suite, &args.scenarios).map_err(|e| usage(e.to_string()))?;
    if selected.is_empty() {
        return Err(usage(format!(
            "no scenario to run: the suite `{}` has none",
            args.suite
        )));
    }
    let known = scenarios::all();
    for entry in expected.client.unknown_entries(
        known
            .iter()
            .map(|s| (s.id, s.checks.iter().map(|c| c.id).collect())),
    ) {
        eprintln!("warning: expected-failures entry `{entry}` names no known scenario or check");
    }
    let reports = report_args::open_reports(args.reports).map_err(usage)?;
    let browser = match args.browser {
        Some(browser) => browser,
        None => default_browser().map_err(|e| (exit::HARNESS, e))?,
    };
    let options = RunOptions {
        spec_version: args.spec_version,
        timeout: args
            .timeout
            .map_or(run::DEFAULT_TIMEOUT, Duration::from_secs),
        timeout_given: args.timeout.is_some(),
        expected_failures: expected.client,
        ..RunOptions::default()
    };
    let runner =
        Runner::new(ClientTarget::new(command).with_browser(browser), options).map_err(|e| {
            (
                exit::HARNESS,
                format!("could not start the async runtime: {e}"),
            )
        })?;
    let jobs = args.jobs.map(|j| j as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(Into::into)
            .unwrap_or(1)
    });
    Ok(Prepared {
        runner,
        scenarios: selected,
        reports,
        baseline_given: args.expected_failures.is_some(),
        jobs,
    })
}

/// `'<this program>' browse`, quoted for the shells and libraries that split `BROWSER`.
fn default_browser() -> Result<String, String> {
    let exe = std::env::current_exe()
        .map_err(|e| format!("cannot find this program's path for BROWSER: {e}"))?;
    let command = ClientCommand::from_argv(vec![exe.display().to_string(), "browse".into()])
        .map_err(|e| e.to_string())?;
    Ok(command.to_string())
}

fn libtest_arguments(jobs: usize) -> Arguments {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    Arguments {
        test_threads: Some(jobs),
        color: Some(if no_color {
            ColorSetting::Never
        } else {
            ColorSetting::Auto
        }),
        ..Arguments::default()
    }
}

pub fn run(args: ClientArgs) -> ExitCode {
    let prepared = match prepare(args) {
        Ok(prepared) => prepared,
        Err((code, message)) => {
            eprintln!("error: {message}");
            return ExitCode::from(code);
        }
    };
    let runner = prepared.runner;
    let trials = runner.trials(prepared.scenarios);
    let conclusion = libtest_mimic::run(&libtest_arguments(prepared.jobs), trials);

    let report = runner.report();
    let mut code = exit::OK;
    if let Err(message) = report_args::write_reports(&report, prepared.reports) {
        eprintln!("error: {message}");
        code = exit::HARNESS;
    }

    let baseline = runner.baseline_outcome();
    if prepared.baseline_given {
        println!();
        print!("{baseline}");
    }
    if runner.harness_failed() || runner.lost_runs(&conclusion) {
        // A scenario in `error` because of the harness, or a trial that crashed without a result:
        // whatever else failed, the run cannot be trusted.
        eprintln!("error: the harness failed (see the scenarios in `error` or panicked above)");
        code = exit::HARNESS;
    } else if code == exit::OK && !baseline.passed() {
        code = exit::FAILURES;
    }
    ExitCode::from(code)
}
