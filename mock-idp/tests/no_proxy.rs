//! The mock's outgoing requests never go through a proxy, whatever the environment says.
//!
//! This file holds ONE test on purpose: it sets the proxy variables for its whole process (they
//! are process-global), before any HTTP client is built.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use mcp_authlab_mock_idp::{Deployment, Options};

/// A "proxy" that counts the connections it gets and drops each at once.
async fn counting_proxy() -> (SocketAddr, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            seen.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (addr, count)
}

#[tokio::test]
async fn outgoing_requests_ignore_proxy_environment_variables() {
    let (proxy, connections) = counting_proxy().await;
    let proxy_url = format!("http://{proxy}");
    for name in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        std::env::set_var(name, &proxy_url);
    }
    for name in ["NO_PROXY", "no_proxy", "REQUEST_METHOD"] {
        std::env::remove_var(name);
    }

    for tls in [false, true] {
        let deployment = Deployment::start(Options {
            tls,
            ..Options::default()
        })
        .await
        .unwrap();
        // The client the mock uses for client ID metadata documents and JWKS URIs.
        let http = &deployment.state().http;
        let url = &deployment.ready().authorization_server_metadata_url;
        let response = http
            .get(url)
            .send()
            .await
            .unwrap_or_else(|e| panic!("tls={tls}: {url}: {e}"));
        assert_eq!(response.status(), 200, "tls={tls}");
        deployment.shutdown().await;
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        0,
        "a request went to the proxy"
    );
}
