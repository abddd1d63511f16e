//! Well-known URL construction (RFC 8414 §3.1, OIDC Discovery §4.1, RFC 9728 §3.1) and the URLs of a
//! running deployment.

use std::net::IpAddr;

use url::{Host, Url};

use crate::behaviour::{Behaviour, MetadataLocation};

/// Splits an absolute URL into its origin (`scheme://host[:port]`) and its path without a trailing
/// slash (`""` for the root).
pub fn origin_and_path(url: &str) -> Result<(String, String), url::ParseError> {
    let parsed = Url::parse(url)?;
    let origin = parsed.origin().ascii_serialization();
    let path = parsed.path().trim_end_matches('/').to_string();
    Ok((origin, path))
}

/// RFC 8414 §3.1: `https://host/.well-known/oauth-authorization-server{issuer path}`.
pub fn rfc8414_metadata_url(issuer: &str) -> Result<String, url::ParseError> {
    let (origin, path) = origin_and_path(issuer)?;
    Ok(format!(
        "{origin}/.well-known/oauth-authorization-server{path}"
    ))
}

/// OIDC discovery with path insertion (the form MCP 2025-11-25 lists second for an issuer with a path).
pub fn oidc_inserted_url(issuer: &str) -> Result<String, url::ParseError> {
    let (origin, path) = origin_and_path(issuer)?;
    Ok(format!("{origin}/.well-known/openid-configuration{path}"))
}

/// OIDC Discovery §4.1: `{issuer}/.well-known/openid-configuration` (path appending).
pub fn oidc_appended_url(issuer: &str) -> Result<String, url::ParseError> {
    let (origin, path) = origin_and_path(issuer)?;
    Ok(format!("{origin}{path}/.well-known/openid-configuration"))
}

/// RFC 9728 §3.1: `https://host/.well-known/oauth-protected-resource{resource path}`.
pub fn prm_url(resource: &str) -> Result<String, url::ParseError> {
    let (origin, path) = origin_and_path(resource)?;
    Ok(format!(
        "{origin}/.well-known/oauth-protected-resource{path}"
    ))
}

/// Whether `host` is a loopback host: an IPv4 address in 127.0.0.0/8, the IPv6 address `::1`
/// (RFC 6890 §2.2.2/§2.2.3), or the name `localhost` (RFC 6761 §6.3). Used for loopback redirect
/// URIs (OAuth 2.1 §8.4.2, RFC 8252 §7.3) and as the mock's SSRF guard: it only ever fetches from
/// such hosts. The name is compared as given (the `url` crate lowercases it); `localhost.` and
/// `*.localhost` are not loopback here.
pub fn is_loopback_host(host: &Host<&str>) -> bool {
    match host {
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
        Host::Domain(domain) => domain.eq_ignore_ascii_case("localhost"),
    }
}

/// Path, below the issuer, of the "upstream API" a token-passthrough server forwards tokens to.
pub const UPSTREAM_API_PATH: &str = "/upstream-api";

/// Where the `prm-redirected` variant's well-known PRM URLs redirect to (on the MCP origin).
pub const PRM_REDIRECT_TARGET: &str = "/metadata/protected-resource.json";

/// Path of the MCP endpoint of every deployment.
pub const MCP_PATH: &str = "/mcp";

/// The URLs of one running deployment, fixed once the listeners are bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Urls {
    /// Origin serving the authorization server endpoints (the MCP origin in the 2025-03-26 layout).
    pub as_origin: String,
    pub mcp_origin: String,
    /// Origin serving only the metadata (split-domain deployments).
    pub metadata_origin: Option<String>,
    /// `""` or `/tenant1`.
    pub issuer_path: String,
    /// `""` or `/oauth`: the authorization server's endpoints are `{issuer}{endpoint_prefix}/token`, ...
    pub endpoint_prefix: String,
    /// Path of the MCP endpoint, `/mcp`.
    pub mcp_path: String,
}

impl Urls {
    pub fn new(
        as_origin: impl Into<String>,
        mcp_origin: impl Into<String>,
        metadata_origin: Option<String>,
        behaviour: &Behaviour,
    ) -> Self {
        let mcp_origin = mcp_origin.into();
        let as_origin = if behaviour.legacy_2025_03_26_layout {
            mcp_origin.clone()
        } else {
            as_origin.into()
        };
        Self {
            as_origin,
            mcp_origin,
            metadata_origin,
            issuer_path: behaviour
                .issuer_path
                .as_ref()
                .map(|p| format!("/{}", p.trim_matches('/')))
                .unwrap_or_default(),
            endpoint_prefix: behaviour.endpoint_path_prefix.clone().unwrap_or_default(),
            mcp_path: MCP_PATH.into(),
        }
    }

    pub fn issuer(&self) -> String {
        format!("{}{}", self.as_origin, self.issuer_path)
    }

    /// An endpoint of the authorization server, below the issuer (`/token` gives `{issuer}/token`,
    /// or `{issuer}/oauth/token` with the endpoint prefix `/oauth`).
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}{path}", self.issuer(), self.endpoint_prefix)
    }

    /// The path an endpoint is routed at on the issuer's origin (`/token` gives
    /// `{issuer path}{endpoint prefix}/token`).
    pub fn endpoint_path(&self, path: &str) -> String {
        format!("{}{}{path}", self.issuer_path, self.endpoint_prefix)
    }

    /// Where the broken `token_passthrough` server forwards the client's token (nothing is served
    /// there: the authorization server answers 404, the trace records the request).
    pub fn upstream_api_url(&self) -> String {
        self.endpoint(UPSTREAM_API_PATH)
    }

    pub fn authorization_endpoint(&self) -> String {
        self.endpoint("/authorize")
    }
    pub fn token_endpoint(&self) -> String {
        self.endpoint("/token")
    }
    pub fn registration_endpoint(&self) -> String {
        self.endpoint("/register")
    }
    pub fn jwks_uri(&self) -> String {
        self.endpoint("/jwks")
    }
    pub fn introspection_endpoint(&self) -> String {
        self.endpoint("/introspect")
    }
    pub fn revocation_endpoint(&self) -> String {
        self.endpoint("/revoke")
    }
    pub fn device_authorization_endpoint(&self) -> String {
        self.endpoint("/device_authorization")
    }
    pub fn device_verification_uri(&self) -> String {
        self.endpoint("/device")
    }

    /// The MCP endpoint, which is also the resource identifier (RFC 8707) of the protected server.
    pub fn mcp_url(&self) -> String {
        format!("{}{}", self.mcp_origin, self.mcp_path)
    }

    pub fn resource(&self) -> String {
        self.mcp_url()
    }

    pub fn prm_path_url(&self) -> String {
        format!(
            "{}/.well-known/oauth-protected-resource{}",
            self.mcp_origin, self.mcp_path
        )
    }

    pub fn prm_root_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource", self.mcp_origin)
    }

    /// The protected resource metadata URL this deployment serves, if any: the custom path when
    /// one is set (then it is the only one), else the path-inserted well-known URL, else the root one.
    pub fn served_prm_url(&self, behaviour: &Behaviour) -> Option<String> {
        if let Some(path) = &behaviour.prm_custom_path {
            Some(format!("{}{path}", self.mcp_origin))
        } else if behaviour.prm_at_path {
            Some(self.prm_path_url())
        } else if behaviour.prm_at_root {
            Some(self.prm_root_url())
        } else {
            None
        }
    }

    /// Where this deployment really serves its authorization server metadata (which is not where a
    /// client looks for it in the split-domain and custom-path variants). With
    /// [`MetadataLocation::Nowhere`], the RFC 8414 URL a client tries first, which answers 404.
    pub fn served_metadata_url(&self, behaviour: &Behaviour) -> String {
        match &behaviour.metadata_location {
            MetadataLocation::CustomPath(path) => format!("{}{}", self.as_origin, path),
            MetadataLocation::SeparateOrigin => {
                let origin = self.metadata_origin.as_deref().unwrap_or(&self.as_origin);
                format!(
                    "{origin}/.well-known/oauth-authorization-server{}",
                    self.issuer_path
                )
            }
            MetadataLocation::Nowhere => {
                let issuer = self.issuer();
                rfc8414_metadata_url(&issuer).unwrap_or(issuer)
            }
            MetadataLocation::WellKnown => {
                let issuer = self.issuer();
                if behaviour.serve_rfc8414 {
                    rfc8414_metadata_url(&issuer)
                } else {
                    oidc_inserted_url(&issuer)
                }
                .unwrap_or(issuer)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc8414_path_insertion() {
        assert_eq!(
            rfc8414_metadata_url("https://example.com/issuer1").unwrap(),
            "https://example.com/.well-known/oauth-authorization-server/issuer1"
        );
        assert_eq!(
            rfc8414_metadata_url("https://example.com").unwrap(),
            "https://example.com/.well-known/oauth-authorization-server"
        );
    }

    #[test]
    fn oidc_both_forms_for_the_spec_example() {
        let issuer = "https://auth.example.com/tenant1";
        assert_eq!(
            oidc_inserted_url(issuer).unwrap(),
            "https://auth.example.com/.well-known/openid-configuration/tenant1"
        );
        assert_eq!(
            oidc_appended_url(issuer).unwrap(),
            "https://auth.example.com/tenant1/.well-known/openid-configuration"
        );
    }

    #[test]
    fn prm_urls_per_rfc9728() {
        assert_eq!(
            prm_url("https://resource.example.com").unwrap(),
            "https://resource.example.com/.well-known/oauth-protected-resource"
        );
        assert_eq!(
            prm_url("https://resource.example.com/resource1").unwrap(),
            "https://resource.example.com/.well-known/oauth-protected-resource/resource1"
        );
        assert!(prm_url("not a url").is_err());
    }

    #[test]
    fn loopback_hosts() {
        for (url, expected) in [
            ("http://127.0.0.1/x", true),
            ("http://127.3.4.5:8/x", true),
            ("http://[::1]:9/x", true),
            ("http://LOCALHOST/x", true),
            ("https://localhost:8443/x", true),
            ("http://128.0.0.1/x", false),
            ("http://10.0.0.1/x", false),
            ("http://[::2]/x", false),
            ("http://[::ffff:127.0.0.1]/x", false),
            ("http://localhost.example.com/x", false),
            ("http://localhost./x", false),
            ("http://app.localhost/x", false),
            ("http://example.com/x", false),
        ] {
            let url = Url::parse(url).unwrap();
            assert_eq!(is_loopback_host(&url.host().unwrap()), expected, "{url}");
        }
        assert!(is_loopback_host(&Host::Domain("LocalHost")));
    }

    #[test]
    fn deployment_urls_follow_the_behaviour() {
        let b = crate::variants::behaviour_for(&["issuer-with-path"]).unwrap();
        let urls = Urls::new("http://127.0.0.1:1", "http://127.0.0.1:2", None, &b);
        assert_eq!(urls.issuer(), "http://127.0.0.1:1/tenant1");
        assert_eq!(urls.token_endpoint(), "http://127.0.0.1:1/tenant1/token");
        assert_eq!(
            urls.served_metadata_url(&b),
            "http://127.0.0.1:1/.well-known/oauth-authorization-server/tenant1"
        );
        assert_eq!(
            urls.prm_path_url(),
            "http://127.0.0.1:2/.well-known/oauth-protected-resource/mcp"
        );

        let legacy = crate::variants::behaviour_for(&["legacy-2025-03-26"]).unwrap();
        let urls = Urls::new("http://127.0.0.1:1", "http://127.0.0.1:2", None, &legacy);
        assert_eq!(urls.issuer(), "http://127.0.0.1:2");
        assert_eq!(urls.served_prm_url(&legacy), None);
        assert_eq!(urls.token_endpoint(), "http://127.0.0.1:2/oauth/token");
        assert_eq!(urls.endpoint_path("/device"), "/oauth/device");

        let custom = Behaviour {
            prm_custom_path: Some("/custom/metadata/location.json".into()),
            ..Behaviour::default()
        };
        let urls = Urls::new("http://127.0.0.1:1", "http://127.0.0.1:2", None, &custom);
        assert_eq!(
            urls.served_prm_url(&custom).as_deref(),
            Some("http://127.0.0.1:2/custom/metadata/location.json")
        );
        assert_eq!(urls.mcp_path, MCP_PATH);
    }
}
