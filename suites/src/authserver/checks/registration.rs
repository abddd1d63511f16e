//! A throw-away dynamic client registration (RFC 7591) made the way MCP clients make one: a
//! public client (`none`) with a loopback redirect URI, the code and refresh grants.

use serde_json::Value;

use super::{shown, strings};
use crate::authserver::observation::{label, AuthServerObservation};
use crate::authserver::probe::REGISTRATION_REDIRECT_URI;
use crate::check::Finding;
use crate::server::observation::Probed;

/// The registration response as JSON, or the finding that there is nothing to judge.
fn registered(obs: &AuthServerObservation) -> Result<(&Probed, Value), Finding> {
    let Some(probe) = obs.probe(label::REGISTRATION) else {
        return Err(Finding::not_judged(
            obs.why_not_probed(label::REGISTRATION)
                .unwrap_or("no registration was attempted")
                .to_string(),
        ));
    };
    let doc = probe
        .ok()
        .filter(|r| r.is_success())
        .and_then(|r| r.json())
        .filter(Value::is_object);
    match doc {
        Some(doc) => Ok((probe, doc)),
        None => Err(Finding::not_judged(
            "the registration did not succeed (dcr-created judges that)",
        )),
    }
}

/// `dcr-created` (AS-DCR-01): 201 (or another 2xx) with a JSON object carrying `client_id`.
pub fn dcr_created(obs: &AuthServerObservation) -> Finding {
    let Some(probe) = obs.probe(label::REGISTRATION) else {
        return Finding::not_judged(
            obs.why_not_probed(label::REGISTRATION)
                .unwrap_or("no registration was attempted")
                .to_string(),
        );
    };
    let Some(response) = probe.ok().filter(|r| r.is_success()) else {
        let error = probe
            .ok()
            .and_then(|r| r.json())
            .and_then(|d| {
                let e = d.get("error")?.as_str()?.to_string();
                let more = d
                    .get("error_description")
                    .and_then(Value::as_str)
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default();
                Some(format!(" ({e}{more})"))
            })
            .unwrap_or_default();
        return Finding::violated(format!(
            "{}{error}: MCP clients cannot register",
            shown(probe)
        ));
    };
    let client_id = response
        .json()
        .and_then(|d| d.get("client_id")?.as_str().map(str::to_string));
    match client_id {
        Some(_) if response.status == 201 => Finding::met("201 with a client_id"),
        Some(_) => Finding::met(format!(
            "{} with a client_id (RFC 7591 §3.2.1 says 201)",
            response.status
        )),
        None => Finding::violated(format!(
            "{} without a client_id in a JSON body",
            response.status
        )),
    }
}

/// `dcr-loopback-redirect` (AS-DCR-01): the loopback redirect URI is registered as sent
/// (RFC 8252 §7.3: native clients listen on a loopback port).
pub fn dcr_loopback_redirect(obs: &AuthServerObservation) -> Finding {
    let (_, doc) = match registered(obs) {
        Ok(r) => r,
        Err(f) => return f,
    };
    let uris = strings(&doc, "redirect_uris");
    if uris.iter().any(|u| u == REGISTRATION_REDIRECT_URI) {
        Finding::met(format!("redirect_uris: {}", uris.join(" ")))
    } else {
        Finding::violated(format!(
            "the response's redirect_uris ({}) do not include {REGISTRATION_REDIRECT_URI}",
            if uris.is_empty() {
                "none".to_string()
            } else {
                uris.join(" ")
            }
        ))
    }
}

/// `dcr-public-client` (AS-DCR-01, SHOULD): the client is registered as asked, a public client
/// (`token_endpoint_auth_method: none`); another method means MCP clients need a secret.
pub fn dcr_public_client(obs: &AuthServerObservation) -> Finding {
    let (_, doc) = match registered(obs) {
        Ok(r) => r,
        Err(f) => return f,
    };
    match doc
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        Some("none") => Finding::met("token_endpoint_auth_method: none"),
        Some(other) => Finding::violated(format!(
            "registered with token_endpoint_auth_method `{other}` instead of `none`: a client \
             must use that method and keep the secret"
        )),
        None => Finding::violated(
            "no token_endpoint_auth_method in the response: the default is client_secret_basic \
             (RFC 7591 §2), not the `none` asked for",
        ),
    }
}

/// `dcr-grant-types` (AS-DCR-01, SHOULD): `authorization_code` and `refresh_token` are
/// registered as asked (absent: the default, authorization_code only).
pub fn dcr_grant_types(obs: &AuthServerObservation) -> Finding {
    let (_, doc) = match registered(obs) {
        Ok(r) => r,
        Err(f) => return f,
    };
    let grants = strings(&doc, "grant_types");
    let missing: Vec<&str> = ["authorization_code", "refresh_token"]
        .into_iter()
        .filter(|g| !grants.iter().any(|have| have == g))
        .collect();
    if missing.is_empty() {
        Finding::met(format!("grant_types: {}", grants.join(" ")))
    } else {
        Finding::violated(format!(
            "the registration's grant_types ({}) lack {}",
            if grants.is_empty() {
                "absent".to_string()
            } else {
                grants.join(" ")
            },
            missing.join(" and ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authserver::observation::test_support::*;
    use mcp_authlab_reports::SpecVersion;
    use serde_json::json;

    fn response(status: u16, doc: Value) -> AuthServerObservation {
        let mut obs = observation(SpecVersion::V2025_11_25);
        push(
            &mut obs,
            label::REGISTRATION,
            "http://127.0.0.1:2000/register",
            status,
            &[("content-type", "application/json")],
            &doc.to_string(),
        );
        obs
    }

    fn good() -> AuthServerObservation {
        response(
            201,
            json!({
                "client_id": "c1",
                "redirect_uris": [REGISTRATION_REDIRECT_URI],
                "token_endpoint_auth_method": "none",
                "grant_types": ["authorization_code", "refresh_token"],
            }),
        )
    }

    #[test]
    fn dcr_created_() {
        assert!(dcr_created(&good()).is_met());
        let refused = dcr_created(&response(400, json!({"error": "invalid_redirect_uri"})));
        assert!(
            refused.is_violated() && refused.message().contains("invalid_redirect_uri"),
            "{refused:?}"
        );
        assert!(dcr_created(&response(201, json!({}))).is_violated());
        let none = observation(SpecVersion::V2025_11_25);
        assert!(matches!(dcr_created(&none), Finding::NotJudged(_)));
    }

    #[test]
    fn dcr_loopback_redirect_() {
        assert!(dcr_loopback_redirect(&good()).is_met());
        let other = response(
            201,
            json!({"client_id": "c", "redirect_uris": ["https://x/cb"]}),
        );
        assert!(dcr_loopback_redirect(&other).is_violated());
    }

    #[test]
    fn dcr_public_client_() {
        assert!(dcr_public_client(&good()).is_met());
        let basic = response(
            201,
            json!({"client_id": "c", "token_endpoint_auth_method": "client_secret_basic"}),
        );
        assert!(dcr_public_client(&basic).is_violated());
    }

    #[test]
    fn dcr_grant_types_() {
        assert!(dcr_grant_types(&good()).is_met());
        let code = response(
            201,
            json!({"client_id": "c", "grant_types": ["authorization_code"]}),
        );
        assert!(dcr_grant_types(&code)
            .message()
            .contains("lack refresh_token"));
    }
}
