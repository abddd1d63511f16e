//! A running mock deployment: the listeners (one per origin the variants need), the routers on
//! them, and the ready information a client needs.

use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::middleware;
use axum::Router;
use axum_server::Handle;
use serde::Serialize;
use tokio::task::JoinHandle;

use crate::behaviour::Behaviour;
use crate::config::Config;
use crate::error::IdpError;
use crate::keys::Keys;
use crate::state::{default_http_client, IdpState};
use crate::tls::TlsMaterial;
use crate::trace::{self, Role};
use crate::urls::Urls;
use crate::{authorization_server, mcp_server, variants};

#[derive(Debug, Clone)]
pub struct Options {
    pub variants: Vec<String>,
    pub config: Config,
    /// Address of the MCP server's listener; the other origins use the same IP with port 0.
    pub bind: SocketAddr,
    /// Address of the authorization server's listener (a fixed issuer for a server under test
    /// started by hand, `--idp-bind`); `None`: `bind`'s IP with port 0. Refused with the
    /// 2025-03-26 layout, whose authorization server is on the MCP server's origin.
    pub authorization_server_bind: Option<SocketAddr>,
    pub tls: bool,
    /// Where to write the CA certificate with `tls` (a temp file by default).
    pub ca_cert_path: Option<PathBuf>,
    /// Applied in order to the behaviour the variants give, before the deployment starts: how a
    /// scenario sets a switch that no named variant covers (a forced registration auth method, say).
    pub tweaks: Vec<fn(&mut Behaviour)>,
    /// Signing keys to use (shared across deployments); `None` generates new ones.
    pub keys: Option<Arc<Keys>>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            variants: Vec::new(),
            config: Config::default(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            authorization_server_bind: None,
            tls: false,
            ca_cert_path: None,
            tweaks: Vec::new(),
            keys: None,
        }
    }
}

/// What the `idp` command prints as its one ready line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReadyInfo {
    pub mcp_url: String,
    pub issuer: String,
    /// Where the authorization server metadata is really served (not always where clients look).
    /// A deployment that serves none (`legacy-2025-03-26-no-metadata`) names its RFC 8414 URL,
    /// which answers 404.
    pub authorization_server_metadata_url: String,
    /// Where the protected resource metadata is served; `null` when the variant serves none.
    pub protected_resource_metadata_url: Option<String>,
    pub ca_cert: Option<String>,
    pub authorization_endpoint: String,
    pub token_endpoint: String,
    pub registration_endpoint: Option<String>,
    pub jwks_uri: String,
    pub introspection_endpoint: String,
    pub revocation_endpoint: String,
    pub device_authorization_endpoint: String,
    pub variants: Vec<String>,
}

pub struct Deployment {
    state: IdpState,
    ready: ReadyInfo,
    handles: Vec<Handle<SocketAddr>>,
    tasks: Vec<JoinHandle<std::io::Result<()>>>,
    /// The CA file to remove at shutdown: only one the mock put in the temp directory itself,
    /// never a path the user chose with `ca_cert_path`.
    temporary_ca_cert: Option<PathBuf>,
}

fn bind(addr: SocketAddr) -> Result<TcpListener, IdpError> {
    let to_err = |source| IdpError::Bind {
        addr: addr.to_string(),
        source,
    };
    let listener = TcpListener::bind(addr).map_err(to_err)?;
    listener.set_nonblocking(true).map_err(to_err)?;
    Ok(listener)
}

fn origin(scheme: &str, listener: &TcpListener) -> Result<String, IdpError> {
    let addr = listener.local_addr().map_err(|source| IdpError::Bind {
        addr: "listener".into(),
        source,
    })?;
    Ok(format!("{scheme}://{addr}"))
}

impl Deployment {
    pub async fn start(options: Options) -> Result<Self, IdpError> {
        let mut behaviour = variants::behaviour_for(&options.variants)?;
        for tweak in &options.tweaks {
            tweak(&mut behaviour);
        }
        let scheme = if options.tls { "https" } else { "http" };
        let other = SocketAddr::new(options.bind.ip(), 0);

        if behaviour.legacy_2025_03_26_layout && options.authorization_server_bind.is_some() {
            return Err(IdpError::InvalidConfig(
                "authorization_server_bind: the 2025-03-26 layout has no authorization server \
                 origin of its own (it is the MCP server's)"
                    .into(),
            ));
        }
        let mcp_listener = bind(options.bind)?;
        let as_listener = if behaviour.legacy_2025_03_26_layout {
            None
        } else {
            Some(bind(options.authorization_server_bind.unwrap_or(other))?)
        };
        let metadata_listener = if behaviour.needs_metadata_origin() {
            Some(bind(other)?)
        } else {
            None
        };

        let mcp_origin = origin(scheme, &mcp_listener)?;
        let as_origin = match &as_listener {
            Some(l) => origin(scheme, l)?,
            None => mcp_origin.clone(),
        };
        let metadata_origin = metadata_listener
            .as_ref()
            .map(|l| origin(scheme, l))
            .transpose()?;
        let urls = Urls::new(as_origin, mcp_origin, metadata_origin, &behaviour);

        let tls = if options.tls {
            Some(TlsMaterial::generate()?)
        } else {
            None
        };
        let http = match &tls {
            Some(t) => t.client()?,
            None => default_http_client()?,
        };
        let ca_cert = match &tls {
            Some(t) => Some(t.write_ca(options.ca_cert_path.as_deref())?),
            None => None,
        };
        let temporary_ca_cert = ca_cert.clone().filter(|_| options.ca_cert_path.is_none());
        let rustls = match &tls {
            Some(t) => Some(t.rustls_config().await?),
            None => None,
        };

        let keys = options.keys.unwrap_or_else(|| Arc::new(Keys::new()));
        let state = IdpState::with_parts(options.config, behaviour, urls, http, keys)?;
        state.keys.prewarm(state.config.signing_alg);

        let mut listeners = vec![(Role::McpServer, mcp_listener)];
        listeners.extend(as_listener.map(|l| (Role::AuthorizationServer, l)));
        listeners.extend(metadata_listener.map(|l| (Role::MetadataHost, l)));

        let mut handles = Vec::new();
        let mut tasks = Vec::new();
        for (role, listener) in listeners {
            let router = origin_app(&state, role);
            let handle = Handle::new();
            let service = router.into_make_service();
            let task = match &rustls {
                Some(config) => {
                    let server = axum_server::from_tcp_rustls(listener, config.clone())
                        .map_err(|source| IdpError::Bind {
                            addr: "listener".into(),
                            source,
                        })?
                        .handle(handle.clone());
                    tokio::spawn(async move { server.serve(service).await })
                }
                None => {
                    let server = axum_server::from_tcp(listener)
                        .map_err(|source| IdpError::Bind {
                            addr: "listener".into(),
                            source,
                        })?
                        .handle(handle.clone());
                    tokio::spawn(async move { server.serve(service).await })
                }
            };
            handles.push(handle);
            tasks.push(task);
        }

        let ready = ready_info(&state, &options.variants, ca_cert);
        Ok(Self {
            state,
            ready,
            handles,
            tasks,
            temporary_ca_cert,
        })
    }

    pub fn ready(&self) -> &ReadyInfo {
        &self.ready
    }

    pub fn state(&self) -> &IdpState {
        &self.state
    }

    /// Stops accepting, lets open requests finish for a moment, then stops. Removes the CA file
    /// if the mock chose its path (a `ca_cert_path` given in the options is left in place).
    pub async fn shutdown(self) {
        for handle in &self.handles {
            handle.graceful_shutdown(Some(Duration::from_millis(500)));
        }
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), task)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        if let Some(path) = &self.temporary_ca_cert {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The complete router of one origin as it is served: its routes, the request trace, the body
/// limit and the timing hooks. Use it with `tower::ServiceExt::oneshot` to test a whole origin in memory.
pub fn origin_app(state: &IdpState, role: Role) -> Router {
    traced(role_router(state, role), state, role)
}

/// The routes of one origin of the deployment (without the trace layer).
pub fn role_router(state: &IdpState, role: Role) -> Router {
    match role {
        Role::McpServer if state.behaviour.legacy_2025_03_26_layout => {
            mcp_server::app(state.clone()).merge(authorization_server::app(state.clone()))
        }
        Role::McpServer if state.behaviour.authorization_server_migration => {
            authorization_server::migration::mcp_app(state)
        }
        Role::McpServer => mcp_server::app(state.clone()),
        Role::AuthorizationServer => authorization_server::app(state.clone()),
        Role::MetadataHost => authorization_server::metadata_host_app(state.clone()),
    }
}

fn traced(router: Router, state: &IdpState, role: Role) -> Router {
    router.layer(middleware::from_fn_with_state(
        (state.clone(), role),
        trace::record,
    ))
}

fn ready_info(state: &IdpState, variants: &[String], ca_cert: Option<PathBuf>) -> ReadyInfo {
    let urls = &state.urls;
    let b = &state.behaviour;
    ReadyInfo {
        mcp_url: urls.mcp_url(),
        issuer: urls.issuer(),
        authorization_server_metadata_url: urls.served_metadata_url(b),
        protected_resource_metadata_url: urls.served_prm_url(b),
        ca_cert: ca_cert.map(|p| p.display().to_string()),
        authorization_endpoint: urls.authorization_endpoint(),
        token_endpoint: urls.token_endpoint(),
        registration_endpoint: b
            .registration_endpoint
            .then(|| urls.registration_endpoint()),
        jwks_uri: urls.jwks_uri(),
        introspection_endpoint: urls.introspection_endpoint(),
        revocation_endpoint: urls.revocation_endpoint(),
        device_authorization_endpoint: urls.device_authorization_endpoint(),
        variants: variants.to_vec(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tls_options(ca_cert_path: Option<PathBuf>) -> Options {
        Options {
            tls: true,
            ca_cert_path,
            ..Options::default()
        }
    }

    #[tokio::test]
    async fn a_user_chosen_ca_file_survives_shutdown() {
        let path = std::env::temp_dir().join(format!(
            "mcp-authlab-user-ca-{}-{}.pem",
            std::process::id(),
            crate::store::random_token(6)
        ));
        let deployment = Deployment::start(tls_options(Some(path.clone())))
            .await
            .unwrap();
        assert_eq!(
            deployment.ready().ca_cert.as_deref(),
            Some(path.display().to_string().as_str())
        );
        deployment.shutdown().await;
        let kept = std::fs::read_to_string(&path);
        let _ = std::fs::remove_file(&path);
        assert!(
            kept.unwrap().contains("BEGIN CERTIFICATE"),
            "the user's --ca-cert file was removed"
        );
    }

    #[tokio::test]
    async fn the_authorization_server_binds_where_it_is_told() {
        let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = free.local_addr().unwrap();
        drop(free);
        let deployment = Deployment::start(Options {
            authorization_server_bind: Some(addr),
            ..Options::default()
        })
        .await
        .unwrap();
        assert_eq!(deployment.ready().issuer, format!("http://{addr}"));
        assert_ne!(deployment.ready().mcp_url, format!("http://{addr}/mcp"));
        deployment.shutdown().await;
        let legacy = Deployment::start(Options {
            variants: vec!["legacy-2025-03-26".into()],
            authorization_server_bind: Some(addr),
            ..Options::default()
        })
        .await;
        assert!(
            matches!(legacy, Err(IdpError::InvalidConfig(m)) if m.contains("authorization_server_bind"))
        );
    }

    #[tokio::test]
    async fn the_temporary_ca_file_is_removed_at_shutdown() {
        let deployment = Deployment::start(tls_options(None)).await.unwrap();
        let path = PathBuf::from(deployment.ready().ca_cert.clone().unwrap());
        assert!(path.starts_with(std::env::temp_dir()), "{}", path.display());
        assert!(path.exists());
        deployment.shutdown().await;
        assert!(!path.exists(), "{}", path.display());
    }
}
