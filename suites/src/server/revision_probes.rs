//! The probes that tell which protocol revisions a server speaks, each with a valid token: the
//! 2026-07-28 shape (`server/discover`, a plain `tools/list` without `initialize` or session, and a
//! version nobody speaks, which a 2026-07-28 server answers with the versions it does), then
//! `initialize` proposing each earlier revision (the server answers with the one it agrees to).

use mcp_authlab_reports::SpecVersion;
use serde_json::json;

use super::observation::{label, ServerObservation};
use super::probe::StepContext;
use super::request::{self, McpRequest, DISCOVER, MODERN_VERSION};
use super::scenario::TokenKind;

/// A protocol version no server speaks.
pub const UNKNOWN_VERSION: &str = "1999-01-01";

/// The revisions reached through `initialize`, oldest first.
pub const INITIALIZE_REVISIONS: [SpecVersion; 3] = [
    SpecVersion::V2025_03_26,
    SpecVersion::V2025_06_18,
    SpecVersion::V2025_11_25,
];

/// The requests of the step, by label.
pub fn requests() -> Vec<(String, McpRequest)> {
    let mut all = vec![
        (
            label::REVISION_DISCOVER.to_string(),
            request::modern(DISCOVER, json!({}), MODERN_VERSION),
        ),
        (
            label::REVISION_STATELESS.to_string(),
            request::modern("tools/list", json!({}), MODERN_VERSION),
        ),
        (
            label::REVISION_UNSUPPORTED.to_string(),
            request::modern(DISCOVER, json!({}), UNKNOWN_VERSION),
        ),
    ];
    for version in INITIALIZE_REVISIONS {
        all.push((
            label::revision_initialize(version.as_str()),
            request::initialize(version.as_str()),
        ));
    }
    all
}

/// Sends [`requests`] with one valid token carrying the advertised scopes.
pub async fn revisions(ctx: &StepContext<'_>, obs: &mut ServerObservation) {
    let scopes: Vec<String> = obs.advertised_scopes().into_iter().collect();
    obs.take_consulted();
    let token = match ctx.tokens.token(TokenKind::VALID, &scopes).await {
        Ok(token) => token,
        Err(why) => {
            for (label, _) in requests() {
                obs.not_probed.insert(label, why.clone());
            }
            return;
        }
    };
    obs.presented_tokens.push(token.clone());
    let url = obs.url.clone();
    for (label, request) in requests() {
        let mut headers = request.headers;
        headers.push(("authorization".into(), format!("Bearer {token}")));
        ctx.prober
            .send(
                obs,
                &label,
                "mcp_server",
                reqwest::Method::POST,
                &url,
                headers,
                Some(request.body),
            )
            .await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_modern_requests_then_one_initialize_per_earlier_revision() {
        let labels: Vec<String> = requests().into_iter().map(|(l, _)| l).collect();
        assert_eq!(
            labels,
            [
                "revision:discover",
                "revision:stateless",
                "revision:unsupported",
                "revision:initialize:2025-03-26",
                "revision:initialize:2025-06-18",
                "revision:initialize:2025-11-25",
            ]
        );
        let (_, unsupported) = &requests()[2];
        assert!(unsupported.body.contains(UNKNOWN_VERSION));
        assert!(unsupported
            .headers
            .contains(&("mcp-protocol-version".into(), UNKNOWN_VERSION.into())));
    }
}
