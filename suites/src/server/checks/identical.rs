//! "Identical" as MCP 2026-07-28 means it for issuer identifiers (Authorization Server Metadata
//! Discovery; Authorization Response Validation): simple string comparison (RFC 3986 §6.2.1), with
//! no case folding of scheme or host, no default-port elision, no trailing-slash or
//! percent-encoding normalisation (RFC 3986 §6.2.2-§6.2.3). When two identifiers differ only by
//! such a normalisation, [`normalisation_difference`] says which, so a message can explain why a
//! difference a person would overlook still makes every 2026-07-28 client refuse.

use percent_encoding::percent_decode_str;

/// Which normalisation would make `a` and `b` equal, when they differ and one would; `None` when
/// they are identical or differ in substance.
pub fn normalisation_difference(a: &str, b: &str) -> Option<&'static str> {
    if a == b {
        return None;
    }
    if a.trim_end_matches('/') == b.trim_end_matches('/') {
        return Some("a trailing slash");
    }
    let decoded = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
    if decoded(a) == decoded(b) {
        return Some("percent-encoding");
    }
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(x), Ok(y)) if x == y => Some("the case of the scheme or host, or a default port"),
        _ => None,
    }
}

/// `` `got` is not identical to `expected` `` with the normalisation that hides it, if any.
pub fn explain(expected: &str, got: &str) -> String {
    match normalisation_difference(expected, got) {
        Some(what) => format!(
            "`{got}` is not identical to `{expected}`: they differ by {what}, which MCP 2026-07-28 \
             forbids clients to normalise before comparing (RFC 3986 §6.2.1), so every client \
             refuses it"
        ),
        None => format!("`{got}` is not `{expected}`"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_forbidden_normalisation_is_named() {
        let issuer = "https://idp.example/tenant";
        assert_eq!(normalisation_difference(issuer, issuer), None);
        assert_eq!(
            normalisation_difference(issuer, "https://idp.example/tenant/"),
            Some("a trailing slash")
        );
        assert_eq!(
            normalisation_difference(issuer, "https://idp.example/t%65nant"),
            Some("percent-encoding")
        );
        assert_eq!(
            normalisation_difference(issuer, "HTTPS://IDP.example/tenant"),
            Some("the case of the scheme or host, or a default port")
        );
        assert_eq!(
            normalisation_difference(issuer, "https://idp.example:443/tenant"),
            Some("the case of the scheme or host, or a default port")
        );
        assert_eq!(
            normalisation_difference(issuer, "https://evil.example/tenant"),
            None
        );
        assert!(explain(issuer, "https://idp.example/tenant/").contains("trailing slash"));
        assert!(!explain(issuer, "https://evil.example").contains("normalise"));
    }
}
