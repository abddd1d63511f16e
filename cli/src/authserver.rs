//! `mcp-authlab authserver`: inspects an authorization server the way MCP clients will, one libtest
//! trial per scenario, then prints the verdict per spec version and writes the reports.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use libtest_mimic::{Arguments, ColorSetting};
use mcp_authlab_reports::SpecVersion;
use mcp_authlab_suites::authserver::run::{
    AuthServerRunOptions, AuthServerTarget, ClientCredentials, DEFAULT_PROBE_TIMEOUT,
};
use mcp_authlab_suites::authserver::scenarios;
use mcp_authlab_suites::authserver::trials::{select_scenarios, AuthServerRunner};
use mcp_authlab_suites::expected_failures::ExpectedFailures;

use crate::exit;
use crate::report_args::{self, ReportTarget};

const AFTER_HELP: &str = "\
What it does:
  Discovery as each MCP version's client does it (2025-03-26: the issuer's origin, then the
  default /authorize /token /register; 2025-06-18: RFC 8414 with path insertion; 2025-11-25 and
  later: RFC 8414, then OpenID Connect inserted, then appended), whether the document found is
  usable (issuer, code flow, endpoints, HTTPS, S256), the other metadata fields, the JWKS and
  CORS. With --metadata-url it says whether clients can find that document from the issuer (a
  split domain or a custom path) and what to change. With --register it registers a throw-away
  public client by DCR; with --client-id/--client-secret it tries the client_credentials grant
  and looks at the token's audience (the token is never printed). It ends with a verdict per
  MCP version.

With --expected-failures FILE, the `authserver:` list of that file (same format as the
`client:` and `server:` lists: `scenario` or `scenario:check-id`) names the failures to accept,
and an entry that passes is stale.

Exit status:
  0  nothing failed or warned beyond the expected failures, and no entry is stale
  1  conformance failures (a check failed or warned, not expected) or a stale entry
  2  usage error (bad flag or URL, unknown scenario, bad expected-failures file, bad report
     path)
  3  the harness failed: nothing answers at the issuer, a check crashed, a report could not be
     written";

#[derive(Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct AuthServerArgs {
    /// The issuer identifier, exactly as MCP servers will name it in their metadata.
    #[arg(long, value_name = "URL")]
    issuer: String,
    /// Where you think the metadata is (diagnosed: can clients find it from the issuer?).
    #[arg(long, value_name = "URL")]
    metadata_url: Option<String>,
    /// A confidential client for the client_credentials grant.
    #[arg(long, value_name = "ID", requires = "client_secret")]
    client_id: Option<String>,
    /// Its secret (or MCP_AUTHLAB_AUTHSERVER_CLIENT_SECRET, which keeps it out of `ps`).
    #[arg(
        long,
        value_name = "SECRET",
        env = "MCP_AUTHLAB_AUTHSERVER_CLIENT_SECRET",
        hide_env_values = true,
        requires = "client_id"
    )]
    client_secret: Option<String>,
    /// The resource (RFC 8707) the client-credentials token is asked for [default: the issuer's
    /// origin + /mcp].
    #[arg(long, value_name = "URL")]
    resource: Option<String>,
    /// Register a throw-away public client by dynamic client registration.
    #[arg(long)]
    register: bool,
    /// Run only this scenario (repeatable; see `mcp-authlab list --suite authserver`).
    #[arg(long = "scenario", value_name = "ID")]
    scenarios: Vec<String>,
    /// Judge the scenarios that are not per version against this MCP version (2025-03-26,
    /// 2025-06-18, 2025-11-25, 2026-07-28 or `draft`; default 2026-07-28, the current revision).
    #[arg(long, value_name = "V", value_parser = parse_version)]
    spec_version: Option<SpecVersion>,
    /// Seconds one request may take [default: 10].
    #[arg(long, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: Option<u64>,
    /// Scenarios run in parallel (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: Option<u64>,
    /// Write a report: FORMAT=PATH (json, junit, markdown, html, snapshot). Repeatable.
    #[arg(long = "report", value_name = "FORMAT=PATH", value_parser = report_args::parse_report)]
    reports: Vec<ReportTarget>,
    /// Expected failures: the `authserver:` list of this YAML file.
    #[arg(long, value_name = "FILE")]
    expected_failures: Option<PathBuf>,
}

fn parse_version(value: &str) -> Result<SpecVersion, String> {
    match value {
        "draft" => Ok(SpecVersion::V2026_07_28),
        _ => value.parse::<SpecVersion>().map_err(|e| e.to_string()),
    }
}

fn target(args: &AuthServerArgs) -> AuthServerTarget {
    let credentials = match (&args.client_id, &args.client_secret) {
        (Some(id), Some(secret)) if !secret.is_empty() => Some(ClientCredentials {
            client_id: id.clone(),
            client_secret: secret.clone(),
        }),
        _ => None,
    };
    AuthServerTarget {
        issuer: args.issuer.clone(),
        metadata_url: args.metadata_url.clone(),
        credentials,
        register: args.register,
        resource: args.resource.clone(),
    }
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

pub fn run(args: AuthServerArgs) -> ExitCode {
    let usage = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(exit::USAGE)
    };
    let target = target(&args);
    if args.client_id.is_some() && target.credentials.is_none() {
        return usage("--client-secret is empty".into());
    }
    let expected = match ExpectedFailures::load_or_none(args.expected_failures.as_deref()) {
        Ok(expected) => expected,
        Err(e) => return usage(e.to_string()),
    };
    let selected = match select_scenarios(&args.scenarios) {
        Ok(selected) => selected,
        Err(message) => return usage(message),
    };
    for entry in expected.authserver.unknown_entries(
        scenarios::all()
            .iter()
            .map(|s| (s.id, s.checks.iter().map(|c| c.id).collect())),
    ) {
        eprintln!(
            "warning: expected-failures entry `{entry}` names no known authorization-server \
             scenario or check"
        );
    }
    let reports = match report_args::open_reports(args.reports) {
        Ok(reports) => reports,
        Err(message) => return usage(message),
    };
    let options = AuthServerRunOptions {
        spec_version: args.spec_version,
        probe_timeout: args
            .timeout
            .map_or(DEFAULT_PROBE_TIMEOUT, Duration::from_secs),
        expected_failures: expected.authserver,
    };
    let runner = match AuthServerRunner::start(&target, options) {
        Ok(runner) => runner,
        Err(e) => {
            eprintln!("error: {e}");
            let usage = matches!(
                e,
                mcp_authlab_suites::authserver::trials::RunnerError::Start(
                    mcp_authlab_suites::authserver::run::StartError::BadUrl { .. }
                )
            );
            return ExitCode::from(if usage { exit::USAGE } else { exit::HARNESS });
        }
    };
    println!("inspecting the authorization server {}", target.issuer);
    let jobs = args.jobs.map(|j| j as usize).unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(Into::into)
            .unwrap_or(1)
    });
    // The exit status comes from the results (below), not from libtest's conclusion.
    let _ = libtest_mimic::run(&libtest_arguments(jobs), runner.trials_of(selected));

    println!("\nverdict per MCP version:");
    for verdict in runner.verdicts() {
        print!("{verdict}");
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
