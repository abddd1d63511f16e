//! The client credentials grant (OAuth 2.1 §4.2): confidential clients only, the client is the
//! subject, no refresh token.

use axum::response::Response;

use super::issue_tokens;
use crate::access_token::Grant;
use crate::authorization_server::client_auth::AuthenticatedClient;
use crate::authorization_server::resource;
use crate::error::OAuthError;
use crate::form::Params;
use crate::state::IdpState;

pub(super) async fn grant(
    state: &IdpState,
    client: &AuthenticatedClient,
    params: &Params,
) -> Result<Response, OAuthError> {
    if client.is_public() {
        return Err(OAuthError::unauthorized_client(format!(
            "client `{}` is a public client (token_endpoint_auth_method `none`); the \
             client_credentials grant is only for confidential clients (OAuth 2.1 §4.2)",
            client.client_id()
        )));
    }
    let scopes = super::scopes_or_default(state, &client.client, params)?;
    let resource = resource::requested(state, params)?;
    let grant = Grant {
        subject: client.client_id().to_string(),
        client_id: client.client_id().to_string(),
        scopes,
        resource,
    };
    issue_tokens(state, &grant, false).await
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::token_request;
    use crate::access_token::validate;
    use crate::authorization_server::client_auth::fixtures::*;
    use crate::authorization_server::client_auth::JWT_BEARER_ASSERTION_TYPE;
    use crate::authorization_server::test_support::json;
    use crate::state::IdpState;
    use axum::http::StatusCode;

    #[tokio::test]
    async fn basic_client_gets_a_token_without_refresh() {
        let state = IdpState::for_tests(&[]);
        state
            .store
            .insert_client(client("svc", "client_secret_basic"));
        let response = post_with_auth(
            &state,
            "/token",
            &basic("svc", SECRET),
            "grant_type=client_credentials&scope=mcp%3Aadmin",
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = json(response).await;
        assert!(body.get("refresh_token").is_none());
        let claims = validate(&state, body["access_token"].as_str().unwrap())
            .await
            .unwrap();
        assert_eq!(claims.sub, "svc");
        assert_eq!(claims.scope, "mcp:admin");
    }

    #[tokio::test]
    async fn default_scope_and_unknown_scope() {
        let state = IdpState::for_tests(&[]);
        state
            .store
            .insert_client(client("svc", "client_secret_post"));
        let auth = format!("client_id=svc&client_secret={}", enc(SECRET));
        let (status, body) =
            token_request(&state, &format!("grant_type=client_credentials&{auth}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["scope"], "mcp:tools");
        let (status, body) = token_request(
            &state,
            &format!("grant_type=client_credentials&{auth}&scope=root"),
        )
        .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(body["error"], "invalid_scope");
    }

    #[tokio::test]
    async fn private_key_jwt_client_credentials() {
        let state = IdpState::for_tests(&[]);
        let key = jwt_client(&state, "m2m");
        let a = assertion(&key, assertion_claims("m2m", &state.urls.issuer()));
        let body = format!(
            "grant_type=client_credentials&client_assertion_type={}&client_assertion={a}&resource={}",
            enc(JWT_BEARER_ASSERTION_TYPE),
            enc(&state.urls.resource())
        );
        let (status, body) = token_request(&state, &body).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    #[tokio::test]
    async fn public_client_is_unauthorized() {
        let state = IdpState::for_tests(&[]);
        state.store.insert_client(client("pub", "none"));
        let (_, body) = token_request(&state, "grant_type=client_credentials&client_id=pub").await;
        assert_eq!(body["error"], "unauthorized_client");
    }
}
