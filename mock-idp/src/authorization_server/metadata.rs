//! RFC 8414 authorization server metadata (also served as OIDC discovery).

use axum::extract::State;
use axum::Json;
use serde_json::{json, Map, Value};

use crate::error::OAuthError;
use crate::state::IdpState;

/// OAuth 2.1 §4.1.
pub const AUTHORIZATION_CODE_GRANT: &str = "authorization_code";
/// OAuth 2.1 §4.3.
pub const REFRESH_TOKEN_GRANT: &str = "refresh_token";
/// OAuth 2.1 §4.2.
pub const CLIENT_CREDENTIALS_GRANT: &str = "client_credentials";
/// RFC 8628 §3.4.
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 7523 §2.1.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
/// The grant types the token endpoint implements: `grant_types_supported` (RFC 8414 §2), the
/// grant types a client may register (RFC 7591 §2) and the ones the token endpoint dispatches.
pub const GRANT_TYPES: &[&str] = &[
    AUTHORIZATION_CODE_GRANT,
    REFRESH_TOKEN_GRANT,
    CLIENT_CREDENTIALS_GRANT,
    DEVICE_CODE_GRANT,
    JWT_BEARER_GRANT,
];
pub const AUTH_METHODS: &[&str] = &[
    "none",
    "client_secret_basic",
    "client_secret_post",
    "private_key_jwt",
];

/// The metadata document, shaped by the deployment's behaviour.
pub fn document(state: &IdpState) -> Value {
    let urls = &state.urls;
    let b = &state.behaviour;
    let issuer = if b.metadata_issuer_mismatch {
        format!("{}/mismatched-issuer", urls.as_origin)
    } else {
        urls.issuer()
    };
    let mut doc = Map::new();
    let mut put = |k: &str, v: Value| {
        doc.insert(k.to_string(), v);
    };
    put("issuer", json!(issuer));
    put(
        "authorization_endpoint",
        json!(urls.authorization_endpoint()),
    );
    put("token_endpoint", json!(urls.token_endpoint()));
    put("jwks_uri", json!(urls.jwks_uri()));
    if b.registration_endpoint {
        put("registration_endpoint", json!(urls.registration_endpoint()));
    }
    if !state.config.scopes_supported.is_empty() {
        put("scopes_supported", json!(state.config.scopes_supported));
    }
    put("response_types_supported", json!(["code"]));
    put("response_modes_supported", json!(["query"]));
    put("grant_types_supported", json!(GRANT_TYPES));
    match &b.registration_auth_method {
        Some(forced) => put("token_endpoint_auth_methods_supported", json!([forced])),
        None => put("token_endpoint_auth_methods_supported", json!(AUTH_METHODS)),
    }
    put(
        "token_endpoint_auth_signing_alg_values_supported",
        json!(["RS256", "ES256"]),
    );
    if let Some(methods) = &b.code_challenge_methods {
        put("code_challenge_methods_supported", json!(methods));
    }
    put(
        "introspection_endpoint",
        json!(urls.introspection_endpoint()),
    );
    put(
        "introspection_endpoint_auth_methods_supported",
        json!(&AUTH_METHODS[1..]),
    );
    put("revocation_endpoint", json!(urls.revocation_endpoint()));
    put(
        "revocation_endpoint_auth_methods_supported",
        json!(AUTH_METHODS),
    );
    put(
        "device_authorization_endpoint",
        json!(urls.device_authorization_endpoint()),
    );
    put(
        "authorization_response_iss_parameter_supported",
        json!(b.advertise_iss_parameter),
    );
    put(
        "client_id_metadata_document_supported",
        json!(b.cimd_supported),
    );
    // OpenID Connect Discovery 1.0 §3 required fields, so the same document is a valid OIDC one.
    put("subject_types_supported", json!(["public"]));
    put(
        "id_token_signing_alg_values_supported",
        json!(["RS256", "ES256"]),
    );
    Value::Object(doc)
}

/// RFC 6749 §3.3: every requested scope must be one the authorization server grants
/// ([`crate::config::Config::accepts_scope`]: `scopes_supported`, RFC 8414 §2, and the protected
/// resource's, or any when `scopes_supported` is empty); the first that is not is an `invalid_scope`.
pub fn check_scopes<'a>(
    state: &IdpState,
    scopes: impl IntoIterator<Item = &'a str>,
) -> Result<(), OAuthError> {
    let config = &state.config;
    let mut supported: Vec<&str> = config.scopes_supported.iter().map(String::as_str).collect();
    for extra in config.prm_scopes_supported.iter().flatten() {
        if !supported.contains(&extra.as_str()) {
            supported.push(extra);
        }
    }
    match scopes.into_iter().find(|s| !config.accepts_scope(s)) {
        Some(bad) => Err(OAuthError::invalid_scope(format!(
            "scope `{bad}` is not supported; supported: {} (RFC 6749 §3.3)",
            supported.join(" ")
        ))),
        None => Ok(()),
    }
}

pub async fn authorization_server_metadata(State(state): State<IdpState>) -> Json<Value> {
    Json(document(&state))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authorization_server::test_support::*;

    #[tokio::test]
    async fn default_metadata_is_mcp_ready() {
        let state = IdpState::for_tests(&[]);
        let doc = json(get(&state, "/.well-known/oauth-authorization-server").await).await;
        assert_eq!(doc["issuer"], "http://127.0.0.1:1");
        assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
        assert_eq!(doc["registration_endpoint"], "http://127.0.0.1:1/register");
        assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
        assert_eq!(doc["client_id_metadata_document_supported"], true);
    }

    #[test]
    fn grant_types_supported_is_the_shared_list() {
        let doc = document(&IdpState::for_tests(&[]));
        assert_eq!(doc["grant_types_supported"], json!(GRANT_TYPES));
        assert_eq!(GRANT_TYPES.len(), 5);
    }

    #[test]
    fn scopes_outside_scopes_supported_are_invalid_scope() {
        let state = IdpState::for_tests(&[]);
        assert!(check_scopes(&state, ["mcp:tools", "offline_access"]).is_ok());
        assert!(check_scopes(&state, []).is_ok());
        let err = check_scopes(&state, ["mcp:tools", "email", "root"]).unwrap_err();
        assert_eq!(err.code, crate::error::ErrorCode::InvalidScope);
        assert!(err.description.contains("`email`"), "{}", err.description);
        assert!(err.description.contains("mcp:tools mcp:admin"));
    }

    use crate::config::Config;

    fn state_with(config: Config, tweak: fn(&mut crate::Behaviour)) -> IdpState {
        IdpState::for_tests_with(config, tweak)
    }

    #[test]
    fn empty_scopes_supported_is_left_out_and_grants_any_scope() {
        let doc = document(&IdpState::for_tests(&[]));
        assert_eq!(
            doc["scopes_supported"],
            json!(["mcp:tools", "mcp:admin", "offline_access"])
        );
        let config = Config {
            scopes_supported: vec![],
            required_scope: Some("mcp:basic".into()),
            ..Config::default()
        };
        let state = state_with(config, |_| {});
        assert!(document(&state).get("scopes_supported").is_none());
        assert!(check_scopes(&state, ["mcp:basic", "mcp:write"]).is_ok());
    }

    #[test]
    fn prm_scopes_are_granted_too() {
        let config = Config {
            prm_scopes_supported: Some(vec!["mcp:basic".into()]),
            ..Config::default()
        };
        let state = state_with(config, |_| {});
        assert!(check_scopes(&state, ["mcp:basic", "mcp:tools"]).is_ok());
        let err = check_scopes(&state, ["mcp:write"]).unwrap_err();
        assert!(err.description.contains("mcp:basic"), "{}", err.description);
        // The authorization server's own document does not list the resource's scopes.
        assert_eq!(
            document(&state)["scopes_supported"],
            json!(["mcp:tools", "mcp:admin", "offline_access"])
        );
    }

    #[test]
    fn forced_registration_method_is_the_only_one_advertised() {
        let doc = document(&IdpState::for_tests(&[]));
        assert_eq!(
            doc["token_endpoint_auth_methods_supported"],
            json!(AUTH_METHODS)
        );
        let state = state_with(Config::default(), |b| {
            b.registration_auth_method = Some("client_secret_post".into())
        });
        assert_eq!(
            document(&state)["token_endpoint_auth_methods_supported"],
            json!(["client_secret_post"])
        );
    }

    #[tokio::test]
    async fn pkce_not_advertised_in_both_rfc8414_and_oidc_documents() {
        for (variants, present) in [(&[][..], true), (&["pkce-not-advertised"][..], false)] {
            let state = IdpState::for_tests(variants);
            for path in [
                "/.well-known/oauth-authorization-server",
                "/.well-known/openid-configuration",
            ] {
                let doc = json(get(&state, path).await).await;
                assert_eq!(
                    doc.get("code_challenge_methods_supported").is_some(),
                    present,
                    "{variants:?} {path}: {doc}"
                );
                assert_eq!(doc["issuer"], "http://127.0.0.1:1");
            }
        }
    }

    #[test]
    fn variants_change_the_document() {
        let doc = document(&IdpState::for_tests(&["pkce-not-advertised"]));
        assert!(doc.get("code_challenge_methods_supported").is_none());
        let doc = document(&IdpState::for_tests(&["pkce-plain-only"]));
        assert_eq!(doc["code_challenge_methods_supported"], json!(["plain"]));
        let doc = document(&IdpState::for_tests(&["issuer-mismatch"]));
        assert_ne!(doc["issuer"], "http://127.0.0.1:1");
        let doc = document(&IdpState::for_tests(&["cimd-only"]));
        assert!(doc.get("registration_endpoint").is_none());
        assert_eq!(doc["client_id_metadata_document_supported"], true);
        let doc = document(&IdpState::for_tests(&["issuer-with-path"]));
        assert_eq!(doc["token_endpoint"], "http://127.0.0.1:1/tenant1/token");
    }
}
