//! The values that are secret in one scenario run, so they can be fingerprinted wherever they show
//! up (the client's output, check messages, errors): what the client sent to the mock deployment,
//! everything the mock issued to it, and the secrets of its context.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use mcp_authlab_mock_idp::redact;
use mcp_authlab_mock_idp::trace::TraceEvent;

/// Shorter values are not redacted by value (too likely to match ordinary words).
const MIN_SECRET_LEN: usize = 6;

/// Values known to be secret, longest first (so a value containing another is replaced whole).
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
    /// Client identifiers that are public by construction (the context's `client_id`, the ones
    /// the mock registered): never taken for a secret when they are the user part of `Basic`.
    public: Vec<String>,
}

impl Secrets {
    /// Every secret of a run: [`Secrets::add_context`], then [`Secrets::add_responses`] and
    /// [`Secrets::add_requests`] over the trace.
    pub fn of_run(events: &[TraceEvent], context: Option<&serde_json::Value>) -> Self {
        let mut secrets = Secrets::default();
        if let Some(context) = context {
            secrets.add_context(context);
        }
        secrets.add_responses(events);
        secrets.add_requests(events);
        secrets
    }

    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.len() >= MIN_SECRET_LEN && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_string());
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// The values, longest first.
    pub fn values(&self) -> &[String] {
        &self.values
    }

    /// The secret string fields of a context (`client_secret`, `private_key_pem`, …), and each
    /// line of a multi-line one (a PEM key printed line by line). Its `client_id` is public.
    pub fn add_context(&mut self, context: &serde_json::Value) {
        let Some(map) = context.as_object() else {
            return;
        };
        for (name, value) in map {
            let Some(text) = value.as_str() else { continue };
            if name == "client_id" {
                self.public.push(text.to_string());
            } else if is_secret_field(name) {
                self.add(text);
                text.lines().for_each(|line| self.add(line));
            }
        }
    }

    /// Every secret the mock issued: the secret parameters of `Location` headers (the
    /// authorization `code`), and the secret fields of JSON bodies (`access_token`,
    /// `refresh_token`, `id_token`, `client_secret`, `registration_access_token`, `device_code`).
    /// The `client_id`s in JSON bodies (registration responses) are public.
    pub fn add_responses(&mut self, events: &[TraceEvent]) {
        for raw in events.iter().filter_map(|e| e.raw_response.as_deref()) {
            if let Some((_, query)) = raw.header("location").and_then(|l| l.split_once('?')) {
                let query = query.split_once('#').map_or(query, |(q, _)| q);
                self.add_secret_pairs(url::form_urlencoded::parse(query.as_bytes()));
            }
            if let Ok(body) = serde_json::from_slice::<serde_json::Value>(&raw.body) {
                if let Some(id) = body.get("client_id").and_then(|v| v.as_str()) {
                    self.public.push(id.to_string());
                }
                self.add_json(&body);
            }
        }
    }

    /// The secrets the client sent to the deployment: credentials of `Authorization` headers (and
    /// both parts of decoded `Basic` credentials, as sent and form-decoded, a client identifier
    /// known to be public aside), secret parameters of queries and form bodies, secret fields of
    /// JSON bodies.
    pub fn add_requests(&mut self, events: &[TraceEvent]) {
        for raw in events.iter().filter_map(|e| e.raw.as_deref()) {
            for value in raw.header_values("authorization") {
                if let Some((scheme, credentials)) = value.trim().split_once(' ') {
                    self.add(credentials);
                    if scheme.eq_ignore_ascii_case("basic") {
                        self.add_basic(credentials.trim());
                    }
                }
            }
            self.add_secret_pairs(raw.query_pairs());
            self.add_secret_pairs(raw.form_pairs());
            if let Ok(body) = serde_json::from_slice::<serde_json::Value>(&raw.body) {
                self.add_json(&body);
            }
        }
    }

    fn add_basic(&mut self, credentials: &str) {
        let Some(decoded) = STANDARD
            .decode(credentials)
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
        else {
            return;
        };
        let (id, secret) = decoded.split_once(':').unwrap_or((decoded.as_str(), ""));
        for part in [id, secret] {
            let form_decoded = form_decode(part);
            for value in [part, form_decoded.as_str()] {
                if !self.public.iter().any(|p| p == value) {
                    self.add(value);
                }
            }
        }
    }

    fn add_secret_pairs(
        &mut self,
        pairs: impl IntoIterator<Item = (impl AsRef<str>, impl AsRef<str>)>,
    ) {
        for (name, value) in pairs {
            if redact::is_secret_name(name.as_ref()) {
                self.add(value.as_ref());
            }
        }
    }

    /// The string values of secret fields, at any depth.
    fn add_json(&mut self, value: &serde_json::Value) {
        match value {
            serde_json::Value::Object(map) => {
                for (name, value) in map {
                    match value.as_str() {
                        Some(text) if redact::is_secret_name(name) => self.add(text),
                        _ => self.add_json(value),
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| self.add_json(v)),
            _ => {}
        }
    }

    /// `text` with every known value replaced by its fingerprint (nothing else touched): for check
    /// messages and errors, which mcp-authlab writes itself.
    pub fn redact_values(&self, text: &str) -> String {
        let mut text = text.to_string();
        for value in &self.values {
            if text.contains(value.as_str()) {
                text = text.replace(value.as_str(), &redact::fingerprint(value));
            }
        }
        text
    }
}

/// `application/x-www-form-urlencoded` decoding of one component (`+` is a space), lossy.
fn form_decode(raw: &str) -> String {
    percent_encoding::percent_decode_str(&raw.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

/// A context field whose value is secret (`client_secret`, `private_key_pem`, `api_key`, …).
fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    redact::is_secret_name(&name)
        || ["secret", "private", "key", "jwt", "token", "password"]
            .iter()
            .any(|word| name.contains(word))
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::sync::Arc;

    use mcp_authlab_mock_idp::trace::{RawRequest, RawResponse, Role};

    use super::*;

    fn event(
        request: Vec<(&str, &str)>,
        body: &str,
        response: Vec<(&str, &str)>,
        response_body: &str,
    ) -> TraceEvent {
        let pairs = |headers: Vec<(&str, &str)>| {
            headers
                .into_iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect()
        };
        TraceEvent {
            seq: 1,
            timestamp_ms: 0,
            role: Role::AuthorizationServer,
            method: "POST".into(),
            path: "/x".into(),
            status: 200,
            completed: true,
            duration_ms: 0,
            request_headers: BTreeMap::new(),
            request_body: None,
            response_headers: BTreeMap::new(),
            response_body: None,
            raw: Some(Arc::new(RawRequest {
                path_and_query: "/x".into(),
                headers: pairs(request),
                body: body.as_bytes().to_vec(),
            })),
            raw_response: Some(Arc::new(RawResponse {
                headers: pairs(response),
                body: response_body.as_bytes().to_vec(),
            })),
        }
    }

    #[test]
    fn everything_the_mock_issued_is_secret() {
        let events = [
            event(
                vec![],
                "",
                vec![(
                    "location",
                    "http://127.0.0.1:3000/callback?code=ISSUED-CODE-1&state=state-1#frag",
                )],
                "",
            ),
            event(
                vec![],
                "",
                vec![],
                r#"{"access_token":"ISSUED-AT-1","refresh_token":"ISSUED-RT-1","id_token":"ISSUED-ID-1","token_type":"Bearer"}"#,
            ),
            event(
                vec![],
                "",
                vec![],
                r#"{"client_id":"dcr-client-1","client_secret":"ISSUED-CS-1","registration_access_token":"ISSUED-RAT-1"}"#,
            ),
            event(
                vec![],
                "",
                vec![],
                r#"{"device_code":"ISSUED-DC-1","user_code":"WDJB"}"#,
            ),
        ];
        let secrets = Secrets::of_run(&events, None);
        for value in [
            "ISSUED-CODE-1",
            "ISSUED-AT-1",
            "ISSUED-RT-1",
            "ISSUED-ID-1",
            "ISSUED-CS-1",
            "ISSUED-RAT-1",
            "ISSUED-DC-1",
        ] {
            assert!(secrets.values().iter().any(|v| v == value), "{value}");
        }
        for public in ["state-1", "Bearer", "dcr-client-1", "WDJB"] {
            assert!(!secrets.values().iter().any(|v| v == public), "{public}");
        }
    }

    #[test]
    fn both_parts_of_basic_credentials_raw_and_form_decoded() {
        // `id%3Aone:se+cr%2Bet!` — an id and a secret form-encoded before base64 (RFC 6749 §2.3.1).
        let basic = STANDARD.encode("id%3Aone:se+cr%2Bet!");
        let events = [event(
            vec![("authorization", &format!("Basic {basic}"))],
            "grant_type=authorization_code&code_verifier=VERIFIER-123",
            vec![],
            "",
        )];
        let secrets = Secrets::of_run(&events, None);
        for value in [
            basic.as_str(),
            "id%3Aone",
            "id:one",
            "se+cr%2Bet!",
            "se cr+et!",
            "VERIFIER-123",
        ] {
            assert!(secrets.values().iter().any(|v| v == value), "{value}");
        }
        // The context's client id and a registered one stay readable.
        let swapped = STANDARD.encode("conformance-test-client:dcr-client-1");
        let events = [
            event(vec![], "", vec![], r#"{"client_id":"dcr-client-1"}"#),
            event(
                vec![("authorization", &format!("basic {swapped}"))],
                "",
                vec![],
                "",
            ),
        ];
        let context = serde_json::json!({"client_id": "conformance-test-client"});
        let secrets = Secrets::of_run(&events, Some(&context));
        assert_eq!(secrets.values(), [swapped]);
        assert_eq!(
            secrets.redact_values("client conformance-test-client"),
            "client conformance-test-client"
        );
    }

    #[test]
    fn values_only_for_messages() {
        let mut secrets = Secrets::default();
        secrets.add("S3CR3T-VALUE");
        secrets.add("ab");
        assert_eq!(
            secrets.redact_values("id `S3CR3T-VALUE` and code=ab"),
            format!("id `{}` and code=ab", redact::fingerprint("S3CR3T-VALUE"))
        );
    }
}
