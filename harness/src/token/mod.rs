//! Obtaining an access token outside MCP, the usual workaround for headless set-ups: the device
//! authorization grant (RFC 8628) for a user, the client credentials grant (OAuth 2.1 §4.2) for a
//! service. Discovery and the `issuer` check come first ([`discovery`]); what happens along the
//! way is reported as [`Event`]s, never printed here.

mod client_credentials;
mod device;
pub mod discovery;
mod error;
mod http;
mod jwt;
#[cfg(test)]
mod tests;

use std::cell::Cell;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use serde_json::{Map, Value};
use url::Url;

pub use device::{DevicePoller, PollAnswer, Step};
pub use error::{Attempt, FailureKind, TokenError};
pub use jwt::{audience_names, unverified_claims};

/// Longest wait for one HTTP request (capped by the overall timeout).
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Default overall timeout of [`obtain`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(300);

/// A secret (client secret, access token) whose `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Secret(‹redacted, {} bytes›)", self.0.len())
    }
}

/// The grant used to get the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GrantType {
    /// RFC 8628: the user approves on another device; public or confidential client.
    Device,
    /// OAuth 2.1 §4.2: a confidential client on its own behalf.
    ClientCredentials,
}

impl GrantType {
    /// The `grant_type` value sent to the token endpoint.
    pub fn value(self) -> &'static str {
        match self {
            Self::Device => device::DEVICE_CODE_GRANT,
            Self::ClientCredentials => "client_credentials",
        }
    }
}

/// The client: with a secret it authenticates with `client_secret_basic`, without it is a public
/// client sending its `client_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub id: String,
    pub secret: Option<Secret>,
}

impl ClientCredentials {
    pub fn secret(&self) -> Option<&str> {
        self.secret.as_ref().map(Secret::expose)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRequest {
    pub issuer: String,
    /// Where the metadata is, when not at the issuer's well-known locations.
    pub metadata_url: Option<String>,
    pub grant: GrantType,
    pub client: ClientCredentials,
    /// Space-separated scopes; `None` leaves the choice to the authorization server.
    pub scope: Option<String>,
    /// RFC 8707 resource indicator: the MCP server the token is for (sent with every request).
    pub resource: Option<String>,
    /// For the whole flow, the user's approval included.
    pub timeout: Duration,
}

impl TokenRequest {
    /// What can be checked before sending anything.
    pub fn validate(&self) -> Result<(), TokenError> {
        let invalid = |m: String| Err(TokenError::InvalidRequest(m));
        discovery::parse_issuer(&self.issuer)?;
        if self.client.id.is_empty() {
            return invalid(format!(
                "the {} grant needs a client id (--client-id)",
                self.grant.value()
            ));
        }
        if self.grant == GrantType::ClientCredentials && self.client.secret.is_none() {
            return invalid(
                "the client_credentials grant needs a confidential client: give its secret \
                 (--client-secret; sent with client_secret_basic)"
                    .into(),
            );
        }
        if let Some(resource) = &self.resource {
            let url = Url::parse(resource).map_err(|e| {
                TokenError::InvalidRequest(format!(
                    "--resource `{resource}` is not an absolute URI ({e}; RFC 8707 §2)"
                ))
            })?;
            if url.fragment().is_some() {
                return invalid(format!(
                    "--resource `{resource}` must not have a fragment (RFC 8707 §2)"
                ));
            }
        }
        if self.scope.as_deref().is_some_and(|s| s.trim().is_empty()) {
            return invalid("--scope is empty; leave it out to get the default scopes".into());
        }
        if self.timeout.is_zero() {
            return invalid("--timeout must be at least 1 second".into());
        }
        Ok(())
    }
}

/// A successful token response (RFC 6749 §5.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenResponse {
    pub access_token: Secret,
    pub token_type: Option<String>,
    pub expires_in: Option<u64>,
    pub scope: Option<String>,
}

/// What happened along the way, for the user (the CLI prints these on stderr).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// The metadata document used.
    Metadata { url: String },
    /// RFC 8628 §3.3: what the user must do on another device.
    UserAction {
        verification_uri: String,
        verification_uri_complete: Option<String>,
        user_code: String,
        expires_in: Option<u64>,
    },
    /// RFC 8628 §3.5: polling slowed down to this interval.
    SlowDown { interval: Duration },
    /// Something a user should know but that does not stop the flow.
    Warning(String),
    /// The token was issued.
    Issued {
        token_type: Option<String>,
        expires_in: Option<u64>,
        scope: Option<String>,
        /// The `aud` claim when the token is a JWT (as JSON: a string or an array).
        audience: Option<String>,
    },
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Metadata { url } => write!(f, "authorization server metadata: {url}"),
            Self::UserAction {
                verification_uri,
                verification_uri_complete,
                user_code,
                expires_in,
            } => {
                let open = verification_uri_complete
                    .as_ref()
                    .unwrap_or(verification_uri);
                write!(f, "Open {open} and enter {user_code}")?;
                if let Some(secs) = expires_in {
                    write!(f, " (within {secs} s)")?;
                }
                Ok(())
            }
            Self::SlowDown { interval } => write!(
                f,
                "the authorization server asked to slow down: polling every {} s",
                interval.as_secs()
            ),
            Self::Warning(message) => write!(f, "warning: {message}"),
            Self::Issued {
                token_type,
                expires_in,
                scope,
                audience,
            } => {
                write!(
                    f,
                    "token issued (type {}",
                    token_type.as_deref().unwrap_or("not given")
                )?;
                if let Some(secs) = expires_in {
                    write!(f, ", expires in {secs} s")?;
                }
                if let Some(scope) = scope {
                    write!(f, ", scope `{scope}`")?;
                }
                if let Some(audience) = audience {
                    write!(f, ", audience {audience}")?;
                }
                write!(f, ")")
            }
        }
    }
}

/// Discovers the issuer's metadata and runs the grant; the whole of it within `request.timeout`.
pub async fn obtain(
    request: &TokenRequest,
    events: &mut dyn FnMut(Event),
) -> Result<TokenResponse, TokenError> {
    obtain_with(request, events, tokio::time::sleep).await
}

/// [`obtain`] with the pause between device flow polls supplied (tests record it instead).
pub(crate) async fn obtain_with<S, F>(
    request: &TokenRequest,
    events: &mut dyn FnMut(Event),
    sleep: S,
) -> Result<TokenResponse, TokenError>
where
    S: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    request.validate()?;
    let http = http::Http::new(REQUEST_TIMEOUT.min(request.timeout))?;
    let phase = Cell::new("discovering the authorization server metadata");
    let flow = async {
        let metadata =
            discovery::discover(&http, &request.issuer, request.metadata_url.as_deref()).await?;
        events(Event::Metadata {
            url: metadata.url.clone(),
        });
        if metadata.lists("grant_types_supported", request.grant.value()) == Some(false) {
            events(Event::Warning(format!(
                "the metadata's grant_types_supported does not list `{}`; trying anyway",
                request.grant.value()
            )));
        }
        let token = match request.grant {
            GrantType::Device => {
                device::run(&http, &metadata, request, events, &phase, sleep).await?
            }
            GrantType::ClientCredentials => {
                phase.set("waiting for the token endpoint");
                client_credentials::run(&http, &metadata, request, events).await?
            }
        };
        let claims = unverified_claims(token.access_token.expose());
        if let (Some(claims), Some(resource)) = (&claims, &request.resource) {
            if !audience_names(claims, resource) {
                events(Event::Warning(format!(
                    "the token's `aud` is {}, not the resource `{resource}`: the authorization \
                     server did not honour the resource indicator (RFC 8707), and an MCP server \
                     must refuse a token not issued for it",
                    claims.get("aud").map_or("missing".into(), Value::to_string)
                )));
            }
        }
        events(Event::Issued {
            token_type: token.token_type.clone(),
            expires_in: token.expires_in,
            scope: token.scope.clone(),
            audience: claims.and_then(|c| c.get("aud").map(Value::to_string)),
        });
        Ok(token)
    };
    match tokio::time::timeout(request.timeout, flow).await {
        Ok(result) => result,
        Err(_) => Err(TokenError::TimedOut {
            timeout: request.timeout,
            phase: phase.get(),
        }),
    }
}

/// Warns when an endpoint would carry credentials in clear to another machine.
fn warn_if_cleartext(url: &str, events: &mut dyn FnMut(Event)) {
    let Ok(parsed) = Url::parse(url) else { return };
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    if parsed.scheme() == "http" && !loopback {
        events(Event::Warning(format!(
            "{url} is plain http on a non-loopback host: credentials and the token travel in \
             clear (OAuth 2.1 §1.5 requires TLS)"
        )));
    }
}

/// Reads a token response (RFC 6749 §5.1): a non-empty `access_token` is required; a `token_type`
/// other than `Bearer` is reported (an MCP server expects a Bearer token).
fn token_response(
    endpoint: &'static str,
    url: &str,
    object: &Map<String, Value>,
    events: &mut dyn FnMut(Event),
) -> Result<TokenResponse, TokenError> {
    let access_token = match object.get("access_token").and_then(Value::as_str) {
        Some(token) if !token.is_empty() => token,
        _ => {
            return Err(TokenError::UnexpectedResponse {
                endpoint,
                url: url.to_string(),
                status: 200,
                problem: "a success without a non-empty string `access_token` (RFC 6749 §5.1)"
                    .into(),
            })
        }
    };
    let token_type = object
        .get("token_type")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if !token_type
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case("bearer"))
    {
        events(Event::Warning(format!(
            "token_type is {}, not `Bearer`: an MCP server may not accept it as a bearer token",
            token_type
                .as_deref()
                .map(|t| format!("`{t}`"))
                .unwrap_or_else(|| "missing".into())
        )));
    }
    Ok(TokenResponse {
        access_token: Secret::new(access_token),
        token_type,
        expires_in: object.get("expires_in").and_then(Value::as_u64),
        scope: object
            .get("scope")
            .and_then(Value::as_str)
            .map(str::to_owned),
    })
}
