//! Device authorization grant (RFC 8628): device authorization endpoint, verification page, and
//! the `urn:ietf:params:oauth:grant-type:device_code` grant the token endpoint dispatches here.

use axum::extract::State;
use axum::response::{IntoResponse, Response};

use super::client_auth::AuthenticatedClient;
use crate::error::{ErrorCode, OAuthError};
use crate::form::Params;
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

/// RFC 8628 §3.4/§3.5: the token request of the device flow (called by the token endpoint after
/// client authentication).
pub(crate) async fn device_code_grant(
    _state: &IdpState,
    _client: &AuthenticatedClient,
    _params: &Params,
) -> Result<Response, OAuthError> {
    Err(OAuthError::new(ErrorCode::ServerError, "not implemented yet"))
}
