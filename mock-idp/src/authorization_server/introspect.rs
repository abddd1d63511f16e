//! Token introspection (RFC 7662): `POST {issuer}/introspect` by an authenticated confidential
//! client; answers `{"active": false}` for anything that is not a currently valid token of this
//! authorization server. Access tokens minted for any audience are active (with their `aud`).

use std::time::Instant;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::client_auth::{authenticate_client, presents_client};
use crate::access_token::{now_secs, verify};
use crate::error::OAuthError;
use crate::form::OAuthForm;
use crate::state::IdpState;

pub async fn introspect(State(state): State<IdpState>, form: OAuthForm) -> Response {
    match handle(&state, &form).await {
        Ok(body) => {
            let mut response = axum::Json(body).into_response();
            response
                .headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Err(error) => error.into_response(),
    }
}

async fn handle(state: &IdpState, form: &OAuthForm) -> Result<Value, OAuthError> {
    let anonymous = state.config.introspection_without_client_auth && !presents_client(form);
    if !anonymous {
        let caller = authenticate_client(state, form, &state.urls.introspection_endpoint()).await?;
        if caller.is_public() {
            return Err(OAuthError::invalid_client(format!(
                "client `{}` is a public client; introspection requires client authentication \
                 (RFC 7662 §2.1)",
                caller.client_id()
            )));
        }
    }
    let token = form.params.require("token")?;
    // `token_type_hint` only orders the search (RFC 7662 §2.1); both kinds are looked up.
    if let Some(body) = refresh_token_info(state, token) {
        return Ok(body);
    }
    // Every check but the audience: the token may be for any resource server, and checking that it
    // is meant for it is the resource server's job (RFC 7662 §4).
    Ok(match verify(state, token).await {
        Ok(claims) => json!({
            "active": true,
            "scope": claims.scope,
            "client_id": claims.client_id,
            "sub": claims.sub,
            "aud": claims.aud,
            "iss": claims.iss,
            "exp": claims.exp,
            "iat": claims.iat,
            "jti": claims.jti,
            "token_type": "Bearer",
        }),
        Err(_) => json!({ "active": false }),
    })
}

/// RFC 7662 §2.2 for a refresh token of the store: active unless expired, revoked, or already
/// used under rotation. `None` when the value is not a refresh token.
fn refresh_token_info(state: &IdpState, token: &str) -> Option<Value> {
    let record = state
        .store
        .refresh_tokens
        .lock()
        .unwrap()
        .get(token)
        .cloned()?;
    let now = Instant::now();
    let revoked = state
        .store
        .revoked_families
        .lock()
        .unwrap()
        .contains(&record.family);
    let used = state.behaviour.rotate_refresh_tokens && record.used;
    if revoked || used || record.expires_at <= now {
        return Some(json!({ "active": false }));
    }
    Some(json!({
        "active": true,
        "scope": record.scopes.join(" "),
        "client_id": record.client_id,
        "sub": record.subject,
        "aud": record.resource.unwrap_or_else(|| state.urls.resource()),
        "iss": state.urls.issuer(),
        "exp": now_secs() + (record.expires_at - now).as_secs(),
    }))
}

#[cfg(test)]
mod tests {
    use super::super::client_auth::fixtures::*;
    use super::super::token::fixtures::{tokens, APP};
    use crate::authorization_server::test_support::{json, post_form};
    use crate::forge::{forge, ForgeRequest, TokenFlaw, OTHER_RESOURCE};
    use crate::state::IdpState;
    use axum::http::StatusCode;
    use serde_json::Value;

    async fn introspect(state: &IdpState, token: &str) -> (StatusCode, Value) {
        let response = post_with_auth(
            state,
            "/introspect",
            &basic("rs", SECRET),
            &format!("token={}", enc(token)),
        )
        .await;
        let status = response.status();
        (status, json(response).await)
    }

    fn state() -> IdpState {
        let state = IdpState::for_tests(&[]);
        state
            .store
            .insert_client(client("rs", "client_secret_basic"));
        state
    }

    #[tokio::test]
    async fn access_token_is_active_with_claims() {
        let state = state();
        let issued = tokens(&state).await;
        let (status, body) = introspect(&state, issued["access_token"].as_str().unwrap()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["active"], true);
        assert_eq!(body["client_id"], APP);
        assert_eq!(body["sub"], "test-user");
        assert_eq!(body["scope"], "mcp:tools");
        assert_eq!(body["aud"], state.urls.resource());
        assert_eq!(body["iss"], state.urls.issuer());
        assert_eq!(body["token_type"], "Bearer");
        assert!(body["exp"].as_u64().unwrap() > body["iat"].as_u64().unwrap());
    }

    #[tokio::test]
    async fn refresh_token_is_active_until_used() {
        let state = state();
        let issued = tokens(&state).await;
        let rt = issued["refresh_token"].as_str().unwrap();
        let (_, body) = introspect(&state, rt).await;
        assert_eq!(body["active"], true);
        assert_eq!(body["client_id"], APP);
        let refresh = format!("grant_type=refresh_token&client_id={APP}&refresh_token={rt}");
        assert_eq!(
            post_form(&state, "/token", &refresh).await.status(),
            StatusCode::OK
        );
        assert_eq!(
            introspect(&state, rt).await.1,
            serde_json::json!({"active": false})
        );
    }

    #[tokio::test]
    async fn unknown_and_foreign_tokens_are_inactive() {
        let state = state();
        let (status, body) = introspect(&state, "garbage").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, serde_json::json!({"active": false}));
        let other = IdpState::for_tests(&[]);
        let foreign = tokens(&other).await;
        let (_, body) = introspect(&state, foreign["access_token"].as_str().unwrap()).await;
        assert_eq!(body["active"], false);
        let expired = IdpState::for_tests(&["expired-tokens"]);
        expired
            .store
            .insert_client(client("rs", "client_secret_basic"));
        let issued = tokens(&expired).await;
        let (_, body) = introspect(&expired, issued["access_token"].as_str().unwrap()).await;
        assert_eq!(body["active"], false);
    }

    fn forge_request(audience: &str, flaw: TokenFlaw) -> ForgeRequest {
        ForgeRequest {
            audience: audience.into(),
            scopes: vec!["mcp:tools".into()],
            client_id: "server-test".into(),
            subject: "test-user".into(),
            flaw,
        }
    }

    #[tokio::test]
    async fn a_token_for_any_audience_is_active_with_that_audience() {
        let state = state();
        for audience in ["http://127.0.0.1:9/mcp", OTHER_RESOURCE] {
            let token = forge(&state, &forge_request(audience, TokenFlaw::None))
                .await
                .unwrap();
            let (status, body) = introspect(&state, &token.token).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body["active"], true, "{audience}");
            assert_eq!(body["aud"], audience);
            assert_eq!(body["client_id"], "server-test");
            assert_eq!(body["scope"], "mcp:tools");
            assert_eq!(body["jti"], token.claims.jti.as_str());
        }
    }

    #[tokio::test]
    async fn every_forged_flaw_but_the_audience_is_inactive() {
        let state = state();
        for flaw in TokenFlaw::ALL {
            let token = forge(&state, &forge_request("http://127.0.0.1:9/mcp", *flaw))
                .await
                .unwrap();
            let (status, body) = introspect(&state, &token.token).await;
            assert_eq!(status, StatusCode::OK, "{}", flaw.name());
            let active = matches!(flaw, TokenFlaw::None | TokenFlaw::WrongAudience);
            assert_eq!(body["active"], active, "{}: {body}", flaw.name());
            if !active {
                assert_eq!(
                    body,
                    serde_json::json!({"active": false}),
                    "{}",
                    flaw.name()
                );
            }
        }
    }

    #[tokio::test]
    async fn the_resource_server_client_of_the_config_may_introspect() {
        let config = crate::Config::default().with_resource_server_client("rs-client", SECRET);
        let state = IdpState::for_tests_with(config, |_| {});
        let token = forge(
            &state,
            &forge_request("http://127.0.0.1:9/mcp", TokenFlaw::None),
        )
        .await
        .unwrap();
        let body = format!("token={}", enc(&token.token));
        let response =
            post_with_auth(&state, "/introspect", &basic("rs-client", SECRET), &body).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json(response).await["active"], true);
        let response = post_with_auth(
            &state,
            "/introspect",
            &basic("rs-client", "not-the-secret"),
            &body,
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        // The registered method is enforced: client_secret_basic, not client_secret_post (a
        // server that posts its secret needs `token_endpoint_auth_method = "client_secret_post"`).
        let post = format!("client_id=rs-client&client_secret={}&{body}", enc(SECRET));
        let response = post_form(&state, "/introspect", &post).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(json(response).await["error"], "invalid_client");
    }

    #[tokio::test]
    async fn anonymous_introspection_only_when_the_config_allows_it() {
        let strict = state();
        let token = forge(
            &strict,
            &forge_request("http://127.0.0.1:9/mcp", TokenFlaw::None),
        )
        .await
        .unwrap();
        let body = format!("token={}", enc(&token.token));
        let response = post_form(&strict, "/introspect", &body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(json(response).await["error"], "invalid_client");

        let config = crate::Config {
            introspection_without_client_auth: true,
            ..crate::Config::default()
        };
        let open = IdpState::for_tests_with(config, |_| {});
        open.store
            .insert_client(client("rs", "client_secret_basic"));
        let token = forge(
            &open,
            &forge_request("http://127.0.0.1:9/mcp", TokenFlaw::None),
        )
        .await
        .unwrap();
        let body = format!("token={}", enc(&token.token));
        let response = post_form(&open, "/introspect", &body).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json(response).await["active"], true);
        // Credentials that are sent are still checked.
        let response = post_with_auth(&open, "/introspect", &basic("rs", "wrong"), &body).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        let response = post_form(&open, "/introspect", &format!("client_id=nobody&{body}")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }

    #[tokio::test]
    async fn caller_must_be_an_authenticated_confidential_client() {
        let state = state();
        state.store.insert_client(client("pub", "none"));
        let response = post_form(&state, "/introspect", "client_id=pub&token=x").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(json(response).await["error"], "invalid_client");
        let response =
            post_with_auth(&state, "/introspect", &basic("rs", "wrong"), "token=x").await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(response.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .starts_with("Basic"));
        let response = post_with_auth(&state, "/introspect", &basic("rs", SECRET), "").await;
        assert_eq!(json(response).await["error"], "invalid_request");
    }
}
