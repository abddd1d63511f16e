//! Client checks: the authorization request and the code exchange. PKCE (RFC 7636, OAuth 2.1
//! §4.1.1, §7.5.2), `state` (OAuth 2.1 §7.12.2), the RFC 9207 `iss` parameter, the redirect URI
//! (OAuth 2.1 §4.1.3) and the RFC 8707 `resource` parameter (MCP "Resource Parameter
//! Implementation", "Canonical Server URI").
//!
//! Messages never quote a code, a verifier or a token: requests are named by their trace number,
//! method and path (the query left out).

use std::collections::BTreeSet;

use mcp_authlab_mock_idp::authorization_server::pkce;
use mcp_authlab_mock_idp::redact::fingerprint;

use crate::check::Finding;
use crate::client::observation::{Endpoint, Observation, Request};

/// Not judged rather than violated: a flow that never reached the authorization endpoint fails
/// `client-completed-flow` (or the scenario's own check), once, with the reason; repeating it in
/// every PKCE, state and resource check would bury that reason.
const NO_AUTHORIZATION: &str =
    "the client never sent an authorization request, so there is nothing to judge";
const NO_CODE_EXCHANGE: &str =
    "the client never exchanged an authorization code at the token endpoint";

/// `#5 GET /authorize -> 302`: a request named without its query (which may hold secrets).
pub(crate) fn label(request: &Request<'_>) -> String {
    format!(
        "#{} {} {} -> {}",
        request.event.seq,
        request.method(),
        request.path(),
        request.status()
    )
}

/// Labels of up to five requests, then how many more.
pub(crate) fn labels(requests: &[Request<'_>]) -> String {
    let mut shown: Vec<String> = requests.iter().take(5).map(label).collect();
    if requests.len() > 5 {
        shown.push(format!("and {} more", requests.len() - 5));
    }
    shown.join(", ")
}

fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

/// The code exchanges: token requests with `grant_type=authorization_code`.
pub(crate) fn code_exchanges(obs: &Observation) -> Vec<Request<'_>> {
    obs.token_requests(Some("authorization_code"))
}

/// The (redacted) code the authorization response redirected with: the trace keeps the
/// `Location` header with `code=‹redacted:…›`.
pub(crate) fn redirected_code(authorization: &Request<'_>) -> Option<String> {
    let location = authorization.event.response_headers.get("location")?;
    let url = url::Url::parse(location).ok()?;
    url.query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, value)| value.into_owned())
}

/// Whether any authorization response redirected with a code (a refused authorization request
/// redirects with `error` instead, and leaves the client nothing to exchange).
pub(crate) fn code_issued(obs: &Observation) -> bool {
    obs.authorization_requests()
        .iter()
        .any(|a| redirected_code(a).is_some())
}

/// The finding when there is no code exchange: violated when a code was issued (the client did
/// not go on), not judged when none was (the authorization request was refused, which other
/// checks explain).
fn no_code_exchange(obs: &Observation) -> Finding {
    if code_issued(obs) {
        Finding::violated(NO_CODE_EXCHANGE)
    } else if obs.authorization_requests().is_empty() {
        Finding::not_judged(NO_AUTHORIZATION)
    } else {
        Finding::not_judged(
            "no authorization response carried a code (the authorization request was refused), \
             so there was nothing to exchange",
        )
    }
}

/// The authorization request a code exchange belongs to: the one whose redirect carried the
/// exchanged code, else the last one before the exchange.
pub(crate) fn authorization_for<'a>(
    obs: &'a Observation,
    exchange: &Request<'_>,
) -> Option<Request<'a>> {
    let authorizations = obs.authorization_requests();
    if let Some(code) = exchange.form("code") {
        let redacted = fingerprint(&code);
        if let Some(found) = authorizations
            .iter()
            .find(|a| redirected_code(a).as_deref() == Some(redacted.as_str()))
        {
            return Some(*found);
        }
    }
    authorizations
        .into_iter()
        .rfind(|a| a.event.seq < exchange.event.seq)
}

/// Where a parameter travels: the query of an authorization request, the form body of a token
/// request.
#[derive(Clone, Copy)]
enum Carried {
    Query,
    Form,
}

/// Each of `requests` (non-empty, named `kind` in messages) carries a non-empty `parameter`.
fn every_request_has(
    requests: &[Request<'_>],
    kind: &str,
    parameter: &str,
    carried: Carried,
) -> Finding {
    let missing: Vec<Request<'_>> = requests
        .iter()
        .filter(|r| {
            let value = match carried {
                Carried::Query => r.query(parameter),
                Carried::Form => r.form(parameter),
            };
            present(value).is_none()
        })
        .copied()
        .collect();
    if missing.is_empty() {
        Finding::met(format!(
            "every {kind} ({}) carried `{parameter}`",
            requests.len()
        ))
    } else {
        Finding::violated(format!(
            "no `{parameter}` in the {kind} {}",
            labels(&missing)
        ))
    }
}

/// Every authorization request carries a parameter (non-empty).
fn every_authorization_has(obs: &Observation, parameter: &str) -> Finding {
    let authorizations = obs.authorization_requests();
    if authorizations.is_empty() {
        return Finding::not_judged(NO_AUTHORIZATION);
    }
    every_request_has(
        &authorizations,
        "authorization request",
        parameter,
        Carried::Query,
    )
}

/// `pkce-code-challenge-sent` (C-PKCE-1): every authorization request carries `code_challenge`.
pub fn pkce_code_challenge_sent(obs: &Observation) -> Finding {
    every_authorization_has(obs, "code_challenge")
}

/// `pkce-s256-method-used` (C-PKCE-2): every authorization request says
/// `code_challenge_method=S256`.
pub fn pkce_s256_method_used(obs: &Observation) -> Finding {
    let authorizations = obs.authorization_requests();
    if authorizations.is_empty() {
        return Finding::not_judged(NO_AUTHORIZATION);
    }
    let other: Vec<String> = authorizations
        .iter()
        .filter_map(|a| match a.query("code_challenge_method") {
            Some(m) if m == "S256" => None,
            Some(m) => Some(format!("`{m}` in {}", label(a))),
            None => Some(format!(
                "no code_challenge_method (which means `plain`) in {}",
                label(a)
            )),
        })
        .collect();
    if other.is_empty() {
        Finding::met(format!(
            "every authorization request ({}) used code_challenge_method=S256",
            authorizations.len()
        ))
    } else {
        Finding::violated(format!(
            "S256 was not used: {}",
            other.into_iter().take(5).collect::<Vec<_>>().join("; ")
        ))
    }
}

/// `pkce-code-verifier-sent` (C-PKCE-1): every code exchange carries `code_verifier`.
pub fn pkce_code_verifier_sent(obs: &Observation) -> Finding {
    let exchanges = code_exchanges(obs);
    if exchanges.is_empty() {
        return no_code_exchange(obs);
    }
    every_request_has(&exchanges, "code exchange", "code_verifier", Carried::Form)
}

/// `pkce-verifier-matches-challenge` (C-PKCE-1): the verifier of every code exchange matches the
/// challenge of its authorization request (RFC 7636 §4.6: `BASE64URL(SHA256(verifier))` for S256,
/// the verifier itself for `plain`, the default method).
pub fn pkce_verifier_matches_challenge(obs: &Observation) -> Finding {
    let exchanges = code_exchanges(obs);
    if exchanges.is_empty() {
        return no_code_exchange(obs);
    }
    let mut problems = Vec::new();
    for exchange in &exchanges {
        let Some(verifier) = present(exchange.form("code_verifier")) else {
            problems.push(format!("{} carried no code_verifier", label(exchange)));
            continue;
        };
        let Some(authorization) = authorization_for(obs, exchange) else {
            problems.push(format!(
                "{} came without an authorization request before it",
                label(exchange)
            ));
            continue;
        };
        let Some(challenge) = present(authorization.query("code_challenge")) else {
            problems.push(format!(
                "its authorization request {} carried no code_challenge",
                label(&authorization)
            ));
            continue;
        };
        let method = authorization
            .query("code_challenge_method")
            .unwrap_or_else(|| "plain".into());
        if !pkce::verify(&method, &challenge, &verifier) {
            problems.push(format!(
                "the code_verifier of {} does not match the {method} code_challenge of {}",
                label(exchange),
                label(&authorization)
            ));
        }
    }
    if problems.is_empty() {
        Finding::met(format!(
            "the code_verifier of every code exchange ({}) matches the code_challenge of its \
             authorization request",
            exchanges.len()
        ))
    } else {
        Finding::violated(problems.join("; "))
    }
}

/// `pkce-verifier-format` (C-PKCE-1, RFC 7636 §4.1): every verifier sent is 43 to 128 characters
/// of `[A-Za-z0-9-._~]`. Not judged when no verifier was sent (`pkce-code-verifier-sent` says so).
pub fn pkce_verifier_format(obs: &Observation) -> Finding {
    let verifiers: Vec<(Request<'_>, String)> = code_exchanges(obs)
        .into_iter()
        .filter_map(|e| present(e.form("code_verifier")).map(|v| (e, v)))
        .collect();
    if verifiers.is_empty() {
        return Finding::not_judged("no code_verifier was sent");
    }
    let bad: Vec<String> = verifiers
        .iter()
        .filter(|(_, v)| !pkce::is_valid_verifier(v))
        .map(|(e, v)| {
            let outside = v
                .chars()
                .filter(|c| !(c.is_ascii_alphanumeric() || "-._~".contains(*c)))
                .count();
            format!(
                "the code_verifier of {} has {} characters, {outside} of them outside \
                 [A-Za-z0-9-._~]",
                label(e),
                v.chars().count()
            )
        })
        .collect();
    if bad.is_empty() {
        Finding::met(format!(
            "every code_verifier ({}) has 43 to 128 characters of [A-Za-z0-9-._~]",
            verifiers.len()
        ))
    } else {
        Finding::violated(format!(
            "{} (RFC 7636 §4.1 wants 43 to 128)",
            bad.join("; ")
        ))
    }
}

/// `pkce-challenge-fresh` (C-PKCE-1: a new verifier for every authorization request): no
/// `code_challenge` is reused by an authorization request with another `state` (the same request
/// sent again by a user agent is not a new one). Not judged with fewer than two requests.
pub fn pkce_challenge_fresh(obs: &Observation) -> Finding {
    let flows: BTreeSet<(Option<String>, Option<String>)> = obs
        .authorization_requests()
        .iter()
        .map(|a| (a.query("code_challenge"), a.query("state")))
        .collect();
    if flows.len() < 2 {
        return Finding::not_judged(
            "fewer than two distinct authorization requests: nothing to compare",
        );
    }
    let challenges: Vec<&String> = flows.iter().filter_map(|(c, _)| c.as_ref()).collect();
    let distinct: BTreeSet<&String> = challenges.iter().copied().collect();
    if distinct.len() == challenges.len() {
        Finding::met(format!(
            "the {} authorization requests used {} different code challenges",
            flows.len(),
            distinct.len()
        ))
    } else {
        Finding::violated(format!(
            "{} authorization requests (with different `state`) shared {} code challenges: a \
             PKCE verifier was used for more than one authorization request",
            challenges.len(),
            distinct.len()
        ))
    }
}

/// `state-sent` (C-STATE-1): every authorization request carries `state`.
pub fn state_sent(obs: &Observation) -> Finding {
    every_authorization_has(obs, "state")
}

/// The must-refuse pattern of a bad authorization response: the client got a redirect from the
/// authorization endpoint that carried `what`, and then exchanged no code. A client that never
/// received such a redirect did not reach the point of refusal. With `needs_metadata`, the
/// client must also have read the authorization server metadata first (which advertises the
/// RFC 9207 `iss` parameter).
/// Whether the authorization response reached the client: always when the client sent the
/// authorization request itself (it read the redirect); when the headless browser sent it on the
/// client's behalf, only if the browser recorded an answer from the redirect target.
pub(crate) fn delivered_to_client(obs: &Observation, authorization: &Request<'_>) -> bool {
    let by_browser = authorization
        .header("user-agent")
        .is_some_and(|ua| ua == crate::client::browser::USER_AGENT);
    !by_browser
        || obs
            .browser_deliveries
            .iter()
            .filter_map(|line| crate::client::browser::Delivery::parse(line))
            .any(|d| d.status.is_some())
}

pub(crate) fn refused_after_redirect(
    obs: &Observation,
    what: &str,
    needs_metadata: bool,
) -> Finding {
    let Some(redirect) = obs
        .authorization_requests()
        .into_iter()
        .find(|a| (300..400).contains(&a.status()))
    else {
        return Finding::violated(format!(
            "no authorization request was answered with a redirect, so the client never \
             received the authorization response with {what} and did not reach the point where \
             it had to reject it"
        ));
    };
    if needs_metadata
        && !obs
            .requests_to(Endpoint::AuthorizationServerMetadata)
            .iter()
            .any(|m| m.status() == 200 && m.event.seq < redirect.event.seq)
    {
        return Finding::violated(format!(
            "the client never fetched the authorization server metadata (which advertises \
             authorization_response_iss_parameter_supported) before {}, so it did not reach \
             the point where it had to reject the authorization response with {what}",
            label(&redirect)
        ));
    }
    let redeemed: Vec<Request<'_>> = code_exchanges(obs)
        .into_iter()
        .filter(|e| e.event.seq > redirect.event.seq)
        .collect();
    if redeemed.is_empty() && !delivered_to_client(obs, &redirect) {
        return Finding::violated(format!(
            "the headless browser followed {} for the client but could not deliver the \
             authorization response to the client's redirect URI (browser log: {}), so the \
             client never saw {what} and did not reach the point where it had to reject it",
            label(&redirect),
            if obs.browser_deliveries.is_empty() {
                "empty".to_string()
            } else {
                obs.browser_deliveries.join("; ")
            }
        ));
    }
    if redeemed.is_empty() {
        Finding::met(format!(
            "the authorization response of {} carried {what}; the client exchanged no code \
             afterwards",
            label(&redirect)
        ))
    } else {
        Finding::violated(format!(
            "the authorization response of {} carried {what}, yet the client exchanged the code \
             at the token endpoint ({})",
            label(&redirect),
            labels(&redeemed)
        ))
    }
}

/// `state-mismatch-rejected` (C-STATE-1): the redirect carried another `state` than the client
/// sent; the client must discard it (no code exchange).
pub fn state_mismatch_rejected(obs: &Observation) -> Finding {
    refused_after_redirect(obs, "a `state` other than the one the client sent", false)
}

/// `sep-2468-client-compare-iss-supported` in `auth/iss-wrong-issuer` (C-ISS-1, RFC 9207 §2.4):
/// the redirect carried an `iss` that is not the issuer; the client must not exchange the code.
pub fn iss_mismatch_rejected(obs: &Observation) -> Finding {
    refused_after_redirect(obs, "an `iss` that is not the issuer", true)
}

/// `sep-2468-client-reject-missing-iss` (C-ISS-1, RFC 9207 §2.4): the metadata advertises
/// `authorization_response_iss_parameter_supported`, the redirect carried no `iss`; the client
/// must not exchange the code.
pub fn iss_missing_rejected(obs: &Observation) -> Finding {
    refused_after_redirect(
        obs,
        "no `iss` although the metadata advertises authorization_response_iss_parameter_supported",
        true,
    )
}

/// `redirect-uri-consistent` (C-REDIR-1, OAuth 2.1 §4.1.3): every code exchange sends the
/// `redirect_uri` of its authorization request (both absent counts as consistent).
pub fn redirect_uri_consistent(obs: &Observation) -> Finding {
    let pairs: Vec<(Request<'_>, Request<'_>)> = code_exchanges(obs)
        .into_iter()
        .filter_map(|e| authorization_for(obs, &e).map(|a| (a, e)))
        .collect();
    if pairs.is_empty() {
        return Finding::not_judged("no code exchange with an authorization request before it");
    }
    let differing: Vec<String> = pairs
        .iter()
        .filter_map(|(a, e)| {
            let (at_authorize, at_token) = (a.query("redirect_uri"), e.form("redirect_uri"));
            (at_authorize != at_token).then(|| {
                format!(
                    "{} sent {} but {} sent {}",
                    label(a),
                    shown(&at_authorize),
                    label(e),
                    shown(&at_token)
                )
            })
        })
        .collect();
    if differing.is_empty() {
        Finding::met(format!(
            "every code exchange ({}) sent the redirect_uri of its authorization request",
            pairs.len()
        ))
    } else {
        Finding::violated(format!("redirect_uri differs: {}", differing.join("; ")))
    }
}

fn shown(value: &Option<String>) -> String {
    match value {
        Some(v) => format!("`{v}`"),
        None => "none".into(),
    }
}

/// `resource-parameter-in-authorization` (C-RES-1): every authorization request carries
/// `resource`.
pub fn resource_parameter_in_authorization(obs: &Observation) -> Finding {
    every_authorization_has(obs, "resource")
}

/// `resource-parameter-in-token` (C-RES-1): every token request that obtains a grant (any grant
/// type but `refresh_token`, which `resource-parameter-in-refresh` judges) carries `resource`.
pub fn resource_parameter_in_token(obs: &Observation) -> Finding {
    let requests: Vec<Request<'_>> = obs
        .token_requests(None)
        .into_iter()
        .filter(|r| r.form("grant_type").as_deref() != Some("refresh_token"))
        .collect();
    if requests.is_empty() {
        return match no_code_exchange(obs) {
            Finding::NotJudged(why) => Finding::not_judged(why),
            _ => Finding::violated("the client made no token request (other than a refresh)"),
        };
    }
    every_request_has(&requests, "token request", "resource", Carried::Form)
}

/// `resource-parameter-in-refresh` (C-RES-1 read for every token request): every refresh
/// request carries `resource`. Not judged when the client never refreshed.
pub fn resource_parameter_in_refresh(obs: &Observation) -> Finding {
    let refreshes = obs.token_requests(Some("refresh_token"));
    if refreshes.is_empty() {
        return Finding::not_judged("the client never used the refresh_token grant");
    }
    every_request_has(&refreshes, "refresh request", "resource", Carried::Form)
}

/// Every `resource` value the client sent, with the request it was in: authorization requests
/// (query) and token requests of any grant (body).
fn resource_values(obs: &Observation) -> Vec<(Request<'_>, String)> {
    let mut values = Vec::new();
    for request in obs.requests() {
        let sent = match request.endpoint {
            Endpoint::Authorization => request.query_all("resource"),
            Endpoint::Token => request.form_all("resource"),
            _ => continue,
        };
        values.extend(sent.into_iter().map(|v| (request, v)));
    }
    values
}

/// Why a `resource` value is not a canonical URI (C-RES-2: absolute, no fragment, lower-case
/// scheme and host), or `None`.
fn canonical_uri_problem(value: &str) -> Option<String> {
    let url = match url::Url::parse(value) {
        Ok(url) => url,
        Err(e) => return Some(format!("`{value}` is not an absolute URI ({e})")),
    };
    if url.host_str().is_none() {
        return Some(format!("`{value}` has no host"));
    }
    if value.contains('#') {
        return Some(format!("`{value}` has a fragment"));
    }
    // The url crate lower-cases scheme and host; compare with what was written.
    if !value.starts_with(url.scheme()) {
        return Some(format!("`{value}` has an upper-case scheme"));
    }
    let authority = value
        .split_once("://")
        .map(|(_, rest)| rest.split(['/', '?']).next().unwrap_or(rest))
        .unwrap_or("");
    let host_and_port = authority.rsplit('@').next().unwrap_or(authority);
    if host_and_port.chars().any(|c| c.is_ascii_uppercase()) {
        return Some(format!("`{value}` has an upper-case host"));
    }
    None
}

/// `resource-parameter-valid-uri` (C-RES-2, RFC 8707 §2): every `resource` sent is an absolute
/// URI without a fragment, scheme and host in lower case. Not judged when none was sent.
pub fn resource_parameter_valid_uri(obs: &Observation) -> Finding {
    let values = resource_values(obs);
    if values.is_empty() {
        return Finding::not_judged("the client sent no `resource` parameter");
    }
    let problems: BTreeSet<String> = values
        .iter()
        .filter_map(|(_, v)| canonical_uri_problem(v))
        .collect();
    if problems.is_empty() {
        let distinct: BTreeSet<&String> = values.iter().map(|(_, v)| v).collect();
        Finding::met(format!(
            "every `resource` sent is a canonical absolute URI: {}",
            distinct
                .iter()
                .map(|v| format!("`{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    } else {
        Finding::violated(problems.into_iter().collect::<Vec<_>>().join("; "))
    }
}

/// `resource-parameter-consistency` (C-RES-04, RFC 8707 §2.2): every code exchange sends the
/// same `resource` values as its authorization request. Not judged unless both sides sent one.
pub fn resource_parameter_consistency(obs: &Observation) -> Finding {
    let mut compared = 0;
    let mut differing = Vec::new();
    for exchange in code_exchanges(obs) {
        let Some(authorization) = authorization_for(obs, &exchange) else {
            continue;
        };
        let at_authorize: BTreeSet<String> =
            authorization.query_all("resource").into_iter().collect();
        let at_token: BTreeSet<String> = exchange.form_all("resource").into_iter().collect();
        if at_authorize.is_empty() || at_token.is_empty() {
            continue;
        }
        compared += 1;
        if at_authorize != at_token {
            differing.push(format!(
                "{} sent {:?} but {} sent {:?}",
                label(&authorization),
                at_authorize,
                label(&exchange),
                at_token
            ));
        }
    }
    if compared == 0 {
        Finding::not_judged(
            "no code exchange and its authorization request both carried `resource`",
        )
    } else if differing.is_empty() {
        Finding::met(format!(
            "every code exchange ({compared}) sent the `resource` of its authorization request"
        ))
    } else {
        Finding::violated(format!("`resource` differs: {}", differing.join("; ")))
    }
}

/// The `resource` of the protected resource metadata the client read (the last document it got),
/// else the MCP server URL the deployment announced (the mock's PRM names exactly it).
pub(crate) fn prm_resource(obs: &Observation) -> String {
    obs.requests_to(Endpoint::ProtectedResourceMetadata)
        .iter()
        .rev()
        .filter(|r| r.status() == 200)
        .find_map(|r| {
            let body: serde_json::Value =
                serde_json::from_str(r.event.response_body.as_deref()?).ok()?;
            Some(body.get("resource")?.as_str()?.to_string())
        })
        .unwrap_or_else(|| obs.ready.mcp_url.clone())
}

/// `resource-parameter-matches-prm` (C-RES-2, RFC 9728 §3.3): every `resource` sent is exactly
/// the PRM `resource` (no trailing slash added, no other spelling). Not judged when none was sent.
pub fn resource_parameter_matches_prm(obs: &Observation) -> Finding {
    let values = resource_values(obs);
    if values.is_empty() {
        return Finding::not_judged("the client sent no `resource` parameter");
    }
    let expected = prm_resource(obs);
    let other: Vec<String> = values
        .iter()
        .filter(|(_, v)| *v != expected)
        .map(|(r, v)| format!("`{v}` in {}", label(r)))
        .collect();
    if other.is_empty() {
        Finding::met(format!(
            "every `resource` sent ({}) is exactly the PRM resource `{expected}`",
            values.len()
        ))
    } else {
        Finding::violated(format!(
            "the PRM resource is `{expected}`, the client sent {}",
            other.into_iter().take(5).collect::<Vec<_>>().join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use mcp_authlab_mock_idp::trace::Role;

    use super::*;
    use crate::client::observation::test_support::*;

    /// RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    const REDIRECT: &str = "http://127.0.0.1:3000/callback";
    const RESOURCE: &str = "http://127.0.0.1:1000/mcp";

    fn enc(value: &str) -> String {
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
    }

    struct Flow {
        challenge: String,
        method: Option<&'static str>,
        state: Option<&'static str>,
        resource: Option<String>,
        redirect_status: u16,
        code: &'static str,
        verifier: Option<String>,
        token_redirect: Option<String>,
        token_resource: Option<String>,
    }

    impl Default for Flow {
        fn default() -> Self {
            Flow {
                challenge: CHALLENGE.into(),
                method: Some("S256"),
                state: Some("s1"),
                resource: Some(RESOURCE.into()),
                redirect_status: 302,
                code: "c0de",
                verifier: Some(VERIFIER.into()),
                token_redirect: Some(REDIRECT.into()),
                token_resource: Some(RESOURCE.into()),
            }
        }
    }

    fn authorize(obs: &mut Observation, flow: &Flow) {
        let mut query = format!(
            "/authorize?response_type=code&client_id=c1&redirect_uri={}&code_challenge={}",
            enc(REDIRECT),
            flow.challenge
        );
        if let Some(m) = flow.method {
            query.push_str(&format!("&code_challenge_method={m}"));
        }
        if let Some(s) = flow.state {
            query.push_str(&format!("&state={s}"));
        }
        if let Some(r) = &flow.resource {
            query.push_str(&format!("&resource={}", enc(r)));
        }
        request(Role::AuthorizationServer, "GET", &query)
            .status(flow.redirect_status)
            .response_header(
                "location",
                &format!("{REDIRECT}?code={}&state=s1", fingerprint(flow.code)),
            )
            .push(obs);
    }

    fn exchange(obs: &mut Observation, flow: &Flow) {
        let mut body = format!("grant_type=authorization_code&code={}", flow.code);
        if let Some(v) = &flow.verifier {
            body.push_str(&format!("&code_verifier={v}"));
        }
        if let Some(r) = &flow.token_redirect {
            body.push_str(&format!("&redirect_uri={}", enc(r)));
        }
        if let Some(r) = &flow.token_resource {
            body.push_str(&format!("&resource={}", enc(r)));
        }
        request(Role::AuthorizationServer, "POST", "/token")
            .body(&body)
            .push(obs);
    }

    fn run(flow: Flow) -> Observation {
        let mut obs = observation();
        request(
            Role::AuthorizationServer,
            "GET",
            "/.well-known/oauth-authorization-server",
        )
        .push(&mut obs);
        authorize(&mut obs, &flow);
        exchange(&mut obs, &flow);
        obs
    }

    #[test]
    fn challenge_sent() {
        assert!(pkce_code_challenge_sent(&run(Flow::default())).is_met());
        let bad = run(Flow {
            challenge: String::new(),
            ..Flow::default()
        });
        assert!(pkce_code_challenge_sent(&bad).is_violated());
        assert!(matches!(
            pkce_code_challenge_sent(&observation()),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn s256_used() {
        assert!(pkce_s256_method_used(&run(Flow::default())).is_met());
        let plain = run(Flow {
            method: Some("plain"),
            ..Flow::default()
        });
        assert!(pkce_s256_method_used(&plain).message().contains("`plain`"));
        assert!(pkce_s256_method_used(&plain).is_violated());
        let absent = run(Flow {
            method: None,
            ..Flow::default()
        });
        assert!(pkce_s256_method_used(&absent).is_violated());
    }

    #[test]
    fn verifier_sent() {
        assert!(pkce_code_verifier_sent(&run(Flow::default())).is_met());
        let bad = run(Flow {
            verifier: None,
            ..Flow::default()
        });
        assert!(pkce_code_verifier_sent(&bad).is_violated());
        let mut no_exchange = observation();
        authorize(&mut no_exchange, &Flow::default());
        assert!(pkce_code_verifier_sent(&no_exchange).is_violated());
        assert!(pkce_verifier_matches_challenge(&no_exchange).is_violated());
        assert!(resource_parameter_in_token(&no_exchange).is_violated());
        // A refused authorization request (an error redirect, no code): nothing to exchange.
        let mut refused = observation();
        request(
            Role::AuthorizationServer,
            "GET",
            "/authorize?response_type=code",
        )
        .status(302)
        .response_header(
            "location",
            &format!("{REDIRECT}?error=invalid_request&state=s1"),
        )
        .push(&mut refused);
        for check in [
            pkce_code_verifier_sent,
            pkce_verifier_matches_challenge,
            resource_parameter_in_token,
        ] {
            assert!(
                matches!(check(&refused), Finding::NotJudged(_)),
                "{:?}",
                check(&refused)
            );
        }
        assert!(matches!(
            pkce_code_verifier_sent(&observation()),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn verifier_matches_challenge_rfc7636_appendix_b() {
        let good = run(Flow::default());
        assert!(pkce_verifier_matches_challenge(&good).is_met());
        let wrong = run(Flow {
            verifier: Some(VERIFIER.replace('d', "e")),
            ..Flow::default()
        });
        let finding = pkce_verifier_matches_challenge(&wrong);
        assert!(finding.is_violated());
        assert!(!finding.message().contains(VERIFIER), "{finding:?}");
        // `plain`: the verifier is the challenge.
        let plain = run(Flow {
            challenge: VERIFIER.into(),
            method: Some("plain"),
            ..Flow::default()
        });
        assert!(pkce_verifier_matches_challenge(&plain).is_met());
    }

    #[test]
    fn the_exchange_is_matched_to_the_authorization_that_issued_its_code() {
        // Two authorizations; the code of the first is exchanged after the second.
        let mut obs = observation();
        let first = Flow::default();
        authorize(&mut obs, &first);
        let second = Flow {
            challenge: "x".repeat(43),
            code: "other",
            state: Some("s2"),
            ..Flow::default()
        };
        authorize(&mut obs, &second);
        exchange(&mut obs, &first);
        assert!(pkce_verifier_matches_challenge(&obs).is_met());
        // Without the code in the redirect, the last authorization is taken: mismatch.
        let mut unmatched = observation();
        authorize(&mut unmatched, &first);
        authorize(&mut unmatched, &second);
        exchange(
            &mut unmatched,
            &Flow {
                code: "never-issued",
                ..Flow::default()
            },
        );
        assert!(pkce_verifier_matches_challenge(&unmatched).is_violated());
    }

    #[test]
    fn verifier_format() {
        assert!(pkce_verifier_format(&run(Flow::default())).is_met());
        let short = run(Flow {
            verifier: Some("a".repeat(42)),
            ..Flow::default()
        });
        let finding = pkce_verifier_format(&short);
        assert!(finding.is_violated());
        assert!(finding.message().contains("42 characters"), "{finding:?}");
        let bad_chars = run(Flow {
            verifier: Some(format!("{}+", &VERIFIER[..42])),
            ..Flow::default()
        });
        assert!(pkce_verifier_format(&bad_chars).is_violated());
        let long = run(Flow {
            verifier: Some("a".repeat(129)),
            ..Flow::default()
        });
        assert!(pkce_verifier_format(&long).is_violated());
        let none = run(Flow {
            verifier: None,
            ..Flow::default()
        });
        assert!(matches!(pkce_verifier_format(&none), Finding::NotJudged(_)));
    }

    #[test]
    fn challenge_fresh() {
        let mut one = observation();
        authorize(&mut one, &Flow::default());
        assert!(matches!(pkce_challenge_fresh(&one), Finding::NotJudged(_)));
        // The same request twice (same state) is one flow.
        authorize(&mut one, &Flow::default());
        assert!(matches!(pkce_challenge_fresh(&one), Finding::NotJudged(_)));
        let mut fresh = observation();
        authorize(&mut fresh, &Flow::default());
        authorize(
            &mut fresh,
            &Flow {
                challenge: "y".repeat(43),
                state: Some("s2"),
                ..Flow::default()
            },
        );
        assert!(pkce_challenge_fresh(&fresh).is_met());
        let mut reused = observation();
        authorize(&mut reused, &Flow::default());
        authorize(
            &mut reused,
            &Flow {
                state: Some("s2"),
                ..Flow::default()
            },
        );
        assert!(pkce_challenge_fresh(&reused).is_violated());
    }

    #[test]
    fn state() {
        assert!(state_sent(&run(Flow::default())).is_met());
        let bad = run(Flow {
            state: None,
            ..Flow::default()
        });
        assert!(state_sent(&bad).is_violated());
    }

    #[test]
    fn refusal_after_a_bad_redirect() {
        // Redirected, then no code exchange: refused.
        let mut refused = observation();
        request(
            Role::AuthorizationServer,
            "GET",
            "/.well-known/oauth-authorization-server",
        )
        .push(&mut refused);
        authorize(&mut refused, &Flow::default());
        for check in [
            state_mismatch_rejected,
            iss_mismatch_rejected,
            iss_missing_rejected,
        ] {
            assert!(check(&refused).is_met(), "{:?}", check(&refused));
        }
        // Redirected, then the code was exchanged: accepted the bad response.
        let accepted = run(Flow::default());
        for check in [
            state_mismatch_rejected,
            iss_mismatch_rejected,
            iss_missing_rejected,
        ] {
            assert!(check(&accepted).is_violated());
        }
        // Never redirected: did not reach the point of refusal.
        let mut nothing = observation();
        authorize(
            &mut nothing,
            &Flow {
                redirect_status: 400,
                ..Flow::default()
            },
        );
        let finding = state_mismatch_rejected(&nothing);
        assert!(finding.is_violated());
        assert!(finding.message().contains("did not reach"), "{finding:?}");
        assert!(state_mismatch_rejected(&observation()).is_violated());
        // The iss checks also need the metadata read first.
        let mut no_metadata = observation();
        authorize(&mut no_metadata, &Flow::default());
        assert!(state_mismatch_rejected(&no_metadata).is_met());
        assert!(iss_mismatch_rejected(&no_metadata).is_violated());
        assert!(iss_missing_rejected(&no_metadata)
            .message()
            .contains("never fetched the authorization server metadata"));
    }

    #[test]
    fn a_redirect_the_headless_browser_could_not_deliver_is_not_a_refusal() {
        use crate::client::browser::USER_AGENT;
        let by_browser = |deliveries: &[&str]| {
            let mut obs = observation();
            request(
                Role::AuthorizationServer,
                "GET",
                "/authorize?response_type=code&state=s1",
            )
            .header("user-agent", USER_AGENT)
            .status(302)
            .response_header(
                "location",
                "http://localhost:3000/callback?code=‹redacted:1›&state=other",
            )
            .push(&mut obs);
            obs.browser_deliveries = deliveries.iter().map(|d| d.to_string()).collect();
            obs
        };
        let undelivered = state_mismatch_rejected(&by_browser(&[]));
        assert!(undelivered.is_violated(), "{undelivered:?}");
        assert!(undelivered.message().contains("could not deliver"));
        assert!(state_mismatch_rejected(&by_browser(&[
            "unanswered http://localhost:3000/callback?state=other"
        ]))
        .is_violated());
        let delivered = state_mismatch_rejected(&by_browser(&[
            "200 http://localhost:3000/callback?state=other",
        ]));
        assert!(delivered.is_met(), "{delivered:?}");
    }

    #[test]
    fn redirect_uri() {
        assert!(redirect_uri_consistent(&run(Flow::default())).is_met());
        let differs = run(Flow {
            token_redirect: Some("http://127.0.0.1:3001/callback".into()),
            ..Flow::default()
        });
        let finding = redirect_uri_consistent(&differs);
        assert!(finding.is_violated());
        assert!(finding.message().contains("3001"), "{finding:?}");
        let missing = run(Flow {
            token_redirect: None,
            ..Flow::default()
        });
        assert!(redirect_uri_consistent(&missing).is_violated());
        assert!(matches!(
            redirect_uri_consistent(&observation()),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn resource_in_both_requests() {
        let good = run(Flow::default());
        assert!(resource_parameter_in_authorization(&good).is_met());
        assert!(resource_parameter_in_token(&good).is_met());
        let none = run(Flow {
            resource: None,
            token_resource: None,
            ..Flow::default()
        });
        assert!(resource_parameter_in_authorization(&none).is_violated());
        assert!(resource_parameter_in_token(&none).is_violated());
        assert!(matches!(
            resource_parameter_in_token(&observation()),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn resource_in_refresh() {
        let mut obs = run(Flow::default());
        assert!(matches!(
            resource_parameter_in_refresh(&obs),
            Finding::NotJudged(_)
        ));
        request(Role::AuthorizationServer, "POST", "/token")
            .body(&format!(
                "grant_type=refresh_token&refresh_token=r1&resource={}",
                enc(RESOURCE)
            ))
            .push(&mut obs);
        assert!(resource_parameter_in_refresh(&obs).is_met());
        request(Role::AuthorizationServer, "POST", "/token")
            .body("grant_type=refresh_token&refresh_token=r2")
            .push(&mut obs);
        assert!(resource_parameter_in_refresh(&obs).is_violated());
    }

    #[test]
    fn resource_is_a_canonical_uri() {
        assert!(resource_parameter_valid_uri(&run(Flow::default())).is_met());
        for bad in [
            "mcp.example.com",
            "http://127.0.0.1:1000/mcp#frag",
            "HTTP://127.0.0.1:1000/mcp",
            "http://MCP.example.com/mcp",
        ] {
            let obs = run(Flow {
                resource: Some(bad.into()),
                ..Flow::default()
            });
            assert!(resource_parameter_valid_uri(&obs).is_violated(), "{bad}");
        }
        // An upper-case path is fine.
        let path = run(Flow {
            resource: Some("https://mcp.example.com/MCP".into()),
            token_resource: None,
            ..Flow::default()
        });
        assert!(resource_parameter_valid_uri(&path).is_met());
        let none = run(Flow {
            resource: None,
            token_resource: None,
            ..Flow::default()
        });
        assert!(matches!(
            resource_parameter_valid_uri(&none),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn resource_consistent() {
        assert!(resource_parameter_consistency(&run(Flow::default())).is_met());
        let differs = run(Flow {
            token_resource: Some(format!("{RESOURCE}/")),
            ..Flow::default()
        });
        assert!(resource_parameter_consistency(&differs).is_violated());
        let one_side = run(Flow {
            token_resource: None,
            ..Flow::default()
        });
        assert!(matches!(
            resource_parameter_consistency(&one_side),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn resource_matches_prm() {
        assert!(resource_parameter_matches_prm(&run(Flow::default())).is_met());
        let slash = run(Flow {
            resource: Some(format!("{RESOURCE}/")),
            token_resource: Some(format!("{RESOURCE}/")),
            ..Flow::default()
        });
        let finding = resource_parameter_matches_prm(&slash);
        assert!(finding.is_violated());
        assert!(finding.message().contains("/mcp/`"), "{finding:?}");
        // The PRM document the client read decides.
        let mut other = observation();
        request(
            Role::McpServer,
            "GET",
            "/.well-known/oauth-protected-resource/mcp",
        )
        .response_body(r#"{"resource":"http://127.0.0.1:1000/"}"#)
        .push(&mut other);
        authorize(&mut other, &Flow::default());
        assert!(resource_parameter_matches_prm(&other).is_violated());
    }
}
