//! Why a run failed. Every variant ends the run with exit code 1.

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A check the client must make failed (issuer, PKCE support, PRM resource, state, iss):
    /// it stops before going on with the flow.
    #[error("refusing to continue: {0}")]
    Refused(String),
    /// A peer answered something the client cannot work with.
    #[error("{0}")]
    Protocol(String),
    #[error("{what}: {source}")]
    Http {
        what: String,
        #[source]
        source: reqwest::Error,
    },
    /// The environment or the conformance context is unusable.
    #[error("configuration: {0}")]
    Config(String),
    #[error("the run budget of {0} s is exhausted")]
    Budget(u64),
}

impl ClientError {
    pub fn http(what: impl Into<String>) -> impl FnOnce(reqwest::Error) -> ClientError {
        let what = what.into();
        move |source| ClientError::Http { what, source }
    }
}

pub type Result<T> = std::result::Result<T, ClientError>;
