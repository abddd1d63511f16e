//! The conformance contract's environment: `MCP_CONFORMANCE_SCENARIO` picks the grant,
//! `MCP_CONFORMANCE_CONTEXT` (JSON) carries pre-registered credentials.

use serde::Deserialize;

use crate::error::{ClientError, Result};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Context {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub client_secret: Option<String>,
    /// PKCS#8 PEM private key for `private_key_jwt` (client-credentials-jwt).
    #[serde(default)]
    pub private_key_pem: Option<String>,
    #[serde(default)]
    pub signing_algorithm: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    AuthorizationCode,
    ClientCredentials,
}

impl Context {
    pub fn from_env() -> Result<(Grant, Context)> {
        let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
        let context = match std::env::var("MCP_CONFORMANCE_CONTEXT") {
            Ok(json) if !json.trim().is_empty() => Self::parse(&json)?,
            _ => Context::default(),
        };
        Ok((grant_for(&scenario), context))
    }

    pub fn parse(json: &str) -> Result<Context> {
        serde_json::from_str(json)
            .map_err(|e| ClientError::Config(format!("MCP_CONFORMANCE_CONTEXT is not usable: {e}")))
    }
}

/// `auth/client-credentials-*` scenarios use the client credentials grant; all others the
/// authorization code grant.
pub fn grant_for(scenario: &str) -> Grant {
    if scenario.starts_with("auth/client-credentials") {
        Grant::ClientCredentials
    } else {
        Grant::AuthorizationCode
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dispatch_on_scenario_name() {
        assert_eq!(
            grant_for("auth/client-credentials-jwt"),
            Grant::ClientCredentials
        );
        assert_eq!(
            grant_for("auth/client-credentials-basic"),
            Grant::ClientCredentials
        );
        assert_eq!(grant_for("auth/metadata-default"), Grant::AuthorizationCode);
        assert_eq!(grant_for(""), Grant::AuthorizationCode);
    }

    #[test]
    fn context_json() {
        let c = Context::parse(
            r#"{"name":"auth/pre-registration","client_id":"pre","client_secret":"s","issuer":"x"}"#,
        )
        .unwrap();
        assert_eq!(c.client_id.as_deref(), Some("pre"));
        assert_eq!(c.client_secret.as_deref(), Some("s"));
        assert!(c.private_key_pem.is_none());
        assert!(Context::parse("[1]").is_err());
    }
}
