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

/// Redacts the secret parameters of a urlencoded string (a form body or a query string).
pub fn urlencoded(input: &str) -> String {
    input
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, v)) if is_secret_name(k) && !v.is_empty() => format!("{k}={}", fingerprint(v)),
            _ => pair.to_string(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// Redacts secret fields anywhere in a JSON document; returns the input unchanged if it is not JSON.
pub fn json_text(input: &str) -> String {
    match serde_json::from_str::<serde_json::Value>(input) {
        Ok(mut value) => {
            json_value(&mut value);
            value.to_string()
        }
        Err(_) => input.to_string(),
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
}
