//! The one report model every mcp-authlab suite produces ([`Report`]), and its renderers (one
//! module per format). A failed check is data here, never an error.

pub mod json;
pub mod model;

pub use model::{
    CheckResult, Exchange, Level, Outcome, Report, ScenarioResult, SpecVersion, Summary, Tool,
    Verdict, SCHEMA_VERSION,
};
