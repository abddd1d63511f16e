//! The client suite: one mock deployment per scenario, the client under test spawned against it
//! (the official conformance contract: MCP URL as last argument, `MCP_CONFORMANCE_SCENARIO`,
//! `MCP_CONFORMANCE_CONTEXT`), and the checks run on what the deployment saw.

pub mod checks;
pub mod observation;
pub mod scenario;
pub mod scenarios;

pub use observation::{ClientExit, Endpoint, Observation, Request};
pub use scenario::{Expectation, Scenario, Setup, SetupError};
