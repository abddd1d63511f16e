//! What the client under test printed, as the report shows it: the last lines only, with anything
//! that looks like a secret replaced by its fingerprint (`‹redacted:1a2b3c4d›`, the same as in the
//! trace, so a token in the output can be matched with the request that carried it).
//!
//! Redacted: every value the client is known to hold secretly (the secrets it sent to the mock,
//! its context's secrets), `Bearer`/`Basic` credentials, JWTs, secret parameters of URLs and forms
//! (`code=…`, `access_token=…`) and secret fields of JSON (`"client_secret": "…"`).

use mcp_authlab_mock_idp::redact;
use mcp_authlab_mock_idp::trace::TraceEvent;

/// How many lines of output a scenario result keeps.
pub const KEPT_LINES: usize = 40;

/// Shorter values are not redacted by value (too likely to match ordinary words).
const MIN_SECRET_LEN: usize = 6;

/// Values known to be secret, longest first (so a value containing another is replaced whole).
#[derive(Debug, Clone, Default)]
pub struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    pub fn add(&mut self, value: &str) {
        let value = value.trim();
        if value.len() >= MIN_SECRET_LEN && !self.values.iter().any(|v| v == value) {
            self.values.push(value.to_string());
            self.values.sort_by_key(|v| std::cmp::Reverse(v.len()));
        }
    }

    /// The secret string fields of a context (`client_secret`, `private_key_pem`, …), and each
    /// line of a multi-line one (a PEM key printed line by line).
    pub fn add_context(&mut self, context: &serde_json::Value) {
        let Some(map) = context.as_object() else {
            return;
        };
        for (name, value) in map {
            let Some(text) = value.as_str() else { continue };
            if is_secret_field(name) {
                self.add(text);
                text.lines().for_each(|line| self.add(line));
            }
        }
    }

    /// The secrets the client sent to the deployment: credentials of `Authorization` headers and
    /// secret parameters of queries and form bodies.
    pub fn add_requests(&mut self, events: &[TraceEvent]) {
        for raw in events.iter().filter_map(|e| e.raw.as_deref()) {
            for value in raw.header_values("authorization") {
                if let Some((_, credentials)) = value.split_once(' ') {
                    self.add(credentials);
                }
            }
            for (name, value) in raw.query_pairs().into_iter().chain(raw.form_pairs()) {
                if redact::is_secret_name(&name) {
                    self.add(&value);
                }
            }
            if let Ok(serde_json::Value::Object(body)) =
                serde_json::from_slice::<serde_json::Value>(&raw.body)
            {
                for (name, value) in body {
                    if let (true, Some(text)) = (redact::is_secret_name(&name), value.as_str()) {
                        self.add(text);
                    }
                }
            }
        }
    }

    /// One line of output with every secret-looking part fingerprinted.
    pub fn redact_line(&self, line: &str) -> String {
        // Patterns first, known values after: a value is fingerprinted once, the same way.
        let mut line = redact_words(&redact_json_tail(line));
        for value in &self.values {
            if line.contains(value.as_str()) {
                line = line.replace(value.as_str(), &redact::fingerprint(value));
            }
        }
        line
    }
}

fn is_secret_field(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    redact::is_secret_name(&name)
        || ["secret", "private", "key", "jwt", "token", "password"]
            .iter()
            .any(|word| name.contains(word))
}

/// A JSON object or array from the first `{` or `[` to the end of the line, with its secret
/// fields redacted (`token response: {"access_token": "…"}`).
fn redact_json_tail(line: &str) -> String {
    for (start, _) in line.match_indices(['{', '[']) {
        let json = &line[start..];
        if let Some(redacted) = redact::json_checked(json) {
            // Rewritten (keys sorted, spaces gone) only when something was redacted.
            let original = serde_json::from_str::<serde_json::Value>(json).ok();
            let changed = serde_json::from_str::<serde_json::Value>(&redacted).ok() != original;
            return match changed {
                true => format!("{}{redacted}", &line[..start]),
                false => line.to_string(),
            };
        }
    }
    line.to_string()
}

fn looks_like_jwt(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && word.starts_with("eyJ")
        && parts.iter().all(|p| {
            p.len() >= 2
                && p.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Word by word: credentials after `Bearer`/`Basic`, JWTs, and secret `name=value` pairs.
fn redact_words(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut previous_was_scheme = false;
    for piece in line.split_inclusive(char::is_whitespace) {
        let word = piece.trim_end();
        let space = &piece[word.len()..];
        let core = word.trim_matches(|c: char| "\"'`,;()<>[]{}".contains(c));
        let redacted = if core.is_empty() || core.starts_with("‹redacted:") {
            word.to_string()
        } else if previous_was_scheme || looks_like_jwt(core) {
            word.replacen(core, &redact::fingerprint(core), 1)
        } else if core.contains('=') {
            let query = if core.contains('?') {
                redact::url(core)
            } else {
                redact::urlencoded(core)
            };
            word.replacen(core, &query, 1)
        } else {
            word.to_string()
        };
        previous_was_scheme =
            core.eq_ignore_ascii_case("bearer") || core.eq_ignore_ascii_case("basic");
        out.push_str(&redacted);
        out.push_str(space);
    }
    out
}

/// The last [`KEPT_LINES`] of `lines`, redacted.
pub fn tail(lines: &[String], secrets: &Secrets) -> Vec<String> {
    let start = lines.len().saturating_sub(KEPT_LINES);
    lines[start..]
        .iter()
        .map(|line| secrets.redact_line(line))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(line: &str) -> String {
        Secrets::default().redact_line(line)
    }

    #[test]
    fn bearer_and_basic_credentials() {
        let line = clean("sending Authorization: Bearer abc.def-123 to the server");
        assert!(!line.contains("abc.def-123"), "{line}");
        assert!(line.contains("Bearer ‹redacted:"), "{line}");
        assert!(line.ends_with(" to the server"), "{line}");
        assert!(!clean("header 'Basic Y2xpZW50OnNlY3JldA=='").contains("Y2xpZW50"));
        assert_eq!(clean("a plain line"), "a plain line");
    }

    #[test]
    fn jwts_urls_and_forms() {
        let jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        assert!(!clean(&format!("token={jwt}")).contains(jwt));
        assert!(!clean(&format!("got {jwt}")).contains(jwt));
        let url = clean("redirect to http://127.0.0.1:3000/callback?code=SECRETCODE&state=s1");
        assert!(
            !url.contains("SECRETCODE") && url.contains("state=s1"),
            "{url}"
        );
        let form = clean("body: grant_type=authorization_code&code_verifier=VERIFIER123");
        assert!(!form.contains("VERIFIER123") && form.contains("grant_type=authorization_code"));
    }

    #[test]
    fn json_fields() {
        let line = clean(r#"token response: {"access_token":"AT-1234567","token_type":"Bearer"}"#);
        assert!(!line.contains("AT-1234567"), "{line}");
        assert!(line.starts_with("token response: {"), "{line}");
        let untouched = r#"got {"b": 1, "a": "x"}"#;
        assert_eq!(clean(untouched), untouched);
    }

    #[test]
    fn known_values_anywhere() {
        let mut secrets = Secrets::default();
        secrets.add_context(&serde_json::json!({
            "client_id": "conformance-test-client",
            "client_secret": "conformance-test-secret",
            "private_key_pem": "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEG\n-----END PRIVATE KEY-----",
        }));
        secrets.add("ab"); // too short to redact by value
        let line = secrets.redact_line("using conformance-test-secret for conformance-test-client");
        assert!(!line.contains("conformance-test-secret"), "{line}");
        assert!(line.contains("conformance-test-client"), "{line}");
        assert!(!secrets
            .redact_line("key line MIGHAgEAMBMGByqGSM49AgEG")
            .contains("MIGHAgEAMBMGByqGSM49AgEG"));
        assert_eq!(secrets.redact_line("ab cd"), "ab cd");
        // A known value in a secret JSON field gets the same fingerprint either way.
        let json = secrets.redact_line(r#"{"client_secret":"conformance-test-secret"}"#);
        let word = secrets.redact_line("conformance-test-secret");
        assert_eq!(json, format!(r#"{{"client_secret":"{word}"}}"#));
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let lines: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
        let kept = tail(&lines, &Secrets::default());
        assert_eq!(kept.len(), KEPT_LINES);
        assert_eq!(kept.last().unwrap(), "line 99");
    }
}
