//! The shared state of one running mock deployment.

use std::sync::Arc;
use std::time::Duration;

use crate::behaviour::Behaviour;
use crate::config::Config;
use crate::error::IdpError;
use crate::keys::Keys;
use crate::store::Store;
use crate::trace::TraceLog;
use crate::urls::Urls;

/// Timeout of every outgoing request the mock makes (client ID metadata documents, JWKS URIs).
pub const OUTGOING_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub struct Inner {
    pub config: Config,
    pub behaviour: Behaviour,
    pub urls: Urls,
    pub keys: Arc<Keys>,
    pub store: Store,
    pub trace: TraceLog,
    /// For fetching client ID metadata documents; only ever sent to loopback addresses. Build it
    /// from [`outgoing_client_builder`] (no proxy, a timeout, no redirects).
    pub http: reqwest::Client,
}

/// Cheap to clone; handed to every handler.
#[derive(Debug, Clone)]
pub struct IdpState(pub Arc<Inner>);

impl std::ops::Deref for IdpState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl IdpState {
    pub fn new(config: Config, behaviour: Behaviour, urls: Urls) -> Result<Self, IdpError> {
        Self::with_http(config, behaviour, urls, default_http_client()?)
    }

    /// With an explicit HTTP client (for example one that trusts the mock's own CA).
    pub fn with_http(
        config: Config,
        behaviour: Behaviour,
        urls: Urls,
        http: reqwest::Client,
    ) -> Result<Self, IdpError> {
        Self::with_parts(config, behaviour, urls, http, Arc::new(Keys::new()))
    }

    /// With an explicit HTTP client and signing keys (keys shared by several deployments: a suite
    /// run generates them once instead of once per scenario).
    pub fn with_parts(
        config: Config,
        behaviour: Behaviour,
        urls: Urls,
        http: reqwest::Client,
        keys: Arc<Keys>,
    ) -> Result<Self, IdpError> {
        // Configs built in code (not only those loaded from TOML) get the same bounds checks.
        config.validate()?;
        behaviour
            .validate()
            .map_err(|message| IdpError::InvalidConfig(format!("behaviour: {message}")))?;
        let store = Store::with_clients(&config.clients);
        Ok(Self(Arc::new(Inner {
            config,
            behaviour,
            urls,
            keys,
            store,
            trace: TraceLog::default(),
            http,
        })))
    }

    /// A state for in-memory tests: fixed loopback origins, default config, the given variants.
    pub fn for_tests(variants: &[&str]) -> Self {
        let behaviour = crate::variants::behaviour_for(variants).expect("known variants");
        let metadata = behaviour
            .needs_metadata_origin()
            .then(|| "http://127.0.0.1:3".to_string());
        let urls = Urls::new(
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
            metadata,
            &behaviour,
        );
        Self::new(Config::default(), behaviour, urls).expect("state")
    }

    /// Like [`IdpState::for_tests`] with no variant, but with this config and a tweak of the
    /// behaviour (the way a scenario sets switches no variant covers).
    pub fn for_tests_with(config: Config, tweak: fn(&mut Behaviour)) -> Self {
        let mut behaviour = Behaviour::default();
        tweak(&mut behaviour);
        let urls = Urls::new("http://127.0.0.1:1", "http://127.0.0.1:2", None, &behaviour);
        Self::new(config, behaviour, urls).expect("state")
    }
}

/// The policy of every outgoing request: a timeout, no redirects, and never a proxy. The mock only
/// talks to loopback addresses, and `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY` in the environment
/// must not route those requests (or the documents they fetch) through another host.
pub fn outgoing_client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .timeout(OUTGOING_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
}

/// The outgoing client of a plain-HTTP deployment. It trusts no certificate authority at all: the
/// mock only ever talks to loopback, and loading the system's roots would cost ~50 ms of start-up.
pub fn default_http_client() -> Result<reqwest::Client, IdpError> {
    outgoing_client_builder()
        .tls_certs_only(Vec::new())
        .build()
        .map_err(|e| IdpError::InvalidConfig(format!("HTTP client: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_built_in_code_is_validated_too() {
        let config = Config {
            access_token_ttl_secs: 0,
            ..Config::default()
        };
        let behaviour = Behaviour::default();
        let urls = Urls::new("http://127.0.0.1:1", "http://127.0.0.1:2", None, &behaviour);
        let err = IdpState::new(config, behaviour, urls).unwrap_err();
        assert!(err.to_string().contains("access_token_ttl_secs"), "{err}");
    }

    #[test]
    fn an_invalid_behaviour_is_refused() {
        let behaviour = Behaviour {
            registration_auth_method: Some("magic".into()),
            ..Behaviour::default()
        };
        let urls = Urls::new("http://127.0.0.1:1", "http://127.0.0.1:2", None, &behaviour);
        let err = IdpState::new(Config::default(), behaviour.clone(), urls.clone()).unwrap_err();
        assert!(
            err.to_string().contains("registration_auth_method"),
            "{err}"
        );
        let fixed = Behaviour {
            registration_auth_method: Some("none".into()),
            ..behaviour
        };
        assert!(IdpState::new(Config::default(), fixed, urls).is_ok());
    }

    #[test]
    fn the_outgoing_clients_build() {
        assert!(default_http_client().is_ok());
        let tls = crate::tls::TlsMaterial::generate().unwrap();
        assert!(tls.client().is_ok());
    }
}
