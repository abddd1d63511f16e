//! Sending the probes of a scenario's steps and recording what came back.
//!
//! Every request has a timeout and reads at most
//! [`MAX_BODY_BYTES`](super::observation::MAX_BODY_BYTES) of the body; an event stream is read
//! until its first JSON-RPC response (a server may keep the stream open). MCP requests follow no
//! redirect; metadata requests follow up to [`MAX_METADATA_REDIRECTS`] to the same host or a
//! loopback one, as the SDKs' HTTP clients do, each hop recorded as a probe of its own.

use std::time::{Duration, Instant};

use mcp_authlab_mock_idp::urls::{
    oidc_appended_url, oidc_inserted_url, prm_url, rfc8414_metadata_url,
};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{json, Value};

use super::checks::scope::NO_SCOPES;
use super::checks::step_up::CHALLENGED_SCOPES;
use super::observation::{
    label, AsLocation, ProbeResponse, Probed, ServerObservation, MAX_BODY_BYTES,
};
use super::request::{self, first_request};
use super::scenario::{Credential, Step, TokenKind};
use super::tokens::TokenSource;

/// The most authorization servers of one PRM that are probed.
const MAX_AUTHORIZATION_SERVERS: usize = 4;

/// The most redirects one metadata request follows.
pub const MAX_METADATA_REDIRECTS: usize = 3;

/// An HTTP client for probes.
#[derive(Debug, Clone)]
pub struct Prober {
    http: reqwest::Client,
    timeout: Duration,
}

#[derive(Debug, thiserror::Error)]
#[error("could not build the HTTP client for probes: {0}")]
pub struct ProberError(String);

impl Prober {
    /// A prober whose requests each take at most `timeout`; `ca_pem` is an extra trusted CA.
    pub fn new(timeout: Duration, ca_pem: Option<&[u8]>) -> Result<Self, ProberError> {
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .user_agent(concat!("mcp-authlab/", env!("CARGO_PKG_VERSION")));
        if let Some(pem) = ca_pem {
            let cert =
                reqwest::Certificate::from_pem(pem).map_err(|e| ProberError(e.to_string()))?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().map_err(|e| ProberError(e.to_string()))?;
        Ok(Self { http, timeout })
    }

    /// Whether anything answers HTTP at `url` (any status): the server is up.
    pub async fn reachable(&self, url: &str) -> bool {
        let request = self.http.get(url).send();
        matches!(
            tokio::time::timeout(Duration::from_secs(2).min(self.timeout), request).await,
            Ok(Ok(_))
        )
    }

    /// Sends one request and records it in `obs` under `label`.
    #[allow(clippy::too_many_arguments)]
    pub async fn send<'o>(
        &self,
        obs: &'o mut ServerObservation,
        label: &str,
        to: &'static str,
        method: reqwest::Method,
        url: &str,
        headers: Vec<(String, String)>,
        body: Option<String>,
    ) -> &'o Probed {
        let started = Instant::now();
        let response = self
            .exchange(method.clone(), url, &headers, body.clone())
            .await;
        obs.probes.push(Probed {
            seq: obs.probes.len() as u64 + 1,
            label: label.to_string(),
            to,
            method: method.to_string(),
            url: url.to_string(),
            request_headers: headers,
            request_body: body,
            response,
            duration_ms: started.elapsed().as_millis() as u64,
        });
        obs.probes.last().expect("just pushed")
    }

    /// Sends one request and returns what came back as a [`Probed`] with this `seq` and `label`,
    /// recorded nowhere (for suites whose observation is not a [`ServerObservation`]).
    #[allow(clippy::too_many_arguments)]
    pub async fn fetch(
        &self,
        seq: u64,
        label: &str,
        to: &'static str,
        method: reqwest::Method,
        url: &str,
        headers: Vec<(String, String)>,
        body: Option<String>,
    ) -> Probed {
        let started = Instant::now();
        let response = self
            .exchange(method.clone(), url, &headers, body.clone())
            .await;
        Probed {
            seq,
            label: label.to_string(),
            to,
            method: method.to_string(),
            url: url.to_string(),
            request_headers: headers,
            request_body: body,
            response,
            duration_ms: started.elapsed().as_millis() as u64,
        }
    }

    async fn exchange(
        &self,
        method: reqwest::Method,
        url: &str,
        headers: &[(String, String)],
        body: Option<String>,
    ) -> Result<ProbeResponse, String> {
        let deadline = Instant::now() + self.timeout;
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| format!("bad header name {name}: {e}"))?;
            let value =
                HeaderValue::from_str(value).map_err(|e| format!("bad header value: {e}"))?;
            map.append(name, value);
        }
        let mut request = self.http.request(method, url).headers(map);
        if let Some(body) = body {
            request = request.body(body);
        }
        let mut response = tokio::time::timeout(self.timeout, request.send())
            .await
            .map_err(|_| format!("no response within {}s", self.timeout.as_secs_f64()))?
            .map_err(|e| describe_error(e.without_url()))?;
        let status = response.status().as_u16();
        let headers: Vec<(String, String)> = response
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let is_stream = headers.iter().any(|(k, v)| {
            k == "content-type" && v.to_ascii_lowercase().starts_with("text/event-stream")
        });
        let mut bytes = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, response.chunk()).await {
                // The body did not end in time: keep what came (an open event stream).
                Err(_) => break,
                Ok(Err(e)) if bytes.is_empty() => return Err(describe_error(e.without_url())),
                Ok(Err(_)) | Ok(Ok(None)) => break,
                Ok(Ok(Some(chunk))) => {
                    bytes.extend_from_slice(&chunk);
                    if bytes.len() >= MAX_BODY_BYTES {
                        bytes.truncate(MAX_BODY_BYTES);
                        break;
                    }
                    if is_stream && stream_has_response(&bytes) {
                        break;
                    }
                }
            }
        }
        Ok(ProbeResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        })
    }
}

/// Whether an event stream read so far holds a complete JSON-RPC response (an event with `id`
/// and `result` or `error`).
fn stream_has_response(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let Some(complete) = text.rfind("\n\n") else {
        return false;
    };
    text[..complete]
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .filter_map(|d| serde_json::from_str::<Value>(d.trim()).ok())
        .any(|m| m.get("id").is_some() && (m.get("result").is_some() || m.get("error").is_some()))
}

/// The error's cause chain in one line (`connection refused`, not just `error sending request`).
fn describe_error(error: reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// The MCP protocol version the probes speak for a spec version.
pub fn protocol_version(spec: mcp_authlab_reports::SpecVersion) -> &'static str {
    spec.as_str()
}

/// What the steps need besides the observation.
pub struct StepContext<'a> {
    pub prober: &'a Prober,
    pub tokens: &'a TokenSource,
}

/// Runs the steps in order, recording every probe in `obs`.
pub async fn run_steps(steps: &[Step], ctx: &StepContext<'_>, obs: &mut ServerObservation) {
    for step in steps {
        match step {
            Step::Unauthenticated => unauthenticated(ctx, obs).await,
            Step::ProtectedResourceMetadata => protected_resource_metadata(ctx, obs).await,
            Step::AuthorizationServerMetadata => authorization_server_metadata(ctx, obs).await,
            Step::Present { label, credential } => present(ctx, obs, label, *credential).await,
            Step::SessionWithoutToken => session_without_token(ctx, obs).await,
            Step::Revisions => super::revision_probes::revisions(ctx, obs).await,
            Step::StepUp => step_up(ctx, obs).await,
            // The runner collects the mock IdP's trace after the steps.
            Step::CollectIdpTrace => {}
        }
    }
}

/// The first request of a client of the scenario's version, without credentials (`initialize`;
/// `server/discover` from 2026-07-28).
async fn unauthenticated(ctx: &StepContext<'_>, obs: &mut ServerObservation) {
    let url = obs.url.clone();
    let request = first_request(obs.spec_version);
    ctx.prober
        .send(
            obs,
            label::UNAUTHENTICATED,
            "mcp_server",
            reqwest::Method::POST,
            &url,
            request.headers,
            Some(request.body),
        )
        .await;
}

/// The `Origin` metadata requests carry, as a browser-based client's would (MCP Inspector's
/// default origin), so that the CORS headers of the answer can be judged.
pub const BROWSER_ORIGIN: &str = "http://localhost:6274";

/// GETs a metadata document, following redirects (see the module docs): the probe where it ends
/// carries `label`, each hop before it `<label> (redirect N)`.
async fn get_json(
    ctx: &StepContext<'_>,
    obs: &mut ServerObservation,
    label: &str,
    to: &'static str,
    url: &str,
) {
    let headers: Vec<(String, String)> = vec![
        ("accept".into(), "application/json".into()),
        ("origin".into(), BROWSER_ORIGIN.into()),
    ];
    let mut url = url.to_string();
    for hop in 1..=MAX_METADATA_REDIRECTS + 1 {
        let probed = ctx
            .prober
            .send(
                obs,
                label,
                to,
                reqwest::Method::GET,
                &url,
                headers.clone(),
                None,
            )
            .await;
        let Some(next) = redirect_target(probed).filter(|_| hop <= MAX_METADATA_REDIRECTS) else {
            return;
        };
        obs.probes.last_mut().expect("just sent").label = label::redirect_hop(label, hop);
        url = next;
    }
}

/// Where a metadata probe's redirect leads, when it is one to follow: a 3xx with a `Location` that
/// resolves to an http(s) URL on the same host (a loopback host only from a loopback host), never
/// from https down to plain http. Anything else stays a 3xx in the report: a client's own policy
/// may follow it, ours does not vouch for it.
fn redirect_target(probed: &Probed) -> Option<String> {
    let response = probed.ok()?;
    if !matches!(response.status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let from = url::Url::parse(&probed.url).ok()?;
    let next = from.join(response.header("location")?).ok()?;
    let loopback = |u: &url::Url| {
        u.host()
            .is_some_and(|h| mcp_authlab_mock_idp::urls::is_loopback_host(&h))
    };
    let same_host = next.host_str() == from.host_str() || (loopback(&from) && loopback(&next));
    let downgrade = from.scheme() == "https" && next.scheme() != "https";
    (matches!(next.scheme(), "http" | "https") && same_host && !downgrade).then(|| next.into())
}

async fn protected_resource_metadata(ctx: &StepContext<'_>, obs: &mut ServerObservation) {
    let named = obs
        .first_challenge()
        .and_then(|c| c.param("resource_metadata").map(str::to_string));
    match named {
        Some(url)
            if url::Url::parse(&url).is_ok_and(|u| matches!(u.scheme(), "http" | "https")) =>
        {
            get_json(ctx, obs, label::PRM_FROM_CHALLENGE, "mcp_server", &url).await;
        }
        Some(url) => {
            obs.not_probed.insert(
                label::PRM_FROM_CHALLENGE.into(),
                format!("the challenge's resource_metadata `{url}` is not an absolute http(s) URL"),
            );
        }
        None => {
            obs.not_probed.insert(
                label::PRM_FROM_CHALLENGE.into(),
                "the 401 challenge named no resource_metadata".into(),
            );
        }
    }
    let resource = obs.url.clone();
    match prm_url(&resource) {
        Ok(at_path) => {
            let root = url::Url::parse(&resource)
                .ok()
                .and_then(|u| u.join("/.well-known/oauth-protected-resource").ok())
                .map(|u| u.to_string());
            if root.as_deref() == Some(at_path.as_str()) {
                obs.not_probed.insert(
                    label::PRM_AT_PATH.into(),
                    "the MCP URL has no path: the path well-known URL is the root one".into(),
                );
            } else {
                get_json(ctx, obs, label::PRM_AT_PATH, "mcp_server", &at_path).await;
            }
            if let Some(root) = root {
                get_json(ctx, obs, label::PRM_AT_ROOT, "mcp_server", &root).await;
            }
        }
        Err(e) => {
            obs.not_probed.insert(
                label::PRM_AT_PATH.into(),
                format!("the MCP URL does not parse: {e}"),
            );
        }
    }
}

async fn authorization_server_metadata(ctx: &StepContext<'_>, obs: &mut ServerObservation) {
    let issuers: Vec<String> = obs
        .prm()
        .and_then(|(_, doc)| {
            doc.get("authorization_servers")?.as_array().map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
        })
        .unwrap_or_default();
    for (index, issuer) in issuers.iter().take(MAX_AUTHORIZATION_SERVERS).enumerate() {
        let mut seen: Vec<String> = Vec::new();
        for location in AsLocation::ORDER {
            let label = label::as_metadata(index, location);
            let url = match location {
                AsLocation::Rfc8414 => rfc8414_metadata_url(issuer),
                AsLocation::OidcInserted => oidc_inserted_url(issuer),
                AsLocation::OidcAppended => oidc_appended_url(issuer),
            };
            match url {
                Ok(url) if seen.contains(&url) => {
                    obs.not_probed.insert(
                        label,
                        format!("same URL as an earlier location ({url}): the issuer has no path"),
                    );
                }
                Ok(url) => {
                    get_json(ctx, obs, &label, "authorization_server", &url).await;
                    seen.push(url);
                }
                Err(e) => {
                    obs.not_probed
                        .insert(label, format!("the issuer `{issuer}` is not a URL: {e}"));
                }
            }
        }
    }
}

/// The scopes a valid token carries: what the server says it needs.
fn scopes_for(obs: &ServerObservation) -> Vec<String> {
    obs.advertised_scopes().into_iter().collect()
}

async fn present(
    ctx: &StepContext<'_>,
    obs: &mut ServerObservation,
    label: &str,
    credential: Credential,
) {
    let scopes = scopes_for(obs);
    let request = first_request(obs.spec_version);
    let mut headers = request.headers;
    let mut url = obs.url.clone();
    let token_kind = match credential {
        Credential::Bearer(kind) => Some(kind),
        Credential::Spelled(_) | Credential::Query => Some(TokenKind::VALID),
        Credential::Literal(_) => None,
    };
    let token = match token_kind {
        Some(kind) => match ctx.tokens.token(kind, &scopes).await {
            Ok(token) => Some(token),
            Err(why) => {
                obs.not_probed.insert(label.to_string(), why);
                return;
            }
        },
        None => None,
    };
    match (credential, &token) {
        (Credential::Bearer(_), Some(token)) => {
            headers.push(("authorization".into(), format!("Bearer {token}")));
        }
        (Credential::Spelled(prefix), Some(token)) => {
            headers.push(("authorization".into(), format!("{prefix}{token}")));
        }
        (Credential::Literal(value), _) => {
            headers.push(("authorization".into(), value.to_string()));
        }
        (Credential::Query, Some(token)) => match url::Url::parse(&url) {
            Ok(mut parsed) => {
                parsed.query_pairs_mut().append_pair("access_token", token);
                url = parsed.to_string();
            }
            Err(e) => {
                obs.not_probed.insert(
                    label.to_string(),
                    format!("the MCP URL does not parse: {e}"),
                );
                return;
            }
        },
        _ => {}
    }
    if let Some(token) = token {
        obs.presented_tokens.push(token);
    }
    ctx.prober
        .send(
            obs,
            label,
            "mcp_server",
            reqwest::Method::POST,
            &url,
            headers,
            Some(request.body),
        )
        .await;
}

/// The step-up of MCP 2026-07-28 "Step-Up Authorization Flow": a token with exactly the scopes the
/// 403 to the scope-less token named (the union with what that token had: nothing), presented with
/// the same request under [`CHALLENGED_SCOPES`]. Not made before 2026-07-28, nor when that 403
/// named no scope.
async fn step_up(ctx: &StepContext<'_>, obs: &mut ServerObservation) {
    if !request::is_modern(obs.spec_version) {
        obs.not_probed.insert(
            CHALLENGED_SCOPES.into(),
            "only MCP 2026-07-28 asks for every scope of an operation in one challenge".into(),
        );
        return;
    }
    let challenged = obs
        .response(NO_SCOPES)
        .filter(|r| r.status == 403)
        .and_then(|r| r.bearer_challenge())
        .filter(|c| c.param("error") == Some("insufficient_scope"))
        .map(|c| c.scopes())
        .unwrap_or_default();
    obs.take_consulted();
    if challenged.is_empty() {
        obs.not_probed.insert(
            CHALLENGED_SCOPES.into(),
            "the scope-less token did not get a 403 insufficient_scope naming scopes (the \
             insufficient-scope scenario judges that)"
                .into(),
        );
        return;
    }
    let scopes: Vec<String> = challenged.into_iter().collect();
    let token = match ctx.tokens.token(TokenKind::VALID, &scopes).await {
        Ok(token) => token,
        Err(why) => {
            obs.not_probed.insert(CHALLENGED_SCOPES.into(), why);
            return;
        }
    };
    let request = first_request(obs.spec_version);
    let mut headers = request.headers;
    headers.push(("authorization".into(), format!("Bearer {token}")));
    obs.presented_tokens.push(token);
    let url = obs.url.clone();
    ctx.prober
        .send(
            obs,
            CHALLENGED_SCOPES,
            "mcp_server",
            reqwest::Method::POST,
            &url,
            headers,
            Some(request.body),
        )
        .await;
}

async fn session_without_token(ctx: &StepContext<'_>, obs: &mut ServerObservation) {
    const INITIALIZE: &str = "session:initialize";
    let scopes = scopes_for(obs);
    let token = match ctx.tokens.token(TokenKind::VALID, &scopes).await {
        Ok(token) => token,
        Err(why) => {
            obs.not_probed
                .insert(label::SESSION_WITHOUT_TOKEN.into(), why);
            return;
        }
    };
    obs.presented_tokens.push(token.clone());
    let initialize = request::initialize(protocol_version(obs.spec_version));
    let mut headers = initialize.headers.clone();
    headers.push(("authorization".into(), format!("Bearer {token}")));
    let url = obs.url.clone();
    let body = initialize.body;
    let session = ctx
        .prober
        .send(
            obs,
            INITIALIZE,
            "mcp_server",
            reqwest::Method::POST,
            &url,
            headers,
            Some(body),
        )
        .await
        .ok()
        .filter(|r| r.is_success())
        .and_then(|r| r.header("mcp-session-id").map(str::to_string));
    let Some(session) = session else {
        obs.not_probed.insert(
            label::SESSION_WITHOUT_TOKEN.into(),
            "the initialize with a valid token was not accepted with an Mcp-Session-Id (the server \
             has no sessions, or did not accept the token)"
                .into(),
        );
        return;
    };
    let mut headers = initialize.headers;
    headers.push(("mcp-session-id".into(), session));
    headers.push((
        "mcp-protocol-version".into(),
        protocol_version(obs.spec_version).into(),
    ));
    let body = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}).to_string();
    ctx.prober
        .send(
            obs,
            label::SESSION_WITHOUT_TOKEN,
            "mcp_server",
            reqwest::Method::POST,
            &url,
            headers,
            Some(body),
        )
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(url: &str, status: u16, location: Option<&str>) -> Probed {
        Probed {
            seq: 1,
            label: "prm".into(),
            to: "mcp_server",
            method: "GET".into(),
            url: url.into(),
            request_headers: Vec::new(),
            request_body: None,
            response: Ok(ProbeResponse {
                status,
                headers: location
                    .map(|l| vec![("location".to_string(), l.to_string())])
                    .unwrap_or_default(),
                body: String::new(),
            }),
            duration_ms: 0,
        }
    }

    #[test]
    fn a_metadata_redirect_is_followed_only_to_the_same_or_a_loopback_host() {
        let from = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
        // Relative, on the same host: followed.
        assert_eq!(
            redirect_target(&answered(from, 307, Some("/meta/prm.json"))).as_deref(),
            Some("https://mcp.example.com/meta/prm.json")
        );
        // From loopback to loopback: followed.
        assert_eq!(
            redirect_target(&answered(
                "http://127.0.0.1:8/.well-known/oauth-protected-resource",
                302,
                Some("http://localhost:9/prm")
            ))
            .as_deref(),
            Some("http://localhost:9/prm")
        );
        // From a remote host to a loopback one, or down from https to http: not followed.
        assert_eq!(
            redirect_target(&answered(from, 302, Some("http://127.0.0.1:9/prm"))),
            None
        );
        assert_eq!(
            redirect_target(&answered(from, 302, Some("http://mcp.example.com/prm"))),
            None
        );
        // Another host, another scheme, no Location, not a redirect: not followed.
        assert_eq!(
            redirect_target(&answered(from, 301, Some("https://elsewhere.example/prm"))),
            None
        );
        assert_eq!(
            redirect_target(&answered(from, 302, Some("ftp://mcp.example.com/prm"))),
            None
        );
        assert_eq!(redirect_target(&answered(from, 307, None)), None);
        assert_eq!(
            redirect_target(&answered(from, 200, Some("/meta/prm.json"))),
            None
        );
    }

    #[test]
    fn an_event_stream_is_complete_at_its_first_response() {
        assert!(!stream_has_response(
            b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,"
        ));
        assert!(!stream_has_response(
            b"data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"}\n\n"
        ));
        assert!(stream_has_response(
            b"event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n"
        ));
    }
}
