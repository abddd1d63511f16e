//! mcp-authlab's mock identity provider: a strict OAuth 2.1 authorization server and a protected
//! MCP server, each behaviour of which can be switched to a deliberately broken variant.
//!
//! Start one with [`Deployment::start`]; test handlers in memory with [`authorization_server::app`]
//! and [`mcp_server::app`] and `tower::ServiceExt::oneshot`.

pub mod access_token;
pub mod authorization_server;
pub mod behaviour;
pub mod config;
pub mod deployment;
pub mod error;
pub mod forge;
pub mod form;
pub mod keys;
pub mod mcp_server;
pub mod redact;
pub mod state;
pub mod store;
pub mod tls;
pub mod trace;
pub mod urls;
pub mod variants;

pub use behaviour::Behaviour;
pub use config::Config;
pub use deployment::{Deployment, Options, ReadyInfo};
pub use error::{IdpError, OAuthError};
pub use state::IdpState;
pub use variants::{catalogue, Variant, VariantKind, VariantTarget};
