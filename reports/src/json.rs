//! The JSON report (`--report json=PATH`): the model as it is, pretty-printed.

use crate::model::Report;

pub fn render(report: &Report) -> String {
    let mut text =
        serde_json::to_string_pretty(report).expect("the report model always serializes");
    text.push('\n');
    text
}
