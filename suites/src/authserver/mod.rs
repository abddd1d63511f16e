//! The authorization-server suite: inspect an identity provider the way MCP clients will, before
//! any MCP code exists. Discovery as each spec version's client does it (which well-known
//! locations answer, which one a client uses, whether it finds usable metadata), the metadata's
//! fields, the JWKS, CORS for browser-based clients and, when asked, a throw-away dynamic
//! registration and a client-credentials token. It ends with a verdict per spec version
//! ([`verdict`]).
//!
//! - [`run::AuthServerTarget`]: the issuer and what the user gave (a metadata URL, credentials).
//! - [`scenario`]: steps (probes) and checks; [`scenarios::all`] is the catalogue.
//! - [`trials::AuthServerRunner`]: one libtest trial per scenario, and the report (`authserver`).
//!
//! The metadata checks of the server suite ([`crate::server::checks::as_metadata`]) are reused
//! through [`observation::AuthServerObservation::server_view`]: they judge the authorization
//! servers a protected resource metadata names; here that is the issuer under test.

pub mod authorization;
pub mod checks;
pub mod observation;
pub mod probe;
pub mod run;
pub mod scenario;
pub mod scenarios;
pub mod trials;
pub mod verdict;

pub use observation::AuthServerObservation;
pub use run::{AuthServerRunOptions, AuthServerTarget, ClientCredentials};
pub use scenario::{AuthServerScenario, Needs, Step};
