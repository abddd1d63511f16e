//! What can go wrong while obtaining a token, and which exit class each failure belongs to.

use std::fmt;
use std::time::Duration;

/// Which side a failure is on: the caller's arguments, the authorization server or the flow, or
/// the harness itself (network, HTTP client).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The request cannot be made as given (bad URL, missing client id or secret).
    Usage,
    /// The authorization server refused, answered something unusable, or the flow failed or
    /// timed out.
    Flow,
    /// The harness could not do its part (the server could not be reached, no HTTP client).
    Harness,
}

/// One well-known location tried during discovery and why it was not used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attempt {
    pub url: String,
    pub problem: String,
    /// The location could not be reached at all (connection, timeout), rather than answering
    /// something unusable.
    pub unreachable: bool,
}

impl fmt::Display for Attempt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.url, self.problem)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// An argument is unusable; the message names it.
    #[error("{0}")]
    InvalidRequest(String),

    #[error(
        "no authorization server metadata found for issuer `{issuer}`; tried:\n{}",
        .attempts.iter().map(|a| format!("  - {a}")).collect::<Vec<_>>().join("\n")
    )]
    NoMetadata {
        issuer: String,
        attempts: Vec<Attempt>,
    },

    #[error(
        "issuer mismatch: the metadata at {metadata_url} names the issuer `{found}`, not \
         `{expected}`; RFC 8414 §3.3 requires them to be identical and a client must not use \
         this metadata{}",
        if .found.trim_end_matches('/') == .expected.trim_end_matches('/') {
            format!(" (they differ only by a trailing slash: if `{found}` is right, pass it as --issuer)")
        } else {
            String::new()
        }
    )]
    IssuerMismatch {
        metadata_url: String,
        expected: String,
        found: String,
    },

    /// The metadata lacks something the grant needs, or has it in an unusable form.
    #[error("the authorization server metadata at {metadata_url} {problem}")]
    BadMetadata {
        metadata_url: String,
        problem: String,
    },

    /// An OAuth error answer (RFC 6749 §5.2, RFC 8628 §3.5).
    #[error(
        "the {endpoint} {url} refused the request: HTTP {status}, error `{error}`{}",
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    Refused {
        endpoint: &'static str,
        url: String,
        status: u16,
        error: String,
        description: Option<String>,
    },

    #[error(
        "the user denied the authorization request (access_denied from {url}){}",
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    AccessDenied {
        url: String,
        description: Option<String>,
    },

    #[error(
        "the device code expired before the request was approved ({}); start again{}",
        .source_of_expiry,
        .description.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
    )]
    DeviceCodeExpired {
        /// `expired_token from URL`, or `expires_in of N s reached`.
        source_of_expiry: String,
        description: Option<String>,
    },

    #[error("no token within {timeout:?} (--timeout); the flow was still {phase}")]
    TimedOut {
        timeout: Duration,
        phase: &'static str,
    },

    /// An answer that is neither a usable success nor an OAuth error.
    #[error("unexpected answer from the {endpoint} {url}: HTTP {status}: {problem}")]
    UnexpectedResponse {
        endpoint: &'static str,
        url: String,
        status: u16,
        problem: String,
    },

    #[error("could not reach the {endpoint} {url}: {message}")]
    Transport {
        endpoint: &'static str,
        url: String,
        message: String,
    },

    #[error("could not build the HTTP client: {0}")]
    HttpClient(String),
}

impl TokenError {
    pub fn kind(&self) -> FailureKind {
        match self {
            Self::InvalidRequest(_) => FailureKind::Usage,
            Self::NoMetadata { attempts, .. } if attempts.iter().all(|a| a.unreachable) => {
                FailureKind::Harness
            }
            Self::Transport { .. } | Self::HttpClient(_) => FailureKind::Harness,
            _ => FailureKind::Flow,
        }
    }

    /// The OAuth `error` code of an authorization server's refusal, if that is what this is.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            Self::Refused { error, .. } => Some(error),
            Self::AccessDenied { .. } => Some("access_denied"),
            Self::DeviceCodeExpired { .. } => Some("expired_token"),
            _ => None,
        }
    }
}

/// A reqwest error with its causes (reqwest's own Display omits them: "error sending request").
pub(crate) fn describe(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    if error.is_timeout() {
        message.push_str(" (request timed out)");
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_names_the_code_status_url_and_description() {
        let e = TokenError::Refused {
            endpoint: "token endpoint",
            url: "http://127.0.0.1:1/token".into(),
            status: 401,
            error: "invalid_client".into(),
            description: Some("bad secret".into()),
        };
        assert_eq!(
            e.to_string(),
            "the token endpoint http://127.0.0.1:1/token refused the request: HTTP 401, error \
             `invalid_client`: bad secret"
        );
        assert_eq!(e.kind(), FailureKind::Flow);
        assert_eq!(e.oauth_error(), Some("invalid_client"));
    }

    #[test]
    fn discovery_is_a_harness_failure_only_when_nothing_answered() {
        let attempt = |unreachable| Attempt {
            url: "http://127.0.0.1:1/.well-known/oauth-authorization-server".into(),
            problem: "HTTP 404".into(),
            unreachable,
        };
        let none = |attempts| TokenError::NoMetadata {
            issuer: "http://127.0.0.1:1".into(),
            attempts,
        };
        assert_eq!(none(vec![attempt(true)]).kind(), FailureKind::Harness);
        let mixed = none(vec![attempt(true), attempt(false)]);
        assert_eq!(mixed.kind(), FailureKind::Flow);
        assert!(mixed
            .to_string()
            .contains("  - http://127.0.0.1:1/.well-known/"));
        assert_eq!(
            TokenError::InvalidRequest("x".into()).kind(),
            FailureKind::Usage
        );
    }
}
