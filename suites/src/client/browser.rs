//! The headless user agent the client under test gets as `BROWSER`: it opens the authorization
//! URL, follows the redirects (the mock approves at once and redirects to the client's redirect
//! URI with the code) and stops when the redirect URI has answered, so a client listening on a
//! loopback port gets its callback as if a user had approved in a browser.
//!
//! It only ever talks to loopback hosts (`127.0.0.0/8`, `::1`, `localhost` pinned to `127.0.0.1`
//! then `::1`, so a client listening on either gets its callback): a redirect anywhere else is
//! reported, never followed. No proxy, 5 s per request, at most [`MAX_REDIRECTS`] redirects;
//! `SSL_CERT_FILE` is the only trusted CA (the mock's with `--tls`).
//!
//! With [`DELIVERY_LOG_ENV`] set (the client suite sets it for every scenario), each redirect
//! target it reaches is recorded in that file, one line each (see [`Delivery`]), so the harness
//! knows whether the client's redirect URI got the callback.

use std::io::Write;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::time::Duration;

use mcp_authlab_mock_idp::urls::is_loopback_host;
use url::Url;

pub const MAX_REDIRECTS: usize = 10;
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// The environment variable naming the file [`browse_logged`] appends its [`Delivery`] lines to.
pub const DELIVERY_LOG_ENV: &str = "MCP_AUTHLAB_BROWSER_LOG";

/// The `User-Agent` of the headless browser: how the checks tell an authorization request it
/// made (on the client's behalf) from one the client made itself.
pub const USER_AGENT: &str = concat!("mcp-authlab-browse/", env!("CARGO_PKG_VERSION"));

/// A redirect target the browser reached, as one line of the delivery log:
/// `<status> <url>` when it answered (any HTTP status), `unanswered <url>` when the connection was
/// made and the request sent but no response came (closed, or [`REQUEST_TIMEOUT`]). The URL has
/// its secret parameters fingerprinted like the trace (`code=‹redacted:…›`). A target that could
/// not be connected to is not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The HTTP status of the answer; `None`: unanswered.
    pub status: Option<u16>,
    /// The redirect target, secrets fingerprinted.
    pub url: String,
}

impl Delivery {
    /// The log line (without line break).
    pub fn line(&self) -> String {
        match self.status {
            Some(status) => format!("{status} {}", self.url),
            None => format!("unanswered {}", self.url),
        }
    }

    /// A line of the log; `None` for anything else.
    pub fn parse(line: &str) -> Option<Delivery> {
        let (outcome, url) = line.trim_end().split_once(' ')?;
        let status = match outcome {
            "unanswered" => None,
            code => Some(
                code.parse::<u16>()
                    .ok()
                    .filter(|c| (100..600).contains(c))?,
            ),
        };
        Some(Delivery {
            status,
            url: url.to_string(),
        })
    }
}

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
    #[error("could not record the delivery in {path}: {reason}")]
    DeliveryLog { path: String, reason: String },
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
        .user_agent(USER_AGENT)
        .timeout(REQUEST_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        // `localhost` never goes to DNS or /etc/hosts (the port of the URL is kept); `::1` is
        // tried when nothing listens on `127.0.0.1` (Node ≥ 17 binds `localhost` to `::1`).
        .resolve_to_addrs(
            "localhost",
            &[
                SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                SocketAddr::from((Ipv6Addr::LOCALHOST, 0)),
            ],
        )
        .tls_certs_only(certificates)
        .build()
        .map_err(|e| BrowseError::Request {
            url: String::new(),
            reason: e.to_string(),
        })
}

/// Opens `url` and follows its redirects on loopback hosts until a response is not a redirect.
pub async fn browse(url: &str) -> Result<BrowseOutcome, BrowseError> {
    browse_logged(url, None).await
}

/// [`browse`], appending a [`Delivery`] line to `log` for each redirect target reached.
pub async fn browse_logged(url: &str, log: Option<&Path>) -> Result<BrowseOutcome, BrowseError> {
    let mut current = Url::parse(url).map_err(|_| BrowseError::NotHttp(url.to_string()))?;
    check_loopback(&current)?;
    let http = http_client()?;
    let mut visited = vec![shown(&current)];
    loop {
        let is_redirect_target = visited.len() > 1;
        let response = match http.get(current.clone()).send().await {
            Ok(response) => response,
            Err(e) => {
                if is_redirect_target && !e.is_connect() && !e.is_builder() {
                    record(
                        log,
                        Delivery {
                            status: None,
                            url: shown(&current),
                        },
                    )?;
                }
                return Err(BrowseError::Request {
                    url: shown(&current),
                    reason: error_chain(&e),
                });
            }
        };
        let status = response.status();
        if is_redirect_target {
            record(
                log,
                Delivery {
                    status: Some(status.as_u16()),
                    url: shown(&current),
                },
            )?;
        }
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

/// Appends the delivery's line to the log (one `write` of a whole line: lines of concurrent
/// browsers do not mix).
fn record(log: Option<&Path>, delivery: Delivery) -> Result<(), BrowseError> {
    let Some(path) = log else { return Ok(()) };
    let error = |e: std::io::Error| BrowseError::DeliveryLog {
        path: path.display().to_string(),
        reason: e.to_string(),
    };
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(error)?;
    file.write_all(format!("{}\n", delivery.line()).as_bytes())
        .map_err(error)
}

/// The deliveries recorded in a log (unreadable or missing: none; other lines are skipped).
pub fn read_deliveries(path: &Path) -> Vec<Delivery> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(Delivery::parse)
        .collect()
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
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("deliveries");
        let outcome = browse_logged(&format!("{authorize}/authorize?state=s1"), Some(&log))
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
        // The callback's delivery is recorded (not the authorization URL), without the code.
        let text = std::fs::read_to_string(&log).unwrap();
        let shown = format!(
            "{}?code={}&state=s1",
            callback.replace("127.0.0.1", "localhost") + "/callback",
            mcp_authlab_mock_idp::redact::fingerprint("SECRET")
        );
        assert_eq!(text, format!("200 {shown}\n"));
        assert_eq!(
            read_deliveries(&log),
            [Delivery {
                status: Some(200),
                url: shown
            }]
        );
    }

    #[tokio::test]
    async fn localhost_reaches_a_callback_listening_on_ipv6_only() {
        let Ok(listener) = tokio::net::TcpListener::bind("[::1]:0").await else {
            eprintln!("no IPv6 loopback here: not tested");
            return;
        };
        let port = listener.local_addr().unwrap().port();
        let router = Router::new().route("/callback", get(|| async { "done" }));
        tokio::spawn(async move { axum::serve(listener, router).await });
        let target = format!("http://localhost:{port}/callback?state=s1");
        let authorize = serve(Router::new().route(
            "/authorize",
            get(move || async move { Redirect::to(&target) }),
        ))
        .await;
        let outcome = browse(&format!("{authorize}/authorize")).await.unwrap();
        assert_eq!(outcome.status, 200);
        assert!(outcome.reached_redirect_target());
    }

    #[tokio::test]
    async fn a_callback_that_hangs_up_is_unanswered_and_a_closed_port_is_no_delivery() {
        // Reads the request, then closes the connection without answering.
        let hang_up = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let hang_up_addr = hang_up.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = hang_up.accept().await {
                let mut buffer = [0u8; 4096];
                let _ = tokio::io::AsyncReadExt::read(&mut stream, &mut buffer).await;
            }
        });
        let closed = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let dir = tempfile::tempdir().unwrap();
        for (name, target, expected) in [
            (
                "hang-up",
                format!("http://{hang_up_addr}/cb"),
                vec![format!("unanswered http://{hang_up_addr}/cb")],
            ),
            ("closed", format!("http://{closed}/cb"), vec![]),
        ] {
            let log = dir.path().join(name);
            let to = target.clone();
            let authorize = serve(
                Router::new().route("/authorize", get(move || async move { Redirect::to(&to) })),
            )
            .await;
            let error = browse_logged(&format!("{authorize}/authorize"), Some(&log))
                .await
                .unwrap_err();
            assert!(matches!(error, BrowseError::Request { .. }), "{error}");
            let lines: Vec<String> = read_deliveries(&log).iter().map(Delivery::line).collect();
            assert_eq!(lines, expected, "{target}");
        }
    }

    #[test]
    fn delivery_lines_round_trip() {
        for line in [
            "302 http://127.0.0.1:9/cb?state=s",
            "unanswered http://localhost:1/cb",
        ] {
            assert_eq!(Delivery::parse(line).unwrap().line(), line);
        }
        for junk in ["", "200", "abc http://x/", "999 http://x/"] {
            assert_eq!(Delivery::parse(junk), None, "{junk}");
        }
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
