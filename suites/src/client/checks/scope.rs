//! Client checks: which scopes the client asks for. MCP 2025-11-25 "Scope Selection Strategy"
//! (the challenge's `scope`, else all of the PRM `scopes_supported`, else no `scope`), "Step-Up
//! Authorization Flow" (re-authorize with the challenged scopes on 403 `insufficient_scope`, a
//! limited number of times) and the 2026-07-28 refresh token guidance (SEP-2207: `offline_access`
//! only when the authorization server lists it).

use std::collections::BTreeSet;

use mcp_authlab_mock_idp::redact::fingerprint;

use crate::check::Finding;
use crate::client::observation::{Endpoint, Observation, Request};

use super::authorization::{label, labels};

const NO_AUTHORIZATION: &str = "the client never sent an authorization request";

/// At most this many authorization requests after the first 403 `insufficient_scope` that never
/// goes away (the official `auth/scope-retry-limit` threshold).
pub const MAX_STEP_UP_ATTEMPTS: usize = 3;

/// A parameter of the `Bearer` challenge in a `WWW-Authenticate` value (RFC 9110 §11.6.1,
/// RFC 6750 §3), unescaped; `None` when absent or the header does not parse.
pub(crate) fn challenge_param(header: &str, name: &str) -> Option<String> {
    let challenges = http_auth::parse_challenges(header).ok()?;
    challenges
        .iter()
        .filter(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        .flat_map(|c| c.params.iter())
        .find(|(param, _)| param.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.to_unescaped())
}

/// A parameter of the challenge the response to `request` carried.
pub(crate) fn response_challenge_param(request: &Request<'_>, name: &str) -> Option<String> {
    let header = request.event.response_headers.get("www-authenticate")?;
    challenge_param(header, name)
}

/// The scopes of a space-separated list (RFC 6749 §3.3).
pub(crate) fn scope_set(scope: Option<&str>) -> BTreeSet<String> {
    scope
        .unwrap_or("")
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

pub(crate) fn shown(scopes: &BTreeSet<String>) -> String {
    if scopes.is_empty() {
        "no scope".into()
    } else {
        format!("`{}`", scopes.iter().cloned().collect::<Vec<_>>().join(" "))
    }
}

/// The scopes an authorization request asked for.
pub(crate) fn requested(authorization: &Request<'_>) -> BTreeSet<String> {
    scope_set(authorization.query("scope").as_deref())
}

/// The scope of the first 401 challenge from the MCP server before `before` (a trace number),
/// with the request it answered.
fn challenged_before(obs: &Observation, before: u64) -> Option<(Request<'_>, BTreeSet<String>)> {
    obs.mcp_requests()
        .into_iter()
        .filter(|r| r.status() == 401 && r.event.seq < before)
        .find_map(|r| {
            let scopes = scope_set(response_challenge_param(&r, "scope").as_deref());
            (!scopes.is_empty()).then_some((r, scopes))
        })
}

/// A list field (`scopes_supported`) of the last document of this kind the client fetched
/// before `before`; `Some(empty)` when the document leaves it out, `None` when none was fetched.
fn document_list(
    obs: &Observation,
    endpoint: Endpoint,
    field: &str,
    before: u64,
) -> Option<BTreeSet<String>> {
    let body = obs
        .requests_to(endpoint)
        .into_iter()
        .filter(|r| r.status() == 200 && r.event.seq < before)
        .filter_map(|r| {
            serde_json::from_str::<serde_json::Value>(r.event.response_body.as_deref()?).ok()
        })
        .next_back()?;
    Some(
        body.get(field)
            .and_then(|v| v.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
    )
}

/// The first authorization request asks for at least the scopes of the initial 401 challenge.
fn first_request_uses_challenge(obs: &Observation) -> Finding {
    let Some(first) = obs.authorization_requests().into_iter().next() else {
        return Finding::violated(NO_AUTHORIZATION);
    };
    let Some((challenge, challenged)) = challenged_before(obs, first.event.seq) else {
        // The deployment names a scope in every 401: a client without one before authorizing
        // never made the request that gets the challenge (it hard-coded its scope, say).
        let unauthorized = obs
            .mcp_requests()
            .iter()
            .filter(|r| r.status() == 401 && r.event.seq < first.event.seq)
            .count();
        return Finding::violated(if unauthorized == 0 {
            format!(
                "the client authorized ({}) without first making the MCP request that gets the \
                 401 challenge, so it could not have taken the scope from it",
                label(&first)
            )
        } else {
            format!(
                "none of the {unauthorized} 401 answer(s) before the authorization request {} \
                 named a scope, so the client never got the challenge whose scope it had to use",
                label(&first)
            )
        });
    };
    let asked = requested(&first);
    if asked.is_superset(&challenged) {
        Finding::met(format!(
            "the first authorization request asked for {}, which includes {} from the challenge \
             of {}",
            shown(&asked),
            shown(&challenged),
            label(&challenge)
        ))
    } else {
        Finding::violated(format!(
            "the challenge of {} named {}, but the first authorization request {} asked for {}",
            label(&challenge),
            shown(&challenged),
            label(&first),
            shown(&asked)
        ))
    }
}

/// `scope-from-www-authenticate` (C-SCOPE-1): the first authorization request uses the `scope`
/// of the initial 401 challenge.
pub fn scope_from_www_authenticate(obs: &Observation) -> Finding {
    first_request_uses_challenge(obs)
}

/// `scope-from-scopes-supported` (C-SCOPE-1): with no scope in the challenge, the first
/// authorization request asks for every scope of the PRM `scopes_supported`.
pub fn scope_from_scopes_supported(obs: &Observation) -> Finding {
    let Some(first) = obs.authorization_requests().into_iter().next() else {
        return Finding::violated(NO_AUTHORIZATION);
    };
    if let Some((challenge, _)) = challenged_before(obs, first.event.seq) {
        return Finding::not_judged(format!(
            "the challenge of {} named a scope, which takes precedence over scopes_supported",
            label(&challenge)
        ));
    }
    let Some(supported) = document_list(
        obs,
        Endpoint::ProtectedResourceMetadata,
        "scopes_supported",
        first.event.seq,
    ) else {
        return Finding::violated(
            "the client never fetched the protected resource metadata before authorizing, so it \
             could not take its scopes_supported",
        );
    };
    if supported.is_empty() {
        return Finding::not_judged("the protected resource metadata lists no scopes_supported");
    }
    let asked = requested(&first);
    let missing: BTreeSet<String> = supported.difference(&asked).cloned().collect();
    if missing.is_empty() {
        Finding::met(format!(
            "the first authorization request asked for {}, every scope of the PRM \
             scopes_supported",
            shown(&asked)
        ))
    } else {
        Finding::violated(format!(
            "the PRM scopes_supported is {}, the first authorization request {} asked for {} \
             (missing {})",
            shown(&supported),
            label(&first),
            shown(&asked),
            shown(&missing)
        ))
    }
}

/// `scope-omitted-when-undefined` (C-SCOPE-1): with no scope in the challenge and none in the PRM,
/// the first authorization request has no (or an empty) `scope`.
pub fn scope_omitted_when_undefined(obs: &Observation) -> Finding {
    let Some(first) = obs.authorization_requests().into_iter().next() else {
        return Finding::violated(NO_AUTHORIZATION);
    };
    if let Some((challenge, scopes)) = challenged_before(obs, first.event.seq) {
        return Finding::not_judged(format!(
            "the challenge of {} named {}",
            label(&challenge),
            shown(&scopes)
        ));
    }
    if let Some(supported) = document_list(
        obs,
        Endpoint::ProtectedResourceMetadata,
        "scopes_supported",
        first.event.seq,
    )
    .filter(|s| !s.is_empty())
    {
        return Finding::not_judged(format!(
            "the protected resource metadata lists scopes_supported {}",
            shown(&supported)
        ));
    }
    let asked = requested(&first);
    if asked.is_empty() {
        Finding::met("no scope anywhere, and the first authorization request asked for none")
    } else {
        Finding::violated(format!(
            "neither the challenge nor the PRM names a scope, yet the first authorization request \
             {} asked for {}",
            label(&first),
            shown(&asked)
        ))
    }
}

/// `scope-step-up-initial` (C-SCOPE-1): the first authorization request of a step-up flow uses
/// the `scope` of the initial 401 challenge.
pub fn scope_step_up_initial(obs: &Observation) -> Finding {
    first_request_uses_challenge(obs)
}

/// The first 403 `insufficient_scope` answer of the MCP server, with the scopes it challenged.
pub(crate) fn first_insufficient_scope(
    obs: &Observation,
) -> Option<(Request<'_>, BTreeSet<String>)> {
    obs.mcp_requests()
        .into_iter()
        .find(|r| {
            r.status() == 403
                && response_challenge_param(r, "error").as_deref() == Some("insufficient_scope")
        })
        .map(|r| {
            let scopes = scope_set(response_challenge_param(&r, "scope").as_deref());
            (r, scopes)
        })
}

const NO_STEP_UP: &str = "the MCP server never answered a request of the client with 403 \
                          insufficient_scope, so the client never reached the step-up";

/// `scope-step-up-escalation` (C-SCOPE-2): after a 403 `insufficient_scope`, the next
/// authorization request asks for at least the challenged scopes.
pub fn scope_step_up_escalation(obs: &Observation) -> Finding {
    let Some((forbidden, challenged)) = first_insufficient_scope(obs) else {
        return Finding::violated(NO_STEP_UP);
    };
    let Some(next) = obs
        .authorization_requests()
        .into_iter()
        .find(|a| a.event.seq > forbidden.event.seq)
    else {
        return Finding::violated(format!(
            "the client did not re-authorize after the 403 insufficient_scope of {} (which named \
             {})",
            label(&forbidden),
            shown(&challenged)
        ));
    };
    let asked = requested(&next);
    if asked.is_superset(&challenged) {
        Finding::met(format!(
            "after the 403 of {} the client re-authorized with {}, which includes the challenged \
             {}",
            label(&forbidden),
            shown(&asked),
            shown(&challenged)
        ))
    } else {
        Finding::violated(format!(
            "the 403 of {} named {}, but the next authorization request {} asked for {}",
            label(&forbidden),
            shown(&challenged),
            label(&next),
            shown(&asked)
        ))
    }
}

/// The fingerprints of the access tokens the token endpoint issued after `after` (a trace number).
/// Response bodies are kept redacted: the `access_token` field holds the fingerprint.
pub(crate) fn tokens_issued_after(obs: &Observation, after: u64) -> BTreeSet<String> {
    obs.requests_to(Endpoint::Token)
        .iter()
        .filter(|r| r.event.seq > after && (200..300).contains(&r.status()))
        .filter_map(|r| {
            let body: serde_json::Value =
                serde_json::from_str(r.event.response_body.as_deref()?).ok()?;
            Some(body.get("access_token")?.as_str()?.to_string())
        })
        .collect()
}

/// The JSON-RPC method of an MCP request (a single message), if it has one.
fn rpc_method(request: &Request<'_>) -> Option<String> {
    Some(request.json()?.get("method")?.as_str()?.to_string())
}

/// Whether an MCP request needs the token in a step-up deployment: `initialize` and
/// notifications are answered without one there, so their 2xx proves nothing about the token.
fn needs_the_token(request: &Request<'_>) -> bool {
    request.method() == "POST"
        && rpc_method(request)
            .is_some_and(|m| m != "initialize" && !m.starts_with("notifications/"))
}

/// `scope-step-up-retried` (C-SCOPE-2): after the first 403 `insufficient_scope`, the client
/// obtained a new token and an MCP request that needs one (not `initialize`, not a notification)
/// was accepted (2xx) with it: the step-up went through, not only the authorization request.
pub fn scope_step_up_retried(obs: &Observation) -> Finding {
    let Some((forbidden, challenged)) = first_insufficient_scope(obs) else {
        return Finding::violated(NO_STEP_UP);
    };
    let issued = tokens_issued_after(obs, forbidden.event.seq);
    if issued.is_empty() {
        return Finding::violated(format!(
            "the client obtained no new access token after the 403 insufficient_scope of {} \
             (which named {})",
            label(&forbidden),
            shown(&challenged)
        ));
    }
    let after: Vec<Request<'_>> = obs
        .mcp_requests()
        .into_iter()
        .filter(|r| r.event.seq > forbidden.event.seq && needs_the_token(r))
        .collect();
    let with_new_token = |r: &&Request<'_>| {
        r.bearer()
            .is_some_and(|token| issued.contains(&fingerprint(token)))
    };
    match after
        .iter()
        .find(|r| with_new_token(r) && (200..300).contains(&r.status()))
    {
        Some(accepted) => Finding::met(format!(
            "after the 403 of {} the client got a new token and {} ({}) was accepted with it",
            label(&forbidden),
            label(accepted),
            rpc_method(accepted).unwrap_or_default()
        )),
        None => {
            let tried: Vec<Request<'_>> = after.iter().filter(with_new_token).copied().collect();
            Finding::violated(if tried.is_empty() {
                format!(
                    "after the 403 of {} the client got {} new token(s) but sent no MCP request \
                     that needs one with them (it did not retry)",
                    label(&forbidden),
                    issued.len()
                )
            } else {
                format!(
                    "after the 403 of {} the client retried with a new token, but no request was \
                     accepted: {}",
                    label(&forbidden),
                    labels(&tried)
                )
            })
        }
    }
}

/// `scope-retry-limit` (C-SCOPE-2, C-SCOPE-07): against a server whose 403 `insufficient_scope`
/// never goes away, the client re-authorizes at most [`MAX_STEP_UP_ATTEMPTS`] times after the
/// first 403, then stops. Judged once the client got that 403 (the point where it could loop); a
/// client that stops without any retry does not loop (whether it should have stepped up once is
/// `scope-step-up-escalation`'s question, as in the official suite, which counts attempts only).
pub fn scope_retry_limit(obs: &Observation) -> Finding {
    let Some((forbidden, _)) = first_insufficient_scope(obs) else {
        return Finding::violated(NO_STEP_UP);
    };
    let attempts = obs
        .authorization_requests()
        .iter()
        .filter(|a| a.event.seq > forbidden.event.seq)
        .count();
    match attempts {
        0 => Finding::met(format!(
            "the client stopped after the 403 insufficient_scope of {} without re-authorizing: no \
             loop (it made no step-up attempt at all)",
            label(&forbidden)
        )),
        n if n <= MAX_STEP_UP_ATTEMPTS => Finding::met(format!(
            "{n} authorization attempt(s) after the first 403 insufficient_scope ({}), then the \
             client stopped (limit {MAX_STEP_UP_ATTEMPTS})",
            label(&forbidden)
        )),
        n => Finding::violated(format!(
            "{n} authorization attempts after the first 403 insufficient_scope ({}): more than \
             {MAX_STEP_UP_ATTEMPTS}, the client does not limit its step-up retries",
            label(&forbidden)
        )),
    }
}

/// The `scopes_supported` of the authorization server metadata the client read (any time).
pub(crate) fn as_scopes_supported(obs: &Observation) -> Option<BTreeSet<String>> {
    document_list(
        obs,
        Endpoint::AuthorizationServerMetadata,
        "scopes_supported",
        u64::MAX,
    )
}

const OFFLINE_ACCESS: &str = "offline_access";

/// `sep-2207-offline-access-requested` (C-SCOPE-08, MAY): when the authorization server lists
/// `offline_access`, whether the client asked for it (a note when it did not).
pub fn offline_access_requested(obs: &Observation) -> Finding {
    let authorizations = obs.authorization_requests();
    if authorizations.is_empty() {
        return Finding::violated(NO_AUTHORIZATION);
    }
    if let Some(supported) = as_scopes_supported(obs) {
        if !supported.contains(OFFLINE_ACCESS) {
            return Finding::not_judged(
                "the authorization server metadata does not list offline_access",
            );
        }
    }
    match authorizations
        .iter()
        .find(|a| requested(a).contains(OFFLINE_ACCESS))
    {
        Some(a) => Finding::met(format!(
            "the client asked for offline_access in {}",
            label(a)
        )),
        None => Finding::note(
            "the authorization server lists offline_access; the client chose not to ask for it \
             (it MAY)",
        ),
    }
}

/// `sep-2207-offline-access-not-requested` (C-SCOPE-08): when the authorization server does not
/// list `offline_access`, the client does not ask for it.
pub fn offline_access_not_requested(obs: &Observation) -> Finding {
    let authorizations = obs.authorization_requests();
    if authorizations.is_empty() {
        return Finding::violated(NO_AUTHORIZATION);
    }
    if as_scopes_supported(obs).is_some_and(|s| s.contains(OFFLINE_ACCESS)) {
        return Finding::not_judged("the authorization server metadata lists offline_access");
    }
    let asking: Vec<String> = authorizations
        .iter()
        .filter(|a| requested(a).contains(OFFLINE_ACCESS))
        .map(label)
        .collect();
    if asking.is_empty() {
        Finding::met(format!(
            "the authorization server does not list offline_access, and none of the {} \
             authorization requests asked for it",
            authorizations.len()
        ))
    } else {
        Finding::violated(format!(
            "the authorization server does not list offline_access in scopes_supported, yet the \
             client asked for it in {}",
            asking.join(", ")
        ))
    }
}

/// `sep-2207-client-metadata-grant-types` (C-RT-03, SHOULD): a client registered by DCR lists
/// `refresh_token` in its `grant_types`. A note when the client did not register dynamically
/// (its metadata could not be inspected).
pub fn client_metadata_grant_types(obs: &Observation) -> Finding {
    let registrations = obs.registration_requests();
    let Some(registration) = registrations.last() else {
        return Finding::note(
            "the client did not register dynamically; its grant_types could not be inspected",
        );
    };
    let grant_types: Vec<String> = registration
        .json()
        .and_then(|body| {
            body.get("grant_types")?.as_array().map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default();
    if grant_types.iter().any(|g| g == "refresh_token") {
        Finding::met(format!(
            "the registration request {} lists grant_types {grant_types:?}",
            label(registration)
        ))
    } else {
        Finding::violated(format!(
            "the registration request {} lists grant_types {grant_types:?}, without \
             refresh_token",
            label(registration)
        ))
    }
}

#[cfg(test)]
mod tests {
    use mcp_authlab_mock_idp::trace::Role;

    use super::*;
    use crate::client::observation::test_support::*;

    const PRM: &str = "/.well-known/oauth-protected-resource/mcp";

    fn challenge(obs: &mut Observation, status: u16, header: &str) {
        request(Role::McpServer, "POST", "/mcp")
            .status(status)
            .response_header("www-authenticate", header)
            .push(obs);
    }

    fn prm(obs: &mut Observation, scopes: Option<&[&str]>) {
        let mut doc = serde_json::json!({"resource": "http://127.0.0.1:1000/mcp"});
        if let Some(scopes) = scopes {
            doc["scopes_supported"] = serde_json::json!(scopes);
        }
        request(Role::McpServer, "GET", PRM)
            .response_body(&doc.to_string())
            .push(obs);
    }

    fn as_metadata(obs: &mut Observation, scopes: &[&str]) {
        request(
            Role::AuthorizationServer,
            "GET",
            "/.well-known/oauth-authorization-server",
        )
        .response_body(&serde_json::json!({ "scopes_supported": scopes }).to_string())
        .push(obs);
    }

    fn authorize(obs: &mut Observation, scope: Option<&str>) {
        let mut path = "/authorize?response_type=code&client_id=c1".to_string();
        if let Some(scope) = scope {
            let encoded: String = url::form_urlencoded::byte_serialize(scope.as_bytes()).collect();
            path.push_str(&format!("&scope={encoded}"));
        }
        request(Role::AuthorizationServer, "GET", &path)
            .status(302)
            .push(obs);
    }

    #[test]
    fn challenge_params_are_parsed_with_quotes_and_escapes() {
        let h = r#"Bearer error="invalid_token", resource_metadata="http://h/x\"y", scope=a"#;
        assert_eq!(
            challenge_param(h, "resource_metadata").as_deref(),
            Some(r#"http://h/x"y"#)
        );
        assert_eq!(challenge_param(h, "scope").as_deref(), Some("a"));
        assert_eq!(challenge_param(h, "realm"), None);
        assert_eq!(challenge_param("Bearer", "scope"), None);
    }

    #[test]
    fn challenge_params_parse() {
        let header =
            r#"Bearer error="insufficient_scope", scope="a b", resource_metadata="http://x/y""#;
        assert_eq!(challenge_param(header, "scope").as_deref(), Some("a b"));
        assert_eq!(
            challenge_param(header, "error").as_deref(),
            Some("insufficient_scope")
        );
        assert_eq!(challenge_param(header, "realm"), None);
        assert_eq!(
            challenge_param(r#"Basic realm="x", Bearer scope="c""#, "scope").as_deref(),
            Some("c")
        );
        assert_eq!(
            challenge_param("Bearer scope=\"unterminated", "scope"),
            None
        );
    }

    fn www_authenticate_flow(asked: Option<&str>) -> Observation {
        let mut obs = observation();
        challenge(
            &mut obs,
            401,
            r#"Bearer resource_metadata="http://x", scope="mcp:basic""#,
        );
        prm(&mut obs, None);
        authorize(&mut obs, asked);
        obs
    }

    #[test]
    fn from_www_authenticate() {
        assert!(scope_from_www_authenticate(&www_authenticate_flow(Some("mcp:basic"))).is_met());
        assert!(scope_step_up_initial(&www_authenticate_flow(Some("mcp:basic x"))).is_met());
        assert!(scope_step_up_initial(&www_authenticate_flow(Some("mcp:write"))).is_violated());
        let finding = scope_from_www_authenticate(&www_authenticate_flow(Some("mcp:other")));
        assert!(finding.is_violated());
        assert!(finding.message().contains("`mcp:basic`"), "{finding:?}");
        assert!(scope_from_www_authenticate(&www_authenticate_flow(None)).is_violated());
        assert!(scope_from_www_authenticate(&observation()).is_violated());
        let mut no_scope = observation();
        challenge(&mut no_scope, 401, r#"Bearer resource_metadata="http://x""#);
        authorize(&mut no_scope, None);
        let finding = scope_from_www_authenticate(&no_scope);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("named a scope"), "{finding:?}");
    }

    #[test]
    fn from_www_authenticate_needs_the_challenge() {
        // A client that hard-codes the scope and authorizes without the unauthenticated request.
        let mut hard_coded = observation();
        prm(&mut hard_coded, None);
        authorize(&mut hard_coded, Some("mcp:basic"));
        let finding = scope_from_www_authenticate(&hard_coded);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(
            finding
                .message()
                .contains("without first making the MCP request"),
            "{finding:?}"
        );
        assert!(scope_step_up_initial(&hard_coded).is_violated());
    }

    fn scopes_supported_flow(prm_scopes: Option<&[&str]>, asked: Option<&str>) -> Observation {
        let mut obs = observation();
        challenge(&mut obs, 401, r#"Bearer resource_metadata="http://x""#);
        prm(&mut obs, prm_scopes);
        authorize(&mut obs, asked);
        obs
    }

    #[test]
    fn from_scopes_supported() {
        let all: &[&str] = &["mcp:basic", "mcp:read", "mcp:write"];
        let good = scopes_supported_flow(Some(all), Some("mcp:write mcp:basic mcp:read"));
        assert!(scope_from_scopes_supported(&good).is_met());
        let partial = scopes_supported_flow(Some(all), Some("mcp:basic"));
        let finding = scope_from_scopes_supported(&partial);
        assert!(finding.is_violated());
        assert!(
            finding.message().contains("missing `mcp:read mcp:write`"),
            "{finding:?}"
        );
        // No PRM fetched before authorizing.
        let mut blind = observation();
        authorize(&mut blind, Some("mcp:basic"));
        assert!(scope_from_scopes_supported(&blind).is_violated());
        assert!(matches!(
            scope_from_scopes_supported(&www_authenticate_flow(Some("mcp:basic"))),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn omitted_when_undefined() {
        assert!(scope_omitted_when_undefined(&scopes_supported_flow(None, None)).is_met());
        assert!(scope_omitted_when_undefined(&scopes_supported_flow(None, Some(" "))).is_met());
        let asked = scopes_supported_flow(None, Some("openid"));
        assert!(scope_omitted_when_undefined(&asked).is_violated());
        assert!(scope_omitted_when_undefined(&observation()).is_violated());
        assert!(matches!(
            scope_omitted_when_undefined(&scopes_supported_flow(Some(&["a"]), None)),
            Finding::NotJudged(_)
        ));
    }

    fn step_up_flow(second: Option<&str>) -> Observation {
        let mut obs = www_authenticate_flow(Some("mcp:basic"));
        challenge(
            &mut obs,
            403,
            r#"Bearer error="insufficient_scope", scope="mcp:basic mcp:write""#,
        );
        if let Some(scope) = second {
            authorize(&mut obs, Some(scope));
        }
        obs
    }

    #[test]
    fn step_up_escalation() {
        assert!(scope_step_up_escalation(&step_up_flow(Some("mcp:write mcp:basic"))).is_met());
        let narrow = step_up_flow(Some("mcp:basic"));
        assert!(scope_step_up_escalation(&narrow).is_violated());
        let finding = scope_step_up_escalation(&step_up_flow(None));
        assert!(
            finding.message().contains("did not re-authorize"),
            "{finding:?}"
        );
        let never = www_authenticate_flow(Some("mcp:basic"));
        assert!(scope_step_up_escalation(&never)
            .message()
            .contains("never reached the step-up"));
    }

    fn token(obs: &mut Observation, access_token: &str) {
        request(Role::AuthorizationServer, "POST", "/token")
            .body("grant_type=authorization_code&code=c")
            .response_body(
                &serde_json::json!({ "access_token": fingerprint(access_token) }).to_string(),
            )
            .push(obs);
    }

    fn mcp_call(obs: &mut Observation, method: &str, access_token: &str, status: u16) {
        request(Role::McpServer, "POST", "/mcp")
            .header("authorization", &format!("Bearer {access_token}"))
            .body(&serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method}).to_string())
            .status(status)
            .push(obs);
    }

    /// The step-up flow up to the 403 of tools/call with the first token `t1`.
    fn forbidden_tools_call() -> Observation {
        let mut obs = www_authenticate_flow(Some("mcp:basic"));
        token(&mut obs, "t1");
        mcp_call(&mut obs, "tools/list", "t1", 200);
        request(Role::McpServer, "POST", "/mcp")
            .header("authorization", "Bearer t1")
            .body(r#"{"jsonrpc":"2.0","id":3,"method":"tools/call"}"#)
            .status(403)
            .response_header(
                "www-authenticate",
                r#"Bearer error="insufficient_scope", scope="mcp:basic mcp:write""#,
            )
            .push(&mut obs);
        obs
    }

    #[test]
    fn step_up_retried() {
        let mut good = forbidden_tools_call();
        authorize(&mut good, Some("mcp:basic mcp:write"));
        token(&mut good, "t2");
        mcp_call(&mut good, "tools/call", "t2", 200);
        let finding = scope_step_up_retried(&good);
        assert!(finding.is_met(), "{finding:?}");
        assert!(!finding.message().contains("t2"), "{finding:?}");

        // Re-authorized, but retried with the old token.
        let mut old_token = forbidden_tools_call();
        authorize(&mut old_token, Some("mcp:basic mcp:write"));
        token(&mut old_token, "t2");
        mcp_call(&mut old_token, "tools/call", "t1", 200);
        let finding = scope_step_up_retried(&old_token);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("did not retry"), "{finding:?}");

        // Only an initialize (answered without a token in this deployment) with the new token.
        let mut initialize_only = forbidden_tools_call();
        authorize(&mut initialize_only, Some("mcp:basic mcp:write"));
        token(&mut initialize_only, "t2");
        mcp_call(&mut initialize_only, "initialize", "t2", 200);
        assert!(scope_step_up_retried(&initialize_only).is_violated());

        // The retry with the new token was refused again.
        let mut refused = forbidden_tools_call();
        authorize(&mut refused, Some("mcp:basic mcp:write"));
        token(&mut refused, "t2");
        mcp_call(&mut refused, "tools/call", "t2", 403);
        let finding = scope_step_up_retried(&refused);
        assert!(
            finding.message().contains("no request was accepted"),
            "{finding:?}"
        );

        // No new token at all (the no-step-up client), and never reaching the 403.
        let finding = scope_step_up_retried(&forbidden_tools_call());
        assert!(
            finding.message().contains("no new access token"),
            "{finding:?}"
        );
        assert!(scope_step_up_retried(&observation()).is_violated());
    }

    #[test]
    fn retry_limit() {
        let with_attempts = |n: usize| {
            let mut obs = step_up_flow(None);
            for _ in 0..n {
                authorize(&mut obs, Some("mcp:admin"));
                challenge(
                    &mut obs,
                    403,
                    r#"Bearer error="insufficient_scope", scope="mcp:admin""#,
                );
            }
            obs
        };
        // Stopping at the first 403 is no loop; never getting a 403 is not reaching the point.
        assert!(scope_retry_limit(&with_attempts(0)).is_met());
        assert!(scope_retry_limit(&with_attempts(1)).is_met());
        assert!(scope_retry_limit(&with_attempts(3)).is_met());
        let looping = scope_retry_limit(&with_attempts(4));
        assert!(looping.is_violated());
        assert!(
            looping.message().contains("4 authorization attempts"),
            "{looping:?}"
        );
        assert!(scope_retry_limit(&observation()).is_violated());
    }

    #[test]
    fn offline_access_when_listed() {
        let mut obs = observation();
        as_metadata(&mut obs, &["mcp:basic", "offline_access"]);
        authorize(&mut obs, Some("mcp:basic offline_access"));
        assert!(offline_access_requested(&obs).is_met());
        let mut not_asked = observation();
        as_metadata(&mut not_asked, &["mcp:basic", "offline_access"]);
        authorize(&mut not_asked, Some("mcp:basic"));
        assert!(matches!(
            offline_access_requested(&not_asked),
            Finding::Note(_)
        ));
        assert!(offline_access_requested(&observation()).is_violated());
    }

    #[test]
    fn offline_access_when_not_listed() {
        let mut good = observation();
        as_metadata(&mut good, &["mcp:basic", "mcp:read"]);
        authorize(&mut good, Some("mcp:basic mcp:read"));
        assert!(offline_access_not_requested(&good).is_met());
        let mut bad = observation();
        as_metadata(&mut bad, &["mcp:basic", "mcp:read"]);
        authorize(&mut bad, Some("mcp:basic offline_access"));
        assert!(offline_access_not_requested(&bad).is_violated());
        assert!(offline_access_not_requested(&observation()).is_violated());
        let mut listed = observation();
        as_metadata(&mut listed, &["offline_access"]);
        authorize(&mut listed, Some("offline_access"));
        assert!(matches!(
            offline_access_not_requested(&listed),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn grant_types_in_registration() {
        let register = |grant_types: &[&str]| {
            let mut obs = observation();
            request(Role::AuthorizationServer, "POST", "/register")
                .header("content-type", "application/json")
                .body(&serde_json::json!({ "grant_types": grant_types }).to_string())
                .status(201)
                .push(&mut obs);
            obs
        };
        assert!(
            client_metadata_grant_types(&register(&["authorization_code", "refresh_token"]))
                .is_met()
        );
        assert!(client_metadata_grant_types(&register(&["authorization_code"])).is_violated());
        assert!(matches!(
            client_metadata_grant_types(&observation()),
            Finding::Note(_)
        ));
    }
}
