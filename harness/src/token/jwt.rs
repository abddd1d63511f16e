//! A look inside a JWT access token without verifying it: enough to tell the user which audience
//! and issuer the token names (an opaque token has nothing to show). Never used to trust a token.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

/// The claims of a JWS compact serialization (`header.payload.signature`), unverified; `None` when
/// `token` is not one (an opaque token).
pub fn unverified_claims(token: &str) -> Option<Map<String, Value>> {
    let mut parts = token.split('.');
    let (_header, payload, _signature) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    match serde_json::from_slice(&bytes).ok()? {
        Value::Object(claims) => Some(claims),
        _ => None,
    }
}

/// Whether the `aud` claim (a string or an array of strings, RFC 7519 §4.1.3) names `resource`.
pub fn audience_names(claims: &Map<String, Value>, resource: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(aud)) => aud == resource,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(resource)),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn jwt(claims: &Value) -> String {
        format!(
            "eyJhbGciOiJub25lIn0.{}.sig",
            URL_SAFE_NO_PAD.encode(claims.to_string())
        )
    }

    #[test]
    fn claims_of_a_jwt_and_none_of_an_opaque_token() {
        let claims = unverified_claims(&jwt(&json!({"aud": "https://mcp/x", "iss": "i"}))).unwrap();
        assert_eq!(claims["iss"], "i");
        assert!(audience_names(&claims, "https://mcp/x"));
        assert!(!audience_names(&claims, "https://mcp/y"));
        for opaque in ["abc123", "a.b", "a.b.c.d", &jwt(&json!([1]))] {
            assert_eq!(unverified_claims(opaque), None, "{opaque}");
        }
        let many = unverified_claims(&jwt(&json!({"aud": ["a", "https://mcp/x"]}))).unwrap();
        assert!(audience_names(&many, "https://mcp/x"));
        assert!(!audience_names(&serde_json::Map::new(), "https://mcp/x"));
    }
}
