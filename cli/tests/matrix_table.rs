//! The README's compatibility matrix table is generated from the committed matrix snapshots
//! (`reports/matrix/*.json`, see `matrix_support`), so it always says what CI last accepted. This
//! test fails when the table between `<!-- matrix:begin -->` and `<!-- matrix:end -->` differs from
//! what the snapshots say; `AUTHLAB_BLESS=1` rewrites it.

mod matrix_support;

use std::collections::BTreeSet;
use std::path::Path;

use mcp_authlab_reports::model::{Outcome, Verdict};
use mcp_authlab_reports::snapshot::{self, Snapshot};

const BEGIN: &str =
    "<!-- matrix:begin (generated from reports/matrix by cli/tests/matrix_table.rs) -->\n";
const END: &str = "<!-- matrix:end -->";

/// One table row per snapshot, in file-name order.
fn table(entries: &[(String, Snapshot)]) -> String {
    let mut out = String::from(
        "| implementation | suite | judged at | scenarios | MUST failed | SHOULD/MAY warned |\n\
         |---|---|---|---|---|---|\n",
    );
    for (name, snapshot) in entries {
        let implementation = name
            .rsplit_once('.')
            .map_or(name.as_str(), |(implementation, _)| implementation);
        out.push_str(&format!(
            "| `{implementation}` | {} | {} | {} | {} | {} |\n",
            snapshot.suite,
            snapshot.spec_version,
            scenario_counts(snapshot),
            requirements(snapshot, Outcome::Fail),
            requirements(snapshot, Outcome::Warn),
        ));
    }
    out
}

/// "25 pass, 3 fail, 1 warn, 1 error of 35 (5 skipped)": skipped scenarios are not judged.
fn scenario_counts(snapshot: &Snapshot) -> String {
    let count = |verdict| {
        snapshot
            .scenarios
            .iter()
            .filter(|s| s.verdict == verdict)
            .count()
    };
    let skipped = count(Verdict::Skip);
    let judged = snapshot.scenarios.len() - skipped;
    let mut parts = vec![format!("{} pass", count(Verdict::Pass))];
    for (verdict, word) in [
        (Verdict::Fail, "fail"),
        (Verdict::Warn, "warn"),
        (Verdict::Error, "error"),
    ] {
        let n = count(verdict);
        if n > 0 {
            parts.push(format!("{n} {word}"));
        }
    }
    let mut text = format!("{} of {judged}", parts.join(", "));
    if skipped > 0 {
        text.push_str(&format!(" ({skipped} not judged)"));
    }
    text
}

/// The distinct requirement ids of the checks with `outcome`, or "none".
fn requirements(snapshot: &Snapshot, outcome: Outcome) -> String {
    let ids: BTreeSet<&str> = snapshot
        .scenarios
        .iter()
        .flat_map(|s| &s.checks)
        .filter(|c| c.outcome == outcome)
        .map(|c| c.requirement.as_str())
        .collect();
    if ids.is_empty() {
        "none".into()
    } else {
        ids.into_iter().collect::<Vec<_>>().join(", ")
    }
}

fn committed_snapshots(dir: &Path) -> Vec<(String, Snapshot)> {
    let mut entries: Vec<(String, Snapshot)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "json"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("read a matrix snapshot");
            let snapshot = snapshot::read(&text)
                .unwrap_or_else(|e| panic!("{} is not a snapshot: {e}", path.display()));
            let name = path
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("a UTF-8 file name")
                .to_string();
            (name, snapshot)
        })
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries
}

#[test]
fn the_readme_table_says_what_the_matrix_snapshots_say() {
    let entries = committed_snapshots(&matrix_support::matrix_dir());
    assert!(
        !entries.is_empty(),
        "no snapshots in reports/matrix: the matrix tests write them with AUTHLAB_BLESS=1"
    );
    let readme_path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("cli/ has a parent")
        .join("README.md");
    let readme = std::fs::read_to_string(&readme_path).expect("README.md");
    let start = readme
        .find(BEGIN)
        .unwrap_or_else(|| panic!("README.md has no line `{}`", BEGIN.trim_end()))
        + BEGIN.len();
    let end = start
        + readme[start..]
            .find(END)
            .unwrap_or_else(|| panic!("README.md has no `{END}` after the begin marker"));
    let generated = table(&entries);
    if matrix_support::blessing() {
        let updated = format!("{}{generated}{}", &readme[..start], &readme[end..]);
        std::fs::write(&readme_path, updated).expect("rewrite README.md");
        return;
    }
    assert_eq!(
        readme[start..end],
        generated,
        "the README's matrix table differs from reports/matrix; rerun with AUTHLAB_BLESS=1 (or fix \
         the snapshots first)"
    );
}

#[test]
fn a_row_names_the_failed_requirements_and_counts_only_judged_scenarios() {
    let text = r#"{"snapshot_version":1,"suite":"client","target":"x","spec_version":"2025-11-25",
      "summary":{"total":3,"passed":1,"failed":1,"warned":0,"skipped":1,"errors":0,"expected_failures":0},
      "scenarios":[
        {"id":"a","spec_version":"2025-11-25","verdict":"pass","checks":[
          {"id":"c1","level":"MUST","requirement":"C-PKCE-1","outcome":"pass","message":""}]},
        {"id":"b","spec_version":"2025-11-25","verdict":"fail","checks":[
          {"id":"c2","level":"MUST","requirement":"C-PKCE-3","outcome":"fail","message":""},
          {"id":"c3","level":"SHOULD","requirement":"C-STATE-1","outcome":"warn","message":""}]},
        {"id":"c","spec_version":"2025-03-26","verdict":"skip","checks":[]}]}"#;
    let snapshot = snapshot::read(text).expect("a snapshot");
    assert_eq!(
        table(&[("some-sdk-1.0.0.client".into(), snapshot)]),
        "| implementation | suite | judged at | scenarios | MUST failed | SHOULD/MAY warned |\n\
         |---|---|---|---|---|---|\n\
         | `some-sdk-1.0.0` | client | 2025-11-25 | 1 pass, 1 fail of 2 (1 not judged) | C-PKCE-3 | C-STATE-1 |\n"
    );
}

/// A snapshot no matrix test writes any more (its target was upgraded or removed) would keep its row
/// in the README table: every file in `reports/matrix/` must be one of `SNAPSHOTS` at the locked
/// versions, and each of those must be committed.
#[test]
fn every_matrix_snapshot_belongs_to_a_locked_target() {
    let committed: BTreeSet<String> = committed_snapshots(&matrix_support::matrix_dir())
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let expected = matrix_support::expected_snapshot_names().unwrap_or_else(|e| panic!("{e}"));
    let stale: Vec<_> = committed.difference(&expected).collect();
    let missing: Vec<_> = expected.difference(&committed).collect();
    assert!(
        stale.is_empty() && missing.is_empty(),
        "reports/matrix/ does not match the targets' locks: stale (delete them) {stale:?}, missing \
         (run the matrix tests with AUTHLAB_BLESS=1) {missing:?}"
    );
}

/// The matrix comparison fails on a changed outcome, not on a changed message (trace positions in
/// messages depend on a real SDK's timing).
#[test]
fn a_matrix_run_matches_on_compliance_not_on_message_wording() {
    if matrix_support::blessing() {
        return; // would rewrite the committed file
    }
    let entries = committed_snapshots(&matrix_support::matrix_dir());
    let (name, _) = entries.first().expect("a committed matrix snapshot");
    let path = matrix_support::matrix_dir().join(format!("{name}.json"));
    let committed = std::fs::read_to_string(&path).expect("read it");
    let mut value: serde_json::Value = serde_json::from_str(&committed).expect("JSON");
    let check = value["scenarios"]
        .as_array_mut()
        .and_then(|s| {
            s.iter_mut()
                .find_map(|s| s["checks"].as_array_mut()?.first_mut())
        })
        .expect("a scenario with a check");
    check["message"] = "worded otherwise (#99 GET /mcp)".into();
    let reworded = serde_json::to_string_pretty(&value).unwrap() + "\n";
    matrix_support::assert_text_matches(name, &reworded);

    let check = value["scenarios"]
        .as_array_mut()
        .and_then(|s| {
            s.iter_mut()
                .find_map(|s| s["checks"].as_array_mut()?.first_mut())
        })
        .unwrap();
    let outcome = if check["outcome"] == "pass" {
        "fail"
    } else {
        "pass"
    };
    check["outcome"] = outcome.into();
    let changed = serde_json::to_string_pretty(&value).unwrap() + "\n";
    let name = name.clone();
    let result =
        std::panic::catch_unwind(move || matrix_support::assert_text_matches(&name, &changed));
    assert!(
        result.is_err(),
        "a changed outcome must fail the comparison"
    );
}
