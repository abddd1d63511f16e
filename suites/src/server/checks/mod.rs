//! The server checks: small named functions from a
//! [`ServerObservation`](super::observation::ServerObservation) to a
//! [`Finding`](crate::check::Finding), one file per topic. Level, requirement and versions are given
//! where a scenario uses them (see [`super::scenarios`]).
//!
//! Common rules: a check whose probe was not made is not judged (with the reason); a token check
//! is not judged when the positive control failed (a valid token was refused), except the control
//! itself; no response where one was due is a violation; messages never quote a token.

pub mod as_metadata;
pub mod challenge;
pub mod flaws;
pub mod garbage;
pub mod identical;
pub mod presentation;
pub mod prm;
pub mod prm_fields;
pub mod revisions;
pub mod scope;
pub mod session;
pub mod step_up;
pub mod support;
pub mod token;
