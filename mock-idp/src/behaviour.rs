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
    /// Nowhere: every metadata URL answers 404 (MCP 2025-03-26 "Fallbacks for Servers without
    /// Metadata Discovery": clients use `/authorize`, `/token`, `/register` on the MCP origin).
    Nowhere,
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
    /// The issuer with a `/` appended: equal only after RFC 3986 §6.2.3 normalisation, which MCP
    /// 2026-07-28 forbids before the comparison.
    TrailingSlash,
    /// The issuer with its scheme in upper case (`HTTP://…`): equal only after RFC 3986 §6.2.2.1
    /// case normalisation, which MCP 2026-07-28 forbids before the comparison.
    UppercaseScheme,
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

/// The checks a resource server applies to a JWT access token (RFC 9068 §4; OAuth 2.1 §5.2).
/// [`TokenChecks::ALL`] is a correct server; a broken one turns one of them off.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenChecks {
    /// The signature verifies with a key of the authorization server's JWKS (by `kid`) and its
    /// algorithm; `alg: none` is refused. Off: the claims are read without any verification.
    pub signature: bool,
    /// `typ` is `at+jwt` (or `application/at+jwt`).
    pub token_type: bool,
    /// `iss` is the authorization server's issuer.
    pub issuer: bool,
    /// `aud` is this resource (RFC 8707 §2).
    pub audience: bool,
    /// `exp` has not passed and `nbf`, if present, has (with a few seconds of leeway).
    pub expiry: bool,
    /// The token's `jti` has not been revoked (RFC 7009).
    pub revocation: bool,
}

impl TokenChecks {
    pub const ALL: Self = Self {
        signature: true,
        token_type: true,
        issuer: true,
        audience: true,
        expiry: true,
        revocation: true,
    };
}

/// How many 403 answers `insufficient_scope_always` gives before it answers 410 Gone.
pub const INSUFFICIENT_SCOPE_LIMIT: u32 = 10;

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
    /// A second authorization server (issuer `{issuer}/migrated-as`, its own clients and codes)
    /// takes over: once the MCP server has accepted a first access token, its protected resource
    /// metadata names the second issuer and it accepts only that issuer's tokens (MCP 2026-07-28
    /// Authorization Server Binding; see `authorization_server::migration`).
    pub authorization_server_migration: bool,
    /// 2025-03-26 layout: the authorization server lives on the MCP server's origin, and there is no
    /// protected resource metadata.
    pub legacy_2025_03_26_layout: bool,
    /// A path below the issuer under which every endpoint of the authorization server lives (`/oauth`
    /// gives `{issuer}/oauth/authorize`, `{issuer}/oauth/token`, ...); the metadata names them there,
    /// and nothing answers at the default paths. `None`: `{issuer}/authorize`, ...
    pub endpoint_path_prefix: Option<String>,
    /// Accept a client ID metadata document URL that the mock cannot fetch (a non-loopback host,
    /// not preloaded in `Config::client_metadata_documents`) as a public client (`none`) whose only
    /// redirect URIs are the loopback ones presented at the authorization endpoint. The official
    /// conformance clients use `https://conformance-test.local/client-metadata.json`, which nobody
    /// serves. Only while `cimd_supported`.
    pub cimd_accept_unfetchable: bool,

    // --- registration
    /// DCR registers every client with this `token_endpoint_auth_method`, whatever it asked for
    /// (with a `client_secret` for the secret methods), and the metadata's
    /// `token_endpoint_auth_methods_supported` lists only it. The token endpoint enforces it.
    pub registration_auth_method: Option<String>,
    /// The DCR response leaves `token_endpoint_auth_method` out. The client is registered as
    /// `client_secret_basic` with a secret (RFC 7591 §2: omitted means `client_secret_basic`)
    /// unless `registration_auth_method` names another method.
    pub registration_response_omits_auth_method: bool,

    // --- authorization endpoint
    pub enforce_pkce: bool,
    pub state_echo: StateEcho,
    pub iss_parameter: IssParameter,

    // --- token endpoint
    pub rotate_refresh_tokens: bool,
    pub audience: Audience,
    /// Issue access tokens whose `exp` is already in the past.
    pub issue_expired_tokens: bool,
    /// `false`: the token endpoint never returns a `refresh_token`.
    pub issue_refresh_tokens: bool,

    // --- protected MCP server
    pub prm_at_path: bool,
    pub prm_at_root: bool,
    /// Serve the protected resource metadata only at this path on the MCP origin (the official
    /// `auth/metadata-var3` uses `/custom/metadata/location.json`), not at either well-known URL
    /// whatever `prm_at_path` and `prm_at_root` say; the challenges' `resource_metadata` names it
    /// (RFC 9728 §5.1). See [`Behaviour::validate`] for the paths accepted.
    pub prm_custom_path: Option<String>,
    /// The PRM URLs answer `307 Temporary Redirect` to [`crate::urls::PRM_REDIRECT_TARGET`] on the
    /// MCP origin, where the document is served (RFC 9110 §15.4.8).
    pub prm_redirect: bool,
    /// The PRM `resource` names another server than the one it was fetched for (RFC 9728 §3.3).
    pub prm_resource_mismatch: bool,
    pub challenge_resource_metadata: bool,
    pub challenge_scope: bool,
    /// `initialize` and `notifications/*` are answered without a token (whatever credentials they
    /// carry, and without opening a session); every other method still needs one.
    pub unauthenticated_initialize: bool,
    /// Every `tools/call` needs `Config::step_up_scope` besides the required scopes: 403
    /// `insufficient_scope` with `scope="<required> <step_up>"` otherwise.
    pub step_up_on_tools_call: bool,
    /// Every MCP request with an otherwise valid token gets 403 `insufficient_scope` with
    /// `scope="<step_up_scope>"` (the upgrade never succeeds); after
    /// [`INSUFFICIENT_SCOPE_LIMIT`] such answers, 410 Gone with `{"error":"test_complete"}`.
    pub insufficient_scope_always: bool,
    /// Each access token is accepted for at most this many MCP requests; then it gets 401
    /// `invalid_token` "The access token expired" (counted per token `jti`).
    pub token_valid_for_requests: Option<u32>,

    // --- protected MCP server as a resource server: each switch breaks one rule (the
    // `server-*` and `prm-*` variants of `variants/resource_server.rs`); the defaults are correct.
    /// Which checks the MCP server applies to a presented access token.
    pub token_checks: TokenChecks,
    /// Take an `access_token` query parameter as credentials when there is no `Authorization`
    /// header (OAuth 2.1 §5.1 forbids it).
    pub accept_query_token: bool,
    /// The 401 to a request without credentials carries `error="invalid_token"` (RFC 6750 §3.1: it
    /// should carry no error code).
    pub challenge_error_without_credentials: bool,
    /// `false`: 401 responses have no `WWW-Authenticate` header (OAuth 2.1 §5.3.1; RFC 9110 §15.5.2).
    pub www_authenticate_on_401: bool,
    /// A request without credentials gets 403 instead of 401.
    pub forbidden_without_credentials: bool,
    /// A token that fails validation gets 500 instead of 401 (OAuth 2.1 §5.3).
    pub server_error_on_invalid_token: bool,
    /// `false`: `Config::required_scope` is not enforced (a token without it is accepted).
    pub enforce_required_scope: bool,
    /// `false`: the 403 `insufficient_scope` challenge has no `scope` parameter.
    pub insufficient_scope_names_scope: bool,
    /// Only `Bearer` spelled exactly so is recognised (RFC 9110 §11.1: the scheme is
    /// case-insensitive); `bearer x` counts as no credentials.
    pub case_sensitive_bearer: bool,
    /// A request without credentials that names a live `Mcp-Session-Id` is accepted as the session's
    /// owner (MCP Security Best Practices › Session Hijacking forbids it).
    pub session_authenticates: bool,
    /// Every accepted MCP request forwards the client's token, as `Authorization: Bearer`, to
    /// `{issuer}/upstream-api` (MCP Security Best Practices › Token Passthrough forbids it).
    pub token_passthrough: bool,
    /// The protected resource metadata is served as `text/plain` (RFC 9728 §3.2: `application/json`).
    pub prm_wrong_content_type: bool,
    /// `false`: the protected resource metadata has no CORS headers and no preflight answer.
    pub prm_cors: bool,
    /// The protected resource metadata lists `authorization_servers: []`.
    pub prm_empty_authorization_servers: bool,

    // --- protected MCP server and MCP 2026-07-28 (the variants of `variants/revision_2026.rs`)
    /// Requests in the 2026-07-28 shape (per-request `_meta`, no `initialize`, no session;
    /// `server/discover`) are served. `false`: only the `initialize`-based revisions are spoken,
    /// so a 2026-07-28 request gets 400 (its `MCP-Protocol-Version` is unsupported).
    pub serve_modern_requests: bool,
    /// Every MCP request needs `Config::step_up_scope` besides the required scopes, and each 403
    /// `insufficient_scope` names only the first of them the token lacks (one challenge per scope;
    /// MCP 2026-07-28 Server Scope Management: all in one challenge). The 401 names them all.
    pub drip_scope_challenges: bool,
    /// A 2026-07-28 request naming a protocol version the server does not speak is served as if it
    /// were 2026-07-28, instead of 400 `UnsupportedProtocolVersion` (-32022) listing the supported
    /// versions.
    pub modern_accepts_any_version: bool,
    /// Answers to 2026-07-28 requests carry a fresh `Mcp-Session-Id` (the revision has no sessions).
    pub modern_mints_sessions: bool,
    /// The protected resource metadata lists `offline_access` in `scopes_supported` (MCP
    /// 2026-07-28 Refresh Tokens: a resource SHOULD NOT).
    pub prm_advertises_offline_access: bool,
    /// The protected resource metadata names the authorization server as `<issuer>/`, which is not
    /// the issuer its metadata names (RFC 8414 §3.3; MCP 2026-07-28: identical, no normalisation).
    pub prm_issuer_trailing_slash: bool,

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
            authorization_server_migration: false,
            legacy_2025_03_26_layout: false,
            endpoint_path_prefix: None,
            cimd_accept_unfetchable: false,
            registration_auth_method: None,
            registration_response_omits_auth_method: false,
            enforce_pkce: true,
            state_echo: StateEcho::Exact,
            iss_parameter: IssParameter::Correct,
            rotate_refresh_tokens: true,
            audience: Audience::Resource,
            issue_expired_tokens: false,
            issue_refresh_tokens: true,
            prm_at_path: true,
            prm_at_root: false,
            prm_custom_path: None,
            prm_redirect: false,
            prm_resource_mismatch: false,
            challenge_resource_metadata: true,
            challenge_scope: true,
            unauthenticated_initialize: false,
            step_up_on_tools_call: false,
            insufficient_scope_always: false,
            token_valid_for_requests: None,
            token_checks: TokenChecks::ALL,
            accept_query_token: false,
            challenge_error_without_credentials: false,
            www_authenticate_on_401: true,
            forbidden_without_credentials: false,
            server_error_on_invalid_token: false,
            enforce_required_scope: true,
            insufficient_scope_names_scope: true,
            case_sensitive_bearer: false,
            session_authenticates: false,
            token_passthrough: false,
            prm_wrong_content_type: false,
            prm_cors: true,
            prm_empty_authorization_servers: false,
            serve_modern_requests: true,
            drip_scope_challenges: false,
            modern_accepts_any_version: false,
            modern_mints_sessions: false,
            prm_advertises_offline_access: false,
            prm_issuer_trailing_slash: false,
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

    /// The `token_endpoint_auth_method` a dynamically registered client gets when it asked for
    /// `requested` (`None`: it sent none, which RFC 7591 §2 reads as `client_secret_basic`).
    pub fn registered_auth_method(&self, requested: Option<&str>) -> String {
        match (&self.registration_auth_method, requested) {
            (Some(forced), _) => forced.clone(),
            (None, _) if self.registration_response_omits_auth_method => {
                "client_secret_basic".to_string()
            }
            (None, Some(requested)) => requested.to_string(),
            (None, None) => "client_secret_basic".to_string(),
        }
    }

    /// Checks what the types cannot; the message names the field and the bad value.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(method) = &self.registration_auth_method {
            let known = crate::authorization_server::metadata::AUTH_METHODS;
            if !known.contains(&method.as_str()) {
                return Err(format!(
                    "registration_auth_method = {method:?} is not one of {}",
                    known.join(", ")
                ));
            }
        }
        if let Some(prefix) = &self.endpoint_path_prefix {
            validate_plain_path("endpoint_path_prefix", prefix)?;
            if self.legacy_2025_03_26_layout && !self.serve_rfc8414 {
                return Err(format!(
                    "endpoint_path_prefix = {prefix:?} in the 2025-03-26 layout without RFC 8414 \
                     metadata: a 2025-03-26 client could find neither the metadata nor the \
                     endpoints (use legacy-2025-03-26-no-metadata for the defaults)"
                ));
            }
        }
        if let Some(path) = &self.prm_custom_path {
            validate_plain_path("prm_custom_path", path)?;
            if self.legacy_2025_03_26_layout {
                return Err(format!(
                    "prm_custom_path = {path:?} with the 2025-03-26 layout, which has no protected \
                     resource metadata"
                ));
            }
        }
        if self.authorization_server_migration && self.legacy_2025_03_26_layout {
            return Err(
                "authorization_server_migration with the 2025-03-26 layout, whose MCP server has \
                 no protected resource metadata to name the new authorization server"
                    .into(),
            );
        }
        if self.token_valid_for_requests == Some(0) {
            return Err("token_valid_for_requests = 0 would accept no request at all".into());
        }
        Ok(())
    }
}

/// A custom PRM path or endpoint prefix (`field`) must be an absolute, normalised path of plain
/// characters (`A-Z a-z 0-9 - . _ ~ /`: no query, fragment, percent-encoding or route syntax), not
/// the root and not the MCP endpoint.
fn validate_plain_path(field: &str, path: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("{field} = {path:?} {why}"));
    if !path.starts_with('/') {
        return bad("does not start with '/'");
    }
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "-._~/".contains(*c)))
    {
        return bad(&format!(
            "contains {c:?} (only A-Z a-z 0-9 - . _ ~ / are allowed)"
        ));
    }
    if path == "/" || path == crate::urls::MCP_PATH {
        return bad("is the root or the MCP endpoint");
    }
    if path[1..]
        .split('/')
        .any(|segment| matches!(segment, "" | "." | ".."))
    {
        return bad("has an empty, '.' or '..' segment");
    }
    Ok(())
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

    #[test]
    fn new_switches_default_to_the_strict_behaviour() {
        let b = Behaviour::default();
        assert!(!b.cimd_accept_unfetchable);
        assert!(!b.unauthenticated_initialize);
        assert!(!b.step_up_on_tools_call);
        assert!(!b.insufficient_scope_always);
        assert!(!b.authorization_server_migration);
        assert_eq!(b.iss_parameter, IssParameter::Correct);
        assert_eq!(b.token_valid_for_requests, None);
        assert!(b.issue_refresh_tokens);
        assert_eq!(b.registration_auth_method, None);
        assert!(!b.registration_response_omits_auth_method);
        assert_eq!(b.validate(), Ok(()));
    }

    #[test]
    fn resource_server_switches_default_to_a_correct_server() {
        let b = Behaviour::default();
        assert_eq!(b.token_checks, TokenChecks::ALL);
        let TokenChecks {
            signature,
            token_type,
            issuer,
            audience,
            expiry,
            revocation,
        } = b.token_checks;
        assert!(signature && token_type && issuer && audience && expiry && revocation);
        assert!(b.www_authenticate_on_401 && b.enforce_required_scope);
        assert!(b.insufficient_scope_names_scope && b.prm_cors);
        assert!(b.serve_modern_requests);
        for broken in [
            b.accept_query_token,
            b.challenge_error_without_credentials,
            b.forbidden_without_credentials,
            b.server_error_on_invalid_token,
            b.case_sensitive_bearer,
            b.session_authenticates,
            b.token_passthrough,
            b.prm_wrong_content_type,
            b.prm_empty_authorization_servers,
            b.drip_scope_challenges,
            b.prm_advertises_offline_access,
            b.prm_issuer_trailing_slash,
        ] {
            assert!(!broken);
        }
    }

    #[test]
    fn registered_auth_method_follows_the_switches() {
        let strict = Behaviour::default();
        assert_eq!(strict.registered_auth_method(Some("none")), "none");
        assert_eq!(strict.registered_auth_method(None), "client_secret_basic");
        let forced = Behaviour {
            registration_auth_method: Some("client_secret_post".into()),
            ..Behaviour::default()
        };
        assert_eq!(
            forced.registered_auth_method(Some("none")),
            "client_secret_post"
        );
        assert_eq!(forced.registered_auth_method(None), "client_secret_post");
        let omitted = Behaviour {
            registration_response_omits_auth_method: true,
            ..Behaviour::default()
        };
        assert_eq!(
            omitted.registered_auth_method(Some("none")),
            "client_secret_basic"
        );
    }

    #[test]
    fn validate_accepts_plain_custom_prm_paths_only() {
        let with = |path: &str| Behaviour {
            prm_custom_path: Some(path.into()),
            ..Behaviour::default()
        };
        for good in ["/custom/metadata/location.json", "/prm", "/a-b_c~d/e.f"] {
            assert_eq!(with(good).validate(), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("custom/metadata.json", "start with '/'"),
            ("/", "root"),
            ("/mcp", "MCP endpoint"),
            ("/a?b=c", "'?'"),
            ("/a#b", "'#'"),
            ("/{param}", "'{'"),
            ("/a%20b", "'%'"),
            ("/a//b", "segment"),
            ("/a/../b", "segment"),
            ("/a/", "segment"),
        ] {
            let message = with(bad).validate().unwrap_err();
            assert!(message.contains(why), "{bad}: {message}");
            assert!(message.contains("prm_custom_path"), "{message}");
        }
        let legacy = Behaviour {
            legacy_2025_03_26_layout: true,
            ..with("/prm")
        };
        assert!(legacy.validate().unwrap_err().contains("2025-03-26"));
        assert_eq!(Behaviour::default().prm_custom_path, None);
    }

    #[test]
    fn validate_refuses_endpoints_a_2025_03_26_client_cannot_find() {
        let legacy = crate::variants::behaviour_for(&["legacy-2025-03-26"]).unwrap();
        assert_eq!(legacy.validate(), Ok(()));
        let without_rfc8414 = Behaviour {
            serve_rfc8414: false,
            ..legacy.clone()
        };
        assert!(without_rfc8414
            .validate()
            .unwrap_err()
            .contains("endpoint_path_prefix"));
        let bad_prefix = Behaviour {
            endpoint_path_prefix: Some("oauth".into()),
            ..legacy
        };
        assert!(bad_prefix
            .validate()
            .unwrap_err()
            .contains("start with '/'"));
    }

    #[test]
    fn validate_rejects_unknown_forced_methods_and_zero_uses() {
        let bad = Behaviour {
            registration_auth_method: Some("tls_client_auth".into()),
            ..Behaviour::default()
        };
        assert!(bad.validate().unwrap_err().contains("tls_client_auth"));
        let zero = Behaviour {
            token_valid_for_requests: Some(0),
            ..Behaviour::default()
        };
        assert!(zero
            .validate()
            .unwrap_err()
            .contains("token_valid_for_requests"));
        let migrating_legacy = Behaviour {
            authorization_server_migration: true,
            legacy_2025_03_26_layout: true,
            ..Behaviour::default()
        };
        assert!(migrating_legacy
            .validate()
            .unwrap_err()
            .contains("authorization_server_migration"));
        let ok = Behaviour {
            registration_auth_method: Some("none".into()),
            token_valid_for_requests: Some(1),
            ..Behaviour::default()
        };
        assert_eq!(ok.validate(), Ok(()));
    }
}
