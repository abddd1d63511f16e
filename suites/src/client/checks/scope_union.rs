//! Client check: the scope set of a step-up (MCP 2026-07-28 "Step-Up Authorization Flow", step 2,
//! SEP-2350): the union of the scopes the client asked for before and the scopes of the 403
//! `insufficient_scope` challenge, so that a server that challenges per operation does not cost
//! the client the permissions it already had.

use std::collections::BTreeSet;

use crate::check::Finding;
use crate::client::observation::Observation;

use super::authorization::label;
use super::scope::{first_insufficient_scope, requested, shown};

/// `sep-2350-scope-union-on-reauth` (C-SCOPE-06): the first authorization request after the first
/// 403 `insufficient_scope` asks for every scope of the authorization request before the 403 and
/// every scope the challenge named. Not judged when the challenge already named every scope asked
/// for before (a union and a copy of the challenge are then the same request).
pub fn scope_union_on_reauth(obs: &Observation) -> Finding {
    let Some((forbidden, challenged)) = first_insufficient_scope(obs) else {
        return Finding::violated(
            "the MCP server never answered a request of the client with 403 insufficient_scope, \
             so the client never reached the step-up",
        );
    };
    let authorizations = obs.authorization_requests();
    let Some(before) = authorizations
        .iter()
        .rfind(|a| a.event.seq < forbidden.event.seq)
    else {
        return Finding::not_judged(format!(
            "the client sent no authorization request before the 403 of {}",
            label(&forbidden)
        ));
    };
    let prior = requested(before);
    if challenged.is_superset(&prior) {
        return Finding::not_judged(format!(
            "the 403 of {} named {}, every scope asked for before ({}): a union cannot be told \
             from a copy of the challenge",
            label(&forbidden),
            shown(&challenged),
            shown(&prior)
        ));
    }
    let Some(after) = authorizations
        .iter()
        .find(|a| a.event.seq > forbidden.event.seq)
    else {
        return Finding::violated(format!(
            "the client did not re-authorize after the 403 insufficient_scope of {} (which named \
             {}), so it asked for no union",
            label(&forbidden),
            shown(&challenged)
        ));
    };
    let asked = requested(after);
    let union: BTreeSet<String> = prior.union(&challenged).cloned().collect();
    let dropped: BTreeSet<String> = union.difference(&asked).cloned().collect();
    if dropped.is_empty() {
        Finding::met(format!(
            "after the 403 of {} (which named {}) the client re-authorized with {}, which keeps \
             {} asked for before by {}",
            label(&forbidden),
            shown(&challenged),
            shown(&asked),
            shown(&prior),
            label(before)
        ))
    } else {
        Finding::violated(format!(
            "{} asked for {}; the 403 of {} named {}; the step-up {} asked for {}, dropping {}",
            label(before),
            shown(&prior),
            label(&forbidden),
            shown(&challenged),
            label(after),
            shown(&asked),
            shown(&dropped)
        ))
    }
}

#[cfg(test)]
mod tests {
    use mcp_authlab_mock_idp::trace::Role;

    use super::*;
    use crate::client::observation::test_support::*;

    fn authorize(obs: &mut Observation, scope: &str) {
        request(
            Role::AuthorizationServer,
            "GET",
            &format!("/authorize?scope={}", scope.replace(' ', "+")),
        )
        .status(302)
        .push(obs);
    }

    fn forbidden(obs: &mut Observation, scope: &str) {
        request(Role::McpServer, "POST", "/mcp")
            .status(403)
            .response_header(
                "www-authenticate",
                &format!(r#"Bearer error="insufficient_scope", scope="{scope}""#),
            )
            .push(obs);
    }

    fn step_up(first: &str, challenged: &str, second: Option<&str>) -> Observation {
        let mut obs = observation();
        authorize(&mut obs, first);
        forbidden(&mut obs, challenged);
        if let Some(second) = second {
            authorize(&mut obs, second);
        }
        obs
    }

    #[test]
    fn the_step_up_keeps_what_was_asked_before() {
        let union = scope_union_on_reauth(&step_up(
            "mcp:basic",
            "mcp:write",
            Some("mcp:basic mcp:write"),
        ));
        assert!(union.is_met(), "{union:?}");
        let copy = scope_union_on_reauth(&step_up("mcp:basic", "mcp:write", Some("mcp:write")));
        assert!(copy.is_violated(), "{copy:?}");
        assert!(copy.message().contains("dropping `mcp:basic`"), "{copy:?}");
        let none = scope_union_on_reauth(&step_up("mcp:basic", "mcp:write", None));
        assert!(none.is_violated(), "{none:?}");
        assert!(scope_union_on_reauth(&observation()).is_violated());
    }

    #[test]
    fn a_complete_challenge_cannot_tell_union_from_copy() {
        let complete = scope_union_on_reauth(&step_up(
            "mcp:basic",
            "mcp:basic mcp:write",
            Some("mcp:basic mcp:write"),
        ));
        assert!(matches!(complete, Finding::NotJudged(_)), "{complete:?}");
    }
}
