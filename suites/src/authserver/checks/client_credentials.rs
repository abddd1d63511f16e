//! The client_credentials grant with the credentials the user gave and an RFC 8707 `resource`:
//! a token comes back (OAuth 2.1 §3.2.3), and when it is a JWT its audience is the resource
//! (RFC 8707 §2, RFC 9068 §3). The token itself is never shown.

use serde_json::Value;

use super::shown;
use crate::authserver::observation::{label, AuthServerObservation};
use crate::check::Finding;

/// The access token of the response, if one came.
fn access_token(obs: &AuthServerObservation) -> Result<String, Finding> {
    let Some(probe) = obs.probe(label::CLIENT_CREDENTIALS) else {
        return Err(Finding::not_judged(
            obs.why_not_probed(label::CLIENT_CREDENTIALS)
                .unwrap_or("no token was requested")
                .to_string(),
        ));
    };
    probe
        .ok()
        .filter(|r| r.status == 200)
        .and_then(|r| r.json())
        .and_then(|d| d.get("access_token")?.as_str().map(str::to_string))
        .ok_or_else(|| Finding::violated(format!("{}: no access_token", shown(probe))))
}

/// `cc-token-issued` (AS-TOK-01): 200 with `access_token` and `token_type` Bearer.
pub fn cc_token_issued(obs: &AuthServerObservation) -> Finding {
    if let Err(finding) = access_token(obs) {
        let Some(probe) = obs.probe(label::CLIENT_CREDENTIALS) else {
            return finding;
        };
        let error = probe
            .ok()
            .and_then(|r| r.json())
            .and_then(|d| d.get("error")?.as_str().map(str::to_string))
            .map(|e| format!(" ({e})"))
            .unwrap_or_default();
        return Finding::violated(obs.redact(&format!(
            "{}{error}: no token for these client credentials",
            shown(probe)
        )));
    }
    let doc = obs
        .response(label::CLIENT_CREDENTIALS)
        .and_then(|r| r.json())
        .unwrap_or(Value::Null);
    match doc.get("token_type").and_then(Value::as_str) {
        Some(t) if t.eq_ignore_ascii_case("bearer") => Finding::met(format!(
            "a Bearer token{}",
            doc.get("expires_in")
                .and_then(Value::as_u64)
                .map(|s| format!(", expires in {s} s"))
                .unwrap_or_default()
        )),
        Some(t) => Finding::violated(format!("token_type `{t}`, not Bearer")),
        None => Finding::violated("no token_type (OAuth 2.1 §3.2.3 REQUIRED)"),
    }
}

/// `cc-token-audience` (AS-RES-01, SHOULD): a JWT access token's `aud` is the `resource` asked
/// for; an opaque token is a note (only introspection can tell).
pub fn cc_token_audience(obs: &AuthServerObservation) -> Finding {
    let token = match access_token(obs) {
        Ok(token) => token,
        Err(finding) => return Finding::not_judged(finding.message().to_string()),
    };
    let Ok(claims) = jsonwebtoken::dangerous::insecure_decode_claims::<Value>(&token) else {
        return Finding::note(
            "an opaque token (not a JWT): whether the resource indicator was honoured can only \
             be seen by introspection",
        );
    };
    let audiences: Vec<String> = match claims.get("aud") {
        Some(Value::String(a)) => vec![a.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    if audiences.contains(&obs.resource) {
        Finding::met(format!(
            "a JWT with aud {} (the resource asked for)",
            audiences.join(" ")
        ))
    } else if audiences.is_empty() {
        Finding::violated(format!(
            "a JWT without aud: resource={} was not honoured, any MCP server trusting this issuer \
             would accept it",
            obs.resource
        ))
    } else {
        Finding::violated(format!(
            "a JWT with aud {}, not the resource asked for ({}): the resource indicator (RFC \
             8707) was not honoured, so the MCP server at {} must reject it",
            audiences.join(" "),
            obs.resource,
            obs.resource
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authserver::observation::test_support::*;
    use mcp_authlab_reports::SpecVersion;
    use serde_json::json;

    fn jwt(aud: &str) -> String {
        let key = jsonwebtoken::EncodingKey::from_secret(b"k");
        jsonwebtoken::encode(
            &jsonwebtoken::Header::default(),
            &json!({"aud": aud, "sub": "s"}),
            &key,
        )
        .unwrap()
    }

    fn issued(status: u16, doc: Value) -> AuthServerObservation {
        let mut obs = observation(SpecVersion::V2025_11_25);
        push(
            &mut obs,
            label::CLIENT_CREDENTIALS,
            "http://127.0.0.1:2000/token",
            status,
            &[("content-type", "application/json")],
            &doc.to_string(),
        );
        obs
    }

    #[test]
    fn cc_token_issued_() {
        let obs = issued(
            200,
            json!({"access_token": "opaque-token", "token_type": "Bearer", "expires_in": 60}),
        );
        assert!(cc_token_issued(&obs).is_met());
        let refused = cc_token_issued(&issued(401, json!({"error": "invalid_client"})));
        assert!(refused.is_violated() && refused.message().contains("invalid_client"));
        let untyped = issued(200, json!({"access_token": "opaque-token"}));
        assert!(cc_token_issued(&untyped).is_violated());
    }

    #[test]
    fn cc_token_audience_() {
        let resource = observation(SpecVersion::V2025_11_25).resource;
        let good = issued(
            200,
            json!({"access_token": jwt(&resource), "token_type": "Bearer"}),
        );
        assert!(cc_token_audience(&good).is_met());
        let other = issued(
            200,
            json!({"access_token": jwt("https://other.example"), "token_type": "Bearer"}),
        );
        assert!(cc_token_audience(&other).is_violated());
        let opaque = issued(
            200,
            json!({"access_token": "opaque-token", "token_type": "Bearer"}),
        );
        assert!(matches!(cc_token_audience(&opaque), Finding::Note(_)));
        // The token is never in a message.
        let token = jwt("https://other.example");
        assert!(!cc_token_audience(&other).message().contains(&token));
    }
}
