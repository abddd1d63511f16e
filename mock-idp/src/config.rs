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
    /// `scopes_supported` of the authorization server and (unless `prm_scopes_supported` is set)
    /// of the protected resource metadata. The authorization server grants only these (and those
    /// of `prm_scopes_supported`); an empty list is left out of the documents and lets the
    /// authorization server grant any scope.
    pub scopes_supported: Vec<String>,
    /// `scopes_supported` of the protected resource metadata only; `None` uses `scopes_supported`
    /// (without `offline_access`), an empty list leaves the field out.
    pub prm_scopes_supported: Option<Vec<String>>,
    /// Scope (or space-separated scopes) every MCP request needs; `None` or blank accepts any
    /// valid token, and the 401 challenge then names no scope.
    pub required_scope: Option<String>,
    /// Scope the `admin_action` tool needs (403 `insufficient_scope` without it: step-up), and
    /// every tool with `step_up_on_tools_call`.
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
    /// Answer introspection requests (RFC 7662) that carry no client credentials at all, for
    /// resource servers that send none (the Python SDK's `simple-auth` example). RFC 7662 §2.1
    /// requires the endpoint to authorize its callers, so this is off by default; credentials
    /// that are sent are always checked.
    pub introspection_without_client_auth: bool,
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
            prm_scopes_supported: None,
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
            introspection_without_client_auth: false,
        }
    }
}

/// Longest accepted token and code lifetime: one year (in seconds). Bounds the `Instant` and
/// timestamp arithmetic done with it.
pub const MAX_TTL_SECS: u64 = 365 * 24 * 60 * 60;
/// Longest accepted device flow polling interval (RFC 8628 §3.2 `interval`): one hour.
pub const MAX_POLL_INTERVAL_SECS: u64 = 3600;

impl Config {
    /// Parses and [validates](Config::validate) a TOML config; `path` is only used in messages.
    pub fn from_toml(text: &str, path: &str) -> Result<Self, IdpError> {
        let config: Self = toml::from_str(text).map_err(|e| IdpError::ConfigParse {
            path: path.to_string(),
            message: e.to_string(),
        })?;
        config.validate().map_err(|e| match e {
            IdpError::InvalidConfig(message) => {
                IdpError::InvalidConfig(format!("{path}: {message}"))
            }
            other => other,
        })?;
        Ok(config)
    }

    /// The scopes every MCP request needs (`required_scope` split at spaces; none when unset or blank).
    pub fn required_scopes(&self) -> Vec<&str> {
        self.required_scope
            .as_deref()
            .unwrap_or("")
            .split_whitespace()
            .collect()
    }

    /// Whether the authorization server grants `scope`: any scope when `scopes_supported` is
    /// empty, else those of `scopes_supported` and `prm_scopes_supported`.
    pub fn accepts_scope(&self, scope: &str) -> bool {
        self.scopes_supported.is_empty()
            || self.scopes_supported.iter().any(|s| s == scope)
            || self
                .prm_scopes_supported
                .iter()
                .flatten()
                .any(|s| s == scope)
    }

    /// Checks what the types cannot: lifetimes within 1 s ..= 1 year, the polling interval within
    /// 0 ..= 3600 s, `required_scope` and `step_up_scope` granted by the authorization server
    /// ([`Config::accepts_scope`]), client ids unique. The message names the field and the bad value.
    pub fn validate(&self) -> Result<(), IdpError> {
        let invalid = |message: String| Err(IdpError::InvalidConfig(message));
        for (field, value) in [
            ("access_token_ttl_secs", self.access_token_ttl_secs),
            ("refresh_token_ttl_secs", self.refresh_token_ttl_secs),
            ("code_ttl_secs", self.code_ttl_secs),
        ] {
            if !(1..=MAX_TTL_SECS).contains(&value) {
                return invalid(format!(
                    "{field} = {value} is out of range: it must be between 1 and {MAX_TTL_SECS} \
                     seconds (one year)"
                ));
            }
        }
        if self.device_poll_interval_secs > MAX_POLL_INTERVAL_SECS {
            return invalid(format!(
                "device_poll_interval_secs = {} is out of range: it must be between 0 and \
                 {MAX_POLL_INTERVAL_SECS} seconds",
                self.device_poll_interval_secs
            ));
        }
        let scopes = || self.scopes_supported.join(" ");
        if let Some(bad) = self
            .required_scopes()
            .into_iter()
            .find(|s| !self.accepts_scope(s))
        {
            return invalid(format!(
                "required_scope = {:?} is not in scopes_supported [{}] (`{bad}`)",
                self.required_scope.as_deref().unwrap_or(""),
                scopes()
            ));
        }
        if !self.accepts_scope(&self.step_up_scope) {
            return invalid(format!(
                "step_up_scope = {:?} is not in scopes_supported [{}]",
                self.step_up_scope,
                scopes()
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for client in &self.clients {
            if !seen.insert(client.client_id.as_str()) {
                return invalid(format!(
                    "clients: client_id {:?} is configured more than once",
                    client.client_id
                ));
            }
        }
        Ok(())
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

impl Config {
    /// Adds a pre-registered confidential client (`client_secret_basic`, grant
    /// `client_credentials`) for a resource server to authenticate with at the introspection
    /// endpoint (RFC 7662 §2.1). The TOML equivalent:
    ///
    /// ```toml
    /// [[clients]]
    /// client_id = "resource-server"
    /// client_secret = "…"
    /// grant_types = ["client_credentials"]
    /// # token_endpoint_auth_method = "client_secret_post"   # if the server sends the secret in the body
    /// ```
    pub fn with_resource_server_client(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.clients.push(ClientConfig {
            client_id: client_id.into(),
            client_secret: Some(client_secret.into()),
            redirect_uris: Vec::new(),
            grant_types: vec!["client_credentials".into()],
            token_endpoint_auth_method: None,
            jwks: None,
            scope: None,
            client_name: Some("resource server (introspection)".into()),
        });
        self
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

    fn invalid(toml: &str) -> String {
        match Config::from_toml(toml, "bad.toml") {
            Err(IdpError::InvalidConfig(message)) => message,
            other => panic!("{toml}: expected InvalidConfig, got {other:?}"),
        }
    }

    #[test]
    fn lifetimes_are_bounded_and_named() {
        for field in [
            "access_token_ttl_secs",
            "refresh_token_ttl_secs",
            "code_ttl_secs",
        ] {
            for bad in ["0", "31536001", "9223372036854775807"] {
                let message = invalid(&format!("{field} = {bad}"));
                assert!(
                    message.starts_with("bad.toml: ")
                        && message.contains(&format!("{field} = {bad}")),
                    "{message}"
                );
            }
            for good in ["1", "31536000"] {
                let c = Config::from_toml(&format!("{field} = {good}"), "x.toml").unwrap();
                assert!(c.validate().is_ok());
            }
        }
        let message = invalid("device_poll_interval_secs = 3601");
        assert!(
            message.contains("device_poll_interval_secs = 3601"),
            "{message}"
        );
        for good in ["0", "3600"] {
            Config::from_toml(&format!("device_poll_interval_secs = {good}"), "x.toml").unwrap();
        }
    }

    #[test]
    fn scopes_must_be_supported() {
        let message = invalid("required_scope = \"mcp:nope\"");
        assert!(
            message.contains("required_scope = \"mcp:nope\"")
                && message.contains("mcp:tools mcp:admin offline_access"),
            "{message}"
        );
        let message = invalid("scopes_supported = [\"mcp:tools\"]");
        assert!(
            message.contains("step_up_scope = \"mcp:admin\""),
            "{message}"
        );
        let c = Config::from_toml(
            "scopes_supported = [\"a\", \"b\"]\nrequired_scope = \"a\"\nstep_up_scope = \"b\"",
            "x.toml",
        )
        .unwrap();
        assert_eq!(c.required_scope.as_deref(), Some("a"));
    }

    #[test]
    fn empty_scopes_supported_grants_any_scope_and_prm_scopes_count() {
        let open = Config::from_toml(
            "scopes_supported = []\nrequired_scope = \"mcp:basic\"\nstep_up_scope = \"mcp:write\"",
            "x.toml",
        )
        .unwrap();
        assert!(open.accepts_scope("anything"));
        assert_eq!(open.required_scopes(), vec!["mcp:basic"]);
        let prm = Config::from_toml(
            "scopes_supported = [\"mcp:admin\"]\nprm_scopes_supported = [\"mcp:basic\"]\n\
             required_scope = \"mcp:basic\"\nstep_up_scope = \"mcp:admin\"",
            "x.toml",
        )
        .unwrap();
        assert!(prm.accepts_scope("mcp:basic") && prm.accepts_scope("mcp:admin"));
        assert!(!prm.accepts_scope("mcp:write"));
        let message = invalid("scopes_supported = [\"mcp:admin\"]\nrequired_scope = \"mcp:basic\"\nstep_up_scope = \"mcp:admin\"");
        assert!(message.contains("`mcp:basic`"), "{message}");
    }

    #[test]
    fn blank_required_scope_requires_nothing_and_several_are_split() {
        for blank in [None, Some(""), Some("  ")] {
            let c = Config {
                required_scope: blank.map(str::to_owned),
                ..Config::default()
            };
            assert!(c.required_scopes().is_empty(), "{blank:?}");
            assert!(c.validate().is_ok(), "{blank:?}");
        }
        let two = Config {
            required_scope: Some("mcp:tools  mcp:admin".into()),
            ..Config::default()
        };
        assert_eq!(two.required_scopes(), vec!["mcp:tools", "mcp:admin"]);
        let bad = Config {
            required_scope: Some("mcp:tools nope".into()),
            ..Config::default()
        };
        assert!(bad.validate().is_err());
    }

    #[test]
    fn client_ids_must_be_unique() {
        let client = "[[clients]]\nclient_id = \"ci\"\n";
        let message = invalid(&format!("{client}{client}"));
        assert!(message.contains("client_id \"ci\""), "{message}");
        let other = client.replace("\"ci\"", "\"ci2\"");
        Config::from_toml(&format!("{client}{other}"), "x.toml").unwrap();
    }

    #[test]
    fn the_resource_server_client_is_confidential_and_parses_from_toml_alike() {
        let built = Config::default().with_resource_server_client("rs", "rs-secret");
        let client = &built.clients[0];
        assert_eq!(client.effective_auth_method(), "client_secret_basic");
        assert_eq!(client.client_secret.as_deref(), Some("rs-secret"));
        assert!(built.validate().is_ok());
        let toml = Config::from_toml(
            "[[clients]]\nclient_id = \"rs\"\nclient_secret = \"rs-secret\"\ngrant_types = [\"client_credentials\"]\n",
            "x.toml",
        )
        .unwrap();
        assert_eq!(toml.clients[0].client_id, client.client_id);
        assert_eq!(toml.clients[0].grant_types, client.grant_types);
        assert_eq!(
            toml.clients[0].effective_auth_method(),
            client.effective_auth_method()
        );
        // Twice the same id is refused like any duplicate.
        let twice = built.with_resource_server_client("rs", "other");
        assert!(twice.validate().is_err());
        let open = Config::from_toml("introspection_without_client_auth = true", "x.toml").unwrap();
        assert!(open.introspection_without_client_auth);
        assert!(!Config::default().introspection_without_client_auth);
    }

    #[test]
    fn default_config_is_valid() {
        assert!(Config::default().validate().is_ok());
        let c = Config {
            access_token_ttl_secs: u64::MAX,
            ..Config::default()
        };
        assert!(matches!(c.validate(), Err(IdpError::InvalidConfig(_))));
    }
}
