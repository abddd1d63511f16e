//! An authorization server migration (MCP 2026-07-28 Client Registration, Authorization Server
//! Binding; RFC 9728 §5.2), switched on by `Behaviour::authorization_server_migration`.
//!
//! A second authorization server lives on the same origin below the first one's issuer: issuer
//! `{issuer}/migrated-as`, its own endpoints and metadata (RFC 8414 §3.1 path insertion), its own
//! store, so it knows none of the clients, codes or refresh tokens of the first. The MCP origin
//! serves the first deployment until it has accepted a first request with an access token; from
//! then on it serves the second one: the protected resource metadata names the second issuer,
//! and only that issuer's access tokens are accepted (a token of the first gets 401
//! `invalid_token`, whose challenge sends the client back to the metadata). The MCP sessions
//! opened before the switch are carried over, so the switch is visible only in the authorization.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, Method};
use axum::response::Response;
use axum::Router;
use tower::ServiceExt;

use crate::state::{IdpState, Inner};
use crate::store::Store;
use crate::trace::TraceLog;
use crate::urls::Urls;

/// The path segment, below the first issuer, of the second authorization server.
pub const SECOND_ISSUER_SEGMENT: &str = "migrated-as";

/// The issuer of the authorization server the deployment migrates to: `{issuer}/migrated-as`.
pub fn second_issuer(urls: &Urls) -> String {
    format!("{}/{SECOND_ISSUER_SEGMENT}", urls.issuer())
}

/// The second authorization server's state: the first one's config, keys, origins and HTTP
/// client, the issuer [`second_issuer`], an empty store (no pre-registered clients: credentials
/// belong to the authorization server that issued them) and its own trace (unused: the listener's
/// trace records every request), not migrating itself.
pub fn second_state(state: &IdpState) -> IdpState {
    let mut behaviour = state.behaviour.clone();
    behaviour.authorization_server_migration = false;
    let path = format!(
        "{}/{SECOND_ISSUER_SEGMENT}",
        state.urls.issuer_path.trim_matches('/')
    );
    behaviour.issuer_path = Some(path.trim_start_matches('/').to_string());
    let urls = Urls::new(
        state.urls.as_origin.clone(),
        state.urls.mcp_origin.clone(),
        state.urls.metadata_origin.clone(),
        &behaviour,
    );
    IdpState(Arc::new(Inner {
        config: state.config.clone(),
        behaviour,
        urls,
        keys: Arc::clone(&state.keys),
        store: Store::default(),
        trace: TraceLog::default(),
        http: state.http.clone(),
    }))
}

/// The MCP origin of a migrating deployment: the first deployment's MCP server until it answers
/// a request that carried an `Authorization` header with a 2xx, the second's afterwards.
pub fn mcp_app(state: &IdpState) -> Router {
    let second = second_state(state);
    let switch = Switch {
        first_state: state.clone(),
        first: crate::mcp_server::app(state.clone()),
        second: crate::mcp_server::app(second.clone()),
        second_state: second,
        migrated: Arc::new(AtomicBool::new(false)),
    };
    Router::new().fallback(move |request: Request| {
        let switch = switch.clone();
        async move { switch.serve(request).await }
    })
}

#[derive(Clone)]
struct Switch {
    first_state: IdpState,
    second_state: IdpState,
    first: Router,
    second: Router,
    migrated: Arc<AtomicBool>,
}

impl Switch {
    async fn serve(&self, request: Request) -> Response {
        if self.migrated.load(Ordering::SeqCst) {
            return answer(self.second.clone(), request).await;
        }
        let with_token = request.method() != Method::OPTIONS
            && request.headers().contains_key(header::AUTHORIZATION);
        let response = answer(self.first.clone(), request).await;
        if with_token
            && response.status().is_success()
            && !self.migrated.swap(true, Ordering::SeqCst)
        {
            self.carry_sessions();
        }
        response
    }

    /// The sessions the first MCP server opened stay valid on the second.
    fn carry_sessions(&self) {
        let opened = self.first_state.store.mcp_sessions.lock().unwrap().clone();
        self.second_state
            .store
            .mcp_sessions
            .lock()
            .unwrap()
            .extend(opened);
    }
}

async fn answer(router: Router, request: Request) -> Response {
    match router.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use serde_json::json;

    use super::*;
    use crate::access_token::{mint, Grant};
    use crate::authorization_server::test_support::{get, json as body_json, send};

    fn migrating() -> IdpState {
        IdpState::for_tests(&["authorization-server-migration"])
    }

    async fn token_of(state: &IdpState) -> String {
        let grant = Grant {
            subject: "test-user".into(),
            client_id: "test-client".into(),
            scopes: vec!["mcp:tools".into()],
            resource: Some(state.urls.resource()),
        };
        mint(state, &grant).await.unwrap().0
    }

    fn mcp_request(token: &str) -> Request<Body> {
        Request::post("/mcp")
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "application/json, text/event-stream")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(Body::from(
                json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).to_string(),
            ))
            .unwrap()
    }

    async fn prm_servers(app: &Router) -> serde_json::Value {
        let response = answer(
            app.clone(),
            Request::get("/.well-known/oauth-protected-resource/mcp")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        body_json(response).await["authorization_servers"].clone()
    }

    #[test]
    fn the_second_issuer_is_below_the_first() {
        let state = migrating();
        let second = second_state(&state);
        assert_eq!(second.urls.issuer(), "http://127.0.0.1:1/migrated-as");
        assert_eq!(second.urls.issuer(), second_issuer(&state.urls));
        assert_eq!(second.urls.mcp_url(), state.urls.mcp_url());
        assert!(!second.behaviour.authorization_server_migration);
        let tenant = IdpState::for_tests(&["issuer-with-path", "authorization-server-migration"]);
        assert_eq!(
            second_state(&tenant).urls.issuer(),
            "http://127.0.0.1:1/tenant1/migrated-as"
        );
    }

    #[tokio::test]
    async fn both_authorization_servers_answer_with_their_own_issuer_and_clients() {
        let state = migrating();
        let first = body_json(get(&state, "/.well-known/oauth-authorization-server").await).await;
        assert_eq!(first["issuer"], "http://127.0.0.1:1");
        assert_eq!(first["client_id_metadata_document_supported"], false);
        let second = body_json(
            get(
                &state,
                "/.well-known/oauth-authorization-server/migrated-as",
            )
            .await,
        )
        .await;
        assert_eq!(second["issuer"], "http://127.0.0.1:1/migrated-as");
        assert_eq!(
            second["registration_endpoint"],
            "http://127.0.0.1:1/migrated-as/register"
        );

        // A client registered with the first is unknown to the second.
        let registered = send(
            &state,
            Request::post("/register")
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(
                    json!({"redirect_uris": ["http://127.0.0.1:3000/callback"],
                           "token_endpoint_auth_method": "none"})
                    .to_string(),
                ))
                .unwrap(),
        )
        .await;
        assert_eq!(registered.status(), StatusCode::CREATED);
        let client_id = body_json(registered).await["client_id"]
            .as_str()
            .unwrap()
            .to_string();
        let query = format!(
            "response_type=code&client_id={client_id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcallback\
             &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
        );
        let at_first = get(&state, &format!("/authorize?{query}")).await;
        assert_eq!(at_first.status(), StatusCode::FOUND);
        let at_second = get(&state, &format!("/migrated-as/authorize?{query}")).await;
        assert_ne!(at_second.status(), StatusCode::FOUND);

        // Without the switch there is no second authorization server.
        let plain = IdpState::for_tests(&[]);
        assert_eq!(
            get(
                &plain,
                "/.well-known/oauth-authorization-server/migrated-as"
            )
            .await
            .status(),
            StatusCode::NOT_FOUND
        );
    }

    #[tokio::test]
    async fn the_mcp_server_switches_after_the_first_accepted_token() {
        let state = migrating();
        let app = mcp_app(&state);
        let old = token_of(&state).await;
        let new = token_of(&second_state(&state)).await;
        assert_eq!(prm_servers(&app).await, json!(["http://127.0.0.1:1"]));

        // A token of the second is not accepted before the switch, and does not switch it.
        let early = answer(app.clone(), mcp_request(&new)).await;
        assert_eq!(early.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(prm_servers(&app).await, json!(["http://127.0.0.1:1"]));

        let accepted = answer(app.clone(), mcp_request(&old)).await;
        assert_eq!(accepted.status(), StatusCode::OK);
        assert_eq!(
            prm_servers(&app).await,
            json!(["http://127.0.0.1:1/migrated-as"])
        );
        let stale = answer(app.clone(), mcp_request(&old)).await;
        assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
        let challenge = stale.headers()[header::WWW_AUTHENTICATE].to_str().unwrap();
        assert!(challenge.contains("invalid_token"), "{challenge}");
        assert!(challenge.contains("resource_metadata"), "{challenge}");
        let fresh = answer(app.clone(), mcp_request(&new)).await;
        assert_eq!(fresh.status(), StatusCode::OK);
    }
}
