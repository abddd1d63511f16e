//! Client checks: using and renewing tokens. MCP "Token Requirements" (the access token in
//! `Authorization: Bearer` on every request, never in the query), "Token Handling" (only to the
//! resource server it was issued for), OAuth 2.1 §4.3 (refresh, rotation), and the
//! client-credentials extension (OAuth 2.1 §4.2, RFC 7523 `private_key_jwt`, HTTP Basic).
//!
//! Issued tokens are only known by their fingerprints (the trace keeps token responses
//! redacted); a token the client sent is compared by its fingerprint. Messages never quote one.

use std::collections::BTreeSet;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mcp_authlab_mock_idp::redact::fingerprint;

use crate::check::Finding;
use crate::client::observation::{ClientExit, Endpoint, Observation, Request};

use super::authorization::{label, labels};
use super::scope::response_challenge_param;

/// RFC 7523 §2.2: the `client_assertion_type` of a JWT client assertion.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A field of a token response (redacted: secrets are fingerprints), if it has it.
fn response_field(request: &Request<'_>, field: &str) -> Option<String> {
    let body: serde_json::Value =
        serde_json::from_str(request.event.response_body.as_deref()?).ok()?;
    Some(body.get(field)?.as_str()?.to_string())
}

/// The trace number of the first successful token response.
fn first_token_issued(obs: &Observation) -> Option<u64> {
    obs.requests_to(Endpoint::Token)
        .iter()
        .find(|r| r.status() == 200 && response_field(r, "access_token").is_some())
        .map(|r| r.event.seq)
}

/// `bearer-on-every-request` (C-TOK-1): once the client has a token, every request to the MCP
/// endpoint carries `Authorization: Bearer`. Not judged before a token was issued.
pub fn bearer_on_every_request(obs: &Observation) -> Finding {
    let Some(issued) = first_token_issued(obs) else {
        return Finding::not_judged("no access token was issued");
    };
    let after: Vec<Request<'_>> = obs
        .mcp_requests()
        .into_iter()
        .filter(|r| r.event.seq > issued)
        .collect();
    if after.is_empty() {
        return Finding::not_judged("the client made no MCP request after it got a token");
    }
    let without: Vec<Request<'_>> = after
        .iter()
        .filter(|r| r.bearer().is_none_or(str::is_empty))
        .copied()
        .collect();
    if without.is_empty() {
        Finding::met(format!(
            "every MCP request after the token was issued ({}) carried Authorization: Bearer",
            after.len()
        ))
    } else {
        Finding::violated(format!(
            "after the token was issued, {} of {} MCP requests carried no bearer token: {}",
            without.len(),
            after.len(),
            labels(&without)
        ))
    }
}

/// `token-not-in-query` (C-TOK-2): no request URL carries `access_token=` or an issued access
/// token as a query value.
pub fn token_not_in_query(obs: &Observation) -> Finding {
    let issued: BTreeSet<String> = obs.issued_token_fingerprints().into_iter().collect();
    let leaking: Vec<Request<'_>> =
        obs.requests()
            .into_iter()
            .filter(|r| {
                r.raw.query_pairs().iter().any(|(name, value)| {
                    name == "access_token" || issued.contains(&fingerprint(value))
                })
            })
            .collect();
    if !leaking.is_empty() {
        Finding::violated(format!(
            "an access token was sent in the query string of {}",
            labels(&leaking)
        ))
    } else if issued.is_empty() {
        Finding::not_judged("no access token was issued")
    } else {
        Finding::met("no request URL carried an access token")
    }
}

/// Where a request carried one of the issued tokens, if it did: the `Authorization` header, a
/// query value or a form value (the RFC 7009 `token` of a revocation request excepted).
fn carries_token(
    obs: &Observation,
    request: &Request<'_>,
    issued: &BTreeSet<String>,
) -> Option<&'static str> {
    let is_issued = |value: &str| issued.contains(&fingerprint(value));
    if request.bearer().is_some_and(is_issued) {
        return Some("Authorization header");
    }
    if request.raw.query_pairs().iter().any(|(_, v)| is_issued(v)) {
        return Some("query");
    }
    let revocation = url::Url::parse(&obs.ready.revocation_endpoint)
        .ok()
        .is_some_and(|u| u.path() == request.path() && request.endpoint == Endpoint::Other);
    if request
        .raw
        .form_pairs()
        .iter()
        .any(|(name, v)| !(revocation && name == "token") && is_issued(v))
    {
        return Some("body");
    }
    None
}

/// `token-only-to-resource-server` (C-TOK-3): no issued access token goes anywhere but the MCP
/// endpoint (not to the authorization server, the metadata host or the PRM URL).
pub fn token_only_to_resource_server(obs: &Observation) -> Finding {
    let issued: BTreeSet<String> = obs.issued_token_fingerprints().into_iter().collect();
    if issued.is_empty() {
        return Finding::not_judged("no access token was issued");
    }
    let elsewhere: Vec<String> = obs
        .requests()
        .iter()
        .filter(|r| r.endpoint != Endpoint::Mcp)
        .filter_map(|r| {
            carries_token(obs, r, &issued).map(|place| format!("{} ({place})", label(r)))
        })
        .collect();
    if elsewhere.is_empty() {
        Finding::met(format!(
            "the {} issued access token(s) went only to the MCP endpoint",
            issued.len()
        ))
    } else {
        Finding::violated(format!(
            "an access token was sent to another endpoint than the MCP server: {}",
            elsewhere.into_iter().take(5).collect::<Vec<_>>().join(", ")
        ))
    }
}

/// The MCP requests answered 401 `invalid_token` although the same token had been accepted
/// before: the token expired.
fn expiries(obs: &Observation) -> Vec<Request<'_>> {
    let mcp = obs.mcp_requests();
    mcp.iter()
        .filter(|r| {
            r.status() == 401
                && response_challenge_param(r, "error").as_deref() == Some("invalid_token")
        })
        .filter(|r| {
            let token = r.bearer();
            token.is_some()
                && mcp.iter().any(|earlier| {
                    earlier.event.seq < r.event.seq
                        && (200..300).contains(&earlier.status())
                        && earlier.bearer() == token
                })
        })
        .copied()
        .collect()
}

/// `refresh-on-expiry` (C-RT-02): when an accepted access token is later rejected (401
/// `invalid_token`) and the client holds a refresh token, its next step is the refresh_token
/// grant, not a new authorization. Not judged when no token expired or no refresh token was
/// issued.
pub fn refresh_on_expiry(obs: &Observation) -> Finding {
    let expired = expiries(obs);
    let Some(first) = expired.first() else {
        return Finding::not_judged("no accepted access token was rejected later");
    };
    let refresh_issued = obs.requests_to(Endpoint::Token).iter().any(|r| {
        r.status() == 200
            && r.event.seq < first.event.seq
            && response_field(r, "refresh_token").is_some()
    });
    if !refresh_issued {
        return Finding::not_judged("no refresh token was issued before the access token expired");
    }
    let steps: Vec<Request<'_>> = obs
        .requests()
        .into_iter()
        .filter(|r| matches!(r.endpoint, Endpoint::Token | Endpoint::Authorization))
        .collect();
    let mut problems = Vec::new();
    for expiry in &expired {
        let next = steps.iter().find(|s| s.event.seq > expiry.event.seq);
        match next {
            Some(s)
                if s.endpoint == Endpoint::Token
                    && s.form("grant_type").as_deref() == Some("refresh_token") => {}
            Some(s) if s.endpoint == Endpoint::Authorization => problems.push(format!(
                "after the token expired ({}) the client authorized again ({}) instead of \
                 refreshing",
                label(expiry),
                label(s)
            )),
            Some(s) => problems.push(format!(
                "after the token expired ({}) the client sent grant_type {} ({})",
                label(expiry),
                s.form("grant_type").unwrap_or_else(|| "(none)".into()),
                label(s)
            )),
            None => problems.push(format!(
                "after the token expired ({}) the client did not refresh it",
                label(expiry)
            )),
        }
    }
    if problems.is_empty() {
        Finding::met(format!(
            "each time the access token expired ({}), the client used the refresh_token grant",
            expired.len()
        ))
    } else {
        Finding::violated(problems.join("; "))
    }
}

/// `refresh-token-rotated` (C-RT-01, OAuth 2.1 §4.3.2): once the authorization server answered a
/// refresh with a new refresh token, the client never presents the old one again. Not judged when
/// the client never refreshed.
pub fn refresh_token_rotated(obs: &Observation) -> Finding {
    let refreshes = obs.token_requests(Some("refresh_token"));
    if refreshes.is_empty() {
        return Finding::not_judged("the client never used the refresh_token grant");
    }
    let mut replaced: BTreeSet<String> = BTreeSet::new();
    let mut reused = Vec::new();
    let mut rotations = 0;
    for refresh in &refreshes {
        let Some(presented) = refresh.form("refresh_token").map(|t| fingerprint(&t)) else {
            continue;
        };
        if replaced.contains(&presented) {
            reused.push(*refresh);
        }
        if refresh.status() == 200 {
            if let Some(new) = response_field(refresh, "refresh_token") {
                if new != presented {
                    rotations += 1;
                    replaced.insert(presented);
                }
            }
        }
    }
    if !reused.is_empty() {
        Finding::violated(format!(
            "the client presented a refresh token the authorization server had already replaced \
             in {}",
            labels(&reused)
        ))
    } else if rotations == 0 {
        Finding::not_judged("the authorization server never rotated a refresh token")
    } else {
        Finding::met(format!(
            "{} refresh(es), {rotations} rotation(s): the client always presented the newest \
             refresh token",
            refreshes.len()
        ))
    }
}

/// `client-credentials-grant-type` (E-CC-01, OAuth 2.1 §4.2): the client's token requests use
/// `grant_type=client_credentials`.
pub fn client_credentials_grant_type(obs: &Observation) -> Finding {
    let requests = obs.token_requests(None);
    if requests.is_empty() {
        return Finding::violated("the client made no token request");
    }
    let other: Vec<String> = requests
        .iter()
        .filter_map(|r| match r.form("grant_type") {
            Some(g) if g == "client_credentials" => None,
            Some(g) => Some(format!("`{g}` in {}", label(r))),
            None => Some(format!("no grant_type in {}", label(r))),
        })
        .collect();
    if other.is_empty() {
        Finding::met(format!(
            "every token request ({}) used grant_type=client_credentials",
            requests.len()
        ))
    } else {
        Finding::violated(format!(
            "expected grant_type=client_credentials: {}",
            other.join("; ")
        ))
    }
}

/// A string field of the `MCP_CONFORMANCE_CONTEXT` the client was given.
fn context_field<'a>(obs: &'a Observation, field: &str) -> Option<&'a str> {
    obs.context.as_ref()?.get(field)?.as_str()
}

/// OAuth 2.1 §2.4.1: the client id and secret are form-urlencoded before Base64; a client that
/// did not encode them sends the same bytes for plain values.
fn form_decoded(component: &str) -> String {
    percent_encoding::percent_decode_str(&component.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// What is wrong with the HTTP Basic credentials of a request, if anything.
fn basic_problem(request: &Request<'_>, client_id: &str, secret: &str) -> Option<String> {
    let Some(header) = request.header("authorization") else {
        return Some(format!(
            "{} carried no Authorization header{}",
            label(request),
            if request.form("client_secret").is_some() {
                " (the secret was in the body: client_secret_post)"
            } else {
                ""
            }
        ));
    };
    let Some((scheme, encoded)) = header.split_once(' ') else {
        return Some(format!(
            "{}: malformed Authorization header",
            label(request)
        ));
    };
    if !scheme.eq_ignore_ascii_case("basic") {
        return Some(format!(
            "{} authenticated with the `{scheme}` scheme, not Basic",
            label(request)
        ));
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok());
    let Some((id, sent_secret)) = decoded.as_deref().and_then(|d| d.split_once(':')) else {
        return Some(format!(
            "{}: the Basic credentials are not base64 of `client_id:client_secret`",
            label(request)
        ));
    };
    if id != client_id && form_decoded(id) != client_id {
        return Some(format!(
            "{}: the Basic credentials name client `{}`, not `{client_id}`",
            label(request),
            form_decoded(id)
        ));
    }
    if sent_secret != secret && form_decoded(sent_secret) != secret {
        return Some(format!(
            "{}: the secret in the Basic credentials is not the client_secret of the context",
            label(request)
        ));
    }
    if request.status() != 200 {
        return Some(format!(
            "{}: the token endpoint refused the request",
            label(request)
        ));
    }
    None
}

/// `client-credentials-basic-auth` (E-CC-01, OAuth 2.1 §2.4.1): a client_credentials token
/// request authenticated with HTTP Basic and the context's `client_id` and `client_secret`, and
/// got a token.
pub fn client_credentials_basic_auth(obs: &Observation) -> Finding {
    let requests = obs.token_requests(Some("client_credentials"));
    if requests.is_empty() {
        return Finding::violated("the client made no client_credentials token request");
    }
    let (Some(client_id), Some(secret)) = (
        context_field(obs, "client_id"),
        context_field(obs, "client_secret"),
    ) else {
        return Finding::not_judged("the scenario gave the client no client_id and client_secret");
    };
    let problems: Vec<(Request<'_>, Option<String>)> = requests
        .iter()
        .map(|r| (*r, basic_problem(r, client_id, secret)))
        .collect();
    match problems.iter().find(|(_, p)| p.is_none()) {
        Some((ok, _)) => Finding::met(format!(
            "{} authenticated as `{client_id}` with HTTP Basic and got a token",
            label(ok)
        )),
        None => Finding::violated(
            problems
                .into_iter()
                .filter_map(|(_, p)| p)
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}

/// What a client assertion's header and claims say, for messages (none of it is secret).
struct AssertionSummary {
    alg: String,
    iss: Option<String>,
    sub: Option<String>,
    aud: Vec<String>,
}

fn summarize_assertion(assertion: &str) -> Result<AssertionSummary, String> {
    let header = jsonwebtoken::decode_header(assertion).map_err(|e| e.to_string())?;
    let claims: serde_json::Value =
        jsonwebtoken::dangerous::insecure_decode_claims(assertion).map_err(|e| e.to_string())?;
    let text = |name: &str| {
        claims
            .get(name)
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    let aud = match claims.get("aud") {
        Some(serde_json::Value::String(a)) => vec![a.clone()],
        Some(serde_json::Value::Array(items)) => items
            .iter()
            .filter_map(|i| i.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    Ok(AssertionSummary {
        alg: format!("{:?}", header.alg),
        iss: text("iss"),
        sub: text("sub"),
        aud,
    })
}

/// What is wrong with the `private_key_jwt` client authentication of a request, if anything.
fn jwt_problem(
    obs: &Observation,
    request: &Request<'_>,
    client_id: &str,
) -> Result<String, String> {
    let at = label(request);
    match request.form("client_assertion_type") {
        Some(t) if t == JWT_BEARER_ASSERTION_TYPE => {}
        Some(t) => return Err(format!("{at}: client_assertion_type is `{t}`")),
        None => return Err(format!("{at}: no client_assertion_type")),
    }
    let Some(assertion) = request.form("client_assertion") else {
        return Err(format!("{at}: no client_assertion"));
    };
    let claims = summarize_assertion(&assertion)
        .map_err(|e| format!("{at}: the client_assertion is not a JWT ({e})"))?;
    let issuer = obs.ready.issuer.trim_end_matches('/');
    let audiences = [issuer.to_string(), format!("{issuer}/")];
    let or_none = |v: &Option<String>| {
        v.as_deref()
            .map_or("(none)".to_string(), |v| format!("`{v}`"))
    };
    let shown = format!(
        "alg {}, iss {}, sub {}, aud [{}]",
        claims.alg,
        or_none(&claims.iss),
        or_none(&claims.sub),
        claims
            .aud
            .iter()
            .map(|a| format!("`{a}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let mut wrong = Vec::new();
    if let Some(expected) = context_field(obs, "signing_algorithm") {
        if claims.alg != expected {
            wrong.push(format!("alg is not {expected}"));
        }
    }
    if claims.iss.as_deref() != Some(client_id) {
        wrong.push(format!("iss is not `{client_id}`"));
    }
    if claims.sub.as_deref() != Some(client_id) {
        wrong.push(format!("sub is not `{client_id}`"));
    }
    if !claims.aud.iter().any(|a| audiences.contains(a)) {
        wrong.push(format!("aud does not name the issuer `{issuer}`"));
    }
    if request.status() != 200 {
        wrong.push("the token endpoint refused it".into());
    }
    if wrong.is_empty() {
        Ok(format!("{at}: {shown}"))
    } else {
        Err(format!("{at}: {} ({shown})", wrong.join(", ")))
    }
}

/// `client-credentials-jwt-verified` (E-CC-02, RFC 7523 §2.2, §3): a client_credentials token
/// request authenticated with a `private_key_jwt` assertion that the token endpoint verified
/// (200), whose `iss` and `sub` are the client id and whose `aud` is the issuer.
pub fn client_credentials_jwt_verified(obs: &Observation) -> Finding {
    let requests = obs.token_requests(Some("client_credentials"));
    if requests.is_empty() {
        return Finding::violated("the client made no client_credentials token request");
    }
    let Some(client_id) = context_field(obs, "client_id") else {
        return Finding::not_judged("the scenario gave the client no client_id");
    };
    let results: Vec<Result<String, String>> = requests
        .iter()
        .map(|r| jwt_problem(obs, r, client_id))
        .collect();
    match results.iter().find_map(|r| r.as_ref().ok()) {
        Some(ok) => Finding::met(format!(
            "the token endpoint verified the client assertion; {ok}"
        )),
        None => Finding::violated(
            results
                .into_iter()
                .filter_map(Result::err)
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}

/// `gives-up-on-unresponsive-token-endpoint` (C-TIMEOUT-1): the token endpoint accepts the
/// connection and never answers; the client must time the request out and stop (any exit code)
/// instead of hanging. Judged only once a token request (any grant) reached the endpoint that
/// hangs: the mock traces it when it arrives, without a response.
pub fn gives_up_on_unresponsive_token_endpoint(obs: &Observation) -> Finding {
    let token_requests = obs.token_requests(None);
    let Some(hung) = token_requests.iter().find(|r| !r.answered()) else {
        let got_code = obs
            .authorization_requests()
            .iter()
            .any(|r| (300..400).contains(&r.status()));
        return Finding::violated(if got_code {
            format!(
                "the client got an authorization code but never sent a token request that \
                 reached the token endpoint that hangs; {}",
                super::outcome::describe_exit(&obs.exit)
            )
        } else {
            format!(
                "the client never got an authorization code nor sent a token request, so it did \
                 not reach the token endpoint that hangs; {}",
                super::outcome::describe_exit(&obs.exit)
            )
        });
    };
    let grant = hung.form("grant_type").unwrap_or_else(|| "none".into());
    match &obs.exit {
        ClientExit::TimedOut(after) => Finding::violated(format!(
            "the client was still waiting after {} s (killed by the harness): its token request \
             ({}, grant_type {grant}) has no timeout",
            after.as_secs(),
            hung.summary()
        )),
        ClientExit::Code(code) => Finding::met(format!(
            "the client's token request ({}, grant_type {grant}) got no answer; the client gave \
             up and exited with code {code}",
            hung.summary()
        )),
        ClientExit::Signal(signal) => Finding::met(format!(
            "the client's token request ({}, grant_type {grant}) got no answer; the client \
             stopped (signal {signal}) instead of waiting forever",
            hung.summary()
        )),
    }
}

#[cfg(test)]
mod tests {
    use mcp_authlab_mock_idp::trace::Role;

    use super::*;
    use crate::client::observation::test_support::*;

    fn issue(obs: &mut Observation, grant: &str, access: &str, refresh: Option<&str>) {
        let mut response = serde_json::json!({
            "access_token": fingerprint(access),
            "token_type": "Bearer",
        });
        if let Some(r) = refresh {
            response["refresh_token"] = serde_json::json!(fingerprint(r));
        }
        request(Role::AuthorizationServer, "POST", "/token")
            .body(&format!("grant_type={grant}"))
            .response_body(&response.to_string())
            .push(obs);
    }

    fn refresh(obs: &mut Observation, presented: &str, access: &str, new: &str) {
        let response = serde_json::json!({
            "access_token": fingerprint(access),
            "refresh_token": fingerprint(new),
        });
        request(Role::AuthorizationServer, "POST", "/token")
            .body(&format!(
                "grant_type=refresh_token&refresh_token={presented}"
            ))
            .response_body(&response.to_string())
            .push(obs);
    }

    fn mcp(obs: &mut Observation, token: Option<&str>, status: u16) {
        let mut builder = request(Role::McpServer, "POST", "/mcp").status(status);
        if let Some(t) = token {
            builder = builder.header("authorization", &format!("Bearer {t}"));
        }
        if status == 401 {
            builder = builder.response_header(
                "www-authenticate",
                r#"Bearer error="invalid_token", error_description="The access token expired""#,
            );
        }
        builder.push(obs);
    }

    #[test]
    fn bearer_everywhere_after_issue() {
        let mut obs = observation();
        mcp(&mut obs, None, 401);
        assert!(matches!(
            bearer_on_every_request(&obs),
            Finding::NotJudged(_)
        ));
        issue(&mut obs, "authorization_code", "at1", None);
        mcp(&mut obs, Some("at1"), 200);
        mcp(&mut obs, Some("at1"), 202);
        assert!(bearer_on_every_request(&obs).is_met());
        mcp(&mut obs, None, 401);
        let finding = bearer_on_every_request(&obs);
        assert!(finding.is_violated());
        assert!(finding.message().contains("1 of 3"), "{finding:?}");
    }

    #[test]
    fn no_token_in_query() {
        let mut obs = observation();
        issue(&mut obs, "authorization_code", "at1", None);
        mcp(&mut obs, Some("at1"), 200);
        assert!(token_not_in_query(&obs).is_met());
        request(Role::McpServer, "POST", "/mcp?token=at1").push(&mut obs);
        let finding = token_not_in_query(&obs);
        assert!(finding.is_violated());
        assert!(!finding.message().contains("at1"), "{finding:?}");
        let mut named = observation();
        request(Role::McpServer, "GET", "/mcp?access_token=x").push(&mut named);
        assert!(token_not_in_query(&named).is_violated());
        assert!(matches!(
            token_not_in_query(&observation()),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn token_goes_only_to_the_mcp_endpoint() {
        let mut obs = observation();
        issue(&mut obs, "authorization_code", "at1", None);
        mcp(&mut obs, Some("at1"), 200);
        // Revoking it at the authorization server is allowed (RFC 7009).
        request(Role::AuthorizationServer, "POST", "/revoke")
            .body("token=at1")
            .push(&mut obs);
        assert!(token_only_to_resource_server(&obs).is_met());
        let mut to_as = obs.clone();
        request(
            Role::AuthorizationServer,
            "GET",
            "/.well-known/oauth-authorization-server",
        )
        .header("authorization", "Bearer at1")
        .push(&mut to_as);
        let finding = token_only_to_resource_server(&to_as);
        assert!(finding.is_violated());
        assert!(
            finding.message().contains("Authorization header"),
            "{finding:?}"
        );
        let mut to_prm = obs.clone();
        request(
            Role::McpServer,
            "GET",
            "/.well-known/oauth-protected-resource/mcp?t=at1",
        )
        .push(&mut to_prm);
        assert!(token_only_to_resource_server(&to_prm).is_violated());
        assert!(matches!(
            token_only_to_resource_server(&observation()),
            Finding::NotJudged(_)
        ));
    }

    fn expiring_flow() -> Observation {
        let mut obs = observation();
        issue(&mut obs, "authorization_code", "at1", Some("rt1"));
        mcp(&mut obs, Some("at1"), 200);
        mcp(&mut obs, Some("at1"), 401);
        obs
    }

    #[test]
    fn refresh_when_expired() {
        let mut good = expiring_flow();
        refresh(&mut good, "rt1", "at2", "rt2");
        mcp(&mut good, Some("at2"), 200);
        assert!(refresh_on_expiry(&good).is_met());
        let mut reauthorized = expiring_flow();
        request(Role::AuthorizationServer, "GET", "/authorize?scope=x")
            .status(302)
            .push(&mut reauthorized);
        let finding = refresh_on_expiry(&reauthorized);
        assert!(finding.is_violated());
        assert!(
            finding.message().contains("authorized again"),
            "{finding:?}"
        );
        assert!(refresh_on_expiry(&expiring_flow()).is_violated());
        // A token rejected at once never was accepted: no expiry.
        let mut never = observation();
        issue(&mut never, "authorization_code", "at1", Some("rt1"));
        mcp(&mut never, Some("at1"), 401);
        assert!(matches!(refresh_on_expiry(&never), Finding::NotJudged(_)));
        // No refresh token: nothing to refresh with.
        let mut no_rt = observation();
        issue(&mut no_rt, "authorization_code", "at1", None);
        mcp(&mut no_rt, Some("at1"), 200);
        mcp(&mut no_rt, Some("at1"), 401);
        assert!(matches!(refresh_on_expiry(&no_rt), Finding::NotJudged(_)));
    }

    #[test]
    fn rotated_refresh_tokens_are_not_reused() {
        let mut good = expiring_flow();
        refresh(&mut good, "rt1", "at2", "rt2");
        refresh(&mut good, "rt2", "at3", "rt3");
        assert!(refresh_token_rotated(&good).is_met());
        let mut reused = expiring_flow();
        refresh(&mut reused, "rt1", "at2", "rt2");
        refresh(&mut reused, "rt1", "at3", "rt3");
        let finding = refresh_token_rotated(&reused);
        assert!(finding.is_violated());
        assert!(!finding.message().contains("rt1"), "{finding:?}");
        assert!(matches!(
            refresh_token_rotated(&expiring_flow()),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn grant_type_is_client_credentials() {
        let mut good = observation();
        issue(&mut good, "client_credentials", "cc", None);
        assert!(client_credentials_grant_type(&good).is_met());
        let mut bad = observation();
        issue(&mut bad, "authorization_code", "at", None);
        assert!(client_credentials_grant_type(&bad).is_violated());
        assert!(client_credentials_grant_type(&observation()).is_violated());
    }

    fn with_context(context: serde_json::Value) -> Observation {
        let mut obs = observation();
        obs.context = Some(context);
        obs
    }

    #[test]
    fn basic_auth_with_the_context_credentials() {
        let context = serde_json::json!({"client_id": "conformance-test-client", "client_secret": "conformance-test-secret"});
        let basic = |credentials: &str, status: u16| {
            let mut obs = with_context(context.clone());
            request(Role::AuthorizationServer, "POST", "/token")
                .header(
                    "authorization",
                    &format!("Basic {}", STANDARD.encode(credentials)),
                )
                .body("grant_type=client_credentials")
                .status(status)
                .push(&mut obs);
            obs
        };
        let good = basic("conformance-test-client:conformance-test-secret", 200);
        assert!(client_credentials_basic_auth(&good).is_met());
        let wrong_secret =
            client_credentials_basic_auth(&basic("conformance-test-client:nope", 401));
        assert!(wrong_secret.is_violated());
        assert!(!wrong_secret.message().contains("nope"), "{wrong_secret:?}");
        assert!(
            client_credentials_basic_auth(&basic("other:conformance-test-secret", 401))
                .is_violated()
        );
        let mut post = with_context(context.clone());
        request(Role::AuthorizationServer, "POST", "/token")
            .body("grant_type=client_credentials&client_id=conformance-test-client&client_secret=conformance-test-secret")
            .push(&mut post);
        let finding = client_credentials_basic_auth(&post);
        assert!(
            finding.message().contains("client_secret_post"),
            "{finding:?}"
        );
        assert!(!finding.message().contains("conformance-test-secret"));
        assert!(client_credentials_basic_auth(&with_context(context)).is_violated());
    }

    fn assertion(claims: serde_json::Value) -> String {
        let pair = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).unwrap();
        let key = jsonwebtoken::EncodingKey::from_ec_pem(pair.serialize_pem().as_bytes()).unwrap();
        jsonwebtoken::encode(
            &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256),
            &claims,
            &key,
        )
        .unwrap()
    }

    fn jwt_request(claims: serde_json::Value, status: u16) -> Observation {
        let mut obs = with_context(serde_json::json!({
            "client_id": "conformance-test-client",
            "private_key_pem": "(not needed here)",
            "signing_algorithm": "ES256",
        }));
        request(Role::AuthorizationServer, "POST", "/token")
            .body(&format!(
                "grant_type=client_credentials&client_assertion_type={}&client_assertion={}",
                url::form_urlencoded::byte_serialize(JWT_BEARER_ASSERTION_TYPE.as_bytes())
                    .collect::<String>(),
                assertion(claims)
            ))
            .status(status)
            .push(&mut obs);
        obs
    }

    #[test]
    fn jwt_assertion_verified_with_the_issuer_as_audience() {
        let claims = |aud: &str| serde_json::json!({"iss": "conformance-test-client", "sub": "conformance-test-client", "aud": aud, "exp": 4_000_000_000u64});
        let good = client_credentials_jwt_verified(&jwt_request(claims(AS), 200));
        assert!(good.is_met(), "{good:?}");
        assert!(good.message().contains("ES256"), "{good:?}");
        let slash = client_credentials_jwt_verified(&jwt_request(claims(&format!("{AS}/")), 200));
        assert!(slash.is_met(), "{slash:?}");
        let token_endpoint =
            client_credentials_jwt_verified(&jwt_request(claims(&format!("{AS}/token")), 200));
        assert!(token_endpoint.is_violated());
        assert!(
            token_endpoint
                .message()
                .contains("aud does not name the issuer"),
            "{token_endpoint:?}"
        );
        let refused = client_credentials_jwt_verified(&jwt_request(claims(AS), 401));
        assert!(refused.message().contains("refused"), "{refused:?}");
        assert!(client_credentials_jwt_verified(&with_context(
            serde_json::json!({"client_id": "x"})
        ))
        .is_violated());
    }

    #[test]
    fn giving_up_on_a_hanging_token_endpoint() {
        let mut obs = observation();
        assert!(gives_up_on_unresponsive_token_endpoint(&obs).is_violated());
        request(
            Role::AuthorizationServer,
            "GET",
            "/authorize?response_type=code",
        )
        .status(302)
        .push(&mut obs);
        // A code but no token request: the client crashed on the callback.
        obs.exit = ClientExit::Code(1);
        let crashed = gives_up_on_unresponsive_token_endpoint(&obs);
        assert!(crashed.is_violated(), "{crashed:?}");
        assert!(
            crashed.message().contains("never sent a token request"),
            "{crashed:?}"
        );

        request(Role::AuthorizationServer, "POST", "/token")
            .body("grant_type=authorization_code&code=SECRETCODE")
            .unanswered()
            .push(&mut obs);
        let finding = gives_up_on_unresponsive_token_endpoint(&obs);
        assert!(finding.is_met(), "{finding:?}");
        assert!(
            finding.message().contains("grant_type authorization_code"),
            "{finding:?}"
        );
        assert!(!finding.message().contains("SECRETCODE"), "{finding:?}");
        obs.exit = ClientExit::TimedOut(std::time::Duration::from_secs(30));
        let finding = gives_up_on_unresponsive_token_endpoint(&obs);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("30 s"));
    }

    #[test]
    fn a_client_credentials_request_reaches_the_hanging_token_endpoint_too() {
        let mut obs = observation();
        request(Role::AuthorizationServer, "POST", "/token")
            .body("grant_type=client_credentials")
            .unanswered()
            .push(&mut obs);
        obs.exit = ClientExit::Code(1);
        assert!(gives_up_on_unresponsive_token_endpoint(&obs).is_met());

        // Answered token requests are not the one that hangs.
        let mut answered = observation();
        request(Role::AuthorizationServer, "POST", "/token")
            .body("grant_type=client_credentials")
            .status(400)
            .push(&mut answered);
        answered.exit = ClientExit::Code(1);
        assert!(gives_up_on_unresponsive_token_endpoint(&answered).is_violated());
    }
}
