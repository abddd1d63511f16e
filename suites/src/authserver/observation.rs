//! What the harness saw of an authorization server in one scenario: the probes it sent (each
//! request and the response, or why there was none) and why some were not sent.
//!
//! Checks read this and nothing else. Secrets (the client secret given, tokens and secrets the
//! server issued) live here in memory only; the report gets [`AuthServerObservation::exchanges`],
//! with them redacted.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use mcp_authlab_mock_idp::urls::{
    oidc_appended_url, oidc_inserted_url, origin_and_path, rfc8414_metadata_url,
};
use mcp_authlab_reports::{Exchange, SpecVersion};
use serde_json::{json, Value};

use crate::server::observation::{
    label as server_label, AsLocation, ProbeResponse, Probed, ServerObservation, TokenSourceKind,
};

/// The labels the steps give their probes.
pub mod label {
    use crate::server::observation::AsLocation;

    /// The metadata at a location a 2025-06-18 or later client derives from the issuer.
    pub fn metadata(location: AsLocation) -> String {
        format!("metadata:{}", location.name())
    }
    /// `<issuer origin>/.well-known/oauth-authorization-server` (MCP 2025-03-26: path discarded).
    pub const LEGACY_METADATA: &str = "metadata:2025-03-26";
    /// The 2025-03-26 default endpoints on the issuer's origin, probed when there is no metadata.
    pub const LEGACY_AUTHORIZE: &str = "default:/authorize";
    pub const LEGACY_TOKEN: &str = "default:/token";
    pub const LEGACY_REGISTER: &str = "default:/register";
    /// The document `--metadata-url` names.
    pub const NAMED_METADATA: &str = "metadata:named";
    pub const JWKS: &str = "jwks";
    /// The CORS preflight of the registration endpoint.
    pub const REGISTRATION_PREFLIGHT: &str = "cors:registration";
    pub const REGISTRATION: &str = "registration";
    /// The authorization request of the registered client (a code is expected back).
    pub const AUTHORIZE: &str = "authorize";
    /// The same with an unsupported `response_type` (an error response is expected back).
    pub const AUTHORIZE_ERROR: &str = "authorize:error";
    pub const CLIENT_CREDENTIALS: &str = "token:client-credentials";
}

/// Why a location was not probed when its URL is an earlier location's (not worth repeating in
/// messages: the earlier location's answer is the answer).
pub const SAME_URL: &str = "the same URL as an earlier location: the issuer has no path";

/// Every location a client of some version derives from the issuer, as (label, URL, name),
/// without repeating a URL (an issuer without a path has the same OIDC URL inserted and appended).
pub fn derived_locations(issuer: &str) -> Vec<(String, String, &'static str)> {
    let mut out: Vec<(String, String, &'static str)> = Vec::new();
    for location in AsLocation::ORDER {
        let url = match location {
            AsLocation::Rfc8414 => rfc8414_metadata_url(issuer),
            AsLocation::OidcInserted => oidc_inserted_url(issuer),
            AsLocation::OidcAppended => oidc_appended_url(issuer),
        };
        if let Ok(url) = url {
            if !out.iter().any(|(_, u, _)| *u == url) {
                out.push((label::metadata(location), url, location_title(location)));
            }
        }
    }
    if let Ok(url) = legacy_metadata_url(issuer) {
        if !out.iter().any(|(_, u, _)| *u == url) {
            out.push((
                label::LEGACY_METADATA.into(),
                url,
                "RFC 8414 at the origin (MCP 2025-03-26)",
            ));
        }
    }
    out
}

/// How a location is named in messages.
pub fn location_title(location: AsLocation) -> &'static str {
    match location {
        AsLocation::Rfc8414 => "RFC 8414",
        AsLocation::OidcInserted => "OpenID Connect, path inserted",
        AsLocation::OidcAppended => "OpenID Connect, path appended",
    }
}

/// `<issuer origin>/.well-known/oauth-authorization-server`: where a 2025-03-26 client looks.
pub fn legacy_metadata_url(issuer: &str) -> Result<String, url::ParseError> {
    let (origin, _) = origin_and_path(issuer)?;
    Ok(format!("{origin}/.well-known/oauth-authorization-server"))
}

/// The locations a client of `version` tries, in its order (2025-03-26: the origin only).
pub fn locations(version: SpecVersion) -> &'static [AsLocation] {
    match version {
        SpecVersion::V2025_03_26 | SpecVersion::V2025_06_18 => &[AsLocation::Rfc8414],
        _ => &AsLocation::ORDER,
    }
}

/// Everything an authorization-server check can look at.
#[derive(Debug, Clone)]
pub struct AuthServerObservation {
    /// The version the scenario is judged at.
    pub spec_version: SpecVersion,
    /// The issuer under test (`--issuer`), as given.
    pub issuer: String,
    /// The metadata document the user named (`--metadata-url`).
    pub metadata_url: Option<String>,
    /// The resource a client-credentials token is asked for (RFC 8707).
    pub resource: String,
    pub probes: Vec<Probed>,
    /// Why a step did not make a probe, by the label it would have had.
    pub not_probed: BTreeMap<String, String>,
    /// Values never to show (the client secret given, tokens and secrets the server issued).
    pub secrets: Vec<String>,
    consulted: RefCell<BTreeSet<u64>>,
}

impl AuthServerObservation {
    pub fn new(spec_version: SpecVersion, issuer: impl Into<String>) -> Self {
        let issuer = issuer.into();
        let resource = default_resource(&issuer);
        Self {
            spec_version,
            issuer,
            metadata_url: None,
            resource,
            probes: Vec::new(),
            not_probed: BTreeMap::new(),
            secrets: Vec::new(),
            consulted: RefCell::new(BTreeSet::new()),
        }
    }

    fn consult(&self, probe: &Probed) {
        self.consulted.borrow_mut().insert(probe.seq);
    }

    /// The probes looked up since the last call, and forgets them (a check's evidence).
    pub fn take_consulted(&self) -> Vec<u64> {
        std::mem::take(&mut *self.consulted.borrow_mut())
            .into_iter()
            .collect()
    }

    /// The probe with this label (the last one).
    pub fn probe(&self, label: &str) -> Option<&Probed> {
        let found = self.probes.iter().rev().find(|p| p.label == label);
        if let Some(probe) = found {
            self.consult(probe);
        }
        found
    }

    pub fn response(&self, label: &str) -> Option<&ProbeResponse> {
        self.probe(label).and_then(Probed::ok)
    }

    pub fn why_not_probed(&self, label: &str) -> Option<&str> {
        self.not_probed.get(label).map(String::as_str)
    }

    /// The metadata an MCP 2025-11-25 client uses (the first location that gives a JSON object
    /// with status 200), else the document `--metadata-url` names: the one the other scenarios
    /// inspect. With the probe it came from.
    pub fn metadata(&self) -> Option<(&Probed, Value)> {
        self.discovered(SpecVersion::V2025_11_25)
            .or_else(|| self.document(label::NAMED_METADATA))
    }

    /// The metadata a client of `version` uses: the first of its locations that gives a JSON object.
    pub fn discovered(&self, version: SpecVersion) -> Option<(&Probed, Value)> {
        if version == SpecVersion::V2025_03_26 {
            return self.document(label::LEGACY_METADATA);
        }
        locations(version)
            .iter()
            .find_map(|&l| self.document(&label::metadata(l)))
    }

    /// The JSON object the probe with this label got with status 200.
    pub fn document(&self, label: &str) -> Option<(&Probed, Value)> {
        let probe = self.probe(label)?;
        let response = probe.ok().filter(|r| r.status == 200)?;
        let doc = response.json().filter(Value::is_object)?;
        Some((probe, doc))
    }

    /// A string field of [`AuthServerObservation::metadata`].
    pub fn metadata_str(&self, field: &str) -> Option<String> {
        let (_, doc) = self.metadata()?;
        doc.get(field)?.as_str().map(str::to_string)
    }

    /// This observation as the server suite's authorization-server checks see one: a protected
    /// resource metadata (not sent, seq 0) naming the issuer a client of this version starts from
    /// (2025-03-26: the issuer's origin), and the metadata probes at that version's locations.
    pub fn server_view(&self) -> ServerObservation {
        let version = self.spec_version;
        let mut view =
            ServerObservation::new(version, self.resource.clone(), TokenSourceKind::None);
        let start = if version == SpecVersion::V2025_03_26 {
            origin_and_path(&self.issuer)
                .map(|(origin, _)| origin)
                .unwrap_or_else(|_| self.issuer.clone())
        } else {
            self.issuer.clone()
        };
        view.probes.push(Probed {
            seq: 0,
            label: server_label::PRM_AT_PATH.into(),
            to: "harness",
            method: "GET".into(),
            url: "(the protected resource metadata of an MCP server using this issuer)".into(),
            request_headers: Vec::new(),
            request_body: None,
            response: Ok(ProbeResponse {
                status: 200,
                headers: vec![("content-type".into(), "application/json".into())],
                body: json!({"resource": self.resource, "authorization_servers": [start]})
                    .to_string(),
            }),
            duration_ms: 0,
        });
        for location in AsLocation::ORDER {
            let own = if version == SpecVersion::V2025_03_26 {
                (location == AsLocation::Rfc8414).then_some(label::LEGACY_METADATA.to_string())
            } else {
                Some(label::metadata(location))
            };
            let theirs = server_label::as_metadata(0, location);
            let Some(own) = own else { continue };
            match self.probes.iter().rev().find(|p| p.label == own) {
                Some(probe) => {
                    let mut probe = probe.clone();
                    probe.label = theirs;
                    view.probes.push(probe);
                }
                None => match self.why_not_probed(&own) {
                    Some(SAME_URL) => {}
                    why => {
                        let why = why.unwrap_or("not probed").to_string();
                        view.not_probed.insert(theirs, why);
                    }
                },
            }
        }
        view
    }

    /// Runs one of the server suite's checks on [`AuthServerObservation::server_view`]; the
    /// probes it consulted become this observation's evidence.
    pub fn judge_as_server(
        &self,
        check: fn(&ServerObservation) -> crate::check::Finding,
    ) -> crate::check::Finding {
        let view = self.server_view();
        let finding = check(&view);
        for seq in view.take_consulted().into_iter().filter(|s| *s != 0) {
            self.consulted.borrow_mut().insert(seq);
        }
        finding
    }

    /// The probes as the report shows them: credentials and every secret redacted.
    pub fn exchanges(&self) -> Vec<Exchange> {
        self.probes
            .iter()
            .map(|p| redact_exchange(p.exchange(), &self.secrets))
            .collect()
    }

    /// `text` with every secret of the run replaced.
    pub fn redact(&self, text: &str) -> String {
        redact(text, &self.secrets)
    }
}

/// The resource a client-credentials token is asked for by default: the issuer's origin + `/mcp`.
pub fn default_resource(issuer: &str) -> String {
    origin_and_path(issuer)
        .map(|(origin, _)| format!("{origin}/mcp"))
        .unwrap_or_else(|_| format!("{issuer}/mcp"))
}

/// Replaces every secret (8 characters or more) in `text`.
pub fn redact(text: &str, secrets: &[String]) -> String {
    let mut forms: Vec<String> = secrets
        .iter()
        .filter(|s| s.len() >= MIN_SECRET)
        .flat_map(|s| {
            // As given, form-encoded (a client_secret_post body), and JSON-escaped (`\/`).
            let form: String = url::form_urlencoded::byte_serialize(s.as_bytes()).collect();
            [s.clone(), form, s.replace('/', "\\/")]
        })
        .collect();
    // Longest first, so a whole form goes before a shorter one inside it.
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    forms.dedup();
    forms
        .iter()
        .fold(text.to_string(), |t, s| t.replace(s.as_str(), "[redacted]"))
}

/// Shorter secrets are not searched for (they would wreck ordinary text); a secret this short is
/// no secret anyway.
const MIN_SECRET: usize = 4;

fn redact_exchange(mut exchange: Exchange, secrets: &[String]) -> Exchange {
    exchange.url = redact(&exchange.url, secrets);
    exchange.request_body = exchange.request_body.map(|b| redact(&b, secrets));
    exchange.response_body = exchange.response_body.map(|b| redact(&b, secrets));
    for (name, value) in exchange.request_headers.iter_mut() {
        *value = if name.eq_ignore_ascii_case("authorization") {
            // `Basic base64(id:secret)`: the secret is not visible as such; keep the scheme only.
            match value.split_once(' ') {
                Some((scheme, _)) => format!("{scheme} [redacted]"),
                None => "[redacted]".into(),
            }
        } else {
            redact(value, secrets)
        };
    }
    for value in exchange.response_headers.values_mut() {
        *value = redact(value, secrets);
    }
    exchange
}

#[cfg(test)]
pub mod test_support {
    //! Observations by hand for check unit tests.
    use super::*;

    pub const ISSUER: &str = "http://127.0.0.1:2000";

    pub fn observation(version: SpecVersion) -> AuthServerObservation {
        AuthServerObservation::new(version, ISSUER)
    }

    /// A complete, MCP-ready metadata document for [`ISSUER`].
    pub fn good_metadata() -> Value {
        json!({
            "issuer": ISSUER,
            "authorization_endpoint": "http://127.0.0.1:2000/authorize",
            "token_endpoint": "http://127.0.0.1:2000/token",
            "registration_endpoint": "http://127.0.0.1:2000/register",
            "jwks_uri": "http://127.0.0.1:2000/jwks",
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
            "revocation_endpoint": "http://127.0.0.1:2000/revoke",
            "introspection_endpoint": "http://127.0.0.1:2000/introspect",
            "device_authorization_endpoint": "http://127.0.0.1:2000/device_authorization",
        })
    }

    /// Pushes a probe with this label, status, headers and body.
    pub fn push(
        obs: &mut AuthServerObservation,
        label: &str,
        url: &str,
        status: u16,
        headers: &[(&str, &str)],
        body: &str,
    ) {
        obs.probes.push(Probed {
            seq: obs.probes.len() as u64 + 1,
            label: label.into(),
            to: "authorization_server",
            method: "GET".into(),
            url: url.into(),
            request_headers: Vec::new(),
            request_body: None,
            response: Ok(ProbeResponse {
                status,
                headers: headers
                    .iter()
                    .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                    .collect(),
                body: body.into(),
            }),
            duration_ms: 1,
        });
    }

    pub fn push_json(obs: &mut AuthServerObservation, label: &str, url: &str, doc: &Value) {
        push(
            obs,
            label,
            url,
            200,
            &[("content-type", "application/json")],
            &doc.to_string(),
        );
    }

    /// Metadata at the RFC 8414 location (and the 2025-03-26 one: the same URL for [`ISSUER`]).
    pub fn with_metadata(version: SpecVersion, doc: Value) -> AuthServerObservation {
        let mut obs = observation(version);
        let url = rfc8414_metadata_url(ISSUER).unwrap();
        push_json(&mut obs, &label::metadata(AsLocation::Rfc8414), &url, &doc);
        push_json(&mut obs, label::LEGACY_METADATA, &url, &doc);
        obs
    }

    /// [`good_metadata`] with `field` set to `value` (removed when `None`).
    pub fn metadata_with(field: &str, value: Option<Value>) -> Value {
        let mut doc = good_metadata();
        match value {
            Some(v) => doc[field] = v,
            None => {
                doc.as_object_mut().unwrap().remove(field);
            }
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;

    #[test]
    fn locations_are_derived_once_each() {
        let root = derived_locations("https://a.example");
        let urls: Vec<&str> = root.iter().map(|(_, u, _)| u.as_str()).collect();
        assert_eq!(
            urls,
            [
                "https://a.example/.well-known/oauth-authorization-server",
                "https://a.example/.well-known/openid-configuration"
            ]
        );
        let tenant = derived_locations("https://a.example/t1");
        assert_eq!(tenant.len(), 4);
        assert_eq!(
            tenant[3].1,
            "https://a.example/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn the_server_view_names_the_issuer_and_carries_the_metadata() {
        let obs = with_metadata(SpecVersion::V2025_11_25, good_metadata());
        let view = obs.server_view();
        let (_, prm) = view.prm().unwrap();
        assert_eq!(prm["authorization_servers"][0], ISSUER);
        let finding = obs.judge_as_server(crate::server::checks::as_metadata::as_metadata_found);
        assert!(finding.is_met(), "{finding:?}");
        assert_eq!(obs.take_consulted(), vec![1]);
    }

    #[test]
    fn secrets_never_reach_the_exchanges() {
        let mut obs = observation(SpecVersion::V2025_11_25);
        push(
            &mut obs,
            label::CLIENT_CREDENTIALS,
            "http://h/token",
            200,
            &[],
            r#"{"access_token":"sekrit-token"}"#,
        );
        obs.secrets.push("sekrit-token".into());
        let text = serde_json::to_string(&obs.exchanges()).unwrap();
        assert!(!text.contains("sekrit-token"), "{text}");
        assert_eq!(obs.redact("a sekrit-token b"), "a [redacted] b");
        let secrets = vec!["s3cr/t+key=".to_string()];
        let body = "grant_type=client_credentials&client_secret=s3cr%2Ft%2Bkey%3D";
        assert!(
            !redact(body, &secrets).contains("s3cr"),
            "{}",
            redact(body, &secrets)
        );
        assert!(!redact(r#"{"client_secret":"s3cr\/t+key="}"#, &secrets).contains("s3cr"));
    }

    #[test]
    fn the_default_resource_is_on_the_issuer_origin() {
        assert_eq!(
            default_resource("https://a.example/t1"),
            "https://a.example/mcp"
        );
    }
}
