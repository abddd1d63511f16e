//! Which grant a run uses, and the authorization code grant as an application drives rmcp's
//! reactive OAuth: requests go out without a token until the server challenges; a 401 runs the
//! SDK's whole authorization (`OAuthState::start_authorization` seeded with the challenge), a 403
//! `insufficient_scope` its scope upgrade (`AuthorizationManager::request_scope_upgrade`).

use reqwest::Url;
use rmcp::transport::AuthClient;
use rmcp::transport::auth::{
    AuthorizationCallback, AuthorizationManager, AuthorizationRequest, OAuthState,
};
use serde_json::Value;

use crate::browser;
use crate::client_credentials;
use crate::context::Context;
use crate::error::AdapterError;
use crate::http::HttpClients;
use crate::session;

/// The official conformance clients' redirect URI (nothing listens there).
pub const REDIRECT_URI: &str = "http://localhost:3000/callback";
/// The official conformance clients' client ID metadata document URL (SEP-991); nobody serves it.
/// The SDK uses it as `client_id` when the authorization server sets
/// `client_id_metadata_document_supported`, else it registers (DCR).
pub const CLIENT_METADATA_URL: &str = "https://conformance-test.local/client-metadata.json";
/// The `client_name` of a dynamic registration.
const CLIENT_NAME: &str = "mcp-authlab rmcp target";

pub async fn run(
    server_url: Url,
    scenario: Option<&str>,
    context: Context,
) -> Result<Value, AdapterError> {
    let http = HttpClients::new()?;
    match scenario {
        Some("auth/client-credentials-jwt") => {
            let manager = client_credentials::private_key_jwt(&http, &server_url, &context).await?;
            let client = AuthClient::new(http.transport.clone(), manager);
            session::run(client, None, &server_url).await
        }
        Some("auth/client-credentials-basic") => {
            let manager = client_credentials::client_secret(&http, &server_url, &context).await?;
            let client = AuthClient::new(http.transport.clone(), manager);
            session::run(client, None, &server_url).await
        }
        _ => {
            let authorizer = Authorizer::new(&http, &server_url, &context);
            // No credentials yet: the AuthClient sends its requests without a token until the
            // server challenges (the SDK's "reactive" model).
            let unauthorized = AuthorizationManager::new(server_url.as_str())
                .await
                .map_err(AdapterError::auth("AuthorizationManager::new"))?;
            let client = AuthClient::new(http.transport.clone(), unauthorized);
            session::run(client, Some(&authorizer), &server_url).await
        }
    }
}

/// The authorization code grant through the SDK, with the adapter as the user agent.
pub struct Authorizer<'a> {
    http: &'a HttpClients,
    server_url: &'a Url,
    /// `client_id` (+ `client_secret`) of the context: a pre-registered client.
    preregistered: Option<(String, Option<String>)>,
}

impl<'a> Authorizer<'a> {
    pub fn new(http: &'a HttpClients, server_url: &'a Url, context: &Context) -> Self {
        let preregistered = context.get("client_id").map(|id| {
            (
                id.to_string(),
                context.get("client_secret").map(str::to_string),
            )
        });
        Self {
            http,
            server_url,
            preregistered,
        }
    }

    /// After a 401: the SDK discovers (from the challenge), picks the client identity
    /// (pre-registered, else CIMD when supported, else DCR), selects the scopes, builds the
    /// authorization URL (PKCE, state, resource); the adapter plays the browser; the SDK checks the
    /// callback (`state`, RFC 9207 `iss`) and exchanges the code. Returns the authorized manager.
    pub async fn authorize(&self, challenge: &str) -> Result<AuthorizationManager, AdapterError> {
        let mut state = OAuthState::new(self.server_url.as_str(), Some(self.http.oauth.clone()))
            .await
            .map_err(AdapterError::auth("OAuthState::new"))?;
        let mut request = AuthorizationRequest::new(REDIRECT_URI)
            .with_client_name(CLIENT_NAME)
            .with_client_metadata_url(CLIENT_METADATA_URL)
            // The SDK's initial-login scope selection: the challenge's `scope`, else the
            // protected resource metadata's `scopes_supported` (MCP Scope Selection Strategy).
            .with_initial_scope_selection()
            .with_challenge(challenge);
        if let Some((client_id, secret)) = &self.preregistered {
            tracing::info!("pre-registered client {client_id}");
            request = request.with_preregistered_client(client_id);
            if let Some(secret) = secret {
                request = request.with_client_secret(secret);
            }
        }
        state
            .start_authorization(request)
            .await
            .map_err(AdapterError::auth("start_authorization"))?;
        let url = state
            .get_authorization_url()
            .await
            .map_err(AdapterError::auth("get_authorization_url"))?;
        let callback = browser::authorize(&self.http.browser, &url).await?;
        let AuthorizationCallback {
            code,
            csrf_token,
            issuer,
            ..
        } = callback;
        state
            .handle_callback_with_issuer(&code, &csrf_token, issuer.as_deref())
            .await
            .map_err(AdapterError::auth("handle_callback_with_issuer"))?;
        tracing::info!("authorized");
        state
            .into_authorization_manager()
            .ok_or(AdapterError::NoAuthorizationManager(
                "OAuthState is not authorized after handle_callback_with_issuer",
            ))
    }

    /// After a 403 `insufficient_scope`: the SDK's scope upgrade on the authorized manager (it
    /// asks for the union of the granted and the challenged scopes, and refuses after its
    /// `ScopeUpgradeConfig::max_upgrade_attempts`, 3 by default); the adapter plays the browser;
    /// the SDK checks the callback and exchanges the code.
    pub async fn upgrade_scope(
        &self,
        manager: &AuthorizationManager,
        required_scope: &str,
    ) -> Result<(), AdapterError> {
        tracing::info!(
            "insufficient_scope: scope upgrade to `{required_scope}` (attempt {} before this one)",
            manager.get_scope_upgrade_attempts().await
        );
        let url = manager
            .request_scope_upgrade(required_scope)
            .await
            .map_err(AdapterError::auth("request_scope_upgrade"))?;
        let callback = browser::authorize(&self.http.browser, &url).await?;
        manager
            .exchange_code_for_token_with_issuer(
                &callback.code,
                &callback.csrf_token,
                callback.issuer.as_deref(),
            )
            .await
            .map_err(AdapterError::auth("exchange_code_for_token_with_issuer"))?;
        tracing::info!(
            "scope upgraded: granted {:?}",
            manager.get_current_scopes().await
        );
        Ok(())
    }
}
