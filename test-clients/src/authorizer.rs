//! The client's tokens and how it gets them: discovery (again when a token is refused, to see
//! whether the protected resource metadata names another authorization server), a client_id per
//! authorization server (keyed by its issuer, MCP 2026-07-28 Authorization Server Binding), then
//! the authorization code grant with PKCE, or the client credentials grant; refresh; step-up with
//! the union of the scopes asked for before and the challenged ones.

use std::collections::HashMap;
use std::time::Duration;

use crate::authorize::{self, Callback};
use crate::breaks::{Break, Breaks};
use crate::browser;
use crate::callback::CallbackListener;
use crate::challenge::BearerChallenge;
use crate::client_auth::{AuthMethod, ClientCredentials};
use crate::context::{Context, Grant};
use crate::discovery::{self, Discovery};
use crate::error::{ClientError, Result};
use crate::log;
use crate::pkce;
use crate::prm::{self, Prm};
use crate::registration;
use crate::server_url::ServerUrl;
use crate::token::{self, field, Form, TokenSet};

/// The redirect URI when no browser is used: nothing listens there, the client reads the
/// `Location` of the authorization endpoint's redirect itself.
pub const HEADLESS_REDIRECT_URI: &str = "http://127.0.0.1:3000/callback";
/// How long a browser gets to deliver the callback.
pub const BROWSER_TIMEOUT: Duration = Duration::from_secs(20);
/// The scope that asks for a refresh token (OpenID Connect Core §11; MCP 2026-07-28 Refresh Tokens).
pub const OFFLINE_ACCESS: &str = "offline_access";

pub struct Authorizer {
    http: reqwest::Client,
    server_url: ServerUrl,
    breaks: Breaks,
    context: Context,
    grant: Grant,
    /// `$BROWSER` split into words, when `--use-browser` was given and the variable is set.
    browser: Option<Vec<String>>,
    callback: Option<CallbackListener>,
    discovery: Option<Discovery>,
    /// The client credentials of each authorization server, by issuer: never presented to another.
    clients: HashMap<String, ClientCredentials>,
    tokens: Option<TokenSet>,
    /// `refresh-at-new-as`: the refresh token of the authorization server the client left.
    stale_refresh_token: Option<String>,
    first_refresh_token: Option<String>,
    /// The scope of the last authorization (`None`: none was requested).
    requested_scope: Option<String>,
}

/// `a` then the words of `b` not in `a`.
pub fn scope_union(a: Option<&str>, b: Option<&str>) -> Option<String> {
    let mut words: Vec<&str> = Vec::new();
    for w in a.into_iter().chain(b).flat_map(str::split_whitespace) {
        if !words.contains(&w) {
            words.push(w);
        }
    }
    (!words.is_empty()).then(|| words.join(" "))
}

impl Authorizer {
    pub fn new(
        http: reqwest::Client,
        server_url: ServerUrl,
        breaks: Breaks,
        context: Context,
        grant: Grant,
        browser: Option<Vec<String>>,
    ) -> Authorizer {
        Authorizer {
            http,
            server_url,
            breaks,
            context,
            grant,
            browser,
            callback: None,
            discovery: None,
            clients: HashMap::new(),
            tokens: None,
            stale_refresh_token: None,
            first_refresh_token: None,
            requested_scope: None,
        }
    }

    pub fn access_token(&self) -> Option<&str> {
        self.tokens.as_ref().map(|t| t.access_token.as_str())
    }

    pub fn can_refresh(&self) -> bool {
        self.tokens
            .as_ref()
            .is_some_and(|t| t.refresh_token.is_some())
    }

    /// After a 401: discovery (first time only), then a new grant with the scope the challenge
    /// asks for, else the PRM's `scopes_supported`, else none.
    pub async fn authorize(&mut self, challenge: &BearerChallenge) -> Result<()> {
        let discovery = self.discovery(challenge).await?.clone();
        let challenge_scope =
            if self.breaks.has(Break::IgnoreChallengeScope) && challenge.scope.is_some() {
                log::step("BREAK ignore-challenge-scope: not using the scope of the challenge");
                None
            } else {
                challenge.scope.clone()
            };
        let scope = challenge_scope.or_else(|| {
            (!discovery.scopes_supported.is_empty()).then(|| discovery.scopes_supported.join(" "))
        });
        self.obtain(scope).await
    }

    /// After a 403 insufficient_scope: a new grant for what was asked before plus the challenge's
    /// scope (MCP 2026-07-28 Step-Up Authorization Flow: the union).
    pub async fn step_up(&mut self, challenge: &BearerChallenge) -> Result<()> {
        self.discovery(challenge).await?;
        let scope = if self.breaks.has(Break::StepUpChallengeOnly) {
            log::step("BREAK step-up-challenge-only: asking for the challenged scope alone");
            challenge.scope.clone()
        } else {
            scope_union(self.requested_scope.as_deref(), challenge.scope.as_deref())
        };
        log::step(format!("step-up authorization for scope {scope:?}"));
        self.obtain(scope).await
    }

    /// After a 401 to a request that carried a token: the protected resource metadata again (the
    /// challenge may point at changed metadata, RFC 9728 §5.2). When it names another
    /// authorization server, the client switches to it: its metadata, its own client (registered
    /// anew unless the client already has one for that issuer), no tokens. Returns whether it
    /// switched. A failure to read the metadata leaves everything as it was.
    pub async fn authorization_server_changed(&mut self, challenge: &BearerChallenge) -> bool {
        let Some(current) = self.discovery.as_ref().map(|d| d.server.issuer.clone()) else {
            return false;
        };
        let resource =
            match prm::discover(&self.http, &self.server_url, challenge, &self.breaks).await {
                Ok(Prm::Found(resource)) => resource,
                Ok(Prm::NotServed) => return false,
                Err(e) => {
                    log::step(format!(
                        "could not read the protected resource metadata again: {e}"
                    ));
                    return false;
                }
            };
        if resource.authorization_servers[0] == current {
            return false;
        }
        if let Err(e) = prm::check_resource(&resource, &self.server_url, &self.breaks) {
            log::step(format!("ignoring the new protected resource metadata: {e}"));
            return false;
        }
        let next = match discovery::from_resource(&self.http, &resource, &self.breaks).await {
            Ok(next) => next,
            Err(e) => {
                log::step(format!("the new authorization server is not usable: {e}"));
                return false;
            }
        };
        log::step(format!(
            "the authorization server changed from `{current}` to `{}`: its own client, new tokens",
            next.server.issuer
        ));
        if self.breaks.has(Break::ReuseClientAcrossAs) {
            if let Some(old) = self.clients.get(&current).cloned() {
                log::step(format!(
                    "BREAK reuse-client-across-as: keeping client `{}` for `{}`",
                    old.client_id, next.server.issuer
                ));
                self.clients.insert(next.server.issuer.clone(), old);
            }
        }
        let old_tokens = self.tokens.take();
        if self.breaks.has(Break::RefreshAtNewAs) {
            self.stale_refresh_token = old_tokens.and_then(|t| t.refresh_token);
        }
        self.first_refresh_token = None;
        self.discovery = Some(next);
        true
    }

    async fn discovery(&mut self, challenge: &BearerChallenge) -> Result<&Discovery> {
        if self.discovery.is_none() {
            let found =
                discovery::discover(&self.http, &self.server_url, challenge, &self.breaks).await?;
            self.discovery = Some(found);
        }
        Ok(self.discovery.as_ref().expect("set above"))
    }

    fn discovered(&self) -> &Discovery {
        self.discovery
            .as_ref()
            .expect("discovery runs before any grant")
    }

    /// The `resource` to send: the discovered one, unless a break changes it.
    fn resource(&self) -> Option<String> {
        let resource = &self.discovered().resource;
        if self.breaks.has(Break::NoResource) {
            None
        } else if self.breaks.has(Break::ResourceTrailingSlash) {
            Some(format!("{resource}/"))
        } else {
            Some(resource.clone())
        }
    }

    async fn obtain(&mut self, scope: Option<String>) -> Result<()> {
        let scope = match self.grant {
            Grant::AuthorizationCode => self.with_offline_access(scope),
            Grant::ClientCredentials => scope,
        };
        if self.breaks.has(Break::NoResource) {
            log::step("BREAK no-resource: sending no resource parameter");
        } else if self.breaks.has(Break::ResourceTrailingSlash) {
            log::step("BREAK resource-trailing-slash: appending `/` to the resource");
        }
        let tokens = match self.grant {
            Grant::AuthorizationCode => match self.refresh_at_new_as().await? {
                Some(tokens) => tokens,
                None => self.authorization_code(scope.as_deref()).await?,
            },
            Grant::ClientCredentials => self.client_credentials(scope.as_deref()).await?,
        };
        if self.first_refresh_token.is_none() {
            self.first_refresh_token = tokens.refresh_token.clone();
        }
        self.tokens = Some(tokens);
        self.requested_scope = scope;
        if self.breaks.has(Break::TokenToAuthorizationServer) {
            self.send_token_to_authorization_server().await?;
        }
        Ok(())
    }

    /// MCP 2026-07-28 Refresh Tokens: `offline_access` added to a scope only when the
    /// authorization server lists it (and never as the whole scope of a client that asks for none).
    fn with_offline_access(&self, scope: Option<String>) -> Option<String> {
        let scope = scope?;
        let listed = self.discovered().server.supports_scope(OFFLINE_ACCESS);
        if !listed && self.breaks.has(Break::OfflineAccessAlways) {
            log::step("BREAK offline-access-always: asking for offline_access, which the AS does not list");
        } else if !listed {
            return Some(scope);
        }
        scope_union(Some(&scope), Some(OFFLINE_ACCESS))
    }

    /// `refresh-at-new-as`: once registered with the new authorization server, the refresh token of
    /// the old one, presented to the new one; `None` (go on authorizing) when it is refused.
    async fn refresh_at_new_as(&mut self) -> Result<Option<TokenSet>> {
        let Some(stale) = self.stale_refresh_token.take() else {
            return Ok(None);
        };
        let redirect_uri = self.redirect_uri().await?;
        let client = self.client(&redirect_uri).await?;
        let server = self.discovered().server.clone();
        log::step("BREAK refresh-at-new-as: presenting the old refresh token to the new authorization server");
        let mut form = Form::new();
        field(&mut form, "grant_type", "refresh_token");
        field(&mut form, "refresh_token", &stale);
        if let Some(resource) = self.resource() {
            field(&mut form, "resource", &resource);
        }
        match token::request(&self.http, &server, &client, form, &self.breaks).await {
            Ok(tokens) => Ok(Some(tokens)),
            Err(e) => {
                log::step(format!("refused ({e}): authorizing"));
                Ok(None)
            }
        }
    }

    async fn redirect_uri(&mut self) -> Result<String> {
        if self.browser.is_none() {
            return Ok(HEADLESS_REDIRECT_URI.to_string());
        }
        if self.callback.is_none() {
            self.callback = Some(CallbackListener::start().await?);
        }
        Ok(self
            .callback
            .as_ref()
            .expect("started above")
            .redirect_uri
            .clone())
    }

    /// The client credentials for the current authorization server (by issuer), obtained once.
    async fn client(&mut self, redirect_uri: &str) -> Result<ClientCredentials> {
        let issuer = self.discovered().server.issuer.clone();
        if let Some(client) = self.clients.get(&issuer) {
            return Ok(client.clone());
        }
        let server = &self.discovered().server;
        let client = registration::obtain(
            &self.http,
            &self.context,
            server,
            redirect_uri,
            &self.breaks,
        )
        .await?;
        self.clients.insert(issuer, client.clone());
        Ok(client)
    }

    /// The client credentials for the current authorization server, if the client has them.
    fn current_client(&self) -> Option<ClientCredentials> {
        let issuer = &self.discovery.as_ref()?.server.issuer;
        self.clients.get(issuer).cloned()
    }

    async fn authorization_code(&mut self, scope: Option<&str>) -> Result<TokenSet> {
        crate::as_metadata::check_code_flow_support(&self.discovered().server, &self.breaks)?;
        let redirect_uri = self.redirect_uri().await?;
        let client = self.client(&redirect_uri).await?;
        let server = self.discovered().server.clone();
        let resource = self.resource();
        let pkce = pkce::generate(&self.breaks);
        let state = if self.breaks.has(Break::NoState) {
            log::step("BREAK no-state: sending no state");
            None
        } else {
            Some(authorize::random_state())
        };
        let request = authorize::Request {
            client_id: &client.client_id,
            redirect_uri: &redirect_uri,
            scope,
            resource: resource.as_deref(),
            pkce: pkce.as_ref(),
            state: state.as_deref(),
        };
        let url = authorize::url(&server.authorization_endpoint, &request)?;
        log::step(format!(
            "authorization request: client `{}`, scope {scope:?}, resource {resource:?}, PKCE {}",
            client.client_id,
            pkce.as_ref().map_or("none", |p| p.method)
        ));
        let callback = self.user_agent(&url).await?;
        let code = authorize::validate(&callback, state.as_deref(), &server, &self.breaks)?;
        let asked_offline =
            scope.is_some_and(|s| s.split_whitespace().any(|w| w == OFFLINE_ACCESS));
        log::step(format!("authorization code {}", log::secret(&code)));

        let mut form = Form::new();
        field(&mut form, "grant_type", "authorization_code");
        field(&mut form, "code", &code);
        field(
            &mut form,
            "redirect_uri",
            &self.token_redirect_uri(&redirect_uri),
        );
        if let Some(pkce) = &pkce {
            field(&mut form, "code_verifier", &pkce.verifier);
        }
        if let Some(resource) = &resource {
            field(&mut form, "resource", resource);
        }
        let tokens = token::request(&self.http, &server, &client, form, &self.breaks).await?;
        if asked_offline && tokens.refresh_token.is_none() {
            if self.breaks.has(Break::RequireRefreshToken) {
                return Err(ClientError::Protocol(
                    "BREAK require-refresh-token: asked for offline_access and got no refresh token"
                        .into(),
                ));
            }
            log::step("asked for offline_access, got no refresh token: the AS decides (fine)");
        }
        Ok(tokens)
    }

    /// Sends the user agent to the authorization URL: a GET without following the redirect, or the
    /// browser and the loopback listener.
    async fn user_agent(&mut self, url: &url::Url) -> Result<Callback> {
        let (Some(command), Some(listener)) = (&self.browser, self.callback.as_mut()) else {
            return authorize::follow_headless(&self.http, url).await;
        };
        let browser = browser::open(command, url.as_str())?;
        let query = listener.next(BROWSER_TIMEOUT).await;
        browser.close(Duration::from_secs(2)).await;
        Ok(authorize::parse_callback(&query?))
    }

    fn token_redirect_uri(&self, redirect_uri: &str) -> String {
        if !self.breaks.has(Break::TokenRedirectUriDiffers) {
            return redirect_uri.to_string();
        }
        let other = match url::Url::parse(redirect_uri) {
            Ok(mut u) => {
                u.set_path("/other-callback");
                u.to_string()
            }
            Err(_) => format!("{redirect_uri}-other"),
        };
        log::step(format!(
            "BREAK token-redirect-uri-differs: redirect_uri {other} at the token endpoint"
        ));
        other
    }

    async fn client_credentials(&mut self, scope: Option<&str>) -> Result<TokenSet> {
        let client_id = self.context.client_id.clone().ok_or_else(|| {
            ClientError::Config(
                "client credentials need a client_id in MCP_CONFORMANCE_CONTEXT".into(),
            )
        })?;
        let client = if let Some(pem) = &self.context.private_key_pem {
            if let Some(alg) = self
                .context
                .signing_algorithm
                .as_deref()
                .filter(|a| *a != "ES256")
            {
                return Err(ClientError::Config(format!(
                    "signing_algorithm `{alg}` is not supported (ES256 only)"
                )));
            }
            ClientCredentials {
                client_id,
                client_secret: None,
                method: AuthMethod::PrivateKeyJwt,
                private_key_pem: Some(pem.clone()),
            }
        } else if let Some(secret) = &self.context.client_secret {
            ClientCredentials {
                client_id,
                client_secret: Some(secret.clone()),
                method: AuthMethod::ClientSecretBasic,
                private_key_pem: None,
            }
        } else {
            return Err(ClientError::Config(
                "client credentials need client_secret or private_key_pem in MCP_CONFORMANCE_CONTEXT".into(),
            ));
        };
        let issuer = self.discovered().server.issuer.clone();
        self.clients.insert(issuer, client.clone());
        let server = self.discovered().server.clone();
        let mut form = Form::new();
        field(&mut form, "grant_type", "client_credentials");
        if let Some(scope) = scope {
            field(&mut form, "scope", scope);
        }
        if let Some(resource) = self.resource() {
            field(&mut form, "resource", &resource);
        }
        token::request(&self.http, &server, &client, form, &self.breaks).await
    }

    /// The refresh token grant (OAuth 2.1 §4.3), with `resource`; a new refresh token replaces the
    /// old one.
    pub async fn refresh(&mut self) -> Result<()> {
        let current = self
            .tokens
            .as_ref()
            .and_then(|t| t.refresh_token.clone())
            .ok_or_else(|| ClientError::Protocol("no refresh token".into()))?;
        let presented = match (
            &self.first_refresh_token,
            self.breaks.has(Break::ReuseRefreshToken),
        ) {
            (Some(first), true) if *first != current => {
                log::step("BREAK reuse-refresh-token: presenting the first refresh token again");
                first.clone()
            }
            _ => current.clone(),
        };
        let client = self
            .current_client()
            .ok_or_else(|| ClientError::Protocol("no client to refresh with".into()))?;
        let server = self.discovered().server.clone();
        let mut form = Form::new();
        field(&mut form, "grant_type", "refresh_token");
        field(&mut form, "refresh_token", &presented);
        if let Some(resource) = self.resource() {
            field(&mut form, "resource", &resource);
        }
        let mut fresh = token::request(&self.http, &server, &client, form, &self.breaks).await?;
        if fresh.refresh_token.is_none() {
            fresh.refresh_token = Some(current);
        }
        self.tokens = Some(fresh);
        Ok(())
    }

    /// `token-to-authorization-server`: a GET of the AS metadata carrying the access token.
    async fn send_token_to_authorization_server(&self) -> Result<()> {
        let server = &self.discovered().server;
        let url = server
            .metadata_url
            .clone()
            .unwrap_or_else(|| format!("{}/.well-known/oauth-authorization-server", server.issuer));
        log::step("BREAK token-to-authorization-server: sending the access token to the AS");
        crate::http::get_document(
            &self.http,
            &url,
            "authorization server metadata",
            self.access_token(),
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_union_keeps_order_and_drops_duplicates() {
        assert_eq!(
            scope_union(Some("a b"), Some("b c")).as_deref(),
            Some("a b c")
        );
        assert_eq!(scope_union(None, Some("x")).as_deref(), Some("x"));
        assert_eq!(scope_union(Some("x"), None).as_deref(), Some("x"));
        assert_eq!(scope_union(None, None), None);
        assert_eq!(scope_union(Some(" "), Some("")), None);
    }
}
