//! The protected MCP server (Streamable HTTP) in front of the mock authorization server.

use axum::Router;

use crate::state::IdpState;

pub fn app(state: IdpState) -> Router {
    Router::new().with_state(state)
}
