//! Authorization-server checks, one file per topic. Each is a small named function from an
//! [`AuthServerObservation`](super::AuthServerObservation) to a [`Finding`](crate::check::Finding).

pub mod client_credentials;
pub mod cors;
pub mod discovery;
pub mod iss;
pub mod jwks;
pub mod metadata;
pub mod registration;
pub mod split;

use serde_json::Value;

use super::observation::{label, AuthServerObservation};
use crate::check::Finding;
use crate::server::observation::Probed;

/// The metadata a check of this scenario judges: what a client of the scenario's version uses,
/// else the document `--metadata-url` named; with the probe it came from.
pub fn judged_metadata(obs: &AuthServerObservation) -> Option<(&Probed, Value)> {
    obs.discovered(obs.spec_version)
        .or_else(|| obs.document(label::NAMED_METADATA))
}

/// Runs `judge` on [`judged_metadata`], or says that there is none to judge.
pub fn on_metadata(obs: &AuthServerObservation, judge: impl Fn(&Value) -> Finding) -> Finding {
    match judged_metadata(obs) {
        Some((_, doc)) => judge(&doc),
        None => Finding::not_judged(
            "no authorization server metadata was found (the discovery scenarios say why)",
        ),
    }
}

/// The strings of an array field (empty when absent or not an array).
pub fn strings(doc: &Value, field: &str) -> Vec<String> {
    doc.get(field)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `GET url → 404`, `… → no response (…)`: a probe in a few words.
pub fn shown(probe: &Probed) -> String {
    format!("{} → {}", probe.summary(), probe.outcome_summary())
}
