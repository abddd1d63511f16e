//! The one report model every mcp-authlab suite produces ([`Report`]), and its renderers (one
//! module per format). A failed check is data here, never an error.

pub mod console;
pub mod diff;
#[cfg(any(test, feature = "fixtures"))]
pub mod fixtures;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod model;
pub mod schema;
pub mod snapshot;

pub use model::{
    CheckResult, Exchange, Level, Outcome, Report, ScenarioResult, SpecVersion, Summary, Tool,
    Verdict, SCHEMA_VERSION,
};
