//! Client checks: an authorization server migration (MCP 2026-07-28 Client Registration,
//! "Authorization Server Binding", SEP-2352). Credentials are keyed by the authorization server's
//! issuer; when the protected resource metadata names another authorization server the client
//! registers with it again and presents it nothing the previous one issued (a client ID metadata
//! document URL excepted: it is portable).
//!
//! Judged on the `authorization-server-migration` deployment: the first authorization server is
//! the deployment's issuer, the second one [`Observation::second_issuer`].

use std::collections::BTreeSet;

use mcp_authlab_mock_idp::redact::fingerprint;

use crate::check::Finding;
use crate::client::observation::{Endpoint, Observation, Request};

use super::authorization::{label, labels};
use super::registration::{basic_credentials, registration_response, token_client_id};

/// The first protected resource metadata response that names the second authorization server:
/// the point from which the client can know of the migration.
fn migration_seen<'a>(obs: &'a Observation) -> Option<Request<'a>> {
    let second = obs.second_issuer();
    obs.requests_to(Endpoint::ProtectedResourceMetadata)
        .into_iter()
        .find(|r| {
            r.status() == 200
                && r.event
                    .response_body
                    .as_deref()
                    .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
                    .and_then(|doc| doc.get("authorization_servers").cloned())
                    .and_then(|servers| servers.as_array().cloned())
                    .is_some_and(|servers| servers.iter().any(|s| s.as_str() == Some(&second)))
        })
}

const NOT_MIGRATED: &str = "the protected resource metadata the client read never named the \
                            second authorization server (the MCP server switches after it \
                            accepted a first access token), so the client never reached the \
                            migration";

fn at_second<'a>(obs: &'a Observation) -> Vec<Request<'a>> {
    obs.requests()
        .into_iter()
        .filter(|r| obs.at_second_authorization_server(r))
        .collect()
}

fn at_first<'a>(obs: &'a Observation) -> Vec<Request<'a>> {
    obs.requests()
        .into_iter()
        .filter(|r| r.role() != mcp_authlab_mock_idp::trace::Role::McpServer)
        .filter(|r| !obs.at_second_authorization_server(r))
        .collect()
}

/// The client ids a request presents: `client_id` in the query (authorization) or the form or
/// Basic credentials (token endpoint).
fn client_ids(request: &Request<'_>) -> Vec<String> {
    let mut ids: Vec<String> = request.query("client_id").into_iter().collect();
    ids.extend(token_client_id(request));
    ids
}

/// A client ID metadata document URL (an https URL with a path): portable across servers.
fn is_metadata_document_url(client_id: &str) -> bool {
    url::Url::parse(client_id).is_ok_and(|u| u.scheme() == "https" && u.path() != "/")
}

/// `sep-2352-reregister-on-as-change` (C-REG-26-02): after the protected resource metadata named
/// the second authorization server, the client registered with it (a successful DCR request).
pub fn reregister_on_as_change(obs: &Observation) -> Finding {
    let Some(seen) = migration_seen(obs) else {
        return Finding::violated(NOT_MIGRATED);
    };
    let second = at_second(obs);
    let registrations: Vec<Request<'_>> = second
        .iter()
        .filter(|r| r.endpoint == Endpoint::Registration && r.event.seq > seen.event.seq)
        .copied()
        .collect();
    match registrations
        .iter()
        .find(|r| (200..300).contains(&r.status()))
    {
        Some(ok) => Finding::met(format!(
            "the protected resource metadata of {} named the new authorization server `{}`; \
             the client registered with it ({})",
            label(&seen),
            obs.second_issuer(),
            label(ok)
        )),
        None if !registrations.is_empty() => Finding::violated(format!(
            "the client tried to register with the new authorization server but failed: {}",
            labels(&registrations)
        )),
        None => Finding::violated(format!(
            "the protected resource metadata of {} named the new authorization server `{}`, but \
             the client did not register with it; what it sent there: {}",
            label(&seen),
            obs.second_issuer(),
            if second.is_empty() {
                "nothing".to_string()
            } else {
                labels(&second)
            }
        )),
    }
}

/// The client ids the first authorization server knows the client by: those its registration
/// responses returned and those the client presented to it, client ID metadata document URLs
/// excepted.
fn first_client_ids(obs: &Observation) -> BTreeSet<String> {
    let mut ids = BTreeSet::new();
    for request in at_first(obs) {
        if request.endpoint == Endpoint::Registration {
            if let Some(id) = registration_response(&request)
                .and_then(|b| b.get("client_id")?.as_str().map(str::to_string))
            {
                ids.insert(id);
            }
        }
        if matches!(request.endpoint, Endpoint::Authorization | Endpoint::Token) {
            ids.extend(client_ids(&request));
        }
    }
    ids.retain(|id| !is_metadata_document_url(id));
    ids
}

/// `sep-2352-no-reuse-on-as-change` (C-REG-26-02): no client id the client had with the first
/// authorization server is presented to the second (authorization or token endpoint).
pub fn no_reuse_on_as_change(obs: &Observation) -> Finding {
    if migration_seen(obs).is_none() {
        return Finding::violated(NOT_MIGRATED);
    }
    let known = first_client_ids(obs);
    let second = at_second(obs);
    if second.is_empty() {
        return Finding::not_judged(
            "the client sent nothing to the new authorization server, so it reused nothing there",
        );
    }
    let reused: Vec<String> = second
        .iter()
        .filter_map(|r| {
            let ids: Vec<String> = client_ids(r)
                .into_iter()
                .filter(|id| known.contains(id))
                .collect();
            (!ids.is_empty()).then(|| format!("{} presented `{}`", label(r), ids.join("`, `")))
        })
        .collect();
    if reused.is_empty() {
        Finding::met(format!(
            "none of the {} request(s) to the new authorization server presented a client id of \
             the previous one ({})",
            second.len(),
            if known.is_empty() {
                "none known".to_string()
            } else {
                known.iter().cloned().collect::<Vec<_>>().join(", ")
            }
        ))
    } else {
        Finding::violated(format!(
            "the client presented the previous authorization server's client id to the new \
             one: {}",
            reused.join("; ")
        ))
    }
}

/// The fingerprints of the secrets the first authorization server issued: client secrets
/// (registration responses), access and refresh tokens (token responses). The trace keeps
/// response bodies redacted, each secret as its fingerprint.
fn first_secrets(obs: &Observation) -> BTreeSet<String> {
    let mut secrets = BTreeSet::new();
    for request in at_first(obs) {
        if !matches!(request.endpoint, Endpoint::Registration | Endpoint::Token) {
            continue;
        }
        let Some(body) = request
            .event
            .response_body
            .as_deref()
            .and_then(|b| serde_json::from_str::<serde_json::Value>(b).ok())
        else {
            continue;
        };
        for name in ["client_secret", "access_token", "refresh_token"] {
            if let Some(value) = body.get(name).and_then(|v| v.as_str()) {
                secrets.insert(value.to_string());
            }
        }
    }
    secrets
}

/// The secrets a request presents, fingerprinted, with what they were: a refresh token, a client
/// secret (form or Basic), a bearer token.
fn presented_secrets(request: &Request<'_>) -> Vec<(&'static str, String)> {
    let mut found = Vec::new();
    for (name, what) in [
        ("refresh_token", "refresh token"),
        ("client_secret", "client secret"),
    ] {
        for value in request.form_all(name) {
            found.push((what, fingerprint(&value)));
        }
    }
    if let Some([(_, secret), _]) = basic_credentials(request) {
        found.push(("client secret", fingerprint(&secret)));
    }
    if let Some(token) = request.bearer() {
        found.push(("access token", fingerprint(token)));
    }
    found
}

/// `sep-2352-no-cross-as-credential-reuse` (C-REG-26-02): nothing the first authorization server
/// issued (a client secret, an access or refresh token) is presented to the second.
pub fn no_cross_as_credential_reuse(obs: &Observation) -> Finding {
    if migration_seen(obs).is_none() {
        return Finding::violated(NOT_MIGRATED);
    }
    let issued = first_secrets(obs);
    let second = at_second(obs);
    if second.is_empty() {
        return Finding::not_judged(
            "the client sent nothing to the new authorization server, so it presented nothing there",
        );
    }
    let reused: Vec<String> = second
        .iter()
        .flat_map(|r| {
            presented_secrets(r)
                .into_iter()
                .filter(|(_, f)| issued.contains(f))
                .map(move |(what, f)| format!("{} presented the {what} {f}", label(r)))
        })
        .collect();
    if reused.is_empty() {
        Finding::met(format!(
            "none of the {} request(s) to the new authorization server presented a secret or \
             token the previous one issued ({} known)",
            second.len(),
            issued.len()
        ))
    } else {
        Finding::violated(format!(
            "the client presented what the previous authorization server issued to the new one: \
             {}",
            reused.join("; ")
        ))
    }
}

/// `authorization-server-migration-completed` (C-REG-26-02): after the migration the client got an
/// access token from the second authorization server and an MCP request with it was accepted.
pub fn migration_completed(obs: &Observation) -> Finding {
    let Some(seen) = migration_seen(obs) else {
        return Finding::violated(NOT_MIGRATED);
    };
    let from_second: BTreeSet<String> = at_second(obs)
        .iter()
        .filter(|r| r.endpoint == Endpoint::Token && r.status() == 200)
        .filter_map(|r| {
            let body: serde_json::Value =
                serde_json::from_str(r.event.response_body.as_deref()?).ok()?;
            Some(body.get("access_token")?.as_str()?.to_string())
        })
        .collect();
    let accepted = obs.authorized_mcp_requests().into_iter().find(|r| {
        r.event.seq > seen.event.seq
            && r.bearer()
                .is_some_and(|t| from_second.contains(&fingerprint(t)))
    });
    match accepted {
        Some(request) => Finding::met(format!(
            "after the migration ({}) the MCP server accepted {} with a token of the new \
             authorization server",
            label(&seen),
            label(&request)
        )),
        None => Finding::violated(format!(
            "after the migration ({}) no MCP request was accepted with a token of the new \
             authorization server ({} token(s) issued by it)",
            label(&seen),
            from_second.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use mcp_authlab_mock_idp::trace::Role::{AuthorizationServer as As, McpServer as Mcp};

    use super::*;
    use crate::client::observation::test_support::*;

    const PRM: &str = "/.well-known/oauth-protected-resource/mcp";

    fn prm(obs: &mut Observation, issuer: &str) {
        request(Mcp, "GET", PRM)
            .response_body(&serde_json::json!({"authorization_servers": [issuer]}).to_string())
            .push(obs);
    }

    fn register(obs: &mut Observation, prefix: &str, client_id: &str) {
        request(As, "POST", &format!("{prefix}/register"))
            .header("content-type", "application/json")
            .body("{}")
            .status(201)
            .response_body(&format!(
                r#"{{"client_id":"{client_id}","client_secret":"{}"}}"#,
                fingerprint(&format!("{client_id}-secret"))
            ))
            .push(obs);
    }

    fn token(obs: &mut Observation, prefix: &str, body: &str, issued: &str) {
        request(As, "POST", &format!("{prefix}/token"))
            .body(body)
            .response_body(&format!(
                r#"{{"access_token":"{}","refresh_token":"{}"}}"#,
                fingerprint(issued),
                fingerprint(&format!("{issued}-refresh"))
            ))
            .push(obs);
    }

    fn mcp(obs: &mut Observation, bearer: &str, status: u16) {
        request(Mcp, "POST", "/mcp")
            .header("authorization", &format!("Bearer {bearer}"))
            .status(status)
            .push(obs);
    }

    const SECOND: &str = "/migrated-as";

    /// The first authorization server's flow, up to the PRM that names the second.
    fn migrated() -> Observation {
        let mut obs = observation();
        prm(&mut obs, AS);
        register(&mut obs, "", "c1");
        token(
            &mut obs,
            "",
            "grant_type=authorization_code&client_id=c1",
            "t1",
        );
        mcp(&mut obs, "t1", 200);
        mcp(&mut obs, "t1", 401);
        prm(&mut obs, &format!("{AS}{SECOND}"));
        obs
    }

    fn correct() -> Observation {
        let mut obs = migrated();
        register(&mut obs, SECOND, "c2");
        request(As, "GET", &format!("{SECOND}/authorize?client_id=c2"))
            .status(302)
            .push(&mut obs);
        token(
            &mut obs,
            SECOND,
            "grant_type=authorization_code&client_id=c2",
            "t2",
        );
        mcp(&mut obs, "t2", 200);
        obs
    }

    #[test]
    fn a_correct_migration_passes_every_check() {
        let obs = correct();
        for check in [
            reregister_on_as_change,
            no_reuse_on_as_change,
            no_cross_as_credential_reuse,
            migration_completed,
        ] {
            let finding = check(&obs);
            assert!(finding.is_met(), "{finding:?}");
        }
    }

    #[test]
    fn reusing_the_old_client_fails() {
        let mut obs = migrated();
        request(As, "GET", &format!("{SECOND}/authorize?client_id=c1"))
            .status(400)
            .push(&mut obs);
        assert!(reregister_on_as_change(&obs).is_violated());
        let reuse = no_reuse_on_as_change(&obs);
        assert!(
            reuse.is_violated() && reuse.message().contains("`c1`"),
            "{reuse:?}"
        );
        assert!(no_cross_as_credential_reuse(&obs).is_met());
        assert!(migration_completed(&obs).is_violated());
    }

    #[test]
    fn presenting_an_old_refresh_token_fails() {
        let mut obs = correct();
        request(As, "POST", &format!("{SECOND}/token"))
            .body("grant_type=refresh_token&client_id=c2&refresh_token=t1-refresh")
            .status(400)
            .push(&mut obs);
        let finding = no_cross_as_credential_reuse(&obs);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("refresh token"), "{finding:?}");
        assert!(no_reuse_on_as_change(&obs).is_met());
    }

    #[test]
    fn a_client_that_never_saw_the_migration_did_not_reach_it() {
        let mut obs = observation();
        prm(&mut obs, AS);
        for check in [
            reregister_on_as_change,
            no_reuse_on_as_change,
            no_cross_as_credential_reuse,
            migration_completed,
        ] {
            assert!(check(&obs).is_violated());
            assert!(check(&observation()).is_violated());
        }
        let silent = migrated();
        assert!(matches!(
            no_reuse_on_as_change(&silent),
            Finding::NotJudged(_)
        ));
        assert!(reregister_on_as_change(&silent).is_violated());
    }
}
