//! The token endpoint (OAuth 2.1 §3.2): grant dispatch and the token response.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use crate::access_token::Grant;
use crate::error::{ErrorCode, OAuthError};
use crate::form::OAuthForm;
use crate::state::IdpState;

pub async fn token(State(_state): State<IdpState>, _form: OAuthForm) -> Response {
    OAuthError::new(ErrorCode::ServerError, "not implemented yet").into_response()
}

/// The successful token response (OAuth 2.1 §3.2.3) for a grant: a JWT access token and, when
/// `with_refresh_token`, a refresh token recorded in the store. `Cache-Control: no-store`.
pub(crate) async fn issue_tokens(
    _state: &IdpState,
    _grant: &Grant,
    _with_refresh_token: bool,
) -> Result<Response, OAuthError> {
    Err(OAuthError::new(ErrorCode::ServerError, "not implemented yet"))
}
