//! What the harness saw while a client ran one scenario: every request the client made to the mock
//! deployment (raw, in memory) and how the client process ended. Checks read only this.

use std::time::Duration;

use mcp_authlab_mock_idp::authorization_server::migration;
use mcp_authlab_mock_idp::redact::fingerprint;
use mcp_authlab_mock_idp::trace::{RawRequest, Role, TraceEvent};
use mcp_authlab_mock_idp::urls::{self, Urls};
use mcp_authlab_mock_idp::ReadyInfo;
use mcp_authlab_reports::SpecVersion;

/// How the client process ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientExit {
    /// Exited with this code.
    Code(i32),
    /// Killed by this signal (not by the harness).
    Signal(i32),
    /// Still running at the scenario timeout; the harness killed its process group.
    TimedOut(Duration),
}

impl ClientExit {
    pub fn succeeded(&self) -> bool {
        *self == ClientExit::Code(0)
    }
}

/// The whole observation of one scenario run.
#[derive(Debug, Clone)]
pub struct Observation {
    pub spec_version: SpecVersion,
    pub ready: ReadyInfo,
    /// The origins and paths of the deployment (to tell the endpoints apart).
    pub urls: Urls,
    /// Every request the deployment received, in order. Each has its raw request.
    pub events: Vec<TraceEvent>,
    pub exit: ClientExit,
    /// The `MCP_CONFORMANCE_CONTEXT` given to the client, if any.
    pub context: Option<serde_json::Value>,
    /// What the harness's headless browser (`mcp-authlab browse` as `BROWSER`) delivered: one line
    /// per redirect target it reached, in order, as `<status> <url>` (the target answered with
    /// this HTTP status) or `unanswered <url>` (connected and sent, no answer); the URL with its
    /// secrets fingerprinted (`code=‹redacted:…›`). Empty when the client never used that browser
    /// (its own, or none). Parse a line with `client::browser::Delivery::parse`.
    pub browser_deliveries: Vec<String>,
}

/// Which endpoint of the deployment a request went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// The MCP endpoint (`/mcp` on the MCP origin).
    Mcp,
    /// A protected resource metadata URL (any `/.well-known/oauth-protected-resource…`, or the
    /// URL the deployment serves it at).
    ProtectedResourceMetadata,
    /// An authorization server metadata URL (RFC 8414 or OIDC well-known, the metadata host, or
    /// the custom path).
    AuthorizationServerMetadata,
    Authorization,
    Token,
    Registration,
    Jwks,
    /// A client ID metadata document or anything else.
    Other,
}

/// One request the client made, with its trace event and raw form.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub event: &'a TraceEvent,
    pub raw: &'a RawRequest,
    pub endpoint: Endpoint,
}

impl<'a> Request<'a> {
    pub fn role(&self) -> Role {
        self.event.role
    }
    pub fn method(&self) -> &'a str {
        &self.event.method
    }
    pub fn path(&self) -> &'a str {
        self.raw.path()
    }
    /// The response status; `0` when the mock never answered (see [`Request::answered`]), so an
    /// unanswered request falls in no status class.
    pub fn status(&self) -> u16 {
        if self.answered() {
            self.event.status
        } else {
            0
        }
    }
    /// Whether the mock answered the request. A request a timing hook holds forever (the token
    /// endpoint of `hanging-token-endpoint`) is traced when it arrives, without a response.
    pub fn answered(&self) -> bool {
        self.event.completed
    }
    /// The status as messages show it: `401`, or `(no response)`.
    pub fn status_label(&self) -> String {
        if self.answered() {
            self.status().to_string()
        } else {
            "(no response)".to_string()
        }
    }
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.raw.header(name)
    }
    /// The first query parameter with this name (decoded).
    pub fn query(&self, name: &str) -> Option<String> {
        first(&self.raw.query_pairs(), name)
    }
    /// Every value of a query parameter.
    pub fn query_all(&self, name: &str) -> Vec<String> {
        all(&self.raw.query_pairs(), name)
    }
    /// The first form parameter with this name (decoded).
    pub fn form(&self, name: &str) -> Option<String> {
        first(&self.raw.form_pairs(), name)
    }
    pub fn form_all(&self, name: &str) -> Vec<String> {
        all(&self.raw.form_pairs(), name)
    }
    /// The body as JSON, if it is.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_slice(&self.raw.body).ok()
    }
    /// The bearer token of the `Authorization` header (scheme compared case-insensitively).
    pub fn bearer(&self) -> Option<&'a str> {
        let value = self.header("authorization")?;
        let (scheme, token) = value.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
    }
    /// The redacted one-line summary, for messages (`#3 MCP POST /mcp -> 401`, `… -> (no
    /// response)`).
    pub fn summary(&self) -> String {
        format!(
            "#{} {} {} {} -> {}",
            self.event.seq,
            self.event.role.label(),
            self.event.method,
            self.event.path,
            self.status_label()
        )
    }
}

fn first(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
}

fn all(pairs: &[(String, String)], name: &str) -> Vec<String> {
    pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .collect()
}

impl Observation {
    /// The origin (`http://127.0.0.1:port`) of the listener that plays `role`.
    pub fn origin(&self, role: Role) -> &str {
        match role {
            Role::McpServer => &self.urls.mcp_origin,
            Role::AuthorizationServer => &self.urls.as_origin,
            Role::MetadataHost => self
                .urls
                .metadata_origin
                .as_deref()
                .unwrap_or(&self.urls.as_origin),
        }
    }

    /// The absolute URL a request was sent to (raw, secrets included: only for comparisons).
    pub fn url_of(&self, request: &Request<'_>) -> String {
        format!(
            "{}{}",
            self.origin(request.role()),
            request.raw.path_and_query
        )
    }

    fn classify(&self, event: &TraceEvent, raw: &RawRequest) -> Endpoint {
        let path = raw.path();
        let url = format!("{}{}", self.origin(event.role), path);
        if path.starts_with("/.well-known/oauth-protected-resource")
            || Some(url.as_str()) == self.ready.protected_resource_metadata_url.as_deref()
        {
            return Endpoint::ProtectedResourceMetadata;
        }
        if path.contains("/.well-known/oauth-authorization-server")
            || path.contains("/.well-known/openid-configuration")
            || event.role == Role::MetadataHost
            || url == self.ready.authorization_server_metadata_url
        {
            return Endpoint::AuthorizationServerMetadata;
        }
        if event.role == Role::McpServer && path == self.urls.mcp_path {
            return Endpoint::Mcp;
        }
        let endpoint_path = |endpoint: &str| {
            url::Url::parse(endpoint)
                .ok()
                .map(|u| (u.origin().ascii_serialization(), u.path().to_string()))
        };
        let here = (self.origin(event.role).to_string(), path.to_string());
        let second = self.second_issuer();
        let is = |ready: &str, suffix: &str| {
            Some(&here) == endpoint_path(ready).as_ref()
                || Some(&here) == endpoint_path(&format!("{second}{suffix}")).as_ref()
        };
        if is(&self.ready.authorization_endpoint, "/authorize") {
            Endpoint::Authorization
        } else if is(&self.ready.token_endpoint, "/token") {
            Endpoint::Token
        } else if self.ready.registration_endpoint.is_some()
            && is(
                self.ready.registration_endpoint.as_deref().unwrap_or(""),
                "/register",
            )
        {
            Endpoint::Registration
        } else if is(&self.ready.jwks_uri, "/jwks") {
            Endpoint::Jwks
        } else {
            Endpoint::Other
        }
    }

    /// The issuer of the authorization server a migrating deployment
    /// (`authorization-server-migration`) moves to; its endpoints count as the deployment's own.
    pub fn second_issuer(&self) -> String {
        migration::second_issuer(&self.urls)
    }

    /// Whether a request went to the authorization server a migrating deployment moves to (its
    /// endpoints below [`Observation::second_issuer`] or its metadata URLs).
    pub fn at_second_authorization_server(&self, request: &Request<'_>) -> bool {
        let url = self.url_of(request);
        let url = url.split('?').next().unwrap_or("");
        let second = self.second_issuer();
        let metadata_urls = [
            urls::rfc8414_metadata_url(&second),
            urls::oidc_inserted_url(&second),
            urls::oidc_appended_url(&second),
        ];
        url.starts_with(&format!("{second}/"))
            || metadata_urls
                .iter()
                .any(|m| m.as_deref().is_ok_and(|m| m == url))
    }

    /// Every request, in order, with its endpoint. Requests the harness itself made (its headless
    /// user agent following the authorization redirect is the client's, not the harness's) are all
    /// attributed to the client.
    pub fn requests(&self) -> Vec<Request<'_>> {
        self.events
            .iter()
            .filter_map(|event| {
                let raw = event.raw.as_deref()?;
                Some(Request {
                    event,
                    raw,
                    endpoint: self.classify(event, raw),
                })
            })
            .collect()
    }

    /// The requests to one endpoint, in order.
    pub fn requests_to(&self, endpoint: Endpoint) -> Vec<Request<'_>> {
        self.requests()
            .into_iter()
            .filter(|r| r.endpoint == endpoint)
            .collect()
    }

    /// `GET` requests to the authorization endpoint.
    pub fn authorization_requests(&self) -> Vec<Request<'_>> {
        self.requests_to(Endpoint::Authorization)
    }

    /// Token requests with a given `grant_type` (`None`: all).
    pub fn token_requests(&self, grant_type: Option<&str>) -> Vec<Request<'_>> {
        self.requests_to(Endpoint::Token)
            .into_iter()
            .filter(|r| grant_type.is_none() || r.form("grant_type").as_deref() == grant_type)
            .collect()
    }

    pub fn registration_requests(&self) -> Vec<Request<'_>> {
        self.requests_to(Endpoint::Registration)
    }

    pub fn mcp_requests(&self) -> Vec<Request<'_>> {
        self.requests_to(Endpoint::Mcp)
    }

    /// The MCP requests (not CORS preflights) that carried an access token the token endpoint
    /// issued and were accepted (2xx). A 2xx alone proves nothing: `OPTIONS` needs no token, and
    /// with `unauthenticated_initialize` the server answers `initialize` whatever the bearer.
    pub fn authorized_mcp_requests(&self) -> Vec<Request<'_>> {
        let issued = self.issued_token_fingerprints();
        self.mcp_requests()
            .into_iter()
            .filter(|r| {
                !r.method().eq_ignore_ascii_case("OPTIONS")
                    && (200..300).contains(&r.status())
                    && r.bearer()
                        .is_some_and(|token| issued.contains(&fingerprint(token)))
            })
            .collect()
    }

    /// The absolute URLs of the discovery requests (PRM and AS metadata), in order.
    pub fn discovery_urls(&self) -> Vec<(Endpoint, String)> {
        self.requests()
            .iter()
            .filter(|r| {
                matches!(
                    r.endpoint,
                    Endpoint::ProtectedResourceMetadata | Endpoint::AuthorizationServerMetadata
                )
            })
            .map(|r| (r.endpoint, self.url_of(r)))
            .collect()
    }

    /// The redacted fingerprints (`‹redacted:1a2b3c4d›`) of the access tokens the token endpoint
    /// issued (any grant: authorization code, refresh, client credentials…), in order. Response
    /// bodies are only kept redacted; compare a token seen in a request with
    /// [`mcp_authlab_mock_idp::redact::fingerprint`].
    pub fn issued_token_fingerprints(&self) -> Vec<String> {
        self.requests_to(Endpoint::Token)
            .iter()
            .filter(|r| r.status() == 200)
            .filter_map(|r| {
                let body: serde_json::Value =
                    serde_json::from_str(r.event.response_body.as_deref()?).ok()?;
                Some(body.get("access_token")?.as_str()?.to_string())
            })
            .collect()
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Synthetic observations for the checks' unit tests: a deployment's URLs and a list of
    //! requests, without starting anything.
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use mcp_authlab_mock_idp::trace::{RawRequest, Role, TraceEvent};
    use mcp_authlab_mock_idp::urls::Urls;
    use mcp_authlab_mock_idp::{Behaviour, ReadyInfo};
    use mcp_authlab_reports::SpecVersion;

    use super::{ClientExit, Observation};

    pub const MCP: &str = "http://127.0.0.1:1000";
    pub const AS: &str = "http://127.0.0.1:2000";

    /// An observation of the default deployment (MCP on port 1000, AS on 2000) with no requests.
    pub fn observation() -> Observation {
        let behaviour = Behaviour::default();
        let urls = Urls::new(AS, MCP, None, &behaviour);
        Observation {
            spec_version: SpecVersion::V2025_11_25,
            ready: ReadyInfo {
                mcp_url: format!("{MCP}/mcp"),
                issuer: AS.into(),
                authorization_server_metadata_url: format!(
                    "{AS}/.well-known/oauth-authorization-server"
                ),
                protected_resource_metadata_url: Some(format!(
                    "{MCP}/.well-known/oauth-protected-resource/mcp"
                )),
                ca_cert: None,
                authorization_endpoint: format!("{AS}/authorize"),
                token_endpoint: format!("{AS}/token"),
                registration_endpoint: Some(format!("{AS}/register")),
                jwks_uri: format!("{AS}/jwks"),
                introspection_endpoint: format!("{AS}/introspect"),
                revocation_endpoint: format!("{AS}/revoke"),
                device_authorization_endpoint: format!("{AS}/device_authorization"),
                variants: Vec::new(),
            },
            urls,
            events: Vec::new(),
            exit: ClientExit::Code(0),
            context: None,
            browser_deliveries: Vec::new(),
        }
    }

    /// Builds one request event; chain `.header()`, `.body()`, `.status()`, then `.push(&mut obs)`.
    pub struct EventBuilder {
        role: Role,
        method: String,
        path_and_query: String,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        status: u16,
        completed: bool,
        response_headers: BTreeMap<String, String>,
        response_body: Option<String>,
    }

    pub fn request(role: Role, method: &str, path_and_query: &str) -> EventBuilder {
        EventBuilder {
            role,
            method: method.into(),
            path_and_query: path_and_query.into(),
            headers: Vec::new(),
            body: Vec::new(),
            status: 200,
            completed: true,
            response_headers: BTreeMap::new(),
            response_body: None,
        }
    }

    impl EventBuilder {
        pub fn header(mut self, name: &str, value: &str) -> Self {
            self.headers.push((name.to_ascii_lowercase(), value.into()));
            self
        }
        pub fn body(mut self, body: &str) -> Self {
            self.body = body.as_bytes().to_vec();
            self
        }
        pub fn status(mut self, status: u16) -> Self {
            self.status = status;
            self
        }
        /// The mock never answered (a hanging endpoint): no status, no response.
        pub fn unanswered(mut self) -> Self {
            self.status = 0;
            self.completed = false;
            self
        }
        pub fn response_header(mut self, name: &str, value: &str) -> Self {
            self.response_headers.insert(name.into(), value.into());
            self
        }
        pub fn response_body(mut self, body: &str) -> Self {
            self.response_body = Some(body.into());
            self
        }
        pub fn push(self, observation: &mut Observation) {
            let seq = observation.events.len() as u64 + 1;
            observation.events.push(TraceEvent {
                seq,
                timestamp_ms: 0,
                role: self.role,
                method: self.method,
                path: self.path_and_query.clone(),
                status: self.status,
                completed: self.completed,
                duration_ms: 0,
                request_headers: BTreeMap::new(),
                request_body: None,
                response_headers: self.response_headers,
                response_body: self.response_body,
                raw: Some(Arc::new(RawRequest {
                    path_and_query: self.path_and_query,
                    headers: self.headers,
                    body: self.body,
                })),
                raw_response: None,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn requests_are_classified_by_endpoint() {
        let mut obs = observation();
        request(Role::McpServer, "POST", "/mcp")
            .status(401)
            .push(&mut obs);
        request(
            Role::McpServer,
            "GET",
            "/.well-known/oauth-protected-resource/mcp",
        )
        .push(&mut obs);
        request(
            Role::AuthorizationServer,
            "GET",
            "/.well-known/oauth-authorization-server",
        )
        .push(&mut obs);
        request(Role::AuthorizationServer, "POST", "/register").push(&mut obs);
        request(
            Role::AuthorizationServer,
            "GET",
            "/authorize?response_type=code&state=s1",
        )
        .status(302)
        .push(&mut obs);
        request(Role::AuthorizationServer, "POST", "/token")
            .body("grant_type=authorization_code&code=c1")
            .response_body(&format!(r#"{{"access_token":"{}"}}"#, fingerprint("t1")))
            .push(&mut obs);
        request(Role::McpServer, "POST", "/mcp")
            .header("Authorization", "bearer t1")
            .push(&mut obs);
        let endpoints: Vec<Endpoint> = obs.requests().iter().map(|r| r.endpoint).collect();
        assert_eq!(
            endpoints,
            vec![
                Endpoint::Mcp,
                Endpoint::ProtectedResourceMetadata,
                Endpoint::AuthorizationServerMetadata,
                Endpoint::Registration,
                Endpoint::Authorization,
                Endpoint::Token,
                Endpoint::Mcp,
            ]
        );
        assert_eq!(
            obs.authorization_requests()[0].query("state").as_deref(),
            Some("s1")
        );
        assert_eq!(obs.token_requests(Some("authorization_code")).len(), 1);
        assert_eq!(obs.token_requests(Some("refresh_token")).len(), 0);
        assert_eq!(obs.authorized_mcp_requests()[0].bearer(), Some("t1"));
        assert_eq!(
            obs.discovery_urls()[0].1,
            format!("{MCP}/.well-known/oauth-protected-resource/mcp")
        );
    }

    /// `POST /token` answered 200 with this access token (the trace keeps it redacted).
    fn issue(obs: &mut Observation, grant: &str, token: &str) {
        request(Role::AuthorizationServer, "POST", "/token")
            .body(&format!("grant_type={grant}"))
            .response_body(&format!(r#"{{"access_token":"{}"}}"#, fingerprint(token)))
            .push(obs);
    }

    fn mcp(obs: &mut Observation, method: &str, bearer: &str, status: u16) {
        request(Role::McpServer, method, "/mcp")
            .header("Authorization", &format!("Bearer {bearer}"))
            .body(r#"{"jsonrpc":"2.0","id":1,"method":"initialize"}"#)
            .status(status)
            .push(obs);
    }

    #[test]
    fn only_issued_tokens_authorize_mcp_requests() {
        // A made-up bearer on an initialize the server answers without looking at it.
        let mut garbage = observation();
        issue(&mut garbage, "authorization_code", "real");
        mcp(&mut garbage, "POST", "garbage", 200);
        assert!(garbage.authorized_mcp_requests().is_empty());

        // A preflight needs no token.
        let mut preflight = observation();
        issue(&mut preflight, "authorization_code", "real");
        mcp(&mut preflight, "OPTIONS", "real", 204);
        assert!(preflight.authorized_mcp_requests().is_empty());

        // The issued token, refused, does not count either.
        let mut refused = observation();
        issue(&mut refused, "authorization_code", "real");
        mcp(&mut refused, "POST", "real", 401);
        assert!(refused.authorized_mcp_requests().is_empty());

        let mut good = observation();
        issue(&mut good, "authorization_code", "real");
        mcp(&mut good, "POST", "garbage", 200);
        mcp(&mut good, "POST", "real", 200);
        let accepted = good.authorized_mcp_requests();
        assert_eq!(accepted.len(), 1);
        assert_eq!(accepted[0].bearer(), Some("real"));

        // Tokens from the client_credentials grant count the same.
        let mut machine = observation();
        issue(&mut machine, "client_credentials", "machine");
        mcp(&mut machine, "POST", "machine", 200);
        assert_eq!(machine.authorized_mcp_requests().len(), 1);
        assert_eq!(
            machine.issued_token_fingerprints(),
            vec![fingerprint("machine")]
        );
    }

    #[test]
    fn the_endpoints_of_the_second_authorization_server_are_the_deployments_own() {
        let mut obs = observation();
        for path in [
            "/.well-known/oauth-authorization-server/migrated-as",
            "/migrated-as/register",
            "/migrated-as/authorize?client_id=c",
            "/migrated-as/token",
            "/authorize?client_id=c",
            "/migrated-as-not/authorize",
        ] {
            request(Role::AuthorizationServer, "GET", path).push(&mut obs);
        }
        let requests = obs.requests();
        let seen: Vec<(Endpoint, bool)> = requests
            .iter()
            .map(|r| (r.endpoint, obs.at_second_authorization_server(r)))
            .collect();
        assert_eq!(
            seen,
            vec![
                (Endpoint::AuthorizationServerMetadata, true),
                (Endpoint::Registration, true),
                (Endpoint::Authorization, true),
                (Endpoint::Token, true),
                (Endpoint::Authorization, false),
                (Endpoint::Other, false),
            ]
        );
        assert_eq!(obs.second_issuer(), format!("{AS}/migrated-as"));
    }

    #[test]
    fn an_unanswered_request_has_no_status_class() {
        let mut obs = observation();
        request(Role::AuthorizationServer, "POST", "/token")
            .body("grant_type=authorization_code&code=c1")
            .unanswered()
            .push(&mut obs);
        let token = obs.token_requests(Some("authorization_code"));
        assert_eq!(token.len(), 1);
        assert!(!token[0].answered());
        assert_eq!(token[0].status(), 0);
        assert!(token[0].summary().ends_with("POST /token -> (no response)"));
        assert!(obs.issued_token_fingerprints().is_empty());
    }
}
