//! The switches every handler consults. [`Behaviour::default`] is a correct, strict deployment;
//! each variant (see [`crate::variants`]) changes one or a few fields.

use std::time::Duration;

/// Where the authorization server metadata documents are served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataLocation {
    /// At the issuer's well-known URLs (RFC 8414 §3.1, OIDC Discovery §4).
    WellKnown,
    /// Only at this path on the issuer's origin (a "custom path" deployment).
    CustomPath(String),
    /// Only at the well-known URL of a separate origin (a "split domain" deployment).
    SeparateOrigin,
}

/// What the authorization response carries in `state`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateEcho {
    Exact,
    Wrong,
    Omitted,
}

/// What the authorization response carries in `iss` (RFC 9207).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IssParameter {
    Correct,
    Wrong,
    Omitted,
}

/// The audience put into access tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// The `resource` the client asked for (RFC 8707), or the MCP server when none was given.
    Resource,
    /// Always this value, whatever the client asked for.
    Fixed(String),
}

/// Endpoints that a timing hook can slow down or hang.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    AuthorizationServerMetadata,
    ProtectedResourceMetadata,
    Jwks,
    Registration,
    Authorization,
    Token,
    Mcp,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delay {
    pub endpoint: Endpoint,
    /// `None` hangs until the client gives up or the mock shuts down.
    pub after: Option<Duration>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Behaviour {
    // --- authorization server discovery
    /// A path component of the issuer (`tenant1` gives `http://host:port/tenant1`).
    pub issuer_path: Option<String>,
    pub serve_rfc8414: bool,
    pub serve_oidc: bool,
    pub metadata_location: MetadataLocation,
    /// The metadata names an issuer other than the one it was fetched for (RFC 8414 §3.3).
    pub metadata_issuer_mismatch: bool,
    /// `code_challenge_methods_supported`; `None` leaves the field out. Also the methods the
    /// authorization endpoint accepts (see [`Behaviour::pkce_methods`]).
    pub code_challenge_methods: Option<Vec<String>>,
    pub registration_endpoint: bool,
    pub cimd_supported: bool,
    /// `authorization_response_iss_parameter_supported` in the metadata.
    pub advertise_iss_parameter: bool,
    /// 2025-03-26 layout: the authorization server lives on the MCP server's origin with the default
    /// endpoints `/authorize`, `/token`, `/register`, and there is no protected resource metadata.
    pub legacy_2025_03_26_layout: bool,

    // --- authorization endpoint
    pub enforce_pkce: bool,
    pub state_echo: StateEcho,
    pub iss_parameter: IssParameter,

    // --- token endpoint
    pub rotate_refresh_tokens: bool,
    pub audience: Audience,
    /// Issue access tokens whose `exp` is already in the past.
    pub issue_expired_tokens: bool,

    // --- protected MCP server
    pub prm_at_path: bool,
    pub prm_at_root: bool,
    /// The PRM `resource` names another server than the one it was fetched for (RFC 9728 §3.3).
    pub prm_resource_mismatch: bool,
    pub challenge_resource_metadata: bool,
    pub challenge_scope: bool,

    // --- timing
    pub delays: Vec<Delay>,
}

impl Default for Behaviour {
    fn default() -> Self {
        Self {
            issuer_path: None,
            serve_rfc8414: true,
            serve_oidc: true,
            metadata_location: MetadataLocation::WellKnown,
            metadata_issuer_mismatch: false,
            code_challenge_methods: Some(vec!["S256".to_string()]),
            registration_endpoint: true,
            cimd_supported: true,
            advertise_iss_parameter: true,
            legacy_2025_03_26_layout: false,
            enforce_pkce: true,
            state_echo: StateEcho::Exact,
            iss_parameter: IssParameter::Correct,
            rotate_refresh_tokens: true,
            audience: Audience::Resource,
            issue_expired_tokens: false,
            prm_at_path: true,
            prm_at_root: false,
            prm_resource_mismatch: false,
            challenge_resource_metadata: true,
            challenge_scope: true,
            delays: Vec::new(),
        }
    }
}

impl Behaviour {
    /// The delay configured for an endpoint, if any (the last one configured wins).
    pub fn delay_for(&self, endpoint: Endpoint) -> Option<&Delay> {
        self.delays.iter().rev().find(|d| d.endpoint == endpoint)
    }

    /// The PKCE methods the authorization endpoint accepts (RFC 7636 §4.3): the advertised
    /// `code_challenge_methods_supported`, or `S256` when the metadata advertises none (the
    /// endpoint still implements what OAuth 2.1 §4.1.1 requires).
    pub fn pkce_methods(&self) -> Vec<&str> {
        match &self.code_challenge_methods {
            Some(methods) => methods.iter().map(String::as_str).collect(),
            None => vec!["S256"],
        }
    }

    pub fn accepts_pkce_method(&self, method: &str) -> bool {
        self.pkce_methods().contains(&method)
    }

    /// Whether a separate origin is needed to serve the metadata (split domain).
    pub fn needs_metadata_origin(&self) -> bool {
        self.metadata_location == MetadataLocation::SeparateOrigin
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepted_pkce_methods_follow_the_advertised_ones_else_s256() {
        let default = Behaviour::default();
        assert!(default.accepts_pkce_method("S256"));
        assert!(!default.accepts_pkce_method("plain"));
        let not_advertised = Behaviour {
            code_challenge_methods: None,
            ..Behaviour::default()
        };
        assert_eq!(not_advertised.pkce_methods(), vec!["S256"]);
        let plain_only = Behaviour {
            code_challenge_methods: Some(vec!["plain".into()]),
            ..Behaviour::default()
        };
        assert!(plain_only.accepts_pkce_method("plain"));
        assert!(!plain_only.accepts_pkce_method("S256"));
    }
}
