//! Configuration of the mock: the test user, scopes, signing, pre-registered clients. Loaded from a
//! TOML file (`--config FILE`); every field has a default so an empty file is a valid config.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::IdpError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The user every automatic consent logs in as.
    pub user: TestUser,
    /// `scopes_supported` of the authorization server and of the protected resource metadata.
    pub scopes_supported: Vec<String>,
    /// Scope every MCP request needs; `None` accepts any valid token.
    pub required_scope: Option<String>,
    /// Scope the `admin_action` tool needs (403 `insufficient_scope` without it: step-up).
    pub step_up_scope: String,
    /// Algorithm of the access tokens: `RS256` or `ES256`. The JWKS always serves both keys.
    pub signing_alg: SigningAlg,
    pub access_token_ttl_secs: u64,
    pub refresh_token_ttl_secs: u64,
    pub code_ttl_secs: u64,
    /// `auto` approves every authorization request at once; `page` shows an HTML login/consent page.
    pub consent: Consent,
    /// Device flow: approve a device code as soon as it is issued (no visit of the verification page).
    pub device_auto_approve: bool,
    /// Minimum polling interval of the device flow (RFC 8628 §3.2 `interval`).
    pub device_poll_interval_secs: u64,
    /// Pre-registered clients.
    pub clients: Vec<ClientConfig>,
    /// Issuers whose signed JWTs are accepted by the JWT bearer grant (RFC 7523), besides the mock itself.
    pub trusted_assertion_issuers: Vec<TrustedIssuer>,
    /// Client ID metadata documents known in advance, by `client_id` URL: used instead of fetching
    /// (the mock never fetches a URL that is not on a loopback address).
    pub client_metadata_documents: BTreeMap<String, serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TestUser {
    pub subject: String,
    pub name: String,
    pub email: String,
    /// Password of the optional HTML login page.
    pub password: String,
}

impl Default for TestUser {
    fn default() -> Self {
        Self {
            subject: "test-user".into(),
            name: "Test User".into(),
            email: "test-user@example.test".into(),
            password: "password".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SigningAlg {
    RS256,
    ES256,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consent {
    Auto,
    Page,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    pub client_id: String,
    #[serde(default)]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Defaults to `authorization_code` and `refresh_token`.
    #[serde(default)]
    pub grant_types: Vec<String>,
    /// `none`, `client_secret_basic`, `client_secret_post` or `private_key_jwt`. Defaults to
    /// `client_secret_basic` when a secret is set, `private_key_jwt` with `jwks`, `none` otherwise.
    #[serde(default)]
    pub token_endpoint_auth_method: Option<String>,
    /// Public keys (a JWK Set) for `private_key_jwt`.
    #[serde(default)]
    pub jwks: Option<serde_json::Value>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub client_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuer {
    pub issuer: String,
    /// A JWK Set.
    pub jwks: serde_json::Value,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            user: TestUser::default(),
            scopes_supported: vec![
                "mcp:tools".into(),
                "mcp:admin".into(),
                "offline_access".into(),
            ],
            required_scope: Some("mcp:tools".into()),
            step_up_scope: "mcp:admin".into(),
            signing_alg: SigningAlg::RS256,
            access_token_ttl_secs: 3600,
            refresh_token_ttl_secs: 86_400,
            code_ttl_secs: 120,
            consent: Consent::Auto,
            device_auto_approve: true,
            device_poll_interval_secs: 1,
            clients: Vec::new(),
            trusted_assertion_issuers: Vec::new(),
            client_metadata_documents: BTreeMap::new(),
        }
    }
}

impl Config {
    pub fn from_toml(text: &str, path: &str) -> Result<Self, IdpError> {
        toml::from_str(text).map_err(|e| IdpError::ConfigParse {
            path: path.to_string(),
            message: e.to_string(),
        })
    }

    pub fn load(path: &Path) -> Result<Self, IdpError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| IdpError::ConfigRead {
            path: shown.clone(),
            source,
        })?;
        Self::from_toml(&text, &shown)
    }
}

impl ClientConfig {
    pub fn effective_auth_method(&self) -> &str {
        match (
            &self.token_endpoint_auth_method,
            &self.client_secret,
            &self.jwks,
        ) {
            (Some(m), _, _) => m,
            (None, Some(_), _) => "client_secret_basic",
            (None, None, Some(_)) => "private_key_jwt",
            (None, None, None) => "none",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_default() {
        assert_eq!(Config::from_toml("", "x.toml").unwrap(), Config::default());
    }

    #[test]
    fn clients_parse_and_unknown_fields_are_rejected() {
        let c = Config::from_toml(
            "signing_alg = \"ES256\"\n[[clients]]\nclient_id = \"ci\"\nclient_secret = \"s\"\nredirect_uris = [\"http://127.0.0.1/cb\"]\n",
            "x.toml",
        )
        .unwrap();
        assert_eq!(c.signing_alg, SigningAlg::ES256);
        assert_eq!(c.clients[0].effective_auth_method(), "client_secret_basic");
        let err = Config::from_toml("no_such_field = 1", "bad.toml").unwrap_err();
        assert!(err.to_string().contains("bad.toml"), "{err}");
    }
}
