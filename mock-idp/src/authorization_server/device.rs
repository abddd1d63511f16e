use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::error::{ErrorCode, OAuthError};
use crate::state::IdpState;

pub async fn device_authorization(State(_state): State<IdpState>) -> Response {
    OAuthError::new(ErrorCode::ServerError, "not implemented yet").into_response()
}
pub async fn verification_page(State(_state): State<IdpState>) -> Response {
    OAuthError::new(ErrorCode::ServerError, "not implemented yet").into_response()
}
pub async fn verification_submit(State(_state): State<IdpState>) -> Response {
    OAuthError::new(ErrorCode::ServerError, "not implemented yet").into_response()
}
