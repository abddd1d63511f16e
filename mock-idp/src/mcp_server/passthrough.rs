//! `Behaviour::token_passthrough` (wrong, MCP Security Best Practices › Token Passthrough): the
//! server forwards the client's access token to an "upstream API", `{issuer}/upstream-api` on the
//! mock's own authorization server origin. Fire and forget: the MCP response never waits for it.
//! Nothing is served there (404), but the trace records the request with its `Authorization`
//! header (in [`crate::trace::TraceEvent::raw`]), so a check can see the token was passed on.

use std::time::Duration;

use crate::state::IdpState;
use crate::trace::OwnedInFlight;

/// Timeout of the forwarded request.
pub const PASSTHROUGH_TIMEOUT: Duration = Duration::from_secs(2);

/// Sends `GET {issuer}/upstream-api` with `Authorization: Bearer <token>` in the background. The
/// request counts as in flight in the trace from now until it is answered or times out.
pub fn forward(state: &IdpState, token: &str) {
    let pending = OwnedInFlight::new(state);
    let request = state
        .http
        .get(state.urls.upstream_api_url())
        .bearer_auth(token)
        .timeout(PASSTHROUGH_TIMEOUT);
    tokio::spawn(async move {
        let _pending = pending;
        // The answer (404) does not matter; only that the request was made.
        let _ = request.send().await;
    });
}
