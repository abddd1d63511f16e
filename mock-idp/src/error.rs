//! Typed errors. [`OAuthError`] is the RFC 6749 §5.2 error response every endpoint of the mock
//! authorization server answers with; [`IdpError`] is what can go wrong starting the mock.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The `error` codes of RFC 6749 §5.2, RFC 7591 §3.2.2, RFC 8628 §3.5, RFC 8707 §2 and RFC 6750 §3.1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    InvalidRequest,
    InvalidClient,
    InvalidGrant,
    UnauthorizedClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    UnsupportedTokenType,
    InvalidScope,
    InvalidTarget,
    AccessDenied,
    ServerError,
    InvalidRedirectUri,
    InvalidClientMetadata,
    AuthorizationPending,
    SlowDown,
    ExpiredToken,
    InvalidToken,
    InsufficientScope,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidClient => "invalid_client",
            Self::InvalidGrant => "invalid_grant",
            Self::UnauthorizedClient => "unauthorized_client",
            Self::UnsupportedGrantType => "unsupported_grant_type",
            Self::UnsupportedResponseType => "unsupported_response_type",
            Self::UnsupportedTokenType => "unsupported_token_type",
            Self::InvalidScope => "invalid_scope",
            Self::InvalidTarget => "invalid_target",
            Self::AccessDenied => "access_denied",
            Self::ServerError => "server_error",
            Self::InvalidRedirectUri => "invalid_redirect_uri",
            Self::InvalidClientMetadata => "invalid_client_metadata",
            Self::AuthorizationPending => "authorization_pending",
            Self::SlowDown => "slow_down",
            Self::ExpiredToken => "expired_token",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        }
    }

    /// The HTTP status RFC 6749 §5.2 (and its extensions) gives this error at the token endpoint.
    pub fn default_status(self) -> StatusCode {
        match self {
            Self::InvalidClient | Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope => StatusCode::FORBIDDEN,
            Self::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

/// Makes text a valid `error_description`: RFC 6749 §5.2 and §4.1.2.1 (and RFC 6750 §3 for
/// `WWW-Authenticate`) allow only %x20-21 / %x23-5B / %x5D-7E. `§` becomes `section `, `"` becomes
/// `'`, `\` becomes `/`, any other character outside the set becomes `?`. Idempotent.
pub fn sanitize_description(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '§' => out.push_str("section "),
            '"' => out.push('\''),
            '\\' => out.push('/'),
            ' '..='~' => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// An OAuth error response: `{"error": ..., "error_description": ...}` with `Cache-Control: no-store`.
/// The description is passed through [`sanitize_description`] when the error is made, so JSON error
/// bodies, error redirects and challenges all carry only the characters RFC 6749 §5.2 allows.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}: {description}", code.as_str())]
pub struct OAuthError {
    pub code: ErrorCode,
    pub description: String,
    pub status: StatusCode,
    /// For `invalid_client` after a failed HTTP Basic attempt: RFC 6749 §5.2 asks for a challenge.
    pub www_authenticate: Option<String>,
}

impl OAuthError {
    pub fn new(code: ErrorCode, description: impl Into<String>) -> Self {
        Self {
            code,
            description: sanitize_description(&description.into()),
            status: code.default_status(),
            www_authenticate: None,
        }
    }
    pub fn invalid_request(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, d)
    }
    pub fn invalid_client(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidClient, d)
    }
    pub fn invalid_grant(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidGrant, d)
    }
    pub fn invalid_scope(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidScope, d)
    }
    pub fn invalid_target(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidTarget, d)
    }
    pub fn unauthorized_client(d: impl Into<String>) -> Self {
        Self::new(ErrorCode::UnauthorizedClient, d)
    }
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }
    pub fn with_basic_challenge(mut self) -> Self {
        self.www_authenticate = Some("Basic realm=\"mcp-authlab\"".to_string());
        self
    }
}

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code.as_str(),
            error_description: &sanitize_description(&self.description),
        };
        let mut response = (self.status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(challenge) = self
            .www_authenticate
            .and_then(|c| HeaderValue::from_str(&c).ok())
        {
            headers.insert(header::WWW_AUTHENTICATE, challenge);
        }
        response
    }
}

/// What can go wrong when the mock is configured or started.
#[derive(Debug, thiserror::Error)]
pub enum IdpError {
    #[error("unknown variant `{0}` (run `mcp-authlab variants` for the catalogue)")]
    UnknownVariant(String),
    #[error("variants `{0}` and `{1}` cannot be combined: {2}")]
    ConflictingVariants(String, String, String),
    #[error("could not read config file {path}: {source}")]
    ConfigRead {
        path: String,
        source: std::io::Error,
    },
    #[error("config file {path} is not valid: {message}")]
    ConfigParse { path: String, message: String },
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    #[error("could not bind {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
    #[error("could not generate a signing key: {0}")]
    KeyGeneration(String),
    #[error("could not make TLS certificates: {0}")]
    Tls(String),
    #[error("could not write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;

    #[tokio::test]
    async fn error_response_has_rfc6749_shape_and_no_store() {
        let response = OAuthError::invalid_grant("code already used").into_response();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
        let body = response.into_body().collect().await.unwrap().to_bytes();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "invalid_grant");
        assert_eq!(json["error_description"], "code already used");
    }

    /// RFC 6749 §5.2: `error_description` is %x20-21 / %x23-5B / %x5D-7E only.
    fn is_rfc6749_description(text: &str) -> bool {
        text.bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
    }

    #[test]
    fn descriptions_are_sanitised_at_construction() {
        let err =
            OAuthError::invalid_request("bad \"redirect_uri\" C:\\x (RFC 6749 §3.1.2)\n\té✓\u{7f}");
        assert_eq!(
            err.description,
            "bad 'redirect_uri' C:/x (RFC 6749 section 3.1.2)?????"
        );
        assert!(is_rfc6749_description(&err.description));
        let err = OAuthError::new(ErrorCode::InvalidGrant, "ok: [a-z] ~!#$%&'()*+,-./`{|}");
        assert_eq!(err.description, "ok: [a-z] ~!#$%&'()*+,-./`{|}");
        assert_eq!(
            sanitize_description(&err.description),
            err.description,
            "idempotent"
        );
    }

    #[tokio::test]
    async fn json_body_description_is_rfc6749_even_after_mutation() {
        let mut err = OAuthError::invalid_scope("scope \"x\" (RFC 6749 §3.3)");
        err.description.push_str(" \\ §5.2");
        let body = err.into_response().into_body().collect().await.unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body.to_bytes()).unwrap();
        let description = json["error_description"].as_str().unwrap();
        assert_eq!(
            description,
            "scope 'x' (RFC 6749 section 3.3) / section 5.2"
        );
        assert!(is_rfc6749_description(description));
    }

    #[test]
    fn invalid_client_is_401() {
        assert_eq!(
            OAuthError::invalid_client("x").status,
            StatusCode::UNAUTHORIZED
        );
    }
}
