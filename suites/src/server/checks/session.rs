//! Server checks: sessions and token passthrough. MCP Security Best Practices "Session Hijacking"
//! (a server with authorization verifies every request and does not use sessions for
//! authentication) and "Token Passthrough" / Authorization "Token Handling" (MCP servers MUST NOT
//! accept or transit any other tokens: the client's token never leaves the server).

use crate::check::Finding;
use crate::server::observation::{label, ServerObservation, TokenSourceKind};

use super::support::{has_jsonrpc_result, judged, probed, shown};

/// `session-id-not-authentication` (S-SESS-01): after an `initialize` with a valid token, a
/// request with only its `Mcp-Session-Id` and no token is refused (401).
pub fn session_id_not_authentication(obs: &ServerObservation) -> Finding {
    judged(|| {
        let probe = probed(obs, label::SESSION_WITHOUT_TOKEN)?;
        let response = super::support::answered(probe)?;
        let seen = shown(probe);
        Ok(match response.status {
            s if (200..300).contains(&s) => Finding::violated(format!(
                "the session id alone was accepted ({seen}{}): whoever learns a session id uses \
                 the session without a token",
                if has_jsonrpc_result(response) {
                    ", with a JSON-RPC result"
                } else {
                    ""
                }
            )),
            s if s >= 500 => Finding::violated(format!(
                "a request with a session id and no token caused a server error: {seen}"
            )),
            401 if has_jsonrpc_result(response) => {
                Finding::violated(format!("401, but the body holds a JSON-RPC result: {seen}"))
            }
            401 => Finding::met(format!("the session id alone was refused: {seen}")),
            _ => Finding::met(format!(
                "the session id alone was refused, with {seen} (401 would let the client \
                 re-authorize)"
            )),
        })
    })
}

/// `no-token-passthrough` (S-TOK-2): no request the mock IdP received during the scenario carries
/// a token the harness presented as a bearer credential (the server used the client's token
/// upstream). Only visible when the server trusts the mock IdP.
pub fn no_token_passthrough(obs: &ServerObservation) -> Finding {
    if obs.token_source != TokenSourceKind::MockIdp {
        return Finding::not_judged("only visible when the server trusts the mock IdP");
    }
    if obs.presented_tokens.is_empty() {
        return Finding::not_judged(
            obs.why_not_probed(label::VALID)
                .map(|why| format!("no token was presented: {why}"))
                .unwrap_or_else(|| "no token was presented".into()),
        );
    }
    let bearing = obs.idp_requests_bearing_presented_tokens();
    if bearing.is_empty() {
        return Finding::met(format!(
            "none of the {} request(s) the mock IdP received carried a presented token as a \
             credential",
            obs.idp_events.len()
        ));
    }
    let requests: Vec<String> = bearing
        .iter()
        .map(|e| format!("{} {} -> {}", e.method, e.path, e.status))
        .collect();
    Finding::violated(format!(
        "the server sent the client's token on as its own credential: {}",
        requests.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::server::observation::test_support::*;
    use mcp_authlab_mock_idp::trace::{RawRequest, Role, TraceEvent};
    use serde_json::json;

    #[test]
    fn session_id_not_authentication() {
        let mut refused = observation();
        probe(label::SESSION_WITHOUT_TOKEN, 401).push(&mut refused);
        assert!(super::session_id_not_authentication(&refused).is_met());
        let mut hijacked = observation();
        probe(label::SESSION_WITHOUT_TOKEN, 200)
            .json(json!({"jsonrpc": "2.0", "id": 2, "result": {"tools": []}}))
            .push(&mut hijacked);
        assert!(super::session_id_not_authentication(&hijacked).is_violated());
        let mut sessionless = observation();
        sessionless.not_probed.insert(
            label::SESSION_WITHOUT_TOKEN.into(),
            "the server has no sessions".into(),
        );
        assert!(matches!(
            super::session_id_not_authentication(&sessionless),
            Finding::NotJudged(m) if m.contains("no sessions")
        ));
    }

    fn event(authorization: &str) -> TraceEvent {
        TraceEvent {
            seq: 1,
            timestamp_ms: 0,
            role: Role::AuthorizationServer,
            method: "GET".into(),
            path: "/userinfo".into(),
            status: 200,
            completed: true,
            duration_ms: 1,
            request_headers: Default::default(),
            request_body: None,
            response_headers: Default::default(),
            response_body: None,
            raw: Some(Arc::new(RawRequest {
                path_and_query: "/userinfo".into(),
                headers: vec![("authorization".into(), authorization.into())],
                body: Vec::new(),
            })),
            raw_response: None,
        }
    }

    #[test]
    fn no_token_passthrough() {
        let mut obs = observation();
        obs.presented_tokens.push("client-token".into());
        obs.idp_events.push(event("Bearer server-own-token"));
        let clean = super::no_token_passthrough(&obs);
        assert!(
            clean.is_met() && clean.message().contains("1 request"),
            "{clean:?}"
        );
        obs.idp_events.push(event("Bearer client-token"));
        let finding = super::no_token_passthrough(&obs);
        assert!(finding.is_violated() && finding.message().contains("GET /userinfo"));
        assert!(!finding.message().contains("client-token"));
        obs.token_source = TokenSourceKind::Given;
        assert!(matches!(
            super::no_token_passthrough(&obs),
            Finding::NotJudged(_)
        ));
    }
}
