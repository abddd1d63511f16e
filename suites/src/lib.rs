//! mcp-authlab's suites: scenarios (a mock deployment + the checks it enforces) and the runners that
//! drive a target through them. A failed check is data ([`reports::CheckResult`]), never an error.
//!
//! - [`client`]: spawn an MCP client against one mock deployment per scenario and judge what it did.
//! - [`check`]: what a check is (id, level, requirement, versions) and how its finding becomes an outcome.
//! - [`expected_failures`]: the official suite's expected-failures (baseline) file.

pub mod authserver;
pub mod check;
pub mod client;
pub mod expected_failures;
pub mod requirements;
pub mod selection;
pub mod server;

pub use mcp_authlab_reports as reports;
pub use reports::{Level, Outcome, SpecVersion};
