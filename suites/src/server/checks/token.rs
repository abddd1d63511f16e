//! Server checks: the positive control (a valid token is accepted, OAuth 2.1 §5.1.1 / MCP "Token
//! Requirements": `Authorization: Bearer`) and the baseline every token scenario needs (the same
//! request without a token is refused, else no answer to a token tells anything).

use crate::check::Finding;
use crate::server::observation::{label, ServerObservation};

use super::support::{
    answered, challenge_text, has_jsonrpc_result, jsonrpc_error, judged, probed, shown,
};

/// `token-required` (S-401-01): the MCP request without a token was refused (4xx). A server that
/// answers it anyway accepts every token too, so no token check of the scenario means anything.
pub fn token_required(obs: &ServerObservation) -> Finding {
    judged(|| {
        let probe = probed(obs, label::UNAUTHENTICATED)?;
        let response = answered(probe)?;
        Ok(match response.status {
            400..=499 => Finding::met(format!("without a token: {}", shown(probe))),
            200..=299 => Finding::violated(format!(
                "the server answers without a token ({}): whatever it does with tokens, it \
                 protects nothing",
                shown(probe)
            )),
            _ => Finding::violated(format!(
                "the request without a token got {}, not a refusal: nothing to compare the token \
                 probes with",
                shown(probe)
            )),
        })
    })
}

/// `valid-token-accepted` (S-TOK-06): a valid token for this resource with the advertised scopes,
/// in `Authorization: Bearer`, gets 2xx and a JSON-RPC result.
pub fn valid_token_accepted(obs: &ServerObservation) -> Finding {
    judged(|| {
        let probe = probed(obs, label::VALID)?;
        let response = answered(probe)?;
        let seen = shown(probe);
        if !response.is_success() {
            return Ok(Finding::violated(format!(
                "a valid token was refused: {seen} with {}",
                challenge_text(response)
            )));
        }
        if has_jsonrpc_result(response) {
            return Ok(Finding::met(format!(
                "a valid token was accepted: {seen} with a JSON-RPC result"
            )));
        }
        Ok(match jsonrpc_error(response) {
            Some(error) => Finding::violated(format!(
                "a valid token got {seen}, but a JSON-RPC error ({error}) instead of a result"
            )),
            None => Finding::violated(format!(
                "a valid token got {seen}, but no JSON-RPC response in the body"
            )),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observation::test_support::*;
    use serde_json::json;

    fn answered_with(l: &str, status: u16, body: serde_json::Value) -> ServerObservation {
        let mut obs = observation();
        probe(l, status).json(body).push(&mut obs);
        obs
    }

    #[test]
    fn token_required() {
        let refused = answered_with(label::UNAUTHENTICATED, 401, json!({}));
        assert!(super::token_required(&refused).is_met());
        let open = answered_with(label::UNAUTHENTICATED, 200, json!({}));
        assert!(super::token_required(&open)
            .message()
            .contains("protects nothing"));
        assert!(
            super::token_required(&answered_with(label::UNAUTHENTICATED, 503, json!({})))
                .is_violated()
        );
    }

    #[test]
    fn valid_token_accepted() {
        let result =
            json!({"jsonrpc": "2.0", "id": 1, "result": {"protocolVersion": "2025-11-25"}});
        assert!(super::valid_token_accepted(&answered_with(label::VALID, 200, result)).is_met());
        let error = json!({"jsonrpc": "2.0", "id": 1, "error": {"code": -32600, "message": "bad"}});
        let finding = super::valid_token_accepted(&answered_with(label::VALID, 200, error));
        assert!(finding.is_violated() && finding.message().contains("-32600"));
        let mut refused = observation();
        probe(label::VALID, 401)
            .header("www-authenticate", r#"Bearer error="invalid_token""#)
            .push(&mut refused);
        let finding = super::valid_token_accepted(&refused);
        assert!(finding.is_violated() && finding.message().contains("invalid_token"));
    }

    #[test]
    fn no_token_means_not_judged() {
        let mut obs = observation();
        obs.not_probed
            .insert(label::VALID.into(), "no token: give --token".into());
        assert!(matches!(
            super::valid_token_accepted(&obs),
            Finding::NotJudged(m) if m.contains("--token")
        ));
    }
}
