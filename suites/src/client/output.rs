//! What the client under test printed, as the report shows it: the last lines only, each cut
//! after [`MAX_LINE_BYTES`], with anything that looks like a secret replaced by its fingerprint
//! (`‹redacted:1a2b3c4d›`, the same as in the trace, so a token in the output can be matched with
//! the request that carried it).
//!
//! Redacted: every value known to be secret in the run ([`Secrets`]: what the client sent to the
//! mock, everything the mock issued to it, its context's secrets), `Bearer`/`Basic` credentials,
//! JWTs, secret parameters of URLs and forms (`code=…`, `access_token=…`), secret fields of JSON
//! (`"client_secret": "…"`) and of Python or JavaScript reprs (`{'refresh_token': '…'}`,
//! `access_token='…'`).

mod secrets;

use mcp_authlab_mock_idp::redact;

pub use secrets::Secrets;

/// How many lines of output a scenario result keeps.
pub const KEPT_LINES: usize = 40;

/// A line is cut after this many bytes before it is redacted (the patterns are not linear in the
/// length of a line), never in the middle of a known secret.
pub const MAX_LINE_BYTES: usize = 4096;

impl Secrets {
    /// One line of output, cut after [`MAX_LINE_BYTES`], with every secret-looking part
    /// fingerprinted.
    pub fn redact_line(&self, line: &str) -> String {
        let line = cut(line, self.values());
        // Patterns first, known values after: a value is fingerprinted once, the same way.
        let line = redact_words(&redact_quoted_pairs(&redact_json_tail(&line)));
        self.redact_values(&line)
    }
}

/// `line` cut after at most [`MAX_LINE_BYTES`] (on a character boundary, before any known value
/// the cut would split), with a note of how much was cut.
fn cut(line: &str, values: &[String]) -> String {
    if line.len() <= MAX_LINE_BYTES {
        return line.to_string();
    }
    let mut end = MAX_LINE_BYTES;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    loop {
        let split = values.iter().find_map(|value| {
            line.match_indices(value.as_str())
                .map(|(start, _)| start)
                .find(|start| *start < end && start + value.len() > end)
        });
        match split {
            Some(start) => end = start,
            None => break,
        }
    }
    format!("{} …[{} bytes cut]", &line[..end], line.len() - end)
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

/// Whether a field name read in output names a secret: the secret parameter names, and the
/// usual spellings of tokens, secrets, private keys and passwords (`refreshToken`, `api_secret`).
/// Not `token_type` or `token_endpoint`.
fn is_secret_pair_name(name: &str) -> bool {
    let name: String = name
        .chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    redact::SECRET_NAMES
        .iter()
        .any(|secret| secret.replace('_', "") == name)
        || name.ends_with("token")
        || name.ends_with("secret")
        || name.ends_with("password")
        || name.contains("privatekey")
}

fn is_name_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-'
}

/// Secret fields written as `name: 'value'`, `'name': 'value'`, `"name": "value"` or
/// `name='value'` anywhere in a line (Python and JavaScript object reprs, invalid or cut JSON):
/// the quoted value is fingerprinted. An unterminated value runs to the end of the line.
fn redact_quoted_pairs(line: &str) -> String {
    let bytes = line.as_bytes();
    let mut out = String::with_capacity(line.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !is_name_byte(bytes[i]) || (i > 0 && is_name_byte(bytes[i - 1])) {
            i += 1;
            continue;
        }
        let mut end = i;
        while end < bytes.len() && is_name_byte(bytes[end]) {
            end += 1;
        }
        match quoted_value(bytes, i, end) {
            Some((start, stop, next)) => {
                let value = &line[start..stop];
                if is_secret_pair_name(&line[i..end])
                    && !value.is_empty()
                    && !value.starts_with("‹redacted:")
                {
                    out.push_str(&line[copied..start]);
                    out.push_str(&redact::fingerprint(value));
                    copied = stop;
                }
                i = next;
            }
            None => i = end,
        }
    }
    out.push_str(&line[copied..]);
    out
}

/// For a name at `bytes[start..end]`: the byte range of the quoted value that follows it (after
/// the name's closing quote if it was quoted, spaces, `:` or `=`, spaces), and where to go on.
fn quoted_value(bytes: &[u8], start: usize, end: usize) -> Option<(usize, usize, usize)> {
    let is_quote = |b: u8| b == b'\'' || b == b'"';
    let mut k = end;
    if let Some(&opening) = start.checked_sub(1).and_then(|p| bytes.get(p)) {
        if is_quote(opening) && bytes.get(k) == Some(&opening) {
            k += 1;
        }
    }
    let skip_spaces = |mut k: usize| {
        while bytes.get(k) == Some(&b' ') {
            k += 1;
        }
        k
    };
    k = skip_spaces(k);
    if !matches!(bytes.get(k), Some(b':' | b'=')) {
        return None;
    }
    k = skip_spaces(k + 1);
    let quote = *bytes.get(k).filter(|b| is_quote(**b))?;
    let value_start = k + 1;
    let mut k = value_start;
    while k < bytes.len() && bytes[k] != quote {
        k += if bytes[k] == b'\\' { 2 } else { 1 };
    }
    let value_end = k.min(bytes.len());
    Some((value_start, value_end, (value_end + 1).min(bytes.len())))
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
        } else if core.contains('=') && !core.contains("‹redacted:") {
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
    fn python_and_javascript_reprs() {
        for (line, secret) in [
            (
                "tokens: {'access_token': 'AT-999', 'refresh_token': 'x', 'token_type': 'Bearer'}",
                "'x'",
            ),
            (
                "OAuthToken(access_token='AT-999' token_type='Bearer' refresh_token='RT-1')",
                "RT-1",
            ),
            (
                "{ accessToken: 'AT-999', tokenType: 'Bearer', clientSecret: \"s3\" }",
                "s3",
            ),
            (
                r#"cut json {"refresh_token":"RT-2","expires_in":36"#,
                "RT-2",
            ),
            (
                r#"unterminated "client_secret": "S3CR3T-TO-THE-END"#,
                "S3CR3T",
            ),
        ] {
            let out = clean(line);
            assert!(
                !out.contains(secret) && !out.contains("AT-999"),
                "{line} -> {out}"
            );
            assert!(out.contains("‹redacted:"), "{out}");
        }
        let out = clean(
            "{'refresh_token': 'x', 'token_type': 'Bearer', 'token_endpoint': 'http://a/token'}",
        );
        assert!(
            out.contains("'token_type': 'Bearer'") && out.contains("'http://a/token'"),
            "{out}"
        );
        // Same fingerprint as the trace's for the same value.
        assert_eq!(
            clean("refresh_token='RT-1'"),
            format!("refresh_token='{}'", redact::fingerprint("RT-1"))
        );
        for untouched in [
            "at 12:30 'ok'",
            "see http://127.0.0.1:9/x",
            "name: 'value'",
            "code: 42",
        ] {
            assert_eq!(clean(untouched), untouched);
        }
    }

    #[test]
    fn long_lines_are_cut_before_redaction_never_inside_a_secret() {
        let mut secrets = Secrets::default();
        secrets.add("KNOWN-SECRET-VALUE");
        let prefix = "x".repeat(MAX_LINE_BYTES - 5);
        let line = format!("{prefix}KNOWN-SECRET-VALUE and then {}", "y".repeat(10_000));
        let out = secrets.redact_line(&line);
        assert!(out.len() < MAX_LINE_BYTES + 64, "{}", out.len());
        assert!(
            !out.contains("KNOWN"),
            "a prefix of the secret survived the cut"
        );
        assert!(
            out.ends_with(&format!(" …[{} bytes cut]", line.len() - prefix.len())),
            "{}",
            &out[out.len() - 40..]
        );
        // Multi-byte characters are not split.
        let wide = "é".repeat(MAX_LINE_BYTES);
        assert!(clean(&wide).starts_with('é'));
        // A million `{` stays fast (the JSON tail is tried from each of them).
        let started = std::time::Instant::now();
        clean(&"{".repeat(1_000_000));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn tail_keeps_the_last_lines() {
        let lines: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
        let kept = tail(&lines, &Secrets::default());
        assert_eq!(kept.len(), KEPT_LINES);
        assert_eq!(kept.last().unwrap(), "line 99");
    }
}
