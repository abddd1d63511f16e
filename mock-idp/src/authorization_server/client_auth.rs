//! Client authentication at the token, introspection and revocation endpoints.

use crate::error::OAuthError;
use crate::form::OAuthForm;
use crate::state::IdpState;
use crate::store::Client;

/// A client that proved who it is, and how.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub client: Client,
    /// The method it used: `none`, `client_secret_basic`, `client_secret_post` or `private_key_jwt`.
    pub method: String,
}

/// Authenticates the client of a token-endpoint-style request. `audience` is the URL of the
/// endpoint (for `private_key_jwt` assertions).
pub async fn authenticate_client(
    _state: &IdpState,
    _form: &OAuthForm,
    _audience: &str,
) -> Result<AuthenticatedClient, OAuthError> {
    Err(OAuthError::invalid_client("not implemented yet"))
}
