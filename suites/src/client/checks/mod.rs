//! The client checks: small named functions from an [`Observation`](super::Observation) to a
//! [`Finding`](crate::check::Finding), one file per topic. Level, requirement and versions are given
//! where a scenario uses them (see [`super::scenarios`]).

pub mod application_type;
pub mod authorization;
pub mod discovery;
pub mod issuer;
pub mod migration;
pub mod outcome;
pub mod refresh_assumption;
pub mod registration;
pub mod scope;
pub mod scope_union;
pub mod token;
