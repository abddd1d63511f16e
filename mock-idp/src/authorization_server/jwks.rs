use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::error::{ErrorCode, OAuthError};
use crate::state::IdpState;

/// `GET {issuer}/jwks`: the public keys the access tokens are signed with (RFC 7517).
pub async fn jwks(State(state): State<IdpState>) -> Response {
    match state.keys.jwks().await {
        Ok(set) => Json(set).into_response(),
        Err(e) => OAuthError::new(ErrorCode::ServerError, e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use crate::authorization_server::test_support::*;
    use crate::state::IdpState;

    #[tokio::test]
    async fn jwks_has_an_rsa_and_an_ec_key_with_kids() {
        let state = IdpState::for_tests(&[]);
        let body = json(get(&state, "/jwks").await).await;
        let keys = body["keys"].as_array().unwrap();
        let types: Vec<_> = keys.iter().map(|k| k["kty"].as_str().unwrap()).collect();
        assert_eq!(types, ["RSA", "EC"]);
        assert!(keys
            .iter()
            .all(|k| k["kid"].is_string() && k.get("d").is_none()));
    }
}
