//! Client check: a client that asks for `offline_access` (or would like a refresh token) does not
//! count on getting one (MCP 2026-07-28 Refresh Tokens: clients "MUST NOT assume refresh tokens
//! will be issued; the AS retains discretion"). Judged against an authorization server that
//! issues none and access tokens that expire after a few requests: the client uses what it got
//! and, on expiry, authorizes again instead of refreshing or giving up.

use mcp_authlab_mock_idp::redact::fingerprint;

use crate::check::Finding;
use crate::client::observation::{Observation, Request};

use super::authorization::{label, labels};
use super::scope::response_challenge_param;

/// Whether a token response (redacted in the trace) carries a `refresh_token`.
fn issued_refresh_token(request: &Request<'_>) -> bool {
    request
        .event
        .response_body
        .as_deref()
        .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        .is_some_and(|b| b.get("refresh_token").is_some())
}

/// `offline-access-no-refresh-assumed` (C-RT-03): with no refresh token in any token response,
/// the client used its access token, never sent a refresh grant, and, when the token expired
/// (401 `invalid_token`), authorized again and got a request accepted with the new token.
pub fn no_refresh_token_assumed(obs: &Observation) -> Finding {
    let token_requests = obs.token_requests(None);
    let granted: Vec<Request<'_>> = token_requests
        .iter()
        .filter(|r| r.status() == 200)
        .copied()
        .collect();
    if granted.is_empty() {
        return Finding::violated(
            "the client obtained no access token, so it never showed how it copes without a \
             refresh token",
        );
    }
    if let Some(with_refresh) = granted.iter().find(|r| issued_refresh_token(r)) {
        return Finding::not_judged(format!(
            "the token response of {} carried a refresh token",
            label(with_refresh)
        ));
    }
    let refreshes = obs.token_requests(Some("refresh_token"));
    if !refreshes.is_empty() {
        return Finding::violated(format!(
            "no token response carried a refresh token, yet the client sent the refresh_token \
             grant ({})",
            labels(&refreshes)
        ));
    }
    let accepted = obs.authorized_mcp_requests();
    let Some(first_use) = accepted.first() else {
        return Finding::violated(format!(
            "the token response(s) ({}) carried no refresh token and the client never had an MCP \
             request accepted with the access token it got",
            labels(&granted)
        ));
    };
    let issued = obs.issued_token_fingerprints();
    let expired = obs.mcp_requests().into_iter().find(|r| {
        r.status() == 401
            && r.bearer().is_some_and(|t| issued.contains(&fingerprint(t)))
            && response_challenge_param(r, "error").as_deref() == Some("invalid_token")
    });
    let Some(expired) = expired else {
        return Finding::met(format!(
            "no token response carried a refresh token; the client used its access token ({}) \
             and it did not expire during the run",
            label(first_use)
        ));
    };
    let reauthorized = obs
        .authorization_requests()
        .into_iter()
        .find(|a| a.event.seq > expired.event.seq);
    let after = accepted.iter().find(|r| {
        r.event.seq > expired.event.seq
            && r.bearer().is_some_and(|t| {
                super::scope::tokens_issued_after(obs, expired.event.seq).contains(&fingerprint(t))
            })
    });
    match (reauthorized, after) {
        (Some(again), Some(used)) => Finding::met(format!(
            "no token response carried a refresh token; when the access token expired ({}) the \
             client authorized again ({}) and {} was accepted with the new token",
            label(&expired),
            label(&again),
            label(used)
        )),
        (None, _) => Finding::violated(format!(
            "the access token expired ({}) and, with no refresh token, the client did not \
             authorize again",
            label(&expired)
        )),
        (Some(again), None) => Finding::violated(format!(
            "the access token expired ({}); the client authorized again ({}) but no request \
             was accepted with a new token",
            label(&expired),
            label(&again)
        )),
    }
}

#[cfg(test)]
mod tests {
    use mcp_authlab_mock_idp::trace::Role;

    use super::*;
    use crate::client::observation::test_support::*;

    fn issue(obs: &mut Observation, grant: &str, token: &str, refresh: bool) {
        let body = if refresh {
            format!(
                r#"{{"access_token":"{}","refresh_token":"{}"}}"#,
                fingerprint(token),
                fingerprint("r")
            )
        } else {
            format!(r#"{{"access_token":"{}"}}"#, fingerprint(token))
        };
        request(Role::AuthorizationServer, "POST", "/token")
            .body(&format!("grant_type={grant}"))
            .response_body(&body)
            .push(obs);
    }

    fn mcp(obs: &mut Observation, token: &str, status: u16) {
        let mut builder = request(Role::McpServer, "POST", "/mcp")
            .header("authorization", &format!("Bearer {token}"))
            .status(status);
        if status == 401 {
            builder = builder.response_header(
                "www-authenticate",
                r#"Bearer error="invalid_token", error_description="expired""#,
            );
        }
        builder.push(obs);
    }

    fn authorize(obs: &mut Observation) {
        request(Role::AuthorizationServer, "GET", "/authorize")
            .status(302)
            .push(obs);
    }

    #[test]
    fn on_expiry_without_refresh_token_the_client_authorizes_again() {
        let mut good = observation();
        authorize(&mut good);
        issue(&mut good, "authorization_code", "t1", false);
        mcp(&mut good, "t1", 200);
        mcp(&mut good, "t1", 401);
        authorize(&mut good);
        issue(&mut good, "authorization_code", "t2", false);
        mcp(&mut good, "t2", 200);
        let finding = no_refresh_token_assumed(&good);
        assert!(finding.is_met(), "{finding:?}");

        let mut gave_up = observation();
        authorize(&mut gave_up);
        issue(&mut gave_up, "authorization_code", "t1", false);
        mcp(&mut gave_up, "t1", 200);
        mcp(&mut gave_up, "t1", 401);
        assert!(no_refresh_token_assumed(&gave_up).is_violated());

        let mut refreshed = observation();
        issue(&mut refreshed, "authorization_code", "t1", false);
        mcp(&mut refreshed, "t1", 200);
        issue(&mut refreshed, "refresh_token", "t2", false);
        assert!(no_refresh_token_assumed(&refreshed).is_violated());

        let mut unused = observation();
        issue(&mut unused, "authorization_code", "t1", false);
        assert!(no_refresh_token_assumed(&unused).is_violated());
        assert!(no_refresh_token_assumed(&observation()).is_violated());

        let mut with_refresh = observation();
        issue(&mut with_refresh, "authorization_code", "t1", true);
        assert!(matches!(
            no_refresh_token_assumed(&with_refresh),
            Finding::NotJudged(_)
        ));
    }
}
