//! The server suite: probe an MCP server's resource-server behaviour (the 401 and its challenge,
//! the protected resource metadata, its authorization servers' metadata) and, when the harness can
//! mint tokens (the server trusts the mock IdP) or was given one, how it treats valid, expired,
//! foreign and forged tokens.
//!
//! - [`run::ServerTarget`]: a URL (black box, optionally `--token`), a command the harness starts
//!   after the mock IdP, a server started by hand that trusts the mock IdP, or the mock's own
//!   protected MCP server with variants.
//! - [`scenario`]: steps (probes) and checks; [`scenarios::all`] is the catalogue.
//! - [`trials::ServerRunner`]: one libtest trial per scenario, and the report.

pub mod checks;
pub mod observation;
pub mod probe;
pub mod redact;
pub mod request;
pub mod revision_probes;
pub mod run;
pub mod scenario;
pub mod scenarios;
pub mod tokens;
pub mod trials;

pub use observation::{ServerObservation, TokenSourceKind};
pub use run::{ServerRunOptions, ServerSession, ServerTarget};
pub use scenario::{Credential, ServerScenario, Step, TokenKind};
