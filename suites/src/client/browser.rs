//! The headless user agent the client under test gets as `BROWSER`: it opens the authorization
//! URL, follows the redirects (the mock approves at once and redirects to the client's redirect
//! URI with the code) and stops when the redirect URI has answered, so a client listening on a
//! loopback port gets its callback as if a user had approved in a browser.
//!
//! It only ever talks to loopback hosts (`127.0.0.0/8`, `::1`, `localhost` pinned to `127.0.0.1`):
//! a redirect anywhere else is reported, never followed. No proxy, 5 s per request, at most
//! [`MAX_REDIRECTS`] redirects; `SSL_CERT_FILE` is the only trusted CA (the mock's with `--tls`).

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use mcp_authlab_mock_idp::urls::is_loopback_host;
use url::Url;

pub const MAX_REDIRECTS: usize = 10;
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);

/// Where the browsing ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowseOutcome {
    /// The URLs visited, in order (the first is the one opened).
    pub visited: Vec<String>,
    /// The status of the last response (the redirect URI's, when there was a redirect).
    pub status: u16,
}

impl BrowseOutcome {
    /// Whether at least one redirect was followed and its target answered: what a client waiting
    /// for its callback needs.
    pub fn reached_redirect_target(&self) -> bool {
        self.visited.len() > 1
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BrowseError {
    #[error("`{0}` is not an http(s) URL")]
    NotHttp(String),
    #[error("refusing to open `{0}`: the headless browser only talks to loopback hosts")]
    NotLoopback(String),
    #[error("more than {MAX_REDIRECTS} redirects, last `{0}`")]
    TooManyRedirects(String),
    #[error("`{url}` answered {status} with a Location the browser cannot follow: {reason}")]
    BadRedirect {
        url: String,
        status: u16,
        reason: String,
    },
    #[error("SSL_CERT_FILE {path}: {reason}")]
    Certificate { path: String, reason: String },
    #[error("request to `{url}` failed: {reason}")]
    Request { url: String, reason: String },
}

/// A URL with secrets in its query fingerprinted, for messages.
fn shown(url: &Url) -> String {
    mcp_authlab_mock_idp::redact::url(url.as_str())
}

fn check_loopback(url: &Url) -> Result<(), BrowseError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(BrowseError::NotHttp(shown(url)));
    }
    match url.host() {
        Some(host) if is_loopback_host(&host) => Ok(()),
        _ => Err(BrowseError::NotLoopback(shown(url))),
    }
}

fn http_client() -> Result<reqwest::Client, BrowseError> {
    let mut certificates = Vec::new();
    if let Some(path) = std::env::var_os("SSL_CERT_FILE") {
        let shown_path = path.to_string_lossy().into_owned();
        let pem = std::fs::read(&path).map_err(|e| BrowseError::Certificate {
            path: shown_path.clone(),
            reason: e.to_string(),
        })?;
        certificates =
            reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| BrowseError::Certificate {
                path: shown_path,
                reason: e.to_string(),
            })?;
    }
    reqwest::Client::builder()
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        // `localhost` never goes to DNS or /etc/hosts (the port of the URL is kept).
        .resolve("localhost", SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .tls_certs_only(certificates)
        .build()
        .map_err(|e| BrowseError::Request {
            url: String::new(),
            reason: e.to_string(),
        })
}

/// Opens `url` and follows its redirects on loopback hosts until a response is not a redirect.
pub async fn browse(url: &str) -> Result<BrowseOutcome, BrowseError> {
    let mut current = Url::parse(url).map_err(|_| BrowseError::NotHttp(url.to_string()))?;
    check_loopback(&current)?;
    let http = http_client()?;
    let mut visited = vec![shown(&current)];
    loop {
        let response =
            http.get(current.clone())
                .send()
                .await
                .map_err(|e| BrowseError::Request {
                    url: shown(&current),
                    reason: error_chain(&e),
                })?;
        let status = response.status();
        if !status.is_redirection() {
            return Ok(BrowseOutcome {
                visited,
                status: status.as_u16(),
            });
        }
        let bad = |reason: &str| BrowseError::BadRedirect {
            url: shown(&current),
            status: status.as_u16(),
            reason: reason.to_string(),
        };
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .ok_or_else(|| bad("no Location header"))?
            .to_str()
            .map_err(|_| bad("not text"))?;
        let next = current
            .join(location)
            .map_err(|e| bad(&format!("not a URL ({e})")))?;
        check_loopback(&next)?;
        if visited.len() > MAX_REDIRECTS {
            return Err(BrowseError::TooManyRedirects(shown(&next)));
        }
        visited.push(shown(&next));
        current = next;
    }
}

/// The error and its sources ("connection refused" is usually in a source).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::Redirect;
    use axum::routing::get;
    use axum::Router;

    async fn serve(router: Router) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{addr}")
    }

    #[tokio::test]
    async fn follows_loopback_redirects_to_the_callback() {
        let callback = serve(Router::new().route("/callback", get(|| async { "done" }))).await;
        let target = format!("{callback}/callback?code=SECRET&state=s1");
        let localhost_target = target.replace("127.0.0.1", "localhost");
        let authorize = serve(Router::new().route(
            "/authorize",
            get(move || async move { Redirect::to(&localhost_target) }),
        ))
        .await;
        let outcome = browse(&format!("{authorize}/authorize?state=s1"))
            .await
            .unwrap();
        assert_eq!(outcome.status, 200);
        assert!(outcome.reached_redirect_target());
        assert_eq!(outcome.visited.len(), 2);
        assert!(
            !outcome.visited[1].contains("SECRET"),
            "{:?}",
            outcome.visited
        );
    }

    #[tokio::test]
    async fn never_leaves_loopback() {
        let authorize = serve(Router::new().route(
            "/authorize",
            get(|| async { Redirect::to("http://example.com/callback?code=x") }),
        ))
        .await;
        let error = browse(&format!("{authorize}/authorize")).await.unwrap_err();
        assert!(matches!(error, BrowseError::NotLoopback(_)), "{error}");
        for url in [
            "http://example.com/authorize",
            "http://10.0.0.1/authorize",
            "http://localhost.example.com/",
        ] {
            assert!(
                matches!(browse(url).await, Err(BrowseError::NotLoopback(_))),
                "{url}"
            );
        }
        assert!(matches!(
            browse("myapp://callback").await,
            Err(BrowseError::NotHttp(_))
        ));
    }

    #[tokio::test]
    async fn loops_and_dead_callbacks_are_errors() {
        let looping =
            serve(Router::new().route("/loop", get(|| async { Redirect::to("/loop") }))).await;
        assert!(matches!(
            browse(&format!("{looping}/loop")).await,
            Err(BrowseError::TooManyRedirects(_))
        ));
        // A port nobody listens on (bound, then closed).
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let error = browse(&format!("http://{closed}/callback"))
            .await
            .unwrap_err();
        assert!(matches!(error, BrowseError::Request { .. }), "{error}");
    }

    #[tokio::test]
    async fn an_answer_without_redirect_is_not_a_callback() {
        let page = serve(Router::new().route("/authorize", get(|| async { "login page" }))).await;
        let outcome = browse(&format!("{page}/authorize")).await.unwrap();
        assert_eq!(outcome.status, 200);
        assert!(!outcome.reached_redirect_target());
    }
}
