//! CORS for browser-based MCP clients (Fetch Standard §3.2): a client running in a web page reads
//! the metadata and the JWKS, registers (RFC 7591) and redeems codes at the token endpoint from
//! another origin. Client credentials travel in `Authorization` or the body, never in cookies, so
//! `*` is safe here (as on the protected MCP server).

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Headers a browser client may send (`Authorization` for client_secret_basic, `Content-Type`
/// for the JSON of DCR and the form of the token endpoint).
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, Accept";

/// Middleware (`map_response`): every answer of the authorization server is readable cross-origin.
pub async fn allow_any_origin(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    response
}

/// Answers a CORS preflight (`OPTIONS`): browsers never send credentials on one.
pub async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, POST, OPTIONS"),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS),
            (header::ACCESS_CONTROL_MAX_AGE, "600"),
        ],
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::{Method, Request, StatusCode};
    use tower::ServiceExt;

    use crate::state::IdpState;

    async fn send(method: Method, path: &str) -> axum::response::Response {
        let state = IdpState::for_tests(&[]);
        super::super::app(state)
            .oneshot(
                Request::builder()
                    .method(method)
                    .uri(path)
                    .header("origin", "http://localhost:6274")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn metadata_and_errors_are_readable_cross_origin_and_preflights_pass() {
        let metadata = send(Method::GET, "/.well-known/oauth-authorization-server").await;
        assert_eq!(metadata.status(), StatusCode::OK);
        assert_eq!(metadata.headers()["access-control-allow-origin"], "*");
        let error = send(Method::POST, "/token").await;
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        assert_eq!(error.headers()["access-control-allow-origin"], "*");
        let preflight = send(Method::OPTIONS, "/register").await;
        assert_eq!(preflight.status(), StatusCode::NO_CONTENT);
        assert!(preflight.headers()["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("Content-Type"));
        // Other wrong methods still get the OAuth error.
        assert_eq!(
            send(Method::PUT, "/register").await.status(),
            StatusCode::METHOD_NOT_ALLOWED
        );
    }
}
