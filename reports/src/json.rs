//! The JSON report (`--report json=PATH`): the model as it is, pretty-printed.

use crate::model::Report;

pub fn render(report: &Report) -> String {
    let mut text =
        serde_json::to_string_pretty(report).expect("the report model always serializes");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures::sample_report;

    #[test]
    fn the_sample_report() {
        insta::assert_snapshot!(render(&sample_report()));
    }

    #[test]
    fn the_report_reads_back_as_it_was() {
        let report = sample_report();
        let read: Report = serde_json::from_str(&render(&report)).unwrap();
        assert_eq!(read, report);
    }
}
