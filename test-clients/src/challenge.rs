//! `WWW-Authenticate` (RFC 9110 §11.6.1): one or more challenges, each an auth-scheme followed by a
//! token68 or comma-separated auth-params (`name=token` or `name="quoted \"string\""`). Schemes and
//! parameter names are case-insensitive. Then the `Bearer` parameters the client uses
//! (RFC 6750 §3, RFC 9728 §5.1).

use reqwest::header::{HeaderMap, WWW_AUTHENTICATE};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    pub scheme: String,
    pub token68: Option<String>,
    pub params: Vec<(String, String)>,
}

impl Challenge {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed WWW-Authenticate at byte {at}: {why}")]
pub struct ParseError {
    pub at: usize,
    pub why: &'static str,
}

/// The `Bearer` challenge parameters that drive the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BearerChallenge {
    pub error: Option<String>,
    pub scope: Option<String>,
    pub resource_metadata: Option<String>,
}

impl BearerChallenge {
    /// The first `Bearer` challenge of all `WWW-Authenticate` headers; empty when there is none
    /// (or the header cannot be parsed: the client then goes on without hints).
    pub fn from_headers(headers: &HeaderMap) -> BearerChallenge {
        let values: Vec<&str> = headers
            .get_all(WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        let challenges = match parse(&values.join(", ")) {
            Ok(challenges) => challenges,
            Err(e) => {
                crate::log::step(format!("ignoring the WWW-Authenticate header: {e}"));
                return BearerChallenge::default();
            }
        };
        let Some(bearer) = challenges
            .iter()
            .find(|c| c.scheme.eq_ignore_ascii_case("bearer"))
        else {
            return BearerChallenge::default();
        };
        let get = |name| bearer.param(name).map(str::to_string);
        BearerChallenge {
            error: get("error"),
            scope: get("scope").filter(|s| !s.trim().is_empty()),
            resource_metadata: get("resource_metadata"),
        }
    }
}

/// Parses a `WWW-Authenticate` field value (several header lines joined with `, `).
pub fn parse(input: &str) -> Result<Vec<Challenge>, ParseError> {
    let mut p = Parser {
        s: input.as_bytes(),
        i: 0,
    };
    let mut challenges = Vec::new();
    loop {
        p.skip_list_separators();
        if p.eof() {
            return Ok(challenges);
        }
        let scheme = p.token();
        if scheme.is_empty() {
            return Err(p.error("expected an auth-scheme"));
        }
        let mut challenge = Challenge {
            scheme,
            ..Challenge::default()
        };
        if p.skip_spaces() && !p.eof() && p.peek() != Some(b',') {
            match p.token68() {
                Some(t) => challenge.token68 = Some(t),
                None => challenge.params = p.params()?,
            }
        }
        challenges.push(challenge);
        p.skip_spaces();
        if !p.eof() && p.peek() != Some(b',') {
            return Err(p.error("expected `,` between challenges"));
        }
    }
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

fn is_token68_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-._~+/".contains(&c)
}

impl Parser<'_> {
    fn eof(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn error(&self, why: &'static str) -> ParseError {
        ParseError { at: self.i, why }
    }

    /// Skips spaces and tabs; whether there were any.
    fn skip_spaces(&mut self) -> bool {
        let start = self.i;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
        self.i > start
    }

    /// Skips `OWS , OWS` sequences (empty list elements are allowed, RFC 9110 §5.6.1).
    fn skip_list_separators(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b',')) {
            self.i += 1;
        }
    }

    fn token(&mut self) -> String {
        let start = self.i;
        while self.peek().is_some_and(is_tchar) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    /// A token68 if one stands here alone (followed by the end or a `,`); the position is kept
    /// otherwise, so `name=value` parses as a parameter.
    fn token68(&mut self) -> Option<String> {
        let start = self.i;
        while self.peek().is_some_and(is_token68_char) {
            self.i += 1;
        }
        if self.i == start {
            return None;
        }
        while self.peek() == Some(b'=') {
            self.i += 1;
        }
        let end = self.i;
        self.skip_spaces();
        if self.eof() || self.peek() == Some(b',') {
            return Some(String::from_utf8_lossy(&self.s[start..end]).into_owned());
        }
        self.i = start;
        None
    }

    /// `name BWS = BWS value` pairs separated by commas, up to the next challenge's scheme.
    fn params(&mut self) -> Result<Vec<(String, String)>, ParseError> {
        let mut params = Vec::new();
        // Where the `,` before the current element starts (none before the first parameter).
        let mut separator: Option<usize> = None;
        loop {
            let name = self.token();
            if name.is_empty() {
                return Err(self.error("expected an auth-param name"));
            }
            self.skip_spaces();
            if self.peek() != Some(b'=') {
                return match separator {
                    // Not a parameter: the scheme of the next challenge, after the `,`.
                    Some(at) => {
                        self.i = at;
                        Ok(params)
                    }
                    None => Err(self.error("expected `=` after an auth-param name")),
                };
            }
            self.i += 1;
            self.skip_spaces();
            let value = if self.peek() == Some(b'"') {
                self.quoted_string()?
            } else {
                let value = self.token();
                if value.is_empty() {
                    return Err(self.error("expected a token or a quoted-string value"));
                }
                value
            };
            params.push((name, value));
            self.skip_spaces();
            if self.eof() {
                return Ok(params);
            }
            if self.peek() != Some(b',') {
                return Err(self.error("expected `,` after an auth-param"));
            }
            separator = Some(self.i);
            self.skip_list_separators();
            if self.eof() {
                return Ok(params);
            }
        }
    }

    fn quoted_string(&mut self) -> Result<String, ParseError> {
        self.i += 1; // the opening quote
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(self.error("unterminated quoted-string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    self.i += 1;
                    let escaped = self
                        .peek()
                        .ok_or_else(|| self.error("unterminated quoted-pair"))?;
                    out.push(escaped);
                    self.i += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn bearer_with_quoted_and_token_params() {
        let c = parse(r#"Bearer resource_metadata="http://h/.well-known/x", scope="a b", error=invalid_token"#)
            .unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(
            c[0].param("resource_metadata"),
            Some("http://h/.well-known/x")
        );
        assert_eq!(c[0].param("SCOPE"), Some("a b"));
        assert_eq!(c[0].param("error"), Some("invalid_token"));
    }

    #[test]
    fn escapes_commas_and_equals_inside_quotes() {
        let c = parse(r#"Bearer error_description="a \"b\", c=d \\ e", realm = "x""#).unwrap();
        assert_eq!(c[0].param("error_description"), Some(r#"a "b", c=d \ e"#));
        assert_eq!(c[0].param("realm"), Some("x"));
    }

    #[test]
    fn several_challenges_token68_and_bare_schemes() {
        let c =
            parse(r#"Basic realm="r", Negotiate abc+/==, newauth, BEARER scope="s", error="e""#)
                .unwrap();
        let schemes: Vec<&str> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "Negotiate", "newauth", "BEARER"]);
        assert_eq!(c[0].param("realm"), Some("r"));
        assert_eq!(c[1].token68.as_deref(), Some("abc+/=="));
        assert!(c[2].params.is_empty());
        assert_eq!(c[3].param("scope"), Some("s"));
        assert_eq!(c[3].param("error"), Some("e"));
        assert_eq!(parse("Bearer").unwrap()[0].scheme, "Bearer");
        assert!(parse("").unwrap().is_empty());
    }

    #[test]
    fn malformed_values_are_errors() {
        assert!(parse(r#"Bearer scope="unterminated"#).is_err());
        assert!(parse(r#"Bearer a="x", b="#).is_err());
        // `scope=` alone is a token68 (trailing `=` padding), not a parameter.
        assert_eq!(
            parse("Bearer scope=").unwrap()[0].token68.as_deref(),
            Some("scope=")
        );
        assert!(parse("Bearer a=b c").is_err());
        assert!(parse("=x").is_err());
    }

    #[test]
    fn bearer_from_several_header_lines() {
        let mut headers = HeaderMap::new();
        headers.append(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Basic realm="x""#),
        );
        headers.append(
            WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"bearer error="insufficient_scope", scope="mcp:a mcp:b""#),
        );
        let b = BearerChallenge::from_headers(&headers);
        assert_eq!(b.error.as_deref(), Some("insufficient_scope"));
        assert_eq!(b.scope.as_deref(), Some("mcp:a mcp:b"));
        assert_eq!(b.resource_metadata, None);
        assert_eq!(
            BearerChallenge::from_headers(&HeaderMap::new()),
            BearerChallenge::default()
        );
    }
}
