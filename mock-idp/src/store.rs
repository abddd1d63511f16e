//! In-memory records of the mock: clients, authorization codes, refresh tokens, device codes and
//! revoked tokens. Every record is keyed by a random value so parallel flows never collide.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;

use crate::config::ClientConfig;

/// A random URL-safe string with `bytes` bytes of entropy.
pub fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    URL_SAFE_NO_PAD.encode(buf)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientSource {
    Config,
    DynamicRegistration,
    MetadataDocument,
    /// A metadata document URL the mock could not fetch, accepted as a public client whose
    /// redirect URIs are the loopback ones presented (`Behaviour::cimd_accept_unfetchable`).
    UnfetchedMetadataDocument,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub redirect_uris: Vec<String>,
    pub grant_types: Vec<String>,
    pub token_endpoint_auth_method: String,
    pub jwks: Option<serde_json::Value>,
    pub scope: Option<String>,
    pub client_name: Option<String>,
    pub source: ClientSource,
}

impl Client {
    pub fn from_config(c: &ClientConfig) -> Self {
        Self {
            client_id: c.client_id.clone(),
            client_secret: c.client_secret.clone(),
            redirect_uris: c.redirect_uris.clone(),
            grant_types: if c.grant_types.is_empty() {
                vec!["authorization_code".into(), "refresh_token".into()]
            } else {
                c.grant_types.clone()
            },
            token_endpoint_auth_method: c.effective_auth_method().to_string(),
            jwks: c.jwks.clone(),
            scope: c.scope.clone(),
            client_name: c.client_name.clone(),
            source: ClientSource::Config,
        }
    }

    pub fn allows_grant(&self, grant_type: &str) -> bool {
        self.grant_types.iter().any(|g| g == grant_type)
    }
}

/// What an authorization code stands for (OAuth 2.1 §4.1.2, RFC 8707 §2.1).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationCode {
    pub client_id: String,
    /// The redirect URI the response went to (the only registered one when none was sent).
    pub redirect_uri: String,
    /// Whether the authorization request included `redirect_uri`: only then must the token
    /// request repeat it (OAuth 2.1 §4.1.3).
    pub redirect_uri_sent: bool,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub scopes: Vec<String>,
    pub resource: Option<String>,
    pub subject: String,
    pub expires_at: Instant,
}

/// A refresh token's grant. `family` ties rotated tokens together so a replay revokes them all.
#[derive(Debug, Clone, PartialEq)]
pub struct RefreshGrant {
    pub client_id: String,
    pub subject: String,
    pub scopes: Vec<String>,
    pub resource: Option<String>,
    pub family: String,
    pub expires_at: Instant,
    /// Set once the token was exchanged under rotation; a second use is a replay.
    pub used: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved { subject: String },
    Denied,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DeviceGrant {
    pub device_code: String,
    pub user_code: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub resource: Option<String>,
    pub expires_at: Instant,
    pub status: DeviceStatus,
    pub interval: Duration,
    pub last_poll: Option<Instant>,
}

/// Everything the mock remembers. Each map has its own lock, held only for a lookup or an update.
#[derive(Debug, Default)]
pub struct Store {
    pub clients: Mutex<HashMap<String, Client>>,
    pub codes: Mutex<HashMap<String, AuthorizationCode>>,
    pub refresh_tokens: Mutex<HashMap<String, RefreshGrant>>,
    /// Families whose refresh tokens were revoked (replay detected or revocation).
    pub revoked_families: Mutex<HashSet<String>>,
    pub device_grants: Mutex<HashMap<String, DeviceGrant>>,
    /// `jti`s of revoked access tokens (RFC 7009).
    pub revoked_access_tokens: Mutex<HashSet<String>>,
    /// `jti`s of client assertions already used (RFC 7523 §3: replay protection).
    pub used_assertion_ids: Mutex<HashSet<String>>,
    /// Consent transactions of the HTML login page, by transaction id.
    pub pending_consents: Mutex<HashMap<String, crate::form::Params>>,
    /// MCP sessions (`Mcp-Session-Id`) by id, each bound to the subject that opened it (MCP
    /// Security Best Practices › Session Hijacking). A session is never authentication.
    /// The value is the claims of the token that opened it.
    pub mcp_sessions: Mutex<HashMap<String, crate::access_token::AccessTokenClaims>>,
    /// How many MCP requests each access token (by `jti`) was presented on, for
    /// `Behaviour::token_valid_for_requests`.
    pub access_token_uses: Mutex<HashMap<String, u32>>,
    /// How many 403s `Behaviour::insufficient_scope_always` has given so far.
    pub insufficient_scope_answers: Mutex<u32>,
}

impl Store {
    pub fn with_clients(clients: &[ClientConfig]) -> Self {
        let store = Self::default();
        {
            let mut map = store.clients.lock().unwrap();
            for c in clients {
                map.insert(c.client_id.clone(), Client::from_config(c));
            }
        }
        store
    }

    pub fn client(&self, client_id: &str) -> Option<Client> {
        self.clients.lock().unwrap().get(client_id).cloned()
    }

    pub fn insert_client(&self, client: Client) {
        self.clients
            .lock()
            .unwrap()
            .insert(client.client_id.clone(), client);
    }

    /// Removes and returns the code: codes are single-use (OAuth 2.1 §4.1.2).
    pub fn take_code(&self, code: &str) -> Option<AuthorizationCode> {
        self.codes.lock().unwrap().remove(code)
    }

    pub fn insert_code(&self, code: AuthorizationCode) -> String {
        let value = random_token(32);
        self.codes.lock().unwrap().insert(value.clone(), code);
        value
    }

    /// Records an access token's `jti` as revoked (RFC 7009).
    pub fn revoke_access_token(&self, jti: &str) {
        self.revoked_access_tokens
            .lock()
            .unwrap()
            .insert(jti.to_string());
    }

    pub fn is_access_token_revoked(&self, jti: &str) -> bool {
        self.revoked_access_tokens.lock().unwrap().contains(jti)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_tokens_differ_and_are_url_safe() {
        let a = random_token(32);
        let b = random_token(32);
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert!(a
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    }

    #[test]
    fn codes_are_single_use() {
        let store = Store::default();
        let code = store.insert_code(AuthorizationCode {
            client_id: "c".into(),
            redirect_uri: "http://127.0.0.1/cb".into(),
            redirect_uri_sent: true,
            code_challenge: None,
            code_challenge_method: None,
            scopes: vec![],
            resource: None,
            subject: "u".into(),
            expires_at: Instant::now(),
        });
        assert!(store.take_code(&code).is_some());
        assert!(store.take_code(&code).is_none());
    }
}
