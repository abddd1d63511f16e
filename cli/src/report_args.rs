//! `--report FORMAT=PATH`, shared by the suite commands: parsing the flag, creating the files before
//! anything runs (a path that cannot be written is a usage error, found at once), and writing every
//! report at the end.

use std::fs::File;
use std::io::Write;
use std::path::PathBuf;

use mcp_authlab_reports::{html, json, junit, markdown, snapshot, Report};

/// The report formats `--report` knows.
pub const REPORT_FORMATS: &[&str] = &["json", "junit", "markdown", "html", "snapshot"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportFormat {
    /// The model as it is (`reports/schema/report.schema.json`).
    Json,
    /// JUnit XML, one testcase per check.
    Junit,
    /// GitHub-flavoured Markdown for a pull request or `$GITHUB_STEP_SUMMARY`.
    Markdown,
    /// One self-contained HTML page.
    Html,
    /// The normalized report two runs agree on byte for byte.
    Snapshot,
}

impl ReportFormat {
    pub fn render(self, report: &Report) -> String {
        match self {
            ReportFormat::Json => json::render(report),
            ReportFormat::Junit => junit::render(report),
            ReportFormat::Markdown => markdown::render(report),
            ReportFormat::Html => html::render(report),
            ReportFormat::Snapshot => snapshot::render(report),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportTarget {
    pub format: ReportFormat,
    pub path: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot write the report {}: {source}", path.display())]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("two reports would be written to {}", path.display())]
    SamePath { path: PathBuf },
    #[error("writing the report {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// The value parser of `--report`: `FORMAT=PATH`.
pub fn parse_report(value: &str) -> Result<ReportTarget, String> {
    let (format, path) = value.split_once('=').ok_or_else(|| {
        format!(
            "expected FORMAT=PATH (formats: {})",
            REPORT_FORMATS.join(", ")
        )
    })?;
    let format = match format {
        "json" => ReportFormat::Json,
        "junit" => ReportFormat::Junit,
        "markdown" => ReportFormat::Markdown,
        "html" => ReportFormat::Html,
        "snapshot" => ReportFormat::Snapshot,
        _ => {
            return Err(format!(
                "unknown report format `{format}` (supported: {})",
                REPORT_FORMATS.join(", ")
            ))
        }
    };
    if path.is_empty() {
        return Err("the report path is empty".into());
    }
    Ok(ReportTarget {
        format,
        path: PathBuf::from(path),
    })
}

/// The report files, created (empty) before the run.
#[derive(Debug, Default)]
pub struct OpenReports {
    files: Vec<(ReportTarget, File)>,
}

/// Creates every report file (a usage error when one cannot be, or when two share a path).
pub fn open_reports(targets: Vec<ReportTarget>) -> Result<OpenReports, String> {
    try_open(targets).map_err(|e| e.to_string())
}

fn try_open(targets: Vec<ReportTarget>) -> Result<OpenReports, ReportError> {
    for (i, target) in targets.iter().enumerate() {
        if targets[..i].iter().any(|t| t.path == target.path) {
            return Err(ReportError::SamePath {
                path: target.path.clone(),
            });
        }
    }
    let mut files = Vec::new();
    for target in targets {
        let file = File::create(&target.path).map_err(|source| ReportError::Create {
            path: target.path.clone(),
            source,
        })?;
        files.push((target, file));
    }
    Ok(OpenReports { files })
}

/// Writes `report` in every format asked for; goes on after a failure and names every report that
/// could not be written.
pub fn write_reports(report: &Report, reports: OpenReports) -> Result<(), String> {
    let errors: Vec<String> = try_write(report, reports)
        .into_iter()
        .map(|e| e.to_string())
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors.join("; "))
    }
}

fn try_write(report: &Report, reports: OpenReports) -> Vec<ReportError> {
    let mut errors = Vec::new();
    for (target, mut file) in reports.files {
        let text = target.format.render(report);
        if let Err(source) = file.write_all(text.as_bytes()).and_then(|()| file.flush()) {
            errors.push(ReportError::Write {
                path: target.path,
                source,
            });
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_authlab_reports::fixtures::sample_report;

    #[test]
    fn every_format_parses_and_bad_values_say_why() {
        for (name, format) in [
            ("json", ReportFormat::Json),
            ("junit", ReportFormat::Junit),
            ("markdown", ReportFormat::Markdown),
            ("html", ReportFormat::Html),
            ("snapshot", ReportFormat::Snapshot),
        ] {
            assert!(REPORT_FORMATS.contains(&name));
            let target = parse_report(&format!("{name}=out/r.{name}")).unwrap();
            assert_eq!(target.format, format);
            assert_eq!(target.path, PathBuf::from(format!("out/r.{name}")));
        }
        assert!(parse_report("json").unwrap_err().contains("FORMAT=PATH"));
        assert!(parse_report("pdf=x")
            .unwrap_err()
            .contains("unknown report format `pdf`"));
        assert!(parse_report("json=").unwrap_err().contains("empty"));
        // The path may hold `=`.
        assert_eq!(
            parse_report("json=a=b.json").unwrap().path,
            PathBuf::from("a=b.json")
        );
    }

    #[test]
    fn every_report_is_written_in_its_format() {
        let dir = tempfile::tempdir().unwrap();
        let targets: Vec<ReportTarget> = REPORT_FORMATS
            .iter()
            .map(|f| parse_report(&format!("{f}={}", dir.path().join(f).display())).unwrap())
            .collect();
        let reports = open_reports(targets.clone()).unwrap();
        // Created before the run.
        for target in &targets {
            assert_eq!(std::fs::read_to_string(&target.path).unwrap(), "");
        }
        let report = sample_report();
        write_reports(&report, reports).unwrap();
        for target in &targets {
            assert_eq!(
                std::fs::read_to_string(&target.path).unwrap(),
                target.format.render(&report)
            );
        }
    }

    #[test]
    fn unwritable_or_shared_paths_are_refused_before_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no/such/dir/r.json");
        let error = open_reports(vec![
            parse_report(&format!("json={}", missing.display())).unwrap()
        ])
        .unwrap_err();
        assert!(error.starts_with("cannot write the report"), "{error}");
        let same = dir.path().join("r");
        let error = open_reports(vec![
            parse_report(&format!("json={}", same.display())).unwrap(),
            parse_report(&format!("junit={}", same.display())).unwrap(),
        ])
        .unwrap_err();
        assert!(
            error.starts_with("two reports would be written to"),
            "{error}"
        );
    }
}
