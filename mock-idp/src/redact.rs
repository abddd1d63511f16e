//! Redaction of secrets in traces: a secret is replaced by a short fingerprint, so a reader can still
//! see that the same value came back (`‹redacted:1a2b3c4d›`) without seeing the value.

use sha2::{Digest, Sha256};

/// Parameter and JSON field names whose values are secrets.
pub const SECRET_NAMES: &[&str] = &[
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "code",
    "code_verifier",
    "assertion",
    "client_assertion",
    "token",
    "device_code",
    "password",
    "registration_access_token",
];

pub fn is_secret_name(name: &str) -> bool {
    SECRET_NAMES.iter().any(|s| s.eq_ignore_ascii_case(name))
}

/// `application/x-www-form-urlencoded` decoding of a name (`+` is a space), lossy: what the form
/// parser would see, so `client%5Fsecret` is recognised as `client_secret`.
fn form_decode(raw: &str) -> String {
    let spaced = raw.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// Whether a text names a secret anywhere (case-insensitive substring of [`SECRET_NAMES`], as
/// written or percent-decoded). Only for bodies that could not be parsed: it matches generously.
pub fn mentions_secret(text: &str) -> bool {
    let raw = text.to_ascii_lowercase();
    let decoded = form_decode(&raw);
    SECRET_NAMES
        .iter()
        .any(|name| raw.contains(name) || decoded.contains(name))
}

/// What the trace shows instead of a body that could not be parsed and mentions a secret name.
pub fn withheld(len: usize) -> String {
    format!("‹body withheld: {len} bytes, may contain secrets›")
}

pub fn fingerprint(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let hex: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    format!("‹redacted:{hex}›")
}

/// `Bearer abc` becomes `Bearer ‹redacted:…›`; `Basic …` likewise; other values are kept.
pub fn authorization_header(value: &str) -> String {
    match value.split_once(' ') {
        Some((scheme, credentials)) => format!("{scheme} {}", fingerprint(credentials.trim())),
        None => fingerprint(value),
    }
}

/// Redacts the secret parameters of a urlencoded string (a form body or a query string). Names
/// are compared percent-decoded, as the form parser reads them.
pub fn urlencoded(input: &str) -> String {
    input
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if !v.is_empty() && is_secret_name(&form_decode(k)) => {
                format!("{k}={}", fingerprint(v))
            }
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Whether `input` reads as `application/x-www-form-urlencoded` (WHATWG URL §5.1): no white space
/// or control characters (a final line break aside), and every non-empty `&`-separated piece is
/// `name=value` with a plain name (letters, digits, `_-.~%+*[]`). JSON, HTML and prose do not.
pub fn is_form_like(input: &str) -> bool {
    let body = input.trim_end_matches(['\r', '\n']);
    let plain_name = |c: char| c.is_ascii_alphanumeric() || "_-.~%+*[]".contains(c);
    !body.is_empty()
        && !body.chars().any(|c| c.is_whitespace() || c.is_control())
        && body
            .split('&')
            .filter(|piece| !piece.is_empty())
            .all(|piece| match piece.split_once('=') {
                Some((name, _)) => !name.is_empty() && name.chars().all(plain_name),
                None => false,
            })
}

/// Redacts secret fields anywhere in a JSON document; returns the input unchanged if it is not JSON.
pub fn json_text(input: &str) -> String {
    json_checked(input).unwrap_or_else(|| input.to_string())
}

/// The redacted JSON document, or `None` when `input` is not a JSON object or array (a bare
/// string or number has no field names to go by).
pub fn json_checked(input: &str) -> Option<String> {
    let mut value = serde_json::from_str::<serde_json::Value>(input).ok()?;
    if !(value.is_object() || value.is_array()) {
        return None;
    }
    json_value(&mut value);
    Some(value.to_string())
}

/// A request or response body as the trace shows it: redacted JSON (tried first when
/// `json_first`, i.e. the media type says JSON) or redacted form (when it reads as one, whatever
/// the declared media type); a body that is neither and mentions a secret name is withheld.
pub fn body(bytes: &[u8], json_first: bool) -> String {
    let text = String::from_utf8_lossy(bytes);
    let form = || is_form_like(&text).then(|| urlencoded(&text));
    let parsed = if json_first {
        json_checked(&text).or_else(form)
    } else {
        form().or_else(|| json_checked(&text))
    };
    match parsed {
        Some(redacted) => redacted,
        None if mentions_secret(&text) => withheld(bytes.len()),
        None => text.into_owned(),
    }
}

pub fn json_value(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                match v {
                    serde_json::Value::String(s) if is_secret_name(k) => *s = fingerprint(s),
                    _ => json_value(v),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(json_value),
        _ => {}
    }
}

/// Redacts the query of a URL or path.
pub fn url(input: &str) -> String {
    match input.split_once('?') {
        Some((base, query)) => format!("{base}?{}", urlencoded(query)),
        None => input.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_become_stable_fingerprints() {
        let a = urlencoded("grant_type=authorization_code&code=abc&code_verifier=xyz");
        assert!(a.starts_with("grant_type=authorization_code&code=‹redacted:"));
        assert!(!a.contains("abc") && !a.contains("xyz"));
        assert_eq!(fingerprint("abc"), fingerprint("abc"));
        assert_ne!(fingerprint("abc"), fingerprint("abd"));
    }

    #[test]
    fn json_and_headers_and_urls() {
        let j = json_text(
            r#"{"access_token":"t0k","token_type":"Bearer","nested":[{"refresh_token":"r"}]}"#,
        );
        assert!(!j.contains("t0k") && !j.contains("\"r\"") && j.contains("Bearer"));
        assert!(!authorization_header("Bearer sekret").contains("sekret"));
        assert!(authorization_header("Bearer sekret").starts_with("Bearer ‹"));
        let u = url("/cb?code=c0de&state=s1");
        assert!(!u.contains("c0de") && u.contains("state=s1"));
        assert_eq!(url("/plain"), "/plain");
    }

    #[test]
    fn encoded_secret_names_are_recognised() {
        for input in [
            "client%5Fsecret=S3CR3T&grant_type=client_credentials",
            "client%5fsecret=S3CR3T",
            "Client_Secret=S3CR3T",
            "%63ode=S3CR3T",
        ] {
            let out = urlencoded(input);
            assert!(!out.contains("S3CR3T"), "{input} -> {out}");
            assert!(out.contains("‹redacted:"), "{input} -> {out}");
        }
        assert_eq!(urlencoded("client+secret=x"), "client+secret=x");
        assert_eq!(
            url("/cb?client%5Fsecret=S3CR3T").matches("S3CR3T").count(),
            0
        );
    }

    #[test]
    fn form_likeness() {
        for form in [
            "a=1&b=2",
            "grant_type=client_credentials&client_secret=x\n",
            "a=&b=c%20d+e&&",
            "scope[]=x",
        ] {
            assert!(is_form_like(form), "{form}");
        }
        for not_form in [
            "",
            "plain words",
            "client_secret: abc",
            "{\"client_secret\":\"a=b\"}",
            "a=1 client_secret=abc",
            "a=1&junk",
            "<p>code=1</p>",
        ] {
            assert!(!is_form_like(not_form), "{not_form}");
        }
    }

    #[test]
    fn bodies_are_redacted_whatever_their_media_type() {
        // A form sent as text/plain (or without a media type) is still redacted.
        let out = body(b"grant_type=client_credentials&client_secret=S3CR3T", false);
        assert!(!out.contains("S3CR3T") && out.contains("client_secret=‹redacted:"));
        // JSON under a non-JSON media type is redacted as JSON.
        let out = body(br#"{"client_secret":"a=S3CR3T"}"#, false);
        assert!(!out.contains("S3CR3T"), "{out}");
        // A form under a JSON media type is redacted as a form.
        let out = body(b"client_secret=S3CR3T", true);
        assert!(!out.contains("S3CR3T"), "{out}");
        // Unparseable and naming a secret: withheld, with its size.
        for text in [
            r#"{"client_secret": "S3CR3T""#,
            "client_secret: S3CR3T",
            "my Password is S3CR3T",
            "client%5Fsecret S3CR3T",
            r#""refresh_token=S3CR3T""#,
        ] {
            for json_first in [true, false] {
                assert_eq!(
                    body(text.as_bytes(), json_first),
                    withheld(text.len()),
                    "{text}"
                );
            }
        }
        // Unparseable but harmless: kept.
        assert_eq!(body(b"hello world", false), "hello world");
        assert_eq!(body(b"{not json", true), "{not json");
        // Not UTF-8: the size is the body's, not that of its lossy decoding.
        assert_eq!(body(b"password \xff\xff", false), withheld(11));
    }
}
