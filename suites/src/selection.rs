//! Choosing scenarios by id (`--scenario ID`, repeatable) from a suite's catalogue.

/// The scenarios of `all` named by `ids`, in that order, each once (all of them when `ids` is
/// empty), or a
/// message naming the first unknown id and where the catalogue is listed (`mcp-authlab list --suite
/// <suite>`; `what` is how the message names the suite's scenarios).
pub fn select_by_id<T: Clone>(
    all: Vec<T>,
    ids: &[String],
    id_of: impl Fn(&T) -> &str,
    suite: &str,
    what: &str,
) -> Result<Vec<T>, String> {
    if ids.is_empty() {
        return Ok(all);
    }
    let mut seen = std::collections::BTreeSet::new();
    ids.iter()
        .filter(|id| seen.insert(id.as_str()))
        .map(|id| {
            all.iter().find(|s| id_of(s) == id).cloned().ok_or_else(|| {
                format!("unknown {what} scenario `{id}` (see `mcp-authlab list --suite {suite}`)")
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_scenarios_in_the_order_given_or_the_unknown_one() {
        let all = vec!["a", "b", "c"];
        let pick = |ids: &[&str]| {
            let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
            select_by_id(all.clone(), &ids, |s| s, "x", "x")
        };
        assert_eq!(pick(&[]), Ok(vec!["a", "b", "c"]));
        assert_eq!(pick(&["c", "a"]), Ok(vec!["c", "a"]));
        assert_eq!(pick(&["b", "b", "a", "b"]), Ok(vec!["b", "a"]));
        let error = pick(&["a", "nope"]).unwrap_err();
        assert!(
            error.contains("`nope`") && error.contains("--suite x"),
            "{error}"
        );
    }
}
