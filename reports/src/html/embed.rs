//! Putting data and code inside the page safely: JSON that cannot end its `<script>` element,
//! and the hashes a Content-Security-Policy allows the page's own style and script by.

use base64::Engine as _;
use serde::Serialize;
use sha2::{Digest, Sha256};

/// `value` as JSON for the text of a `<script type="application/json">` element: `<`, `>` and
/// `&` (and U+2028/U+2029) are written as `\uXXXX` escapes, so no `</script>` or `<!--` can
/// appear in it. These characters only occur inside JSON strings, where the escapes mean the
/// same, so `JSON.parse` of the element's text gives back the value.
pub fn script_json(value: &impl Serialize) -> String {
    let json = serde_json::to_string_pretty(value).expect("the report model always serializes");
    let mut out = String::with_capacity(json.len() + json.len() / 16);
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// The CSP source that allows exactly this inline `<style>` or `<script>` text.
pub fn csp_hash(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_its_element_and_round_trips() {
        let hostile = serde_json::json!({
            "message": "</script><script>alert(1)</script> <!-- a & b > c \u{2028}",
        });
        let text = script_json(&hostile);
        assert!(!text.contains('<'), "{text}");
        assert!(!text.contains('>'), "{text}");
        assert!(text.contains(r"\u003c/script\u003e"), "{text}");
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, hostile);
        // A value without those characters is plain JSON.
        assert_eq!(script_json(&"a/b"), "\"a/b\"");
    }

    #[test]
    fn csp_hash_is_the_base64_sha256_of_the_text() {
        // Known value: `echo -n 'alert(1)' | openssl dgst -sha256 -binary | base64`.
        assert_eq!(
            csp_hash("alert(1)"),
            "'sha256-bhHHL3z2vDgxUt0W3dWQOrprscmda2Y5pLsLg4GF+pI='"
        );
        assert_ne!(csp_hash("alert(1)"), csp_hash("alert(2)"));
    }
}
