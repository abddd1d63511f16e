//! What the harness saw of an MCP server in one scenario: the probes it sent (each request and the
//! response, or why there was none) and, when the server trusts the mock IdP, what the mock IdP saw.
//!
//! Checks read this and nothing else. Raw credentials live here in memory only (for comparisons);
//! the report gets the redacted [`Probed::exchange`] form.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use mcp_authlab_mock_idp::trace::TraceEvent;
use mcp_authlab_reports::{Exchange, SpecVersion};
use serde_json::Value;

/// The labels the steps give their probes (checks look probes up by label).
pub mod label {
    /// The first MCP request, without credentials.
    pub const UNAUTHENTICATED: &str = "unauthenticated";
    /// The protected resource metadata at the URL the 401 challenge named (`resource_metadata`).
    pub const PRM_FROM_CHALLENGE: &str = "prm:challenge";
    /// The PRM at the path-inserted well-known URL (RFC 9728 §3.1).
    pub const PRM_AT_PATH: &str = "prm:path";
    /// The PRM at the root well-known URL.
    pub const PRM_AT_ROOT: &str = "prm:root";
    /// A request with a valid token (the positive control).
    pub const VALID: &str = "token:valid";
    /// The request after a valid `initialize` that carries the session id and no token.
    pub const SESSION_WITHOUT_TOKEN: &str = "session-without-token";
    /// `server/discover` in the 2026-07-28 shape, with a valid token.
    pub const REVISION_DISCOVER: &str = "revision:discover";
    /// A plain `tools/list` in the 2026-07-28 shape (no `initialize`, no session), with a valid token.
    pub const REVISION_STATELESS: &str = "revision:stateless";
    /// `server/discover` asking for a protocol version nobody speaks, with a valid token.
    pub const REVISION_UNSUPPORTED: &str = "revision:unsupported";
    /// `initialize` proposing one of the revisions before 2026-07-28, with a valid token.
    pub fn revision_initialize(version: &str) -> String {
        format!("revision:initialize:{version}")
    }
    /// Authorization server metadata: `as:<index>:<location>` (see [`super::AsLocation`]).
    pub fn as_metadata(index: usize, location: super::AsLocation) -> String {
        format!("as:{index}:{}", location.name())
    }
    /// The `hop`-th redirect (from 1) a metadata request with `label` followed before the probe
    /// that keeps `label` (see `probe::get_json`).
    pub fn redirect_hop(label: &str, hop: usize) -> String {
        format!("{label} (redirect {hop})")
    }
}

/// Where a client looks for an authorization server's metadata (MCP 2025-11-25 Authorization
/// Server Metadata Discovery), in the order it tries them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AsLocation {
    /// `/.well-known/oauth-authorization-server` with path insertion (RFC 8414 §3.1).
    Rfc8414,
    /// `/.well-known/openid-configuration` with path insertion.
    OidcInserted,
    /// `<issuer>/.well-known/openid-configuration` (OIDC Discovery §4, path appended).
    OidcAppended,
}

impl AsLocation {
    pub const ORDER: [AsLocation; 3] = [
        AsLocation::Rfc8414,
        AsLocation::OidcInserted,
        AsLocation::OidcAppended,
    ];

    pub fn name(self) -> &'static str {
        match self {
            AsLocation::Rfc8414 => "rfc8414",
            AsLocation::OidcInserted => "oidc-inserted",
            AsLocation::OidcAppended => "oidc-appended",
        }
    }
}

/// A response the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResponse {
    pub status: u16,
    /// Header names lowercased; a repeated header appears once per value, in order.
    pub headers: Vec<(String, String)>,
    /// The body as text (lossy UTF-8), cut after [`MAX_BODY_BYTES`].
    pub body: String,
}

/// The most of a response body a probe keeps.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

impl ProbeResponse {
    /// The first value of a header (name case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of a header.
    pub fn header_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as JSON, when it is JSON.
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    /// The media type of `Content-Type`, lowercased, without parameters.
    pub fn media_type(&self) -> Option<String> {
        let value = self.header("content-type")?;
        Some(
            value
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase(),
        )
    }

    /// The JSON-RPC messages of the body: a JSON body, or the `data:` lines of an SSE stream.
    pub fn jsonrpc_messages(&self) -> Vec<Value> {
        if let Some(value) = self.json() {
            return match value {
                Value::Array(items) => items,
                other => vec![other],
            };
        }
        self.body
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .filter_map(|data| serde_json::from_str(data.trim()).ok())
            .collect()
    }

    /// The parsed `WWW-Authenticate` challenges (RFC 9110 §11.6.1), all values; `Err` with the
    /// parser's message when a value does not parse.
    pub fn challenges(&self) -> Result<Vec<Challenge>, String> {
        let mut out = Vec::new();
        for value in self.header_values("www-authenticate") {
            let parsed = http_auth::parse_challenges(value)
                .map_err(|e| format!("`WWW-Authenticate: {value}` does not parse: {e}"))?;
            out.extend(parsed.into_iter().map(|c| {
                Challenge {
                    scheme: c.scheme.to_string(),
                    params: c
                        .params
                        .iter()
                        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_unescaped()))
                        .collect(),
                }
            }));
        }
        Ok(out)
    }

    /// The first `Bearer` challenge, when one parses.
    pub fn bearer_challenge(&self) -> Option<Challenge> {
        self.challenges()
            .ok()?
            .into_iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
    }
}

/// One parsed authentication challenge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    /// Parameter names lowercased, values unescaped.
    pub params: BTreeMap<String, String>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The `scope` parameter as a set.
    pub fn scopes(&self) -> BTreeSet<String> {
        scope_set(self.param("scope"))
    }
}

/// A space-separated scope string as a set.
pub fn scope_set(scope: Option<&str>) -> BTreeSet<String> {
    scope
        .unwrap_or("")
        .split(' ')
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// One request the harness sent and what came back.
#[derive(Debug, Clone)]
pub struct Probed {
    pub seq: u64,
    pub label: String,
    /// Who answered: `mcp_server`, `authorization_server`.
    pub to: &'static str,
    pub method: String,
    /// The URL as sent (it may carry a token in the query: use [`Probed::exchange`] to show it).
    pub url: String,
    /// The request headers as sent (raw: may hold credentials).
    pub request_headers: Vec<(String, String)>,
    pub request_body: Option<String>,
    /// The response, or why there was none (timeout, connection refused, ...).
    pub response: Result<ProbeResponse, String>,
    pub duration_ms: u64,
}

impl Probed {
    pub fn ok(&self) -> Option<&ProbeResponse> {
        self.response.as_ref().ok()
    }

    pub fn status(&self) -> Option<u16> {
        self.ok().map(|r| r.status)
    }

    /// `METHOD url` with credentials redacted, for messages.
    pub fn summary(&self) -> String {
        format!("{} {}", self.method, redact_url(&self.url))
    }

    /// What the response was, in a few words: `401`, `200 (application/json)`, `no response (timeout)`.
    pub fn outcome_summary(&self) -> String {
        match &self.response {
            Ok(r) => match r.media_type() {
                Some(t) if !t.is_empty() => format!("{} ({t})", r.status),
                _ => r.status.to_string(),
            },
            Err(e) => format!("no response ({e})"),
        }
    }

    /// The probe as the report shows it: credentials in headers and the query redacted.
    pub fn exchange(&self) -> Exchange {
        let (status, answered, response_headers, response_body) = match &self.response {
            Ok(r) => (
                r.status,
                true,
                r.headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
                (!r.body.is_empty()).then(|| r.body.chars().take(4096).collect()),
            ),
            Err(_) => (0, false, BTreeMap::new(), None),
        };
        Exchange {
            seq: self.seq,
            from: "harness".into(),
            to: self.to.into(),
            method: self.method.clone(),
            url: redact_url(&self.url),
            status,
            answered,
            duration_ms: self.duration_ms,
            request_headers: self
                .request_headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), redact_header(k, v)))
                .collect(),
            request_body: self.request_body.clone(),
            response_headers,
            response_body,
        }
    }
}

/// `Authorization` values keep their scheme and lose their credentials.
pub fn redact_header(name: &str, value: &str) -> String {
    if !name.eq_ignore_ascii_case("authorization") {
        return value.to_string();
    }
    match value.split_once([' ', '\t']) {
        Some((scheme, rest)) if !rest.trim().is_empty() => format!("{scheme} [redacted]"),
        _ => value.to_string(),
    }
}

/// `access_token` in a query is replaced by `[redacted]`.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = url::Url::parse(url) else {
        return url.to_string();
    };
    if parsed.query().is_none() {
        return url.to_string();
    }
    let pairs: Vec<(String, String)> = parsed
        .query_pairs()
        .map(|(k, v)| {
            let v = if k == "access_token" {
                "[redacted]".to_string()
            } else {
                v.into_owned()
            };
            (k.into_owned(), v)
        })
        .collect();
    parsed.query_pairs_mut().clear().extend_pairs(pairs);
    parsed.to_string()
}

/// How the harness gets tokens for the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSourceKind {
    /// No token: only what needs none is judged.
    None,
    /// One token the user obtained elsewhere (`--token`); flaws are derived by tampering with it.
    Given,
    /// The mock IdP the server trusts mints every token, valid and flawed.
    MockIdp,
}

/// Everything a server check can look at.
#[derive(Debug, Clone)]
pub struct ServerObservation {
    pub spec_version: SpecVersion,
    /// The MCP endpoint under test.
    pub url: String,
    pub token_source: TokenSourceKind,
    pub probes: Vec<Probed>,
    /// Requests the mock IdP received during the scenario (only with [`TokenSourceKind::MockIdp`]).
    pub idp_events: Vec<TraceEvent>,
    /// Every token the harness presented in this scenario (raw: in memory only).
    pub presented_tokens: Vec<String>,
    /// Why a step could not make its probe (for example: no token of that kind can be made
    /// from a given token), by the label the probe would have had.
    pub not_probed: BTreeMap<String, String>,
    /// The `seq` of every probe looked up through [`ServerObservation::probe`] and friends since
    /// the last [`ServerObservation::take_consulted`]: the evidence of the check that ran.
    consulted: RefCell<BTreeSet<u64>>,
}

impl ServerObservation {
    pub fn new(spec_version: SpecVersion, url: impl Into<String>, source: TokenSourceKind) -> Self {
        Self {
            spec_version,
            url: url.into(),
            token_source: source,
            probes: Vec::new(),
            idp_events: Vec::new(),
            presented_tokens: Vec::new(),
            not_probed: BTreeMap::new(),
            consulted: RefCell::new(BTreeSet::new()),
        }
    }

    fn consult(&self, probe: &Probed) {
        self.consulted.borrow_mut().insert(probe.seq);
    }

    /// The probes looked up since the last call (in `seq` order), and forgets them.
    pub fn take_consulted(&self) -> Vec<u64> {
        std::mem::take(&mut *self.consulted.borrow_mut())
            .into_iter()
            .collect()
    }

    /// The probe with this label (the last one, if it was made more than once).
    pub fn probe(&self, label: &str) -> Option<&Probed> {
        let found = self.probes.iter().rev().find(|p| p.label == label);
        if let Some(probe) = found {
            self.consult(probe);
        }
        found
    }

    /// The redirects followed before the probe with this label, in order (consulted: they are
    /// evidence of the check that asks).
    pub fn redirect_hops(&self, label: &str) -> Vec<&Probed> {
        let hops: Vec<&Probed> = (1..)
            .map_while(|hop| {
                let hop_label = label::redirect_hop(label, hop);
                self.probes.iter().rev().find(|p| p.label == hop_label)
            })
            .collect();
        for hop in &hops {
            self.consult(hop);
        }
        hops
    }

    /// The URL a client asked for to get `probe`'s answer: its own, or the first of the redirects
    /// that led there (`A (redirected to B)`).
    pub fn requested_url(&self, probe: &Probed) -> String {
        match self.redirect_hops(&probe.label).first() {
            Some(first) => format!("{} (redirected to {})", first.url, probe.url),
            None => probe.url.clone(),
        }
    }

    /// The response to the probe with this label, if it got one.
    pub fn response(&self, label: &str) -> Option<&ProbeResponse> {
        self.probe(label).and_then(Probed::ok)
    }

    /// Probes whose label starts with `prefix`, in the order sent.
    pub fn probes_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a Probed> {
        self.probes
            .iter()
            .filter(move |p| p.label.starts_with(prefix))
            .inspect(|p| self.consult(p))
    }

    /// Why the probe with this label was not made, if it was not.
    pub fn why_not_probed(&self, label: &str) -> Option<&str> {
        self.not_probed.get(label).map(String::as_str)
    }

    /// The Bearer challenge of the unauthenticated request's response.
    pub fn first_challenge(&self) -> Option<Challenge> {
        self.response(label::UNAUTHENTICATED)?.bearer_challenge()
    }

    /// The protected resource metadata a client would use: from the challenge's URL, else the
    /// path well-known URL, else the root one (MCP 2025-11-25 PRM discovery order); the first that
    /// answered 200 with a JSON object.
    pub fn prm(&self) -> Option<(&Probed, Value)> {
        [
            label::PRM_FROM_CHALLENGE,
            label::PRM_AT_PATH,
            label::PRM_AT_ROOT,
        ]
        .into_iter()
        .filter_map(|l| self.probe(l))
        .find_map(|p| {
            let r = p.ok()?;
            let doc = r.json().filter(|_| r.status == 200)?;
            doc.is_object().then_some((p, doc))
        })
    }

    /// The scopes the server says a client needs: the first challenge's `scope`, else the PRM's
    /// `scopes_supported`.
    pub fn advertised_scopes(&self) -> BTreeSet<String> {
        let challenged = self
            .first_challenge()
            .map(|c| c.scopes())
            .unwrap_or_default();
        if !challenged.is_empty() {
            return challenged;
        }
        self.prm()
            .and_then(|(_, doc)| {
                doc.get("scopes_supported")?.as_array().map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_string))
                        .collect()
                })
            })
            .unwrap_or_default()
    }

    /// Whether the positive control passed: a valid token was accepted (2xx).
    pub fn valid_token_accepted(&self) -> bool {
        self.response(label::VALID)
            .is_some_and(ProbeResponse::is_success)
    }

    /// The requests the mock IdP received that carry one of the presented tokens as a bearer
    /// credential (the server used the client's token upstream: token passthrough).
    pub fn idp_requests_bearing_presented_tokens(&self) -> Vec<&TraceEvent> {
        self.idp_events
            .iter()
            .filter(|event| {
                let Some(raw) = event.raw.as_ref() else {
                    return false;
                };
                raw.headers.iter().any(|(name, value)| {
                    name.eq_ignore_ascii_case("authorization")
                        && self
                            .presented_tokens
                            .iter()
                            .any(|t| !t.is_empty() && value.contains(t.as_str()))
                })
            })
            .collect()
    }
}

#[cfg(test)]
pub mod test_support {
    //! Building observations by hand for check unit tests.
    use super::*;

    pub fn observation() -> ServerObservation {
        ServerObservation::new(
            SpecVersion::V2025_11_25,
            "http://127.0.0.1:1000/mcp",
            TokenSourceKind::MockIdp,
        )
    }

    /// A probe with a response; chain `.header()`/`.body()` and finish with `.push(&mut obs)`.
    pub fn probe(label: &str, status: u16) -> ProbeBuilder {
        ProbeBuilder {
            probed: Probed {
                seq: 0,
                label: label.to_string(),
                to: "mcp_server",
                method: "POST".into(),
                url: "http://127.0.0.1:1000/mcp".into(),
                request_headers: Vec::new(),
                request_body: None,
                response: Ok(ProbeResponse {
                    status,
                    headers: Vec::new(),
                    body: String::new(),
                }),
                duration_ms: 1,
            },
        }
    }

    /// A probe that got no response.
    pub fn failed_probe(label: &str, error: &str) -> ProbeBuilder {
        let mut builder = probe(label, 0);
        builder.probed.response = Err(error.to_string());
        builder
    }

    pub struct ProbeBuilder {
        pub probed: Probed,
    }

    impl ProbeBuilder {
        pub fn get(mut self, url: &str) -> Self {
            self.probed.method = "GET".into();
            self.probed.url = url.into();
            self
        }
        pub fn to(mut self, to: &'static str) -> Self {
            self.probed.to = to;
            self
        }
        pub fn request_header(mut self, name: &str, value: &str) -> Self {
            self.probed
                .request_headers
                .push((name.to_string(), value.to_string()));
            self
        }
        pub fn header(mut self, name: &str, value: &str) -> Self {
            if let Ok(r) = self.probed.response.as_mut() {
                r.headers
                    .push((name.to_ascii_lowercase(), value.to_string()));
            }
            self
        }
        pub fn body(mut self, body: &str) -> Self {
            if let Ok(r) = self.probed.response.as_mut() {
                r.body = body.to_string();
            }
            self
        }
        pub fn json(self, value: serde_json::Value) -> Self {
            self.header("content-type", "application/json")
                .body(&value.to_string())
        }
        pub fn push(mut self, obs: &mut ServerObservation) {
            self.probed.seq = obs.probes.len() as u64 + 1;
            obs.probes.push(self.probed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use serde_json::json;

    #[test]
    fn challenges_parse_and_scopes_split() {
        let mut obs = observation();
        probe(label::UNAUTHENTICATED, 401)
            .header(
                "www-authenticate",
                r#"Bearer resource_metadata="http://h/prm", scope="a b""#,
            )
            .push(&mut obs);
        let c = obs.first_challenge().unwrap();
        assert_eq!(c.param("RESOURCE_METADATA"), Some("http://h/prm"));
        assert_eq!(obs.advertised_scopes().len(), 2);
    }

    #[test]
    fn prm_follows_the_client_order_and_scopes_fall_back_to_it() {
        let mut obs = observation();
        probe(label::PRM_FROM_CHALLENGE, 404).push(&mut obs);
        probe(label::PRM_AT_PATH, 200)
            .json(json!({"resource": "r", "scopes_supported": ["x"]}))
            .push(&mut obs);
        let (p, doc) = obs.prm().unwrap();
        assert_eq!(p.label, label::PRM_AT_PATH);
        assert_eq!(doc["resource"], "r");
        assert_eq!(
            obs.advertised_scopes().into_iter().collect::<Vec<_>>(),
            ["x"]
        );
    }

    #[test]
    fn credentials_never_reach_the_exchange() {
        let mut obs = observation();
        probe(label::VALID, 200)
            .request_header("Authorization", "Bearer sekrit")
            .push(&mut obs);
        obs.probes[0].url = "http://h/mcp?access_token=sekrit&x=1".into();
        let text = serde_json::to_string(&obs.probes[0].exchange()).unwrap();
        assert!(!text.contains("sekrit"), "{text}");
        assert!(text.contains("Bearer [redacted]"), "{text}");
    }

    #[test]
    fn the_probes_a_check_looks_up_are_its_evidence() {
        let mut obs = observation();
        probe(label::UNAUTHENTICATED, 401).push(&mut obs);
        probe(label::VALID, 200).push(&mut obs);
        assert!(obs.take_consulted().is_empty());
        obs.probe(label::VALID);
        obs.probe("no-such-label");
        assert_eq!(obs.take_consulted(), vec![2]);
        assert!(obs.take_consulted().is_empty());
    }

    #[test]
    fn sse_bodies_yield_their_messages() {
        let r = ProbeResponse {
            status: 200,
            headers: vec![],
            body: "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}\n\n".into(),
        };
        assert_eq!(r.jsonrpc_messages().len(), 1);
    }
}
