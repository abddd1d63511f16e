//! The client_credentials grant (SEP-1046) through the SDK: `OAuthState::authenticate_client_credentials`
//! discovers the metadata, checks the methods the authorization server lists, and asks for a token.

use reqwest::Url;
use rmcp::transport::auth::{
    AuthorizationManager, ClientCredentialsConfig, JwtSigningAlgorithm, OAuthState,
};

use crate::context::Context;
use crate::error::AdapterError;
use crate::http::HttpClients;

/// `client_id` + `client_secret` of the context. The SDK sends them in the body
/// (`client_secret_post`) unless the authorization server lists only `client_secret_basic`.
pub async fn client_secret(
    http: &HttpClients,
    server_url: &Url,
    context: &Context,
) -> Result<AuthorizationManager, AdapterError> {
    let config = ClientCredentialsConfig::ClientSecret {
        client_id: context.require("client_id")?.to_string(),
        client_secret: context.require("client_secret")?.to_string(),
        scopes: Vec::new(),
        resource: Some(server_url.to_string()),
    };
    authenticate(http, server_url, config).await
}

/// `client_id` + `private_key_pem` (+ `signing_algorithm`, default ES256) of the context: an RFC 7523
/// assertion the SDK signs (`iss` = `sub` = client, `aud` = the metadata's issuer).
pub async fn private_key_jwt(
    http: &HttpClients,
    server_url: &Url,
    context: &Context,
) -> Result<AuthorizationManager, AdapterError> {
    let config = ClientCredentialsConfig::PrivateKeyJwt {
        client_id: context.require("client_id")?.to_string(),
        signing_key: context.require("private_key_pem")?.as_bytes().to_vec(),
        signing_algorithm: algorithm(context.get("signing_algorithm").unwrap_or("ES256"))?,
        token_endpoint_audience: None,
        scopes: Vec::new(),
        resource: Some(server_url.to_string()),
    };
    authenticate(http, server_url, config).await
}

fn algorithm(name: &str) -> Result<JwtSigningAlgorithm, AdapterError> {
    Ok(match name {
        "ES256" => JwtSigningAlgorithm::ES256,
        "ES384" => JwtSigningAlgorithm::ES384,
        "RS256" => JwtSigningAlgorithm::RS256,
        "RS384" => JwtSigningAlgorithm::RS384,
        "RS512" => JwtSigningAlgorithm::RS512,
        other => return Err(AdapterError::SigningAlgorithm(other.to_string())),
    })
}

async fn authenticate(
    http: &HttpClients,
    server_url: &Url,
    config: ClientCredentialsConfig,
) -> Result<AuthorizationManager, AdapterError> {
    let mut state = OAuthState::new(server_url.as_str(), Some(http.oauth.clone()))
        .await
        .map_err(AdapterError::auth("OAuthState::new"))?;
    state
        .authenticate_client_credentials(config)
        .await
        .map_err(AdapterError::auth("authenticate_client_credentials"))?;
    tracing::info!("client_credentials token received");
    state
        .into_authorization_manager()
        .ok_or(AdapterError::NoAuthorizationManager(
            "OAuthState is not authorized after authenticate_client_credentials",
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_the_context_algorithm() {
        assert!(matches!(algorithm("ES256"), Ok(JwtSigningAlgorithm::ES256)));
        assert!(matches!(
            algorithm("HS256"),
            Err(AdapterError::SigningAlgorithm(name)) if name == "HS256"
        ));
    }
}
