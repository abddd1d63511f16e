//! `mcp-authlab server`: runs the server suite against an MCP server, one libtest trial per
//! scenario, then writes the reports and compares the run with the expected-failures file.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use libtest_mimic::{Arguments, ColorSetting};
use mcp_authlab_reports::SpecVersion;
use mcp_authlab_suites::client::command::ClientCommand;
use mcp_authlab_suites::expected_failures::ExpectedFailures;
use mcp_authlab_suites::server::run::{
    ServerRunOptions, ServerTarget, DEFAULT_PROBE_TIMEOUT, DEFAULT_STARTUP_TIMEOUT,
};
use mcp_authlab_suites::server::scenarios;
use mcp_authlab_suites::server::trials::{select_scenarios, ServerRunner};

use crate::exit;
use crate::report_args::{self, ReportTarget};

const AFTER_HELP: &str = "\
Three ways to run:
  --url URL                 black box: a server already running. Only what needs no token is
                            judged (the 401, WWW-Authenticate, the metadata, garbage credentials),
                            plus, with --token (or MCP_AUTHLAB_TOKEN), the positive path and the
                            variants of that token that can be made without the issuer's key.
  --command CMD [--url URL] the harness starts the mock IdP, then CMD with, in its environment:
                            PORT, MCP_AUTHLAB_ISSUER, MCP_AUTHLAB_JWKS_URI,
                            MCP_AUTHLAB_INTROSPECTION_ENDPOINT, MCP_AUTHLAB_CLIENT_ID,
                            MCP_AUTHLAB_CLIENT_SECRET (a confidential client for introspection),
                            MCP_AUTHLAB_RESOURCE (the server's URL: the audience of valid tokens),
                            MCP_AUTHLAB_SCOPES (the scopes it should require). --url is the MCP
                            endpoint, `{port}` standing for PORT (default
                            http://127.0.0.1:{port}/mcp). The harness waits until the server
                            answers, probes it, and kills its process group at the end.
  --url URL --idp-bind ADDR a server you started by hand, trusting the mock IdP that the harness
                            starts with its issuer at ADDR (e.g. 127.0.0.1:9400): give the server
                            MCP_AUTHLAB_ISSUER=http://ADDR, its /jwks or /introspect, the client
                            mcp-authlab-resource-server and the secret you put in
                            MCP_AUTHLAB_CLIENT_SECRET for both (random when unset).
  --mock [--variant V]...   mcp-authlab's own protected MCP server, correct or broken by variants
                            (see `mcp-authlab variants`): the reference run.

With a token source, every token is minted for the server's URL with the scopes it advertises.

Exit status:
  0  nothing failed beyond the expected failures, and no expected-failures entry is stale
  1  conformance failures (a check failed or warned, not expected) or a stale entry
  2  usage error (bad flag, unknown scenario, bad expected-failures file, bad report path)
  3  the harness failed: the server could not be started or reached, the mock IdP could not
     start, a check crashed, a report could not be written";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct ServerArgs {
    /// The MCP endpoint (with --command, `{port}` stands for the PORT given to the server).
    #[arg(long, value_name = "URL", required_unless_present_any = ["command", "mock"])]
    url: Option<String>,
    /// A valid access token obtained elsewhere, for black-box runs (or MCP_AUTHLAB_TOKEN).
    #[arg(long, value_name = "TOKEN", conflicts_with_all = ["command", "idp_bind", "mock"])]
    token: Option<String>,
    /// Start this server command after the mock IdP (see below).
    #[arg(long, value_name = "CMD", conflicts_with = "mock")]
    command: Option<String>,
    /// Start the mock IdP with its issuer at this address (for a server started by hand, or a
    /// command that cannot take the issuer from its environment).
    #[arg(long, value_name = "ADDR", conflicts_with = "mock")]
    idp_bind: Option<SocketAddr>,
    /// Test mcp-authlab's own protected MCP server.
    #[arg(long)]
    mock: bool,
    /// With --mock: a variant of the mock (repeatable).
    #[arg(long = "variant", value_name = "NAME", requires = "mock")]
    variants: Vec<String>,
    /// Run only this scenario (repeatable; see `mcp-authlab list --suite server`).
    #[arg(long = "scenario", value_name = "ID")]
    scenarios: Vec<String>,
    /// Judge against this MCP version (2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28 or `draft`;
    /// default 2026-07-28, the current revision).
    #[arg(long, value_name = "V", value_parser = parse_version)]
    spec_version: Option<SpecVersion>,
    /// Seconds one probe may take [default: 10].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: Option<u64>,
    /// Seconds a started server may take to answer its first request [default: 30].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    startup_timeout: Option<u64>,
    /// Scenarios run in parallel (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: Option<u64>,
    /// Write a report: FORMAT=PATH (json, junit, markdown, html, snapshot). Repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = report_args::parse_report)]
    reports: Vec<ReportTarget>,
    /// Expected failures, in the official suite's YAML format (the `server:` list).
    #[arg(long, value_name = "FILE")]
    expected_failures: Option<PathBuf>,
}

/// Where a black-box run finds its token when `--token` is not given.
const TOKEN_VAR: &str = "MCP_AUTHLAB_TOKEN";

fn parse_version(value: &str) -> Result<SpecVersion, String> {
    match value {
        "draft" => Ok(SpecVersion::V2026_07_28),
        _ => value.parse::<SpecVersion>().map_err(|e| e.to_string()),
    }
}

fn target(args: &ServerArgs) -> Result<ServerTarget, String> {
    if args.mock {
        return Ok(ServerTarget::Mock {
            variants: args.variants.clone(),
        });
    }
    if let Some(command) = &args.command {
        let command = ClientCommand::parse(command).map_err(|e| e.to_string())?;
        if command.resolve_program().is_none() {
            return Err(format!(
                "the server program `{}` was not found or is not executable (the command is not \
                 run by a shell: use `sh -c '...'` for shell syntax)",
                command.program()
            ));
        }
        return Ok(ServerTarget::Command {
            command,
            url: args.url.clone(),
            idp_bind: args.idp_bind,
            startup_timeout: args
                .startup_timeout
                .map_or(DEFAULT_STARTUP_TIMEOUT, Duration::from_secs),
        });
    }
    let url = args.url.clone().ok_or("give --url, --command or --mock")?;
    Ok(match args.idp_bind {
        Some(idp_bind) => ServerTarget::TrustingIdp { url, idp_bind },
        // MCP_AUTHLAB_TOKEN is read only here: exported for a black-box job, it must not get in
        // the way of --mock, --command or --idp-bind runs in the same environment.
        None => ServerTarget::Url {
            url,
            token: args
                .token
                .clone()
                .or_else(|| std::env::var(TOKEN_VAR).ok())
                .filter(|t| !t.is_empty()),
        },
    })
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

pub fn run(args: ServerArgs) -> ExitCode {
    let usage = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(exit::USAGE)
    };
    let target = match target(&args) {
        Ok(target) => target,
        Err(message) => return usage(message),
    };
    let expected = match ExpectedFailures::load_or_none(args.expected_failures.as_deref()) {
        Ok(expected) => expected,
        Err(e) => return usage(e.to_string()),
    };
    let selected = match select_scenarios(&args.scenarios) {
        Ok(selected) => selected,
        Err(message) => return usage(message),
    };
    let known = scenarios::all();
    for entry in expected.server.unknown_entries(
        known
            .iter()
            .map(|s| (s.id, s.checks.iter().map(|c| c.id).collect())),
    ) {
        eprintln!(
            "warning: expected-failures entry `{entry}` names no known server scenario or check"
        );
    }
    let reports = match report_args::open_reports(args.reports) {
        Ok(reports) => reports,
        Err(message) => return usage(message),
    };
    let options = ServerRunOptions {
        spec_version: args.spec_version,
        probe_timeout: args
            .timeout
            .map_or(DEFAULT_PROBE_TIMEOUT, Duration::from_secs),
        expected_failures: expected.server,
        ..ServerRunOptions::default()
    };
    let runner = match ServerRunner::start(&target, options) {
        Ok(runner) => runner,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(exit::HARNESS);
        }
    };
    if let Some(url) = runner.url() {
        println!("testing the MCP server at {url}");
    }
    let jobs = args.jobs.map(|j| j as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(Into::into)
            .unwrap_or(1)
    });
    let trials = runner.trials(selected);
    let conclusion = libtest_mimic::run(&libtest_arguments(jobs), trials);
    runner.finish();
    let output = runner.server_output();
    if conclusion.has_failed() && !output.is_empty() {
        println!("\nserver output (last {} lines):", output.len());
        for line in &output {
            println!("    {line}");
        }
    }

    let report = runner.report();
    let mut code = exit::OK;
    if let Err(message) = report_args::write_reports(&report, reports) {
        eprintln!("error: {message}");
        code = exit::HARNESS;
    }
    let baseline = runner.baseline_outcome();
    if args.expected_failures.is_some() {
        println!();
        print!("{baseline}");
    }
    if runner.harness_failed() {
        eprintln!("error: the harness failed (see the scenarios in `error` above)");
        code = exit::HARNESS;
    } else if code == exit::OK && !baseline.passed() {
        code = exit::FAILURES;
    }
    ExitCode::from(code)
}
