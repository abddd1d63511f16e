//! The scopes every MCP request needs, and what a 403 `insufficient_scope` names (RFC 6750 §3.1;
//! MCP 2026-07-28 Server Scope Management: every scope the operation needs, in one challenge).

use crate::state::IdpState;

/// `Config::required_scope`, plus `Config::step_up_scope` under the broken
/// `Behaviour::drip_scope_challenges` (which then names them one at a time, see [`challenged`]).
pub fn required(state: &IdpState) -> Vec<&str> {
    let mut scopes = state.config.required_scopes();
    let step_up = state.config.step_up_scope.as_str();
    if state.behaviour.drip_scope_challenges && !scopes.contains(&step_up) {
        scopes.push(step_up);
    }
    scopes
}

/// The `scope` of the refusal of a token that lacks `missing` of the `required` scopes: all of
/// them (one complete challenge), or, under `drip_scope_challenges`, only the first missing one.
pub fn challenged(state: &IdpState, required: &[&str], missing: &[&str]) -> String {
    match missing.first() {
        Some(first) if state.behaviour.drip_scope_challenges => first.to_string(),
        _ => required.join(" "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_complete_challenge_unless_dripping() {
        let state = IdpState::for_tests(&[]);
        assert_eq!(required(&state), ["mcp:tools"]);
        assert_eq!(challenged(&state, &["a", "b"], &["a", "b"]), "a b");
        let drip = IdpState::for_tests(&["server-incomplete-scope-challenge"]);
        assert_eq!(required(&drip), ["mcp:tools", "mcp:admin"]);
        assert_eq!(challenged(&drip, &["a", "b"], &["a", "b"]), "a");
        assert_eq!(challenged(&drip, &["a", "b"], &["b"]), "b");
    }
}
