//! The client suite: one mock deployment per scenario, the client under test spawned against it
//! (the official conformance contract: MCP URL as last argument, `MCP_CONFORMANCE_SCENARIO`,
//! `MCP_CONFORMANCE_CONTEXT`), and the checks run on what the deployment saw.

pub mod browser;
pub mod checks;
pub mod command;
pub mod observation;
pub mod output;
pub mod run;
pub mod scenario;
pub mod scenarios;
pub mod spawn;
pub mod trials;

pub use observation::{ClientExit, Endpoint, Observation, Request};
pub use run::{run_scenario, ClientTarget, RunOptions};
pub use scenario::{Expectation, Scenario, Setup, SetupError};
