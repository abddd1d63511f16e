//! `mcp-authlab list`: the scenarios of a suite (client by default) and the checks each enforces.

use std::process::ExitCode;

use clap::Args;
use mcp_authlab_reports::{Level, SpecVersion};
use mcp_authlab_suites::authserver::scenarios as authserver_scenarios;
use mcp_authlab_suites::check::Check;
use mcp_authlab_suites::client::{scenarios, Expectation, Scenario};
use mcp_authlab_suites::server::scenarios as server_scenarios;
use mcp_authlab_suites::server::ServerScenario;
use serde::Serialize;

#[derive(Args)]
pub struct ListArgs {
    /// Print the catalogue as JSON.
    #[arg(long)]
    json: bool,
    /// Which suite's scenarios: client, server or authserver.
    #[arg(long, value_name = "SUITE", default_value = "client",
          value_parser = ["client", "server", "authserver"])]
    suite: String,
}

/// A server scenario as `list` shows it.
#[derive(Serialize)]
struct ServerEntry {
    id: &'static str,
    versions: &'static [SpecVersion],
    /// Whether it needs a token (`--token` or the mock IdP).
    needs_token: bool,
    description: &'static str,
    checks: Vec<CheckEntry>,
}

fn server_entry(scenario: &ServerScenario) -> ServerEntry {
    ServerEntry {
        id: scenario.id,
        versions: scenario.versions,
        needs_token: scenario.needs_token(),
        description: scenario.description,
        checks: check_entries(&scenario.checks),
    }
}

fn print_json<T: Serialize>(value: &T) -> ExitCode {
    match serde_json::to_string_pretty(value) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(crate::exit::HARNESS)
        }
    }
}

fn print_checks(checks: &[CheckEntry]) {
    let width = checks.iter().map(|c| c.id.len()).max().unwrap_or(0);
    for c in checks {
        println!(
            "    - {:<width$}  {:<6}  {}",
            c.id,
            c.level.to_string(),
            c.requirement
        );
    }
}

fn run_server(json: bool) -> ExitCode {
    let entries: Vec<ServerEntry> = server_scenarios::all().iter().map(server_entry).collect();
    if json {
        return print_json(&entries);
    }
    for s in &entries {
        let mut tags = vec![versions(s.versions)];
        if s.needs_token {
            tags.push("needs a token".into());
        }
        println!("{}  [{}]", s.id, tags.join("; "));
        println!("    {}", s.description);
        print_checks(&s.checks);
    }
    ExitCode::SUCCESS
}

#[derive(Serialize)]
struct ScenarioEntry {
    id: &'static str,
    official: bool,
    suites: Vec<&'static str>,
    versions: &'static [SpecVersion],
    variants: &'static [&'static str],
    tls: bool,
    /// `complete` or `refuse`: what a correct client does.
    expectation: &'static str,
    /// The scenario's own timeout (the longest a correct client needs there), if it has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    timeout_secs: Option<u64>,
    description: &'static str,
    checks: Vec<CheckEntry>,
}

#[derive(Serialize)]
struct CheckEntry {
    id: &'static str,
    level: Level,
    requirement: &'static str,
    section: &'static str,
    versions: &'static [SpecVersion],
}

/// The checks of any suite's scenario as `list` shows them.
fn check_entries<O>(checks: &[Check<O>]) -> Vec<CheckEntry> {
    checks
        .iter()
        .map(|c| CheckEntry {
            id: c.id,
            level: c.level,
            requirement: c.requirement,
            section: c.section,
            versions: c.versions,
        })
        .collect()
}

fn entry(scenario: &Scenario) -> ScenarioEntry {
    ScenarioEntry {
        id: scenario.id,
        official: scenario.official,
        suites: scenario.suites(),
        versions: scenario.versions,
        variants: scenario.variants,
        tls: scenario.tls,
        expectation: match scenario.expectation {
            Expectation::Complete => "complete",
            Expectation::Refuse => "refuse",
        },
        timeout_secs: scenario.timeout.map(|t| t.as_secs()),
        description: scenario.description,
        checks: check_entries(&scenario.checks),
    }
}

fn versions(versions: &[SpecVersion]) -> String {
    versions
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An authorization-server scenario as `list` shows it.
#[derive(Serialize)]
struct AuthServerEntry {
    id: &'static str,
    /// The version it is judged at (`null`: the run's).
    version: Option<SpecVersion>,
    description: &'static str,
    checks: Vec<CheckEntry>,
}

fn run_authserver(json: bool) -> ExitCode {
    let entries: Vec<AuthServerEntry> = authserver_scenarios::all()
        .iter()
        .map(|s| AuthServerEntry {
            id: s.id,
            version: s.version,
            description: s.description,
            checks: check_entries(&s.checks),
        })
        .collect();
    if json {
        return print_json(&entries);
    }
    for s in &entries {
        match s.version {
            Some(v) => println!("{}  [judged at {v}]", s.id),
            None => println!("{}", s.id),
        }
        println!("    {}", s.description);
        print_checks(&s.checks);
    }
    ExitCode::SUCCESS
}

pub fn run(args: ListArgs) -> ExitCode {
    if args.suite == "server" {
        return run_server(args.json);
    }
    if args.suite == "authserver" {
        return run_authserver(args.json);
    }
    let entries: Vec<ScenarioEntry> = scenarios::all().iter().map(entry).collect();
    if args.json {
        return print_json(&entries);
    }
    if entries.is_empty() {
        println!("no client scenarios");
    }
    for s in &entries {
        let mut tags = vec![if s.official {
            "official"
        } else {
            "mcp-authlab"
        }
        .to_string()];
        tags.push(versions(s.versions));
        if !s.variants.is_empty() {
            tags.push(format!("variants: {}", s.variants.join(", ")));
        }
        if s.tls {
            tags.push("https".into());
        }
        if let Some(secs) = s.timeout_secs {
            tags.push(format!("timeout {secs} s"));
        }
        println!("{}  [{}]", s.id, tags.join("; "));
        println!("    {}", s.description);
        print_checks(&s.checks);
    }
    ExitCode::SUCCESS
}
