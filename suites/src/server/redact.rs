//! Keeping the tokens the harness presented out of everything it reports: check messages, and
//! the trace's URLs, headers and bodies (a server may echo a token in an error body or a
//! redirect's `Location`, and a tampered token shares most of its bytes with the valid one).

/// What a redacted value becomes.
pub const REDACTED: &str = "[redacted token]";
/// A JWT segment this long or longer is redacted wherever it appears on its own.
const MIN_SEGMENT: usize = 16;

/// Replaces every form of the scenario's tokens.
#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so a whole token goes before its parts.
    needles: Vec<String>,
    /// The whole tokens, raw and form-encoded: what [`Redactor::matches`] looks for (a JWT's
    /// header segment is the same in every token of one key, so parts would match other
    /// scenarios' tokens).
    whole: Vec<String>,
}

impl Redactor {
    pub fn new<'a>(tokens: impl IntoIterator<Item = &'a String>) -> Self {
        let mut needles: Vec<String> = Vec::new();
        let mut whole: Vec<String> = Vec::new();
        for token in tokens {
            if token.len() < 8 {
                continue;
            }
            needles.push(token.clone());
            let encoded: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
            needles.push(encoded.clone());
            whole.push(token.clone());
            whole.push(encoded);
            needles.extend(
                token
                    .split('.')
                    .filter(|segment| segment.len() >= MIN_SEGMENT)
                    .map(str::to_string),
            );
        }
        needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        needles.dedup();
        whole.dedup();
        Self { needles, whole }
    }

    pub fn redact(&self, text: &str) -> String {
        self.needles.iter().fold(text.to_string(), |t, needle| {
            t.replace(needle.as_str(), REDACTED)
        })
    }

    /// Whether `text` carries any form of the tokens.
    pub fn matches(&self, text: &str) -> bool {
        self.whole.iter().any(|n| text.contains(n.as_str()))
    }

    /// The exchange with every string field redacted (the request side already hides
    /// `Authorization` and `access_token`; this catches echoes).
    pub fn exchange(
        &self,
        mut exchange: mcp_authlab_reports::Exchange,
    ) -> mcp_authlab_reports::Exchange {
        exchange.url = self.redact(&exchange.url);
        for value in exchange.request_headers.values_mut() {
            *value = self.redact(value);
        }
        for (name, value) in exchange.response_headers.iter_mut() {
            *value = self.redact(value);
            if name.eq_ignore_ascii_case("location")
                || name.eq_ignore_ascii_case("content-location")
            {
                *value = super::observation::redact_url(value);
            }
        }
        exchange.request_body = exchange.request_body.map(|b| self.redact(&b));
        exchange.response_body = exchange.response_body.map(|b| self.redact(&b));
        exchange
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_of_a_token_is_redacted() {
        let jwt = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMzQ1Njc4In0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
            .to_string();
        let opaque = "opaqueTok/with+slash=".to_string();
        let r = Redactor::new([&jwt, &opaque]);
        assert_eq!(
            r.redact(&format!("echo: Bearer {jwt}")),
            format!("echo: Bearer {REDACTED}")
        );
        let tampered_echo = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEyMzQ1Njc4In0.AAAA";
        assert!(!r
            .redact(tampered_echo)
            .contains("eyJzdWIiOiJ1c2VyLTEyMzQ1Njc4In0"));
        let query = "for url (http://h/mcp?access_token=opaqueTok%2Fwith%2Bslash%3D)";
        assert!(
            !r.redact(query).contains("opaqueTok"),
            "{}",
            r.redact(query)
        );
        assert!(r.matches("token=opaqueTok%2Fwith%2Bslash%3D"));
        // Another token of the same key shares the header segment: it is not this token.
        assert!(!r.matches("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJvdGhlci11c2VyLTk5In0.b3RoZXI"));
        assert!(!r.matches("nothing here"));
        assert_eq!(r.redact("short ab"), "short ab");
    }

    #[test]
    fn echoed_tokens_leave_the_exchange() {
        let token = "abcdefghijklmnopqrstuvwxyz".to_string();
        let r = Redactor::new([&token]);
        let mut exchange = mcp_authlab_reports::Exchange {
            seq: 1,
            from: "harness".into(),
            to: "mcp_server".into(),
            method: "POST".into(),
            url: "http://h/mcp".into(),
            status: 307,
            answered: true,
            duration_ms: 0,
            request_headers: Default::default(),
            request_body: None,
            response_headers: Default::default(),
            response_body: Some(format!("{{\"echo\":\"Bearer {token}\"}}")),
        };
        exchange
            .response_headers
            .insert("location".into(), format!("/mcp/?access_token={token}"));
        let text = serde_json::to_string(&r.exchange(exchange)).unwrap();
        assert!(!text.contains(&token), "{text}");
    }
}
