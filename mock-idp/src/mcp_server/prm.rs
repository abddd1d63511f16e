//! OAuth 2.0 Protected Resource Metadata (RFC 9728 §2-§3) of the MCP server, served at the
//! well-known URLs the deployment's behaviour selects (RFC 9728 §3.1 path insertion, or the root),
//! or only at a custom path that the 401 names (RFC 9728 §5.1).

use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use crate::error::OAuthError;
use crate::state::IdpState;
use crate::urls;

/// The `resource` the `prm-resource-mismatch` variant names instead of this server (RFC 9728 §3.3).
pub use crate::forge::OTHER_RESOURCE;

/// Scopes a resource server should not advertise: `offline_access` is the authorization server's
/// business (MCP 2026-07-28 Scope Selection Strategy).
const NOT_ADVERTISED: &[&str] = &["offline_access"];

/// Paths (on the MCP origin) where the document is served: only the custom path when one is set,
/// else the well-known ones the behaviour selects.
pub fn paths(state: &IdpState) -> Vec<String> {
    let b = &state.behaviour;
    if let Some(path) = &b.prm_custom_path {
        return vec![path.clone()];
    }
    let mut urls_served = Vec::new();
    if b.prm_at_path {
        urls_served.push(state.urls.prm_path_url());
    }
    if b.prm_at_root {
        urls_served.push(state.urls.prm_root_url());
    }
    let mut paths: Vec<String> = urls_served
        .iter()
        .filter_map(|u| urls::origin_and_path(u).ok())
        .map(|(_, path)| path)
        .collect();
    paths.dedup();
    paths
}

/// The `scopes_supported` of the document: `Config::prm_scopes_supported` as given, else
/// `Config::scopes_supported` without the authorization server's own scopes (with them under the
/// broken `Behaviour::prm_advertises_offline_access`).
fn scopes(state: &IdpState) -> Vec<&str> {
    let mut scopes: Vec<&str> = match &state.config.prm_scopes_supported {
        Some(scopes) => scopes.iter().map(String::as_str).collect(),
        None => state
            .config
            .scopes_supported
            .iter()
            .map(String::as_str)
            .filter(|s| !NOT_ADVERTISED.contains(s))
            .collect(),
    };
    if state.behaviour.prm_advertises_offline_access {
        for scope in NOT_ADVERTISED {
            if !scopes.contains(scope) {
                scopes.push(scope);
            }
        }
    }
    scopes
}

/// The RFC 9728 §2 document; `scopes_supported` is left out when there are none to list.
pub fn document(state: &IdpState) -> Value {
    let resource = if state.behaviour.prm_resource_mismatch {
        OTHER_RESOURCE.to_string()
    } else {
        state.urls.resource()
    };
    let authorization_servers = if state.behaviour.prm_empty_authorization_servers {
        Vec::new()
    } else if state.behaviour.prm_issuer_trailing_slash {
        vec![format!("{}/", state.urls.issuer())]
    } else {
        vec![state.urls.issuer()]
    };
    let mut doc = json!({
        "resource": resource,
        "authorization_servers": authorization_servers,
        "bearer_methods_supported": ["header"],
        "resource_name": "mcp-authlab mock MCP server",
    });
    let scopes = scopes(state);
    if !scopes.is_empty() {
        doc["scopes_supported"] = json!(scopes);
    }
    doc
}

/// `GET` of a well-known URL: the document as `application/json` (RFC 9728 §3.2), or as
/// `text/plain` with the broken `prm_wrong_content_type`.
pub async fn metadata(State(state): State<IdpState>) -> Response {
    let doc = document(&state);
    if state.behaviour.prm_wrong_content_type {
        return (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            doc.to_string(),
        )
            .into_response();
    }
    Json(doc).into_response()
}

/// `GET` of a well-known URL under `prm-redirected`: 307 to the document on the same origin.
pub async fn redirect(State(state): State<IdpState>) -> Response {
    let target = format!("{}{}", state.urls.mcp_origin, urls::PRM_REDIRECT_TARGET);
    (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, target)]).into_response()
}

/// A wrong method on a metadata URL: 405 with `Allow` and an OAuth error body.
pub async fn method_not_allowed() -> Response {
    let mut response = OAuthError::invalid_request(
        "method not allowed on protected resource metadata; use GET (RFC 9728 §3.1)",
    )
    .with_status(StatusCode::METHOD_NOT_ALLOWED)
    .into_response();
    response
        .headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mcp_server::test_support::*;
    use axum::body::Body;
    use axum::http::Request;

    const AT_PATH: &str = "/.well-known/oauth-protected-resource/mcp";
    const AT_ROOT: &str = "/.well-known/oauth-protected-resource";

    #[tokio::test]
    async fn the_redirected_variant_sends_the_well_known_url_to_the_document() {
        let state = IdpState::for_tests(&["prm-redirected"]);
        let response = get(&state, AT_PATH).await;
        assert_eq!(response.status(), StatusCode::TEMPORARY_REDIRECT);
        assert_eq!(
            response.headers()["location"],
            format!("{}{}", state.urls.mcp_origin, urls::PRM_REDIRECT_TARGET).as_str()
        );
        let response = get(&state, urls::PRM_REDIRECT_TARGET).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(json(response).await["resource"], state.urls.resource());
        // Without the variant there is nothing at the target.
        let plain = IdpState::for_tests(&[]);
        assert_eq!(
            get(&plain, urls::PRM_REDIRECT_TARGET).await.status(),
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn served_at_the_path_inserted_url_with_resource_and_issuer() {
        let state = IdpState::for_tests(&[]);
        let response = get(&state, AT_PATH).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        let doc = json(response).await;
        assert_eq!(doc["resource"], "http://127.0.0.1:2/mcp");
        assert_eq!(doc["authorization_servers"], json!(["http://127.0.0.1:1"]));
        assert_eq!(doc["scopes_supported"], json!(["mcp:tools", "mcp:admin"]));
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
        assert_eq!(get(&state, AT_ROOT).await.status(), StatusCode::NOT_FOUND);
    }

    use crate::config::Config;

    fn state_with(config: Config) -> IdpState {
        IdpState::for_tests_with(config, |_| {})
    }

    #[test]
    fn prm_scopes_override_and_empty_lists_are_left_out() {
        let own = state_with(Config {
            prm_scopes_supported: Some(vec!["mcp:basic".into(), "mcp:read".into()]),
            ..Config::default()
        });
        assert_eq!(
            document(&own)["scopes_supported"],
            json!(["mcp:basic", "mcp:read"])
        );
        let none = state_with(Config {
            prm_scopes_supported: Some(vec![]),
            ..Config::default()
        });
        assert!(document(&none).get("scopes_supported").is_none());
        let empty = state_with(Config {
            scopes_supported: vec![],
            ..Config::default()
        });
        let doc = document(&empty);
        assert!(doc.get("scopes_supported").is_none(), "{doc}");
        assert_eq!(doc["resource"], "http://127.0.0.1:2/mcp");
        // Only the AS's `offline_access` listed: nothing left for the resource to advertise.
        let offline = state_with(Config {
            scopes_supported: vec!["offline_access".into()],
            required_scope: None,
            step_up_scope: "offline_access".into(),
            ..Config::default()
        });
        assert!(document(&offline).get("scopes_supported").is_none());
    }

    #[tokio::test]
    async fn issuer_with_path_is_named_in_full() {
        let state = IdpState::for_tests(&["issuer-with-path"]);
        let doc = json(get(&state, AT_PATH).await).await;
        assert_eq!(
            doc["authorization_servers"],
            json!(["http://127.0.0.1:1/tenant1"])
        );
    }

    #[tokio::test]
    async fn root_only_variant_serves_only_the_root() {
        let state = IdpState::for_tests(&["prm-root-only"]);
        assert_eq!(get(&state, AT_ROOT).await.status(), StatusCode::OK);
        assert_eq!(get(&state, AT_PATH).await.status(), StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn missing_variant_serves_nothing() {
        for variant in ["prm-missing", "legacy-2025-03-26"] {
            let state = IdpState::for_tests(&[variant]);
            assert_eq!(get(&state, AT_ROOT).await.status(), StatusCode::NOT_FOUND);
            assert_eq!(get(&state, AT_PATH).await.status(), StatusCode::NOT_FOUND);
        }
    }

    #[tokio::test]
    async fn mismatch_variant_names_another_resource() {
        let state = IdpState::for_tests(&["prm-resource-mismatch"]);
        let doc = json(get(&state, AT_PATH).await).await;
        assert_eq!(doc["resource"], OTHER_RESOURCE);
        assert_ne!(doc["resource"], state.urls.resource());
    }

    #[tokio::test]
    async fn the_2026_variants_advertise_offline_access_or_name_the_issuer_with_a_slash() {
        let offline = IdpState::for_tests(&["prm-advertises-offline-access"]);
        let doc = json(get(&offline, AT_PATH).await).await;
        assert_eq!(
            doc["scopes_supported"],
            json!(["mcp:tools", "mcp:admin", "offline_access"])
        );
        assert_eq!(doc["authorization_servers"], json!(["http://127.0.0.1:1"]));
        let slash = IdpState::for_tests(&["prm-issuer-trailing-slash"]);
        let doc = json(get(&slash, AT_PATH).await).await;
        assert_eq!(doc["authorization_servers"], json!(["http://127.0.0.1:1/"]));
        assert_eq!(doc["scopes_supported"], json!(["mcp:tools", "mcp:admin"]));
    }

    const CUSTOM: &str = "/custom/metadata/location.json";

    fn custom(b: &mut crate::Behaviour) {
        b.prm_custom_path = Some(CUSTOM.into());
    }

    #[tokio::test]
    async fn custom_path_is_the_only_place_served_and_the_one_challenged() {
        let state = IdpState::for_tests_with(Config::default(), custom);
        let response = get(&state, CUSTOM).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "application/json");
        let doc = json(response).await;
        assert_eq!(doc["resource"], "http://127.0.0.1:2/mcp");
        assert_eq!(doc["authorization_servers"], json!(["http://127.0.0.1:1"]));
        for other in [
            AT_PATH,
            AT_ROOT,
            "/custom/metadata",
            "/custom/metadata/location.json/",
        ] {
            assert_eq!(
                get(&state, other).await.status(),
                StatusCode::NOT_FOUND,
                "{other}"
            );
        }
        // The 401 of the MCP endpoint names it.
        let response = rpc(&state, None, &ping()).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge(&response)["resource_metadata"],
            format!("http://127.0.0.1:2{CUSTOM}")
        );
        // Even with both well-known switches on, only the custom path is served.
        let both = IdpState::for_tests_with(Config::default(), |b| {
            b.prm_custom_path = Some(CUSTOM.into());
            b.prm_at_root = true;
        });
        assert_eq!(get(&both, CUSTOM).await.status(), StatusCode::OK);
        assert_eq!(get(&both, AT_PATH).await.status(), StatusCode::NOT_FOUND);
        assert_eq!(get(&both, AT_ROOT).await.status(), StatusCode::NOT_FOUND);
        let response = send(&both, Request::post(CUSTOM).body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    }

    #[test]
    fn a_bad_custom_path_is_refused_when_the_state_is_built() {
        let urls = crate::urls::Urls::new(
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
            None,
            &crate::Behaviour::default(),
        );
        for bad in ["/{x}", "/mcp", "no-slash"] {
            let behaviour = crate::Behaviour {
                prm_custom_path: Some(bad.into()),
                ..crate::Behaviour::default()
            };
            let error = IdpState::new(Config::default(), behaviour, urls.clone())
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert!(error.to_string().contains("prm_custom_path"), "{error}");
        }
    }

    #[tokio::test]
    async fn wrong_method_is_405_and_preflight_is_answered() {
        let state = IdpState::for_tests(&[]);
        let response = send(&state, Request::post(AT_PATH).body(Body::empty()).unwrap()).await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()["allow"], "GET, HEAD");
        assert_eq!(json(response).await["error"], "invalid_request");

        let response = send(
            &state,
            Request::options(AT_PATH).body(Body::empty()).unwrap(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
    }
}
