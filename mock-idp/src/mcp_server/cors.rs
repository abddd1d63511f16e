//! CORS for browser-based MCP clients (Fetch Standard §3.2): the protected resource metadata and the
//! MCP endpoint are readable from any origin, and their challenge and session headers are exposed.
//! Bearer tokens travel in `Authorization`, never in cookies, so `*` is safe here.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// Headers a browser client may send to `/mcp` (MCP Basic › Transports › Streamable HTTP).
const ALLOWED_HEADERS: &str =
    "Authorization, Content-Type, Accept, Mcp-Session-Id, MCP-Protocol-Version, Last-Event-ID";

/// Headers a browser client must be able to read: the challenge (RFC 9728 §5.1) and the session.
const EXPOSED_HEADERS: &str = "WWW-Authenticate, Mcp-Session-Id";

/// Middleware (`map_response`): adds `Access-Control-Allow-Origin: *` and the exposed headers.
pub async fn allow_any_origin(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSED_HEADERS),
    );
    response
}

/// Answers a CORS preflight (`OPTIONS`) without asking for credentials: browsers never send them
/// on a preflight.
pub async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (
                header::ACCESS_CONTROL_ALLOW_METHODS,
                "GET, POST, DELETE, OPTIONS",
            ),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOWED_HEADERS),
            (header::ACCESS_CONTROL_MAX_AGE, "600"),
        ],
    )
        .into_response()
}
