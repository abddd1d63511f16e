//! The one HTTP client of a run: no proxy, no redirects followed, a 10 s timeout on every request,
//! and, when `SSL_CERT_FILE` names a PEM file, that CA as the only trust anchor.

use std::time::Duration;

use reqwest::{Certificate, StatusCode};
use serde_json::Value;

use crate::error::{ClientError, Result};
use crate::log;

pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Builds the client. `ca_file` is the PEM bundle to trust exclusively (`SSL_CERT_FILE`); without
/// one the platform's trust store is used.
pub fn client(ca_file: Option<&str>) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(REQUEST_TIMEOUT)
        .connect_timeout(REQUEST_TIMEOUT)
        .user_agent(concat!("authlab-test-client/", env!("CARGO_PKG_VERSION")));
    if let Some(path) = ca_file {
        let pem = std::fs::read(path)
            .map_err(|e| ClientError::Config(format!("cannot read SSL_CERT_FILE {path}: {e}")))?;
        let certs = Certificate::from_pem_bundle(&pem).map_err(|e| {
            ClientError::Config(format!(
                "SSL_CERT_FILE {path} holds no usable PEM certificate: {e}"
            ))
        })?;
        if certs.is_empty() {
            return Err(ClientError::Config(format!(
                "SSL_CERT_FILE {path} holds no certificate"
            )));
        }
        log::step(format!(
            "trusting only the {} CA certificate(s) of SSL_CERT_FILE",
            certs.len()
        ));
        builder = builder.tls_certs_only(certs);
    }
    builder
        .build()
        .map_err(ClientError::http("building the HTTP client"))
}

/// What a GET of a metadata document gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Document {
    Found(Value),
    /// Any non-200 answer, with its status.
    Missing(StatusCode),
}

/// GET of a JSON document (`what` names it in the log), optionally with a bearer token.
pub async fn get_document(
    http: &reqwest::Client,
    url: &str,
    what: &str,
    bearer: Option<&str>,
) -> Result<Document> {
    let mut request = http.get(url).header("accept", "application/json");
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request
        .send()
        .await
        .map_err(ClientError::http(format!("GET {url} ({what})")))?;
    let status = response.status();
    log::step(format!("GET {url} ({what}) -> {}", status.as_u16()));
    if status != StatusCode::OK {
        return Ok(Document::Missing(status));
    }
    let body = response
        .bytes()
        .await
        .map_err(ClientError::http(format!("reading {url}")))?;
    match serde_json::from_slice::<Value>(&body) {
        Ok(value @ Value::Object(_)) => Ok(Document::Found(value)),
        Ok(_) => Err(ClientError::Protocol(format!(
            "{what} at {url} is not a JSON object"
        ))),
        Err(e) => Err(ClientError::Protocol(format!(
            "{what} at {url} is not JSON: {e}"
        ))),
    }
}
