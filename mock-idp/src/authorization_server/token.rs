use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::error::{ErrorCode, OAuthError};
use crate::state::IdpState;

pub async fn token(State(_state): State<IdpState>) -> Response {
    OAuthError::new(ErrorCode::ServerError, "not implemented yet").into_response()
}
