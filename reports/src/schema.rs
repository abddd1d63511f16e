//! The JSON Schema of the JSON report, derived from the model with schemars. The generated schema
//! is committed as `reports/schema/report.schema.json`; a test fails when the model changes and
//! the file is not regenerated (`UPDATE_SCHEMA=1 cargo test -p mcp-authlab-reports schema`).

use crate::model::Report;

/// Where the committed schema lives, relative to the crate.
pub const SCHEMA_PATH: &str = "schema/report.schema.json";

/// The schema of [`Report`] (JSON Schema 2020-12), pretty-printed with a final newline.
pub fn generate() -> String {
    let schema = schemars::schema_for!(Report);
    let mut text =
        serde_json::to_string_pretty(&schema).expect("a generated schema always serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::sample_report;
    use std::path::PathBuf;

    fn committed_path() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SCHEMA_PATH)
    }

    fn committed() -> serde_json::Value {
        let text = std::fs::read_to_string(committed_path()).expect("the committed schema");
        serde_json::from_str(&text).expect("the committed schema is JSON")
    }

    #[test]
    fn the_committed_schema_is_the_generated_one() {
        let generated = generate();
        let path = committed_path();
        if std::env::var_os("UPDATE_SCHEMA").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, &generated).unwrap();
            return;
        }
        let on_disk = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            on_disk == generated,
            "{} is not the schema the model generates; regenerate it with \
             `UPDATE_SCHEMA=1 cargo test -p mcp-authlab-reports schema` and commit it",
            path.display()
        );
    }

    fn validator() -> jsonschema::Validator {
        jsonschema::draft202012::new(&committed()).expect("the committed schema is a valid schema")
    }

    fn errors(instance: &serde_json::Value) -> Vec<String> {
        validator()
            .iter_errors(instance)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect()
    }

    #[test]
    fn the_sample_report_validates_against_the_committed_schema() {
        let json: serde_json::Value =
            serde_json::from_str(&crate::json::render(&sample_report())).unwrap();
        assert_eq!(errors(&json), Vec::<String>::new());
    }

    #[test]
    fn reports_that_break_the_model_do_not_validate() {
        let good: serde_json::Value =
            serde_json::from_str(&crate::json::render(&sample_report())).unwrap();

        let mut bad = good.clone();
        bad["scenarios"][0]["verdict"] = "maybe".into();
        assert!(!errors(&bad).is_empty(), "an unknown verdict");

        let mut bad = good.clone();
        bad["scenarios"][1]["checks"][0]
            .as_object_mut()
            .unwrap()
            .remove("requirement");
        assert!(!errors(&bad).is_empty(), "a check without a requirement");

        let mut bad = good.clone();
        bad["scenarios"][0]["checks"][0]["evidence"] = serde_json::json!(["#2"]);
        assert!(!errors(&bad).is_empty(), "evidence that is not seq numbers");

        let mut bad = good;
        bad["spec_version"] = "2024-11-05".into();
        assert!(!errors(&bad).is_empty(), "an unknown spec version");
    }
}
