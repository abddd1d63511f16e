//! Snapshot reports (`--report snapshot=PATH`): what a run says about compliance, normalized so that
//! two runs against the same target give the same bytes. Commit one per version of an
//! implementation and `mcp-authlab diff OLD NEW` (or a plain diff) shows what changed.
//!
//! A snapshot keeps, per scenario (sorted by id): the spec version judged, the verdict, the
//! expected-failure mark, the error, and every check in its order (id, level, requirement, outcome,
//! expected-failure mark, message); plus the suite, the target, the counts and the stale
//! expected-failures entries. It drops what varies from run to run and says nothing about
//! compliance: durations, the tool's version, the target's output, headers and bodies.
//!
//! In what it keeps, per scenario:
//! - a loopback port (`127.0.0.1:NNNNN`, `localhost:NNNNN`, `[::1]:NNNNN`) becomes the role the
//!   trace shows listening there (`127.0.0.1:<mcp_server>`), else `<port-N>`, numbered by first
//!   appearance;
//! - a redacted secret (`‹redacted:1a2b3c4d›`, `‹secret sha256:1a2b3c4d›`) becomes `‹secret-N›`, the
//!   same secret the same number;
//! - a random value (client ids issued by registration, `state`, session ids, PKCE challenges,
//!   `jti`, UUIDs, hex digests: a run of 16 or more `[A-Za-z0-9_-]` with upper and lower case
//!   letters, or of hex digits with letters and digits) becomes `<id-N>`, the same value the
//!   same number;
//! - timestamps (RFC 3339, HTTP dates, Unix seconds or milliseconds) become `<timestamp>`.
//!
//! The trace is kept as the sorted set of distinct requests (`authorization_server GET
//! /authorize?client_id&code_challenge&… -> 302`: role, method, path, the names of the query
//! parameters, status), not as a sequence: a client may send requests concurrently (metadata
//! probes, a browser delivering the callback while the client polls) and a looping client repeats a
//! request a number of times that depends on timing, so order and counts would not be stable.
//!
//! A target whose behaviour itself depends on timing (a retry loop killed at the timeout) can still
//! give messages that differ between runs (how many requests it made); its outcomes do not, and
//! `mcp-authlab diff` compares outcomes, not messages.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use regex::{Captures, Regex};
use serde::{Deserialize, Serialize};

use crate::model::{Level, Outcome, Report, ScenarioResult, SpecVersion, Verdict};

/// Bumped when a field of the snapshot changes meaning or disappears.
pub const SNAPSHOT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub snapshot_version: u32,
    pub suite: String,
    pub target: String,
    pub spec_version: SpecVersion,
    pub summary: SnapshotSummary,
    pub scenarios: Vec<SnapshotScenario>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotSummary {
    pub total: usize,
    pub passed: usize,
    pub failed: usize,
    pub warned: usize,
    pub skipped: usize,
    pub errors: usize,
    pub expected_failures: usize,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stale_expected_failures: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotScenario {
    pub id: String,
    pub spec_version: SpecVersion,
    pub verdict: Verdict,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expected_failure: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub checks: Vec<SnapshotCheck>,
    /// The distinct requests of the trace, sorted (see the module docs).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub requests: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SnapshotCheck {
    pub id: String,
    pub level: Level,
    pub requirement: String,
    pub outcome: Outcome,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub expected_failure: bool,
    pub message: String,
}

/// The snapshot of a report (see the module docs).
pub fn snapshot(report: &Report) -> Snapshot {
    let mut scenarios: Vec<SnapshotScenario> = report.scenarios.iter().map(scenario).collect();
    scenarios.sort_by(|a, b| a.id.cmp(&b.id));
    let s = &report.summary;
    let mut stale = s.stale_expected_failures.clone();
    stale.sort();
    Snapshot {
        snapshot_version: SNAPSHOT_VERSION,
        suite: report.suite.clone(),
        target: Normalizer::default().normalize(&report.target),
        spec_version: report.spec_version,
        summary: SnapshotSummary {
            total: s.total,
            passed: s.passed,
            failed: s.failed,
            warned: s.warned,
            skipped: s.skipped,
            errors: s.errors,
            expected_failures: s.expected_failures,
            stale_expected_failures: stale,
        },
        scenarios,
    }
}

/// The snapshot as pretty JSON with a final newline.
pub fn render(report: &Report) -> String {
    to_json(&snapshot(report))
}

pub fn to_json(snapshot: &Snapshot) -> String {
    let mut text = serde_json::to_string_pretty(snapshot).expect("a snapshot always serializes");
    text.push('\n');
    text
}

/// Why a file is neither a JSON report nor a snapshot.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("not JSON: {0}")]
    NotJson(serde_json::Error),
    #[error("neither an mcp-authlab JSON report (no `schema_version`) nor a snapshot (no `snapshot_version`)")]
    Unknown,
    #[error("an mcp-authlab {what} of version {found}, this program reads version {supported}")]
    Version {
        what: &'static str,
        found: u64,
        supported: u32,
    },
    #[error("not a valid mcp-authlab {what}: {source}")]
    Invalid {
        what: &'static str,
        source: serde_json::Error,
    },
}

/// Reads a snapshot, or a JSON report as its snapshot.
pub fn read(text: &str) -> Result<Snapshot, ReadError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(ReadError::NotJson)?;
    let (what, found, supported) = if let Some(v) = value.get("snapshot_version") {
        ("snapshot", v, SNAPSHOT_VERSION)
    } else if let Some(v) = value.get("schema_version") {
        ("report", v, crate::model::SCHEMA_VERSION)
    } else {
        return Err(ReadError::Unknown);
    };
    let found = found.as_u64().unwrap_or(0);
    if found != u64::from(supported) {
        return Err(ReadError::Version {
            what,
            found,
            supported,
        });
    }
    let invalid = |source| ReadError::Invalid { what, source };
    if what == "snapshot" {
        serde_json::from_value(value).map_err(invalid)
    } else {
        serde_json::from_value::<Report>(value)
            .map(|report| snapshot(&report))
            .map_err(invalid)
    }
}

fn scenario(result: &ScenarioResult) -> SnapshotScenario {
    let mut normalizer = Normalizer::for_scenario(result);
    let checks = result
        .checks
        .iter()
        .map(|c| SnapshotCheck {
            id: c.id.clone(),
            level: c.level,
            requirement: c.requirement.clone(),
            outcome: c.outcome,
            expected_failure: c.expected_failure,
            message: normalizer.normalize(&c.message),
        })
        .collect();
    let error = result.error.as_deref().map(|e| normalizer.normalize(e));
    let requests: BTreeSet<String> = result
        .trace
        .iter()
        .map(|e| {
            let status = if e.answered {
                e.status.to_string()
            } else {
                "no response".into()
            };
            format!(
                "{} {} {} -> {status}",
                e.to,
                e.method,
                request_target(&e.url)
            )
        })
        .collect();
    SnapshotScenario {
        id: result.id.clone(),
        spec_version: result.spec_version,
        verdict: result.verdict,
        expected_failure: result.expected_failure,
        error,
        checks,
        requests: requests
            .into_iter()
            .map(|r| normalizer.normalize(&r))
            .collect(),
    }
}

/// `/authorize?client_id&code_challenge&state` from a URL: the path and the sorted names of the
/// query parameters, without their values.
fn request_target(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, rest)| rest);
    let path_and_query = after_scheme
        .find('/')
        .map_or("/", |index| &after_scheme[index..]);
    let (path, query) = match path_and_query.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (path_and_query, None),
    };
    match query {
        None => path.to_string(),
        Some(query) => {
            let names: BTreeSet<&str> = query
                .split('&')
                .filter(|pair| !pair.is_empty())
                .map(|pair| pair.split_once('=').map_or(pair, |(name, _)| name))
                .collect();
            format!("{path}?{}", names.into_iter().collect::<Vec<_>>().join("&"))
        }
    }
}

static DATETIME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?|\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT",
    )
    .expect("a valid regex")
});
static PORT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(127\.0\.0\.1|localhost|\[::1\]|%5B%3A%3A1%5D)(:|%3A|%3a)(\d{1,5})\b")
        .expect("a valid regex")
});
static SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"‹(?:redacted:|secret sha256:)([0-9a-f]+)›").expect("a valid regex")
});
static WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9_-]+").expect("a valid regex"));
static EPOCH: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\b1[5-9]\d{8}(?:\d{3})?\b").expect("a valid regex"));

/// Replaces what varies between runs with placeholders numbered by first appearance (one
/// numbering per scenario: its own deployment, its own ports and secrets).
#[derive(Default)]
struct Normalizer {
    /// Port → the role(s) the trace shows listening there.
    roles: BTreeMap<String, String>,
    ports: BTreeMap<String, usize>,
    secrets: BTreeMap<String, usize>,
    ids: BTreeMap<String, usize>,
}

impl Normalizer {
    fn for_scenario(result: &ScenarioResult) -> Self {
        let mut by_port: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
        for exchange in &result.trace {
            if let Some(captures) = PORT.captures(&exchange.url) {
                by_port
                    .entry(captures[3].to_string())
                    .or_default()
                    .insert(&exchange.to);
            }
        }
        let roles = by_port
            .into_iter()
            .map(|(port, roles)| (port, roles.into_iter().collect::<Vec<_>>().join("+")))
            .collect();
        Normalizer {
            roles,
            ..Normalizer::default()
        }
    }

    fn normalize(&mut self, value: &str) -> String {
        let value = DATETIME.replace_all(value, "<timestamp>");
        let value = PORT.replace_all(&value, |c: &Captures| {
            let port = &c[3];
            let name = match self.roles.get(port) {
                Some(role) => format!("<{role}>"),
                None => format!("<port-{}>", number(&mut self.ports, port)),
            };
            format!("{}{}{name}", &c[1], &c[2])
        });
        let value = SECRET.replace_all(&value, |c: &Captures| {
            format!("‹secret-{}›", number(&mut self.secrets, &c[1]))
        });
        let value = WORD.replace_all(&value, |c: &Captures| {
            let word = &c[0];
            if is_random(word) {
                format!("<id-{}>", number(&mut self.ids, word))
            } else {
                word.to_string()
            }
        });
        EPOCH.replace_all(&value, "<timestamp>").into_owned()
    }
}

/// `WWW-Authenticate`, `Access-Control-Allow-Origin`: capitalised words joined by dashes (a shape
/// random values practically never have).
fn is_header_name(word: &str) -> bool {
    word.contains('-')
        && word.split('-').all(|part| {
            let mut chars = part.chars();
            let rest = || part.chars().skip(1);
            chars.next().is_some_and(|c| c.is_ascii_uppercase())
                && (rest().all(|c| c.is_ascii_lowercase())
                    || rest().all(|c| c.is_ascii_uppercase()))
        })
}

fn number(seen: &mut BTreeMap<String, usize>, value: &str) -> usize {
    let next = seen.len() + 1;
    *seen.entry(value.to_string()).or_insert(next)
}

/// A value no person wrote: 16 or more characters of base64url with both cases, or of hex (and
/// dashes, for UUIDs) with both letters and digits.
fn is_random(word: &str) -> bool {
    if word.len() < 16 || is_header_name(word) {
        return false;
    }
    let has = |f: fn(&char) -> bool| word.chars().any(|c| f(&c));
    let mixed_case = has(char::is_ascii_uppercase) && has(char::is_ascii_lowercase);
    let hex = word
        .chars()
        .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c) || c == '-')
        && has(char::is_ascii_digit)
        && has(char::is_ascii_lowercase);
    mixed_case || hex
}

#[cfg(test)]
mod header_name_tests {
    use super::*;

    #[test]
    fn header_names_are_not_random_ids() {
        assert!(!is_random("WWW-Authenticate"));
        assert!(!is_random("Access-Control-Allow-Origin"));
        assert!(is_random("Xk2pQ9zLm4Rt7VbN"));
        assert!(is_random("AbCdEfGhIjKlMnOp-QrStUvWx"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::sample_report;

    /// The sample as another run against the same target would give it: other ports, durations,
    /// secrets, client ids, states, session ids and timestamps.
    fn another_run() -> Report {
        let json = crate::json::render(&sample_report());
        let replaced = [
            ("46097", "51234"),
            ("46101", "38001"),
            ("9d7a2cd6", "0f0f0f0f"),
            ("9de0f30b", "12345678"),
            ("e9faf031", "abcdef01"),
            ("2130a25c", "aaaabbbb"),
            ("B2_e3i-m25ct1BLTMiYx1A", "Xy9-Qq1_pp0LmNnBbVvCcA"),
            ("q8Vt0cW4aZ1rQ2s3", "Zz0aQq9WwEe3RrTt"),
            (
                "w6jV-DiB2-HfZkp7nuGwToT6nJVguDt4",
                "AAbb-CCdd-EEff0011GGhh2233IIjj44",
            ),
            (
                "ITCiXExuJqVYQCYeNOzkxnFu4FgoEvaI6DV-tc2ieFQ",
                "u7Gf0pQkLm3NbVcXz1AsDfGhJkLqWeRtYuIoP9-a8Ss",
            ),
            ("1795439690", "1795440001"),
        ]
        .iter()
        .fold(json, |json, (from, to)| json.replace(from, to));
        let mut report: Report = serde_json::from_str(&replaced).unwrap();
        report.duration_ms += 1234;
        for (i, scenario) in report.scenarios.iter_mut().enumerate() {
            scenario.duration_ms = 7 * i as u64;
            for exchange in &mut scenario.trace {
                exchange.duration_ms += 3;
            }
        }
        report.tool.version = "0.2.0".into();
        report.scenarios.reverse();
        report
    }

    #[test]
    fn the_sample_report() {
        insta::assert_snapshot!(render(&sample_report()));
    }

    #[test]
    fn two_runs_that_differ_only_in_what_varies_give_the_same_bytes() {
        let first = sample_report();
        let second = another_run();
        assert_ne!(crate::json::render(&first), crate::json::render(&second));
        assert_eq!(render(&first), render(&second));
    }

    fn default_scenario(report: &mut Report) -> &mut ScenarioResult {
        report
            .scenarios
            .iter_mut()
            .find(|s| s.id == "auth/metadata-default")
            .unwrap()
    }

    #[test]
    fn a_change_in_compliance_changes_the_snapshot() {
        let base = render(&sample_report());
        let mut report = another_run();
        default_scenario(&mut report).checks[1].outcome = Outcome::Fail;
        assert_ne!(render(&report), base);

        let mut report = another_run();
        default_scenario(&mut report).verdict = Verdict::Warn;
        assert_ne!(render(&report), base);

        let mut report = another_run();
        default_scenario(&mut report).checks[0]
            .message
            .push_str(" (twice)");
        assert_ne!(render(&report), base);

        let mut report = another_run();
        default_scenario(&mut report).trace[0].status = 500;
        assert_ne!(render(&report), base);

        let mut report = another_run();
        default_scenario(&mut report).checks[0].expected_failure = true;
        assert_ne!(render(&report), base);
    }

    #[test]
    fn no_secret_or_random_value_survives() {
        let text = render(&sample_report());
        for leaked in [
            "46097",
            "46101",
            "9d7a2cd6",
            "B2_e3i-m25ct1BLTMiYx1A",
            "q8Vt0cW4aZ1rQ2s3",
            "sW1r9Qm0uXo5-bJzQeHk2w",
            "duration",
        ] {
            assert!(!text.contains(leaked), "{leaked}:\n{text}");
        }
    }

    #[test]
    fn placeholders_are_numbered_by_first_appearance_and_roles_name_ports() {
        let mut normalizer = Normalizer::default();
        normalizer.roles.insert("46097".into(), "mcp_server".into());
        assert_eq!(
            normalizer.normalize(
                "http://127.0.0.1:46097/mcp then localhost:5555 and [::1]:6666, again localhost:5555"
            ),
            "http://127.0.0.1:<mcp_server>/mcp then localhost:<port-1> and [::1]:<port-2>, again localhost:<port-1>"
        );
        assert_eq!(
            normalizer.normalize("redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Fcallback"),
            "redirect_uri=http%3A%2F%2F127.0.0.1%3A<port-1>%2Fcallback"
        );
        assert_eq!(
            normalizer.normalize("‹redacted:aa11› ‹secret sha256:bb22› ‹secret sha256:aa11›"),
            "‹secret-1› ‹secret-2› ‹secret-1›"
        );
        assert_eq!(
            normalizer.normalize(
                "client `B2_e3i-m25ct1BLTMiYx1A`, jti 3f2a1b4c-9d8e-4f00-8a1b-2c3d4e5f6a7b, again B2_e3i-m25ct1BLTMiYx1A"
            ),
            "client `<id-1>`, jti <id-2>, again <id-1>"
        );
        assert_eq!(
            normalizer.normalize(
                "issued at 1795439690, 2026-11-23T10:00:00Z, Mon, 23 Nov 2026 10:00:00 GMT"
            ),
            "issued at <timestamp>, <timestamp>, <timestamp>"
        );
    }

    #[test]
    fn words_people_wrote_stay() {
        for word in [
            "sep-2207-client-metadata-grant-types",
            "client_id_metadata_document_supported",
            "MCP_CONFORMANCE_SCENARIO",
            "2025-11-25",
            "authorization_server",
            "resource-parameter-consistency",
        ] {
            assert!(!is_random(word), "{word}");
        }
        for word in [
            "B2_e3i-m25ct1BLTMiYx1A",
            "w6jV-DiB2-HfZkp7nuGwToT6nJVguDt4",
            "0123456789abcdef0123",
            "3f2a1b4c-9d8e-4f00-8a1b-2c3d4e5f6a7b",
        ] {
            assert!(is_random(word), "{word}");
        }
    }

    #[test]
    fn request_targets_keep_parameter_names_only() {
        assert_eq!(
            request_target("http://127.0.0.1:1/authorize?state=x&client_id=y&scope="),
            "/authorize?client_id&scope&state"
        );
        assert_eq!(request_target("http://127.0.0.1:1"), "/");
        assert_eq!(
            request_target("https://localhost:2/.well-known/oauth-protected-resource/mcp"),
            "/.well-known/oauth-protected-resource/mcp"
        );
    }

    #[test]
    fn snapshots_and_reports_read_back_as_snapshots() {
        let report = sample_report();
        let expected = snapshot(&report);
        assert_eq!(read(&to_json(&expected)).unwrap(), expected);
        assert_eq!(read(&crate::json::render(&report)).unwrap(), expected);
        assert!(matches!(read("{"), Err(ReadError::NotJson(_))));
        assert!(matches!(read("{}"), Err(ReadError::Unknown)));
        assert!(matches!(
            read(r#"{"snapshot_version": 2}"#),
            Err(ReadError::Version { found: 2, .. })
        ));
        assert!(matches!(
            read(r#"{"schema_version": 1, "suite": 3}"#),
            Err(ReadError::Invalid { what: "report", .. })
        ));
    }
}
