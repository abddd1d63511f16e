//! The mock OAuth 2.1 authorization server: `app(state)` is its router.

mod authorize;
mod cimd;
mod client_auth;
mod consent;
mod cors;
mod device;
mod introspect;
mod jwks;
pub mod metadata;
pub mod migration;
pub mod pkce;
mod register;
mod resource;
mod revoke;
mod token;

use axum::handler::Handler;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, MethodRouter};
use axum::Router;

use crate::behaviour::MetadataLocation;
use crate::error::OAuthError;
use crate::state::IdpState;
use crate::urls;

pub use client_auth::{authenticate_client, AuthenticatedClient};

/// The authorization server's routes, below the issuer's path, plus its metadata documents where
/// the deployment's behaviour puts them on the issuer's origin.
pub fn app(state: IdpState) -> Router {
    let p = state.urls.endpoint_path("");
    let mut router = Router::new()
        .route(&format!("{p}/jwks"), only_get(jwks::jwks))
        .route(
            &format!("{p}/authorize"),
            get(authorize::authorize).fallback(method_not_allowed("GET")),
        )
        .route(
            &format!("{p}/authorize/decision"),
            only_post(consent::decision),
        )
        .route(&format!("{p}/token"), only_post(token::token))
        .route(
            &format!("{p}/introspect"),
            only_post(introspect::introspect),
        )
        .route(&format!("{p}/revoke"), only_post(revoke::revoke))
        .route(
            &format!("{p}/device_authorization"),
            only_post(device::device_authorization),
        )
        .route(
            &format!("{p}/device"),
            get(device::verification_page)
                .post(device::verification_submit)
                .fallback(method_not_allowed("GET, POST")),
        );
    if state.behaviour.registration_endpoint {
        router = router.route(&format!("{p}/register"), only_post(register::register));
    }
    for path in metadata_paths(&state) {
        router = router.route(&path, only_get(metadata::authorization_server_metadata));
    }
    let migrating = state.behaviour.authorization_server_migration;
    let second = migrating.then(|| migration::second_state(&state));
    let router = router
        .layer(axum::middleware::map_response(cors::allow_any_origin))
        .with_state(state);
    match second {
        // The authorization server it migrates to, below its issuer (`migration`).
        Some(second) => router.merge(app(second)),
        None => router,
    }
}

/// The router of the separate origin that serves only the metadata (split-domain variant).
pub fn metadata_host_app(state: IdpState) -> Router {
    let path = format!(
        "/.well-known/oauth-authorization-server{}",
        state.urls.issuer_path
    );
    Router::new()
        .route(&path, only_get(metadata::authorization_server_metadata))
        .layer(axum::middleware::map_response(cors::allow_any_origin))
        .with_state(state)
}

/// The paths on the issuer's origin where the metadata is served.
fn metadata_paths(state: &IdpState) -> Vec<String> {
    let b = &state.behaviour;
    let issuer = state.urls.issuer();
    let path_of = |url: Result<String, url::ParseError>| {
        url.ok()
            .and_then(|u| urls::origin_and_path(&u).ok())
            .map(|(_, path)| path)
    };
    let mut paths = Vec::new();
    match &b.metadata_location {
        MetadataLocation::CustomPath(path) => paths.push(path.clone()),
        MetadataLocation::SeparateOrigin | MetadataLocation::Nowhere => {}
        MetadataLocation::WellKnown => {
            if b.serve_rfc8414 {
                paths.extend(path_of(urls::rfc8414_metadata_url(&issuer)));
            }
            if b.serve_oidc {
                paths.extend(path_of(urls::oidc_inserted_url(&issuer)));
                paths.extend(path_of(urls::oidc_appended_url(&issuer)));
            }
        }
    }
    paths.sort();
    paths.dedup();
    paths
}

fn only_get<H, T>(handler: H) -> MethodRouter<IdpState>
where
    H: Handler<T, IdpState>,
    T: 'static,
{
    get(handler)
        .options(cors::preflight)
        .fallback(method_not_allowed("GET"))
}

fn only_post<H, T>(handler: H) -> MethodRouter<IdpState>
where
    H: Handler<T, IdpState>,
    T: 'static,
{
    post(handler)
        .options(cors::preflight)
        .fallback(method_not_allowed("POST"))
}

/// A wrong method gets an OAuth `invalid_request` with 405 and `Allow`, not an empty body.
fn method_not_allowed(allow: &'static str) -> impl Fn() -> std::future::Ready<Response> + Clone {
    move || {
        let mut response = OAuthError::invalid_request(format!("method not allowed; use {allow}"))
            .with_status(StatusCode::METHOD_NOT_ALLOWED)
            .into_response();
        response
            .headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static(allow));
        std::future::ready(response)
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Helpers for the in-memory endpoint tests (`tower::ServiceExt::oneshot`).
    use axum::body::Body;
    use axum::http::{header, Request, Response};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use crate::state::IdpState;

    pub async fn send(state: &IdpState, request: Request<Body>) -> Response<Body> {
        super::app(state.clone()).oneshot(request).await.unwrap()
    }

    pub async fn get(state: &IdpState, uri: &str) -> Response<Body> {
        send(state, Request::get(uri).body(Body::empty()).unwrap()).await
    }

    pub async fn post_form(state: &IdpState, uri: &str, body: &str) -> Response<Body> {
        send(
            state,
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    pub async fn json(response: Response<Body>) -> serde_json::Value {
        let bytes = response.into_body().collect().await.unwrap().to_bytes();
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use crate::state::IdpState;
    use axum::http::StatusCode;

    #[tokio::test]
    async fn wrong_method_is_an_oauth_error_with_allow() {
        let state = IdpState::for_tests(&[]);
        let response = get(&state, "/token").await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "POST");
        assert_eq!(json(response).await["error"], "invalid_request");
    }

    #[tokio::test]
    async fn metadata_is_served_where_the_variant_says() {
        let state = IdpState::for_tests(&[]);
        for path in [
            "/.well-known/oauth-authorization-server",
            "/.well-known/openid-configuration",
        ] {
            assert_eq!(get(&state, path).await.status(), StatusCode::OK, "{path}");
        }

        let tenant = IdpState::for_tests(&["issuer-with-path"]);
        for path in [
            "/.well-known/oauth-authorization-server/tenant1",
            "/.well-known/openid-configuration/tenant1",
            "/tenant1/.well-known/openid-configuration",
        ] {
            assert_eq!(get(&tenant, path).await.status(), StatusCode::OK, "{path}");
        }
        assert_eq!(
            get(&tenant, "/.well-known/oauth-authorization-server")
                .await
                .status(),
            StatusCode::NOT_FOUND
        );

        let custom = IdpState::for_tests(&["custom-metadata-path"]);
        assert_eq!(
            get(&custom, "/.well-known/oauth-authorization-server")
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&custom, "/custom/oauth-metadata.json").await.status(),
            StatusCode::OK
        );

        let split = IdpState::for_tests(&["split-domain-metadata"]);
        assert_eq!(
            get(&split, "/.well-known/oauth-authorization-server")
                .await
                .status(),
            StatusCode::NOT_FOUND
        );

        let oidc_only = IdpState::for_tests(&["oidc-discovery-only"]);
        assert_eq!(
            get(&oidc_only, "/.well-known/oauth-authorization-server")
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            get(&oidc_only, "/.well-known/openid-configuration")
                .await
                .status(),
            StatusCode::OK
        );
    }

    #[tokio::test]
    async fn no_registration_endpoint_variant_removes_the_route() {
        let state = IdpState::for_tests(&["no-registration-endpoint"]);
        let response = post_form(&state, "/register", "").await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
}
