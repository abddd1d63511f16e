//! Client checks: discovery. Protected resource metadata (RFC 9728; MCP 2025-11-25 Protected
//! Resource Metadata Discovery Requirements), authorization server metadata (RFC 8414, OIDC
//! Discovery; MCP 2025-11-25 Authorization Server Metadata Discovery), the 2025-03-26 authorization
//! base URL, and the refusals that follow from what the metadata says (wrong `resource`, wrong
//! `issuer`, no PKCE support).
//!
//! "Must refuse" checks pass only when the client reached the point of refusal (it fetched the
//! document it had to reject) and then did not go on; a client that did nothing never passes.

use mcp_authlab_mock_idp::trace::Role;
use mcp_authlab_mock_idp::urls;

use super::scope::challenge_param;
use crate::check::Finding;
use crate::client::observation::{ClientExit, Endpoint, Observation, Request};

use super::outcome::describe_exit;

/// The most discovery requests (PRM and AS metadata) a client may make in a deployment whose
/// metadata cannot be found before it counts as a retry loop.
pub const MAX_DISCOVERY_REQUESTS: usize = 20;

/// The most MCP requests a client may make in such a deployment (looping on the 401).
pub const MAX_MCP_REQUESTS: usize = 20;

fn succeeded(request: &Request<'_>) -> bool {
    (200..300).contains(&request.status())
}

/// The absolute URL of a request without its query (raw: for comparisons).
fn url_without_query(obs: &Observation, request: &Request<'_>) -> String {
    format!("{}{}", obs.origin(request.role()), request.path())
}

/// The absolute URL of a request as the redacted trace shows it, its query (if any) elided: for
/// messages (the report's trace has the whole redacted URL).
fn shown_url(obs: &Observation, request: &Request<'_>) -> String {
    let path = &request.event.path;
    match path.split_once('?') {
        Some((path, _)) => format!("{}{path}?…", obs.origin(request.role())),
        None => format!("{}{path}", obs.origin(request.role())),
    }
}

/// `#3 GET http://…/.well-known/… -> 404`, redacted.
fn shown(obs: &Observation, request: &Request<'_>) -> String {
    format!(
        "#{} {} {} -> {}",
        request.event.seq,
        request.method(),
        shown_url(obs, request),
        request.status()
    )
}

fn shown_list(obs: &Observation, requests: &[Request<'_>]) -> String {
    requests
        .iter()
        .map(|r| shown(obs, r))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `resource_metadata` the MCP server's first 401 challenge named, if it named one.
pub fn challenged_resource_metadata(obs: &Observation) -> Option<String> {
    obs.mcp_requests()
        .iter()
        .filter(|r| r.status() == 401)
        .find_map(|r| {
            r.event
                .response_headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
                .map(|(_, v)| v.clone())
        })
        .and_then(|header| challenge_param(&header, "resource_metadata"))
}

/// C-PRM-2: the PRM URLs a client tries, in order: the challenge's `resource_metadata` when there
/// is one, otherwise the path-inserted well-known URL and then the root one (RFC 9728 §3.1).
pub fn prm_candidates(obs: &Observation) -> Vec<String> {
    match challenged_resource_metadata(obs) {
        Some(url) => vec![url],
        None => {
            let mut candidates = Vec::new();
            candidates.extend(urls::prm_url(&obs.ready.mcp_url).ok());
            let root = obs.urls.prm_root_url();
            if !candidates.contains(&root) {
                candidates.push(root);
            }
            candidates
        }
    }
}

/// C-ASM-1: the authorization server metadata URLs for an issuer, in priority order. With a path:
/// RFC 8414 path insertion, OIDC path insertion, OIDC path appending; without: RFC 8414, OIDC.
pub fn as_metadata_candidates(issuer: &str) -> Vec<String> {
    let has_path = urls::origin_and_path(issuer).is_ok_and(|(_, path)| !path.is_empty());
    let mut candidates: Vec<String> = [
        urls::rfc8414_metadata_url(issuer),
        urls::oidc_inserted_url(issuer),
    ]
    .into_iter()
    .filter_map(Result::ok)
    .collect();
    if has_path {
        candidates.extend(urls::oidc_appended_url(issuer).ok());
    }
    candidates
}

/// Judges the order of discovery requests against a candidate list: up to the first success, the
/// URLs asked for must be the candidates from the first one on, in order, none skipped (asking
/// for the same URL again is allowed); when none succeeded, every candidate must have been tried.
/// Ok: what was asked; Err: what went wrong.
fn judge_order(
    obs: &Observation,
    requests: &[Request<'_>],
    candidates: &[String],
    what: &str,
) -> Result<String, String> {
    let listed = candidates.join(", ");
    let mut next = 0usize;
    let mut judged = Vec::new();
    for request in requests {
        judged.push(*request);
        let url = url_without_query(obs, request);
        match candidates.iter().position(|c| *c == url) {
            Some(i) if i + 1 == next => {}
            Some(i) if i == next => next += 1,
            Some(i) if i > next => {
                return Err(format!(
                    "the client asked for {} before {}; the {what} order is: {listed}",
                    shown(obs, request),
                    candidates[next]
                ))
            }
            Some(_) => {
                return Err(format!(
                "the client went back to {} after later candidates; the {what} order is: {listed}",
                shown(obs, request)
            ))
            }
            None => {
                let expected = candidates.get(next).map_or_else(
                    || "after every candidate had been tried".to_string(),
                    |c| format!("where {c} was due"),
                );
                return Err(format!(
                    "the client asked for {}, which is not one of the {what} candidates, {expected}; the order is: {listed}",
                    shown(obs, request)
                ));
            }
        }
        if succeeded(request) {
            return Ok(format!(
                "{what} requests in order: {} (candidates: {listed})",
                shown_list(obs, &judged)
            ));
        }
    }
    // Nothing answered: every candidate should have been tried before giving up.
    if next < candidates.len() {
        return Err(format!(
            "no {what} request succeeded ({}) and the client stopped before trying {}; the order \
             is: {listed}",
            shown_list(obs, &judged),
            candidates[next..].join(", ")
        ));
    }
    Ok(format!(
        "{what} requests in order: {} (candidates: {listed})",
        shown_list(obs, &judged)
    ))
}

/// `prm-priority-order` (C-PRM-2): the PRM URLs the client asked for follow the order of MCP
/// 2025-11-25: the challenge's `resource_metadata` if given, else the path-inserted well-known URL,
/// then the root one. In particular the root URL is never asked for before the path-inserted one.
pub fn prm_priority_order(obs: &Observation) -> Finding {
    let requests = obs.requests_to(Endpoint::ProtectedResourceMetadata);
    if requests.is_empty() {
        return Finding::violated(
            "the client never requested protected resource metadata (it must use it to find the \
             authorization server)",
        );
    }
    match judge_order(
        obs,
        &requests,
        &prm_candidates(obs),
        "protected resource metadata",
    ) {
        Ok(message) => Finding::met(message),
        Err(message) => Finding::violated(message),
    }
}

/// `prm-from-resource-metadata` (C-PRM-2, RFC 9728 §5.1): the first protected resource metadata
/// request is for exactly the URL (with its query, if any) that the 401 challenge named in
/// `resource_metadata`: not a well-known URL the client built itself, before or instead of it.
/// A client that made no MCP request never got the challenge and fails; a deployment whose
/// challenges name no URL leaves nothing to judge.
pub fn prm_from_resource_metadata(obs: &Observation) -> Finding {
    let Some(expected) = challenged_resource_metadata(obs) else {
        if obs.mcp_requests().is_empty() {
            return Finding::violated(format!(
                "the client made no MCP request, so it never got the 401 whose resource_metadata \
                 it had to use ({})",
                describe_exit(&obs.exit)
            ));
        }
        return Finding::not_judged(
            "no 401 challenge with `resource_metadata` was sent: nothing named a metadata URL",
        );
    };
    // Every protected resource metadata request: the well-known URLs, the URL the deployment
    // serves, and the named URL itself (should it differ from the served one).
    let requests: Vec<Request<'_>> = obs
        .requests()
        .into_iter()
        .filter(|r| r.endpoint == Endpoint::ProtectedResourceMetadata || obs.url_of(r) == expected)
        .collect();
    match requests.first() {
        None => Finding::violated(format!(
            "the client never requested protected resource metadata; the 401 named {expected}"
        )),
        Some(first) if obs.url_of(first) == expected => Finding::met(format!(
            "the client asked first for the challenge's resource_metadata URL: {}",
            shown(obs, first)
        )),
        Some(first) => {
            let named_later = requests[1..]
                .iter()
                .find(|r| obs.url_of(r) == expected)
                .map_or_else(
                    || "and never asked for it".to_string(),
                    |r| format!("and asked for it only later ({})", shown(obs, r)),
                );
            Finding::violated(format!(
                "the client asked first for {}, not the resource_metadata URL {expected} the 401 \
                 named, {named_later}",
                shown(obs, first)
            ))
        }
    }
}

/// `prm-well-known-fallback` (C-PRM-2): when the path-inserted well-known PRM URL fails, the client
/// tries the root one.
pub fn prm_well_known_fallback(obs: &Observation) -> Finding {
    let requests = obs.requests_to(Endpoint::ProtectedResourceMetadata);
    if requests.is_empty() {
        return Finding::violated("the client never requested protected resource metadata");
    }
    let path_url = urls::prm_url(&obs.ready.mcp_url).unwrap_or_default();
    let root_url = obs.urls.prm_root_url();
    let failed_path = requests
        .iter()
        .position(|r| url_without_query(obs, r) == path_url && !succeeded(r));
    match failed_path {
        Some(i) => match requests[i + 1..]
            .iter()
            .find(|r| url_without_query(obs, r) == root_url)
        {
            Some(root) => Finding::met(format!(
                "after {} the client tried the root URL: {}",
                shown(obs, &requests[i]),
                shown(obs, root)
            )),
            None => Finding::violated(format!(
                "after {} the client never tried the root URL {root_url}",
                shown(obs, &requests[i])
            )),
        },
        None if requests
            .iter()
            .any(|r| url_without_query(obs, r) == root_url) =>
        {
            Finding::not_judged(format!(
                "the client asked for the root URL without trying {path_url} first (see \
                 prm-priority-order): nothing to fall back from"
            ))
        }
        None => Finding::not_judged(format!(
            "the path-inserted URL never failed ({}): no fallback was needed",
            shown_list(obs, &requests)
        )),
    }
}

/// The first request to one of `endpoints`, if any.
fn first_to<'a>(requests: &[Request<'a>], endpoints: &[Endpoint]) -> Option<Request<'a>> {
    requests
        .iter()
        .find(|r| endpoints.contains(&r.endpoint))
        .copied()
}

const FLOW_ENDPOINTS: &[Endpoint] = &[
    Endpoint::Registration,
    Endpoint::Authorization,
    Endpoint::Token,
];

/// `as-metadata-priority-order` (C-ASM-1): once the client knows the issuer (it fetched the
/// protected resource metadata), the authorization server metadata URLs it asks for, up to the
/// first that answers, are the spec's candidates for the issuer from the first one on, in order
/// (RFC 8414 with path insertion, OIDC with path insertion, OIDC with path appending; without a
/// path: RFC 8414, OIDC). Any other URL before the served one fails, and so does going to the
/// authorization endpoints without fetching any metadata (guessing them). Requests made before
/// the PRM was fetched (a 2025-03-26 style probe of the MCP origin) are not judged here.
pub fn as_metadata_priority_order(obs: &Observation) -> Finding {
    let all = obs.requests();
    let Some(prm) = all
        .iter()
        .position(|r| r.endpoint == Endpoint::ProtectedResourceMetadata && succeeded(r))
    else {
        return Finding::not_judged(
            "the client never obtained the protected resource metadata, so it never learned the \
             issuer whose metadata URLs are judged here",
        );
    };
    let after = &all[prm + 1..];
    let requests: Vec<Request<'_>> = after
        .iter()
        .filter(|r| r.endpoint == Endpoint::AuthorizationServerMetadata)
        .copied()
        .collect();
    if requests.is_empty() {
        return match first_to(after, FLOW_ENDPOINTS) {
            Some(guess) => Finding::violated(format!(
                "the client sent {} without requesting any authorization server metadata (the \
                 endpoint was guessed)",
                shown(obs, &guess)
            )),
            None => Finding::not_judged(
                "the client requested no authorization server metadata (it stopped earlier)",
            ),
        };
    }
    let candidates = as_metadata_candidates(&obs.urls.issuer());
    match judge_order(obs, &requests, &candidates, "authorization server metadata") {
        Ok(message) => Finding::met(message),
        Err(message) => Finding::violated(message),
    }
}

/// `authorization-server-metadata-wrong-path` (C-ASM-1, RFC 8414 §3.1): for an issuer with a path,
/// the root `/.well-known/oauth-authorization-server` is not a candidate; asking for it before every
/// listed candidate has been tried fails. Asked only after all of them failed, it is noted.
pub fn authorization_server_metadata_wrong_path(obs: &Observation) -> Finding {
    let issuer = obs.urls.issuer();
    if obs.urls.issuer_path.is_empty() {
        return Finding::not_judged(format!(
            "the issuer {issuer} has no path: the root URL is a candidate"
        ));
    }
    let requests = obs.requests_to(Endpoint::AuthorizationServerMetadata);
    if requests.is_empty() {
        return Finding::not_judged("the client requested no authorization server metadata");
    }
    let root = format!(
        "{}/.well-known/oauth-authorization-server",
        obs.urls.as_origin
    );
    let Some(at) = requests
        .iter()
        .position(|r| url_without_query(obs, r) == root)
    else {
        return Finding::met(format!(
            "the client never asked for {root} (issuer {issuer}); it asked for: {}",
            shown_list(obs, &requests)
        ));
    };
    let tried: Vec<String> = requests[..at]
        .iter()
        .map(|r| url_without_query(obs, r))
        .collect();
    let untried: Vec<String> = as_metadata_candidates(&issuer)
        .into_iter()
        .filter(|c| !tried.contains(c))
        .collect();
    if untried.is_empty() {
        Finding::note(format!(
            "the client asked for {} only after every listed candidate had been tried (not a \
             candidate for issuer {issuer}, but harmless)",
            shown(obs, &requests[at])
        ))
    } else {
        Finding::violated(format!(
            "the client asked for {} (the root URL, not a candidate for issuer {issuer}, RFC 8414 \
             §3.1) before trying {}",
            shown(obs, &requests[at]),
            untried.join(", ")
        ))
    }
}

/// The brief's must-refuse rule: the client must have reached the point of refusal (a successful
/// request to `point` whose JSON document has the `defect` it had to reject: a document without
/// it gave nothing to refuse) and must send nothing to `forbidden`.
fn refused_after(
    obs: &Observation,
    point: Endpoint,
    document: &str,
    defect: fn(&Observation, &serde_json::Value) -> bool,
    forbidden: &[Endpoint],
    why: &str,
) -> Finding {
    let all = obs.requests();
    let fetched: Vec<Request<'_>> = all
        .iter()
        .filter(|r| r.endpoint == point && succeeded(r))
        .copied()
        .collect();
    let has_defect = |r: &Request<'_>| {
        r.event
            .response_body
            .as_deref()
            .and_then(|body| serde_json::from_str::<serde_json::Value>(body).ok())
            .is_some_and(|doc| defect(obs, &doc))
    };
    let Some(reached) = fetched.iter().find(|r| has_defect(r)) else {
        let fetched_note = if fetched.is_empty() {
            String::new()
        } else {
            format!(
                " (what it fetched, {}, was not that document: nothing to refuse there)",
                shown_list(obs, &fetched)
            )
        };
        return Finding::violated(format!(
            "the client never fetched {document} with the defect{fetched_note}, so it did not \
             reach the point where it had to refuse ({})",
            describe_exit(&obs.exit)
        ));
    };
    let went_on: Vec<Request<'_>> = all
        .iter()
        .filter(|r| forbidden.contains(&r.endpoint))
        .copied()
        .collect();
    if went_on.is_empty() {
        Finding::met(format!(
            "the client fetched {document} ({}) and then stopped: {why}; {}",
            shown(obs, reached),
            describe_exit(&obs.exit)
        ))
    } else {
        Finding::violated(format!(
            "the client fetched {document} ({}) and went on although {why}: {}",
            shown(obs, reached),
            shown_list(obs, &went_on)
        ))
    }
}

/// A string field of a JSON document.
fn field<'a>(doc: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    doc.get(name)?.as_str()
}

/// The PRM names another resource than the MCP server's.
fn names_another_resource(obs: &Observation, doc: &serde_json::Value) -> bool {
    field(doc, "resource") != Some(obs.urls.resource().as_str())
}

/// The metadata names another issuer than the one it was fetched for.
fn names_another_issuer(obs: &Observation, doc: &serde_json::Value) -> bool {
    field(doc, "issuer") != Some(obs.urls.issuer().as_str())
}

/// The metadata does not list `S256` in `code_challenge_methods_supported`.
fn lacks_s256(_: &Observation, doc: &serde_json::Value) -> bool {
    !doc.get("code_challenge_methods_supported")
        .and_then(|v| v.as_array())
        .is_some_and(|methods| methods.iter().any(|m| m.as_str() == Some("S256")))
}

/// `resource-mismatch-rejected` (C-PRM-3, RFC 9728 §3.3, §7.3): the PRM names another resource;
/// after fetching it the client sends no authorization or token request.
pub fn resource_mismatch_rejected(obs: &Observation) -> Finding {
    refused_after(
        obs,
        Endpoint::ProtectedResourceMetadata,
        "the protected resource metadata naming another resource",
        names_another_resource,
        &[Endpoint::Authorization, Endpoint::Token],
        "its `resource` names another server than the one the client connects to",
    )
}

/// `sep-2468-client-validate-metadata-issuer` (C-ASM-2, RFC 8414 §3.3): the metadata's `issuer`
/// differs from the issuer it was fetched for; after fetching it the client registers nowhere,
/// sends no authorization request and no token request.
pub fn metadata_issuer_rejected(obs: &Observation) -> Finding {
    refused_after(
        obs,
        Endpoint::AuthorizationServerMetadata,
        "the authorization server metadata naming another issuer",
        names_another_issuer,
        FLOW_ENDPOINTS,
        "its `issuer` is not the issuer it was fetched for",
    )
}

/// `pkce-s256-required` (C-PKCE-3): the metadata has no `code_challenge_methods_supported`; after
/// fetching it the client sends no authorization or token request.
pub fn pkce_support_required(obs: &Observation) -> Finding {
    refused_after(
        obs,
        Endpoint::AuthorizationServerMetadata,
        "the authorization server metadata without S256 in code_challenge_methods_supported",
        lacks_s256,
        &[Endpoint::Authorization, Endpoint::Token],
        "it does not list S256 in `code_challenge_methods_supported` (no PKCE support)",
    )
}

/// The last path segments of the endpoints a client may guess when it finds no metadata (the
/// 2025-03-26 defaults `<base>/register`, `/authorize`, `/token`, or the same below the issuer).
const GUESSED_SEGMENTS: &[&str] = &["/register", "/authorize", "/token"];

/// Whether a request went to a path ending in a flow endpoint's usual name, on any origin: where
/// the deployment serves nothing, it is still a guess.
fn looks_like_flow_endpoint(request: &Request<'_>) -> bool {
    let path = request.path().trim_end_matches('/');
    GUESSED_SEGMENTS
        .iter()
        .any(|segment| path.ends_with(segment))
}

/// `discovery-failure-ends-cleanly`: in a deployment whose authorization server metadata cannot be
/// found at any URL the spec lists (split domain, custom path), the client looks for it, then
/// stops by itself within the timeout, with a bounded number of requests, and never sends a
/// registration, authorization or token request to an endpoint it had to guess.
pub fn discovery_failure_ends_cleanly(obs: &Observation) -> Finding {
    let all = obs.requests();
    let discovery = obs.discovery_urls().len();
    let mcp = obs.mcp_requests().len();
    let looked = obs.requests_to(Endpoint::AuthorizationServerMetadata).len();
    let mut problems = Vec::new();
    if let ClientExit::TimedOut(after) = obs.exit {
        problems.push(format!(
            "the client was still running after {} s and was killed (a hang or a retry loop)",
            after.as_secs()
        ));
    }
    if looked == 0 {
        problems.push(
            "it never looked for the authorization server metadata, so it did not reach the \
             point where discovery fails"
                .to_string(),
        );
    }
    if discovery > MAX_DISCOVERY_REQUESTS {
        problems.push(format!(
            "it made {discovery} discovery requests (more than {MAX_DISCOVERY_REQUESTS}: a retry loop)"
        ));
    }
    if mcp > MAX_MCP_REQUESTS {
        problems.push(format!(
            "it made {mcp} MCP requests (more than {MAX_MCP_REQUESTS}: a retry loop on the 401)"
        ));
    }
    let guessed: Vec<Request<'_>> = all
        .iter()
        .filter(|r| FLOW_ENDPOINTS.contains(&r.endpoint) || looks_like_flow_endpoint(r))
        .copied()
        .collect();
    if !guessed.is_empty() {
        problems.push(format!(
            "it went to endpoints it could not have discovered: {}",
            shown_list(obs, &guessed)
        ));
    }
    if problems.is_empty() {
        Finding::met(format!(
            "{} after {discovery} discovery request(s) ({looked} for authorization server \
             metadata) and {mcp} MCP request(s), without guessing endpoints",
            describe_exit(&obs.exit)
        ))
    } else {
        Finding::violated(problems.join("; "))
    }
}

/// The 2025-03-26 authorization base URL: the MCP URL without its path.
fn legacy_base(obs: &Observation) -> String {
    obs.urls.mcp_origin.clone()
}

/// Requests on the MCP origin to `<base><path>` with `method`.
fn legacy_requests<'a>(obs: &'a Observation, method: &str, path: &str) -> Vec<Request<'a>> {
    obs.requests()
        .into_iter()
        .filter(|r| r.role() == Role::McpServer && r.method() == method && r.path() == path)
        .collect()
}

const LEGACY_METADATA_PATH: &str = "/.well-known/oauth-authorization-server";

/// `authorization-server-metadata` for 2025-03-26 (C-ASM-0326): the client fetched the metadata
/// at `<authorization base URL>/.well-known/oauth-authorization-server` (the MCP URL without its
/// path), before any authorization request.
pub fn legacy_metadata_at_base_url(obs: &Observation) -> Finding {
    let expected = format!("{}{LEGACY_METADATA_PATH}", legacy_base(obs));
    let all = obs.requests();
    let fetched = all.iter().position(|r| {
        r.role() == Role::McpServer
            && r.method() == "GET"
            && r.path() == LEGACY_METADATA_PATH
            && succeeded(r)
    });
    let authorize = all
        .iter()
        .position(|r| r.endpoint == Endpoint::Authorization);
    match (fetched, authorize) {
        (None, _) => Finding::violated(format!(
            "the client never fetched {expected} (the metadata at the authorization base URL); \
             it asked for: {}",
            shown_list(obs, &obs.requests_to(Endpoint::AuthorizationServerMetadata))
        )),
        (Some(f), Some(a)) if a < f => Finding::violated(format!(
            "the client sent {} before fetching {expected}",
            shown(obs, &all[a])
        )),
        (Some(f), _) => Finding::met(format!(
            "the client fetched the metadata at the authorization base URL: {}",
            shown(obs, &all[f])
        )),
    }
}

/// `default-endpoints-after-metadata` (C-ASM-0326, "Fallbacks for Servers without Metadata
/// Discovery"): with no metadata (404) the client tried the metadata URL first, then used
/// `<base>/register`, `<base>/authorize` and `<base>/token`.
pub fn legacy_default_endpoints(obs: &Observation) -> Finding {
    let base = legacy_base(obs);
    let all = obs.requests();
    let Some(metadata) = all.iter().position(|r| {
        r.role() == Role::McpServer && r.method() == "GET" && r.path() == LEGACY_METADATA_PATH
    }) else {
        return Finding::violated(format!(
            "the client never tried {base}{LEGACY_METADATA_PATH}: the metadata comes before the \
             default endpoints"
        ));
    };
    let defaults = [
        ("POST", "/register"),
        ("GET", "/authorize"),
        ("POST", "/token"),
    ];
    let mut problems = Vec::new();
    let mut used = Vec::new();
    for (method, path) in defaults {
        let requests = legacy_requests(obs, method, path);
        match requests.first() {
            None => problems.push(format!("no {method} {base}{path}")),
            Some(first) => {
                if first.event.seq < all[metadata].event.seq {
                    problems.push(format!(
                        "{} came before the metadata request",
                        shown(obs, first)
                    ));
                }
                used.push(*first);
            }
        }
    }
    if problems.is_empty() {
        Finding::met(format!(
            "the client tried {} first, then used the default endpoints: {}",
            shown(obs, &all[metadata]),
            shown_list(obs, &used)
        ))
    } else {
        Finding::violated(format!(
            "after {}: {}",
            shown(obs, &all[metadata]),
            problems.join("; ")
        ))
    }
}

/// `endpoints-from-metadata` (C-ASM-0326, "Server Metadata Discovery": with metadata, its
/// endpoints are the ones to use): the client sent its authorization request to the
/// `authorization_endpoint` the 2025-03-26 metadata named, and guessed none of the default
/// `/authorize`, `/token`, `/register` where the metadata named other endpoints.
pub fn legacy_endpoints_from_metadata(obs: &Observation) -> Finding {
    let base = legacy_base(obs);
    let advertised = [
        ("GET", "/authorize", Some(&obs.ready.authorization_endpoint)),
        ("POST", "/token", Some(&obs.ready.token_endpoint)),
        (
            "POST",
            "/register",
            obs.ready.registration_endpoint.as_ref(),
        ),
    ];
    let guessed: Vec<String> = advertised
        .iter()
        .filter(|(_, path, named)| named.is_none_or(|named| **named != format!("{base}{path}")))
        .flat_map(|(method, path, named)| {
            let instead = match named {
                Some(named) => format!("the metadata names {named}"),
                None => "the metadata names none".to_string(),
            };
            legacy_requests(obs, method, path)
                .into_iter()
                .map(move |r| format!("{} ({instead})", shown(obs, &r)))
        })
        .collect();
    if !guessed.is_empty() {
        return Finding::violated(format!(
            "the client fetched the metadata but guessed the default endpoints: {}",
            guessed.join("; ")
        ));
    }
    let used: Vec<Request<'_>> = obs
        .requests()
        .into_iter()
        .filter(|r| {
            r.method() == "GET" && url_without_query(obs, r) == obs.ready.authorization_endpoint
        })
        .collect();
    match used.first() {
        Some(first) => Finding::met(format!(
            "the client used the authorization endpoint the metadata named: {}",
            shown(obs, first)
        )),
        None => Finding::violated(format!(
            "the client never sent an authorization request to {}, the endpoint the metadata \
             named",
            obs.ready.authorization_endpoint
        )),
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use mcp_authlab_mock_idp::trace::Role::{AuthorizationServer as As, McpServer as Mcp};
    use mcp_authlab_mock_idp::urls::Urls;
    use mcp_authlab_mock_idp::Behaviour;

    use super::*;
    use crate::client::observation::test_support::*;

    const PRM_PATH: &str = "/.well-known/oauth-protected-resource/mcp";
    const PRM_ROOT: &str = "/.well-known/oauth-protected-resource";
    const RFC8414: &str = "/.well-known/oauth-authorization-server";
    const OIDC: &str = "/.well-known/openid-configuration";

    fn challenge_401(obs: &mut Observation, resource_metadata: Option<&str>) {
        let header = match resource_metadata {
            Some(url) => format!(r#"Bearer resource_metadata="{url}", scope="mcp:tools""#),
            None => r#"Bearer scope="mcp:tools""#.to_string(),
        };
        request(Mcp, "POST", "/mcp")
            .status(401)
            .response_header("www-authenticate", &header)
            .push(obs);
    }

    fn get(obs: &mut Observation, role: Role, path: &str, status: u16) {
        request(role, "GET", path).status(status).push(obs);
    }

    fn with_issuer_path(obs: &mut Observation) {
        let behaviour = Behaviour {
            issuer_path: Some("tenant1".into()),
            ..Behaviour::default()
        };
        obs.urls = Urls::new(AS, MCP, None, &behaviour);
    }

    fn flow(obs: &mut Observation) {
        request(As, "POST", "/register").status(201).push(obs);
        request(As, "GET", "/authorize?response_type=code")
            .status(302)
            .push(obs);
        request(As, "POST", "/token")
            .body("grant_type=authorization_code")
            .push(obs);
    }

    #[test]
    fn as_candidates_follow_the_spec_lists() {
        assert_eq!(
            as_metadata_candidates("https://auth.example.com/tenant1"),
            vec![
                "https://auth.example.com/.well-known/oauth-authorization-server/tenant1",
                "https://auth.example.com/.well-known/openid-configuration/tenant1",
                "https://auth.example.com/tenant1/.well-known/openid-configuration",
            ]
        );
        assert_eq!(
            as_metadata_candidates("https://auth.example.com"),
            vec![
                "https://auth.example.com/.well-known/oauth-authorization-server",
                "https://auth.example.com/.well-known/openid-configuration",
            ]
        );
    }

    #[test]
    fn prm_priority_order_passes_the_challenge_url_and_fails_root_first() {
        let prm = format!("{MCP}{PRM_PATH}");
        let mut good = observation();
        challenge_401(&mut good, Some(&prm));
        get(&mut good, Mcp, PRM_PATH, 200);
        assert!(
            prm_priority_order(&good).is_met(),
            "{:?}",
            prm_priority_order(&good)
        );

        let mut bad = observation();
        challenge_401(&mut bad, Some(&prm));
        get(&mut bad, Mcp, PRM_ROOT, 404);
        get(&mut bad, Mcp, PRM_PATH, 200);
        let finding = prm_priority_order(&bad);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains(PRM_ROOT), "{finding:?}");

        assert!(prm_priority_order(&observation()).is_violated());
    }

    #[test]
    fn prm_priority_order_without_challenge_url_is_path_then_root() {
        let mut good = observation();
        challenge_401(&mut good, None);
        get(&mut good, Mcp, PRM_PATH, 404);
        get(&mut good, Mcp, PRM_ROOT, 200);
        assert!(prm_priority_order(&good).is_met());

        let mut bad = observation();
        challenge_401(&mut bad, None);
        get(&mut bad, Mcp, PRM_ROOT, 200);
        assert!(prm_priority_order(&bad).is_violated());
    }

    #[test]
    fn prm_from_resource_metadata_needs_the_named_url_first() {
        let named = format!("{MCP}{PRM_ROOT}");
        let mut good = observation();
        challenge_401(&mut good, Some(&named));
        get(&mut good, Mcp, PRM_ROOT, 200);
        assert!(prm_from_resource_metadata(&good).is_met());

        let mut bad = observation();
        challenge_401(&mut bad, Some(&named));
        get(&mut bad, Mcp, PRM_PATH, 404);
        get(&mut bad, Mcp, PRM_ROOT, 200);
        let finding = prm_from_resource_metadata(&bad);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains(PRM_PATH));
        assert!(finding.message().contains("only later"), "{finding:?}");
    }

    const CUSTOM_PRM: &str = "/custom/metadata/location.json";

    /// The official `auth/metadata-var3` deployment: the PRM only at a custom path, named in the 401.
    fn custom_prm_observation() -> Observation {
        let mut obs = observation();
        obs.ready.protected_resource_metadata_url = Some(format!("{MCP}{CUSTOM_PRM}"));
        challenge_401(&mut obs, Some(&format!("{MCP}{CUSTOM_PRM}")));
        obs
    }

    #[test]
    fn prm_from_resource_metadata_at_a_custom_path() {
        let mut good = custom_prm_observation();
        get(&mut good, Mcp, CUSTOM_PRM, 200);
        let finding = prm_from_resource_metadata(&good);
        assert!(finding.is_met(), "{finding:?}");
        assert!(finding.message().contains(CUSTOM_PRM), "{finding:?}");

        // Ignoring the challenge: both well-known URLs 404 and the named one is never asked for.
        let mut ignored = custom_prm_observation();
        get(&mut ignored, Mcp, PRM_PATH, 404);
        get(&mut ignored, Mcp, PRM_ROOT, 404);
        let finding = prm_from_resource_metadata(&ignored);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(
            finding.message().contains("never asked for it"),
            "{finding:?}"
        );

        // A well-known URL first, the named one after it: still wrong.
        let mut late = custom_prm_observation();
        get(&mut late, Mcp, PRM_PATH, 404);
        get(&mut late, Mcp, CUSTOM_PRM, 200);
        assert!(prm_from_resource_metadata(&late).is_violated());

        // Not exactly the named URL (a query added), nor on another origin.
        let mut query = custom_prm_observation();
        get(&mut query, Mcp, &format!("{CUSTOM_PRM}?x=1"), 200);
        assert!(prm_from_resource_metadata(&query).is_violated());
        let mut other_origin = custom_prm_observation();
        get(&mut other_origin, As, CUSTOM_PRM, 404);
        assert!(prm_from_resource_metadata(&other_origin).is_violated());
    }

    #[test]
    fn prm_from_resource_metadata_without_a_challenge() {
        // No MCP request at all: the client never reached the challenge.
        let finding = prm_from_resource_metadata(&observation());
        assert!(finding.is_violated(), "{finding:?}");
        // A 401 that names no URL: nothing to judge.
        let mut unnamed = observation();
        challenge_401(&mut unnamed, None);
        get(&mut unnamed, Mcp, PRM_PATH, 200);
        assert!(matches!(
            prm_from_resource_metadata(&unnamed),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn prm_fallback_needs_the_root_after_the_failed_path() {
        let mut good = observation();
        challenge_401(&mut good, None);
        get(&mut good, Mcp, PRM_PATH, 404);
        get(&mut good, Mcp, PRM_ROOT, 200);
        assert!(prm_well_known_fallback(&good).is_met());

        let mut bad = observation();
        challenge_401(&mut bad, None);
        get(&mut bad, Mcp, PRM_PATH, 404);
        let finding = prm_well_known_fallback(&bad);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains(PRM_ROOT));
    }

    #[test]
    fn as_order_for_a_root_issuer_is_rfc8414_then_oidc() {
        let mut good = observation();
        get(&mut good, Mcp, PRM_PATH, 200);
        get(&mut good, As, RFC8414, 404);
        get(&mut good, As, OIDC, 200);
        flow(&mut good);
        assert!(as_metadata_priority_order(&good).is_met());

        let mut bad = observation();
        get(&mut bad, Mcp, PRM_PATH, 200);
        get(&mut bad, As, OIDC, 200);
        flow(&mut bad);
        let finding = as_metadata_priority_order(&bad);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains(RFC8414), "{finding:?}");
    }

    #[test]
    fn as_order_for_a_path_issuer_takes_all_three_in_order() {
        let mut good = observation();
        with_issuer_path(&mut good);
        get(&mut good, Mcp, PRM_PATH, 200);
        get(
            &mut good,
            As,
            "/.well-known/oauth-authorization-server/tenant1",
            404,
        );
        get(
            &mut good,
            As,
            "/.well-known/openid-configuration/tenant1",
            404,
        );
        get(
            &mut good,
            As,
            "/tenant1/.well-known/openid-configuration",
            200,
        );
        assert!(as_metadata_priority_order(&good).is_met());

        let mut bad = observation();
        with_issuer_path(&mut bad);
        get(&mut bad, Mcp, PRM_PATH, 200);
        get(
            &mut bad,
            As,
            "/.well-known/oauth-authorization-server/tenant1",
            404,
        );
        get(&mut bad, As, RFC8414, 404);
        get(
            &mut bad,
            As,
            "/tenant1/.well-known/openid-configuration",
            200,
        );
        assert!(as_metadata_priority_order(&bad).is_violated());
    }

    #[test]
    fn as_order_fails_guessed_endpoints_and_skips_a_client_that_stopped() {
        let mut guessed = observation();
        get(&mut guessed, Mcp, PRM_PATH, 200);
        flow(&mut guessed);
        assert!(as_metadata_priority_order(&guessed).is_violated());

        let mut stopped = observation();
        get(&mut stopped, Mcp, PRM_PATH, 200);
        assert!(matches!(
            as_metadata_priority_order(&stopped),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn as_order_ignores_probes_made_before_the_issuer_was_known() {
        // A client that found no PRM and probed the MCP origin (2025-03-26 back-compat).
        let mut no_prm = observation();
        get(&mut no_prm, Mcp, PRM_PATH, 404);
        get(&mut no_prm, Mcp, RFC8414, 404);
        assert!(matches!(
            as_metadata_priority_order(&no_prm),
            Finding::NotJudged(_)
        ));

        let mut probed_then_found = observation();
        get(&mut probed_then_found, Mcp, RFC8414, 404);
        get(&mut probed_then_found, Mcp, PRM_PATH, 200);
        get(&mut probed_then_found, As, RFC8414, 200);
        assert!(as_metadata_priority_order(&probed_then_found).is_met());

        let mut probed_after = observation();
        get(&mut probed_after, Mcp, PRM_PATH, 200);
        get(&mut probed_after, Mcp, RFC8414, 404);
        get(&mut probed_after, As, RFC8414, 200);
        assert!(as_metadata_priority_order(&probed_after).is_violated());
    }

    #[test]
    fn wrong_path_trap_for_a_path_issuer() {
        let mut good = observation();
        with_issuer_path(&mut good);
        get(
            &mut good,
            As,
            "/.well-known/oauth-authorization-server/tenant1",
            200,
        );
        assert!(authorization_server_metadata_wrong_path(&good).is_met());

        let mut bad = observation();
        with_issuer_path(&mut bad);
        get(&mut bad, As, RFC8414, 404);
        get(
            &mut bad,
            As,
            "/.well-known/oauth-authorization-server/tenant1",
            200,
        );
        let finding = authorization_server_metadata_wrong_path(&bad);
        assert!(finding.is_violated(), "{finding:?}");

        let mut late = observation();
        with_issuer_path(&mut late);
        get(
            &mut late,
            As,
            "/.well-known/oauth-authorization-server/tenant1",
            404,
        );
        get(
            &mut late,
            As,
            "/.well-known/openid-configuration/tenant1",
            404,
        );
        get(
            &mut late,
            As,
            "/tenant1/.well-known/openid-configuration",
            404,
        );
        get(&mut late, As, RFC8414, 404);
        assert!(matches!(
            authorization_server_metadata_wrong_path(&late),
            Finding::Note(_)
        ));
    }

    /// A successful GET whose response is the JSON document `doc`.
    fn document(obs: &mut Observation, role: Role, path: &str, doc: serde_json::Value) {
        request(role, "GET", path)
            .response_body(&doc.to_string())
            .push(obs);
    }

    fn prm_naming(resource: &str) -> serde_json::Value {
        serde_json::json!({ "resource": resource, "authorization_servers": [AS] })
    }

    fn as_metadata(issuer: &str, methods: Option<&[&str]>) -> serde_json::Value {
        let mut doc = serde_json::json!({ "issuer": issuer });
        if let Some(methods) = methods {
            doc["code_challenge_methods_supported"] = serde_json::json!(methods);
        }
        doc
    }

    #[test]
    fn refusal_needs_the_point_of_refusal_and_nothing_after() {
        let other = prm_naming("https://other.example/mcp");
        let mut good = observation();
        document(&mut good, Mcp, PRM_PATH, other.clone());
        good.exit = ClientExit::Code(1);
        assert!(resource_mismatch_rejected(&good).is_met());

        let mut bad = observation();
        document(&mut bad, Mcp, PRM_PATH, other);
        get(&mut bad, As, RFC8414, 200);
        flow(&mut bad);
        let finding = resource_mismatch_rejected(&bad);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("/authorize"));

        let nothing = resource_mismatch_rejected(&observation());
        assert!(nothing.is_violated());
        assert!(nothing.message().contains("did not reach the point"));

        // The metadata names this very server: stopping there refuses nothing.
        let mut matching = observation();
        document(
            &mut matching,
            Mcp,
            PRM_PATH,
            prm_naming(&format!("{MCP}/mcp")),
        );
        let finding = resource_mismatch_rejected(&matching);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(
            finding.message().contains("nothing to refuse"),
            "{finding:?}"
        );
    }

    #[test]
    fn issuer_mismatch_refusal_forbids_registration_too() {
        let other = as_metadata(&format!("{AS}/mismatched-issuer"), Some(&["S256"]));
        let mut good = observation();
        document(&mut good, As, RFC8414, other.clone());
        assert!(metadata_issuer_rejected(&good).is_met());

        let mut bad = observation();
        document(&mut bad, As, RFC8414, other);
        request(As, "POST", "/register").status(201).push(&mut bad);
        assert!(metadata_issuer_rejected(&bad).is_violated());
        assert!(metadata_issuer_rejected(&observation()).is_violated());

        let mut matching = observation();
        document(&mut matching, As, RFC8414, as_metadata(AS, Some(&["S256"])));
        assert!(metadata_issuer_rejected(&matching).is_violated());
    }

    #[test]
    fn pkce_refusal_forbids_the_authorization_request() {
        let mut good = observation();
        document(&mut good, As, RFC8414, as_metadata(AS, None));
        request(As, "POST", "/register").status(201).push(&mut good);
        assert!(pkce_support_required(&good).is_met());
        let mut plain_only = observation();
        document(
            &mut plain_only,
            As,
            RFC8414,
            as_metadata(AS, Some(&["plain"])),
        );
        assert!(pkce_support_required(&plain_only).is_met());

        let mut bad = observation();
        document(&mut bad, As, RFC8414, as_metadata(AS, None));
        flow(&mut bad);
        assert!(pkce_support_required(&bad).is_violated());

        let mut advertised = observation();
        document(
            &mut advertised,
            As,
            RFC8414,
            as_metadata(AS, Some(&["S256"])),
        );
        assert!(pkce_support_required(&advertised).is_violated());
    }

    #[test]
    fn discovery_failure_must_stop_without_guessing() {
        let mut good = observation();
        challenge_401(&mut good, Some(&format!("{MCP}{PRM_PATH}")));
        get(&mut good, Mcp, PRM_PATH, 200);
        get(&mut good, As, RFC8414, 404);
        get(&mut good, As, OIDC, 404);
        good.exit = ClientExit::Code(1);
        assert!(discovery_failure_ends_cleanly(&good).is_met());

        let mut looping = good.clone();
        for _ in 0..25 {
            get(&mut looping, As, RFC8414, 404);
        }
        looping.exit = ClientExit::TimedOut(Duration::from_secs(15));
        let finding = discovery_failure_ends_cleanly(&looping);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("killed"));

        let mut guessing = good.clone();
        flow(&mut guessing);
        assert!(discovery_failure_ends_cleanly(&guessing).is_violated());

        let mut idle = observation();
        idle.exit = ClientExit::Code(1);
        assert!(discovery_failure_ends_cleanly(&idle).is_violated());
    }

    #[test]
    fn discovery_failure_flags_guesses_on_any_origin() {
        let mut good = observation();
        get(&mut good, Mcp, PRM_PATH, 200);
        get(&mut good, As, RFC8414, 404);
        get(&mut good, As, OIDC, 404);
        assert!(discovery_failure_ends_cleanly(&good).is_met());

        // The 2025-03-26 defaults on the MCP origin, where this deployment serves nothing.
        let mut legacy_defaults = good.clone();
        request(Mcp, "POST", "/register")
            .status(404)
            .push(&mut legacy_defaults);
        request(Mcp, "GET", "/authorize?response_type=code")
            .status(404)
            .push(&mut legacy_defaults);
        let finding = discovery_failure_ends_cleanly(&legacy_defaults);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("/register"), "{finding:?}");
        assert!(finding.message().contains("/authorize"), "{finding:?}");

        // A token endpoint guessed below an issuer path, on the authorization server's origin.
        let mut below_issuer = good.clone();
        request(As, "POST", "/tenant1/token/")
            .status(404)
            .push(&mut below_issuer);
        assert!(discovery_failure_ends_cleanly(&below_issuer).is_violated());

        // Paths that only contain the names are no guesses.
        let mut unrelated = good.clone();
        get(&mut unrelated, As, "/tokens/list", 404);
        assert!(discovery_failure_ends_cleanly(&unrelated).is_met());
    }

    #[test]
    fn order_fails_a_client_that_stopped_before_every_candidate_failed() {
        // Root issuer: RFC 8414 404, then the client gave up without trying OIDC.
        let mut stopped = observation();
        get(&mut stopped, Mcp, PRM_PATH, 200);
        get(&mut stopped, As, RFC8414, 404);
        let finding = as_metadata_priority_order(&stopped);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains(OIDC), "{finding:?}");

        let mut all_tried = stopped.clone();
        get(&mut all_tried, As, OIDC, 404);
        assert!(as_metadata_priority_order(&all_tried).is_met());

        // The PRM: the path-inserted URL failed and the root one was never tried.
        let mut prm_stopped = observation();
        challenge_401(&mut prm_stopped, None);
        get(&mut prm_stopped, Mcp, PRM_PATH, 404);
        let finding = prm_priority_order(&prm_stopped);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(
            finding.message().contains("stopped before trying"),
            "{finding:?}"
        );
    }

    fn legacy() -> Observation {
        let mut obs = observation();
        let behaviour = Behaviour {
            legacy_2025_03_26_layout: true,
            ..Behaviour::default()
        };
        obs.urls = Urls::new(AS, MCP, None, &behaviour);
        obs.ready.authorization_endpoint = format!("{MCP}/authorize");
        obs.ready.token_endpoint = format!("{MCP}/token");
        obs.ready.registration_endpoint = Some(format!("{MCP}/register"));
        obs
    }

    fn legacy_flow(obs: &mut Observation) {
        request(Mcp, "POST", "/register").status(201).push(obs);
        request(Mcp, "GET", "/authorize?response_type=code")
            .status(302)
            .push(obs);
        request(Mcp, "POST", "/token").push(obs);
    }

    #[test]
    fn legacy_metadata_comes_from_the_base_url() {
        let mut good = legacy();
        get(&mut good, Mcp, RFC8414, 200);
        legacy_flow(&mut good);
        assert!(legacy_metadata_at_base_url(&good).is_met());

        let mut bad = legacy();
        get(
            &mut bad,
            Mcp,
            "/.well-known/oauth-authorization-server/mcp",
            404,
        );
        legacy_flow(&mut bad);
        assert!(legacy_metadata_at_base_url(&bad).is_violated());
    }

    #[test]
    fn legacy_fallback_tries_metadata_then_defaults() {
        let mut good = legacy();
        get(&mut good, Mcp, RFC8414, 404);
        legacy_flow(&mut good);
        assert!(legacy_default_endpoints(&good).is_met());

        let mut bad = legacy();
        legacy_flow(&mut bad);
        get(&mut bad, Mcp, RFC8414, 404);
        assert!(legacy_default_endpoints(&bad).is_violated());

        let mut no_defaults = legacy();
        get(&mut no_defaults, Mcp, RFC8414, 404);
        assert!(legacy_default_endpoints(&no_defaults).is_violated());
    }

    /// The official layout: the 2025-03-26 metadata names endpoints under `/oauth/`.
    fn legacy_under_oauth() -> Observation {
        let mut obs = legacy();
        obs.ready.authorization_endpoint = format!("{MCP}/oauth/authorize");
        obs.ready.token_endpoint = format!("{MCP}/oauth/token");
        obs.ready.registration_endpoint = Some(format!("{MCP}/oauth/register"));
        obs
    }

    #[test]
    fn legacy_endpoints_come_from_the_metadata() {
        let mut good = legacy_under_oauth();
        get(&mut good, Mcp, RFC8414, 200);
        request(Mcp, "POST", "/oauth/register")
            .status(201)
            .push(&mut good);
        request(Mcp, "GET", "/oauth/authorize?response_type=code")
            .status(302)
            .push(&mut good);
        request(Mcp, "POST", "/oauth/token").push(&mut good);
        let finding = legacy_endpoints_from_metadata(&good);
        assert!(finding.is_met(), "{finding:?}");

        // Valid metadata fetched, then ignored: the defaults guessed (404 here).
        let mut bad = legacy_under_oauth();
        get(&mut bad, Mcp, RFC8414, 200);
        request(Mcp, "POST", "/register").status(404).push(&mut bad);
        let finding = legacy_endpoints_from_metadata(&bad);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("/register"), "{finding:?}");

        // The authorization endpoint from the metadata, then a guessed token endpoint.
        let mut half = legacy_under_oauth();
        get(&mut half, Mcp, RFC8414, 200);
        request(Mcp, "GET", "/oauth/authorize?response_type=code")
            .status(302)
            .push(&mut half);
        request(Mcp, "POST", "/token").status(404).push(&mut half);
        let finding = legacy_endpoints_from_metadata(&half);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(
            finding
                .message()
                .contains("/token -> 404 (the metadata names")
                && finding.message().contains("/oauth/token)"),
            "{finding:?}"
        );

        // Nothing sent at all: never met.
        let mut idle = legacy_under_oauth();
        get(&mut idle, Mcp, RFC8414, 200);
        assert!(legacy_endpoints_from_metadata(&idle).is_violated());

        // Metadata that names the defaults: using them is using the metadata.
        let mut defaults = legacy();
        get(&mut defaults, Mcp, RFC8414, 200);
        legacy_flow(&mut defaults);
        assert!(legacy_endpoints_from_metadata(&defaults).is_met());
    }
}
