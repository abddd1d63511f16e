//! The loopback redirect target for a real browser (RFC 8252 §7.3): a listener on 127.0.0.1, port
//! 0, that hands the query of each `GET /callback` to the flow.

use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use axum::Router;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::error::{ClientError, Result};

pub struct CallbackListener {
    pub redirect_uri: String,
    queries: mpsc::Receiver<String>,
    server: JoinHandle<()>,
}

async fn callback(
    State(tx): State<mpsc::Sender<String>>,
    RawQuery(query): RawQuery,
) -> &'static str {
    let _ = tx.send(query.unwrap_or_default()).await;
    "authlab-test-client: authorization response received; you can close this window.\n"
}

impl CallbackListener {
    pub async fn start() -> Result<CallbackListener> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| ClientError::Config(format!("cannot listen on 127.0.0.1: {e}")))?;
        let addr = listener
            .local_addr()
            .map_err(|e| ClientError::Config(format!("listener address: {e}")))?;
        let (tx, queries) = mpsc::channel(4);
        let app = Router::new()
            .route("/callback", get(callback))
            .with_state(tx);
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(CallbackListener {
            redirect_uri: format!("http://{addr}/callback"),
            queries,
            server,
        })
    }

    /// The query string of the next callback, waiting at most `timeout`.
    pub async fn next(&mut self, timeout: Duration) -> Result<String> {
        match tokio::time::timeout(timeout, self.queries.recv()).await {
            Ok(Some(query)) => Ok(query),
            Ok(None) => Err(ClientError::Protocol(
                "the callback listener stopped".into(),
            )),
            Err(_) => Err(ClientError::Protocol(format!(
                "no authorization response reached {} within {} s",
                self.redirect_uri,
                timeout.as_secs()
            ))),
        }
    }
}

impl Drop for CallbackListener {
    fn drop(&mut self) {
        self.server.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delivers_the_query_of_a_callback() {
        let mut listener = CallbackListener::start().await.unwrap();
        assert!(listener.redirect_uri.starts_with("http://127.0.0.1:"));
        let url = format!("{}?code=c&state=s", listener.redirect_uri);
        let http = reqwest::Client::builder().no_proxy().build().unwrap();
        let status = http.get(&url).send().await.unwrap().status();
        assert_eq!(status, 200);
        assert_eq!(
            listener.next(Duration::from_secs(5)).await.unwrap(),
            "code=c&state=s"
        );
        assert!(listener.next(Duration::from_millis(50)).await.is_err());
    }
}
