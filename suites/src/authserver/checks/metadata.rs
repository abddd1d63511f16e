//! The metadata's fields beyond what discovery needs (RFC 8414 §2): grant types, client
//! authentication, RFC 9207 `iss`, PKCE methods, and what is worth knowing (revocation,
//! introspection, device authorization for headless clients).

use serde_json::Value;

use super::{on_metadata, strings};
use crate::authserver::observation::AuthServerObservation;
use crate::check::Finding;

/// `grant-type-authorization-code` (AS-META-12): `grant_types_supported` lists
/// `authorization_code`, or is absent (RFC 8414 §2: the default includes it).
pub fn grant_type_authorization_code(obs: &AuthServerObservation) -> Finding {
    on_metadata(obs, |doc| {
        if doc.get("grant_types_supported").is_none() {
            return Finding::met(
                "no grant_types_supported: the default (RFC 8414 §2) includes authorization_code",
            );
        }
        let grants = strings(doc, "grant_types_supported");
        if grants.iter().any(|g| g == "authorization_code") {
            Finding::met(format!("grant_types_supported: {}", grants.join(" ")))
        } else {
            Finding::violated(format!(
                "grant_types_supported is `{}`, without authorization_code: MCP clients use the \
                 authorization code flow",
                doc["grant_types_supported"]
            ))
        }
    })
}

/// `grant-type-refresh-token` (AS-META-12, SHOULD): `refresh_token` is listed, so clients can
/// renew tokens without the user.
pub fn grant_type_refresh_token(obs: &AuthServerObservation) -> Finding {
    on_metadata(obs, |doc| {
        let grants = strings(doc, "grant_types_supported");
        if grants.iter().any(|g| g == "refresh_token") {
            Finding::met("refresh_token is supported")
        } else {
            Finding::violated(format!(
                "grant_types_supported ({}) has no refresh_token: users must sign in again each \
                 time a token expires",
                if grants.is_empty() {
                    "absent".to_string()
                } else {
                    grants.join(" ")
                }
            ))
        }
    })
}

/// `token-endpoint-auth-none` (AS-META-13, note): whether public clients (`none`) are accepted.
pub fn token_endpoint_auth_none(obs: &AuthServerObservation) -> Finding {
    on_metadata(obs, |doc| {
        let methods = strings(doc, "token_endpoint_auth_methods_supported");
        if methods.iter().any(|m| m == "none") {
            Finding::note(format!(
                "public clients (none) accepted; token_endpoint_auth_methods_supported: {}",
                methods.join(" ")
            ))
        } else if methods.is_empty() {
            Finding::note(
                "no token_endpoint_auth_methods_supported: the default is client_secret_basic, \
                 so public clients (none) may not be accepted",
            )
        } else {
            Finding::note(format!(
                "no `none`: public MCP clients (desktop, CLI) must get a secret at registration; \
                 token_endpoint_auth_methods_supported: {}",
                methods.join(" ")
            ))
        }
    })
}

/// `iss-parameter-supported` (AS-META-09, SHOULD): `authorization_response_iss_parameter_supported`
/// is true (RFC 9207: the client can tell which server answered: mix-up defence).
pub fn iss_parameter_supported(obs: &AuthServerObservation) -> Finding {
    on_metadata(obs, |doc| {
        match doc.get("authorization_response_iss_parameter_supported") {
            Some(Value::Bool(true)) => {
                Finding::met("authorization_response_iss_parameter_supported: true")
            }
            Some(other) => Finding::violated(format!(
                "authorization_response_iss_parameter_supported is {other}: clients cannot detect \
                 mix-up attacks (RFC 9207)"
            )),
            None => Finding::violated(
                "no authorization_response_iss_parameter_supported: clients cannot detect mix-up \
                 attacks (RFC 9207)",
            ),
        }
    })
}

/// `pkce-no-plain` (AS-META-06, SHOULD): `plain` is not advertised (OAuth 2.1 §4.1.1: S256).
pub fn pkce_no_plain(obs: &AuthServerObservation) -> Finding {
    on_metadata(obs, |doc| {
        let methods = strings(doc, "code_challenge_methods_supported");
        if methods.iter().any(|m| m == "plain") {
            Finding::violated(format!(
                "code_challenge_methods_supported lists plain ({}): S256 only",
                methods.join(" ")
            ))
        } else if methods.is_empty() {
            Finding::not_judged("no code_challenge_methods_supported (as-pkce-s256 judges that)")
        } else {
            Finding::met(format!(
                "code_challenge_methods_supported: {}",
                methods.join(" ")
            ))
        }
    })
}

/// `revocation-introspection` (AS-META-10, note): RFC 7009 and RFC 7662 endpoints.
pub fn revocation_introspection(obs: &AuthServerObservation) -> Finding {
    on_metadata(obs, |doc| {
        let has = |field: &str| doc.get(field).and_then(Value::as_str).is_some();
        let say = |yes: bool, what: &str| format!("{what}: {}", if yes { "yes" } else { "no" });
        Finding::note(format!(
            "{}; {}",
            say(has("revocation_endpoint"), "revocation (RFC 7009)"),
            say(
                has("introspection_endpoint"),
                "introspection (RFC 7662, for MCP servers with opaque tokens)"
            )
        ))
    })
}

/// `device-authorization` (AS-META-11, note): an RFC 8628 endpoint, the usual way to get a token
/// for a headless client (no browser on the machine).
pub fn device_authorization(obs: &AuthServerObservation) -> Finding {
    on_metadata(obs, |doc| {
        match doc
            .get("device_authorization_endpoint")
            .and_then(Value::as_str)
        {
            Some(url) => Finding::note(format!(
                "device authorization at {url}: headless clients can get tokens with the device \
             flow (RFC 8628)"
            )),
            None => Finding::note(
                "no device_authorization_endpoint: headless clients need client credentials or a \
             token obtained elsewhere",
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authserver::observation::test_support::*;
    use mcp_authlab_reports::SpecVersion;
    use serde_json::json;

    fn obs_with(field: &str, value: Option<Value>) -> AuthServerObservation {
        with_metadata(SpecVersion::V2025_11_25, metadata_with(field, value))
    }

    fn good() -> AuthServerObservation {
        with_metadata(SpecVersion::V2025_11_25, good_metadata())
    }

    #[test]
    fn nothing_to_judge_without_metadata() {
        let obs = observation(SpecVersion::V2025_11_25);
        assert!(matches!(
            grant_type_authorization_code(&obs),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn grant_type_authorization_code_() {
        assert!(grant_type_authorization_code(&good()).is_met());
        assert!(grant_type_authorization_code(&obs_with("grant_types_supported", None)).is_met());
        let cc = obs_with("grant_types_supported", Some(json!(["client_credentials"])));
        assert!(grant_type_authorization_code(&cc).is_violated());
    }

    #[test]
    fn grant_type_refresh_token_() {
        assert!(grant_type_refresh_token(&good()).is_met());
        let code = obs_with("grant_types_supported", Some(json!(["authorization_code"])));
        assert!(grant_type_refresh_token(&code).is_violated());
    }

    #[test]
    fn token_endpoint_auth_none_() {
        assert!(token_endpoint_auth_none(&good())
            .message()
            .starts_with("public clients"));
        let basic = obs_with(
            "token_endpoint_auth_methods_supported",
            Some(json!(["client_secret_basic"])),
        );
        assert!(token_endpoint_auth_none(&basic)
            .message()
            .starts_with("no `none`"));
    }

    #[test]
    fn iss_parameter_supported_() {
        assert!(iss_parameter_supported(&good()).is_met());
        let off = obs_with(
            "authorization_response_iss_parameter_supported",
            Some(json!(false)),
        );
        assert!(iss_parameter_supported(&off).is_violated());
    }

    #[test]
    fn pkce_no_plain_() {
        assert!(pkce_no_plain(&good()).is_met());
        let plain = obs_with(
            "code_challenge_methods_supported",
            Some(json!(["plain", "S256"])),
        );
        assert!(pkce_no_plain(&plain).is_violated());
    }

    #[test]
    fn revocation_introspection_() {
        assert!(revocation_introspection(&good())
            .message()
            .contains("revocation (RFC 7009): yes"));
        let none = obs_with("revocation_endpoint", None);
        assert!(revocation_introspection(&none)
            .message()
            .contains("revocation (RFC 7009): no"));
    }

    #[test]
    fn device_authorization_() {
        assert!(device_authorization(&good())
            .message()
            .starts_with("device authorization at"));
        let none = obs_with("device_authorization_endpoint", None);
        assert!(device_authorization(&none)
            .message()
            .starts_with("no device"));
    }
}
