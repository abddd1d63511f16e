//! How the client gets a client_id (MCP 2025-11-25 "Client Registration Approaches", in priority
//! order): pre-registered credentials from the context, a client ID metadata document URL when the
//! authorization server supports them, else dynamic client registration (RFC 7591).

use serde_json::{json, Value};

use crate::as_metadata::AuthServer;
use crate::breaks::{Break, Breaks};
use crate::client_auth::{AuthMethod, ClientCredentials};
use crate::context::Context;
use crate::error::{ClientError, Result};
use crate::log;

/// The client ID metadata document URL of the official conformance clients (nobody serves it).
pub const CIMD_CLIENT_ID: &str = "https://conformance-test.local/client-metadata.json";
pub const CLIENT_NAME: &str = "authlab-test-client";

pub async fn obtain(
    http: &reqwest::Client,
    context: &Context,
    server: &AuthServer,
    redirect_uri: &str,
    breaks: &Breaks,
) -> Result<ClientCredentials> {
    if let Some(client_id) = &context.client_id {
        if breaks.has(Break::RegisterDespiteCredentials) {
            log::step("BREAK register-despite-credentials: ignoring the context's client_id");
        } else {
            log::step(format!("using the pre-registered client `{client_id}`"));
            return Ok(pre_registered(context, client_id));
        }
    }
    if server.cimd_supported {
        if breaks.has(Break::NoCimd) {
            log::step(
                "BREAK no-cimd: the AS supports client ID metadata documents; registering anyway",
            );
        } else {
            log::step(format!(
                "using the client ID metadata document `{CIMD_CLIENT_ID}`"
            ));
            return Ok(ClientCredentials {
                client_id: CIMD_CLIENT_ID.to_string(),
                client_secret: None,
                method: AuthMethod::None,
                private_key_pem: None,
            });
        }
    }
    let Some(endpoint) = &server.registration_endpoint else {
        return Err(ClientError::Protocol(
            "no way to get a client_id: no credentials in the context, no client ID metadata \
             document support and no registration_endpoint"
                .into(),
        ));
    };
    register(http, endpoint, redirect_uri, breaks).await
}

/// Context credentials: `client_secret_basic` with a secret, `none` without.
fn pre_registered(context: &Context, client_id: &str) -> ClientCredentials {
    ClientCredentials {
        client_id: client_id.to_string(),
        client_secret: context.client_secret.clone(),
        method: if context.client_secret.is_some() {
            AuthMethod::ClientSecretBasic
        } else {
            AuthMethod::None
        },
        private_key_pem: None,
    }
}

/// The RFC 7591 §2 metadata the client registers, with the `application_type` of OpenID Connect
/// Dynamic Client Registration §2 that MCP 2026-07-28 requires (SEP-837): `native`, a command-line
/// client with a loopback redirect URI.
pub fn client_metadata(redirect_uri: &str, breaks: &Breaks) -> Value {
    let mut metadata = json!({
        "client_name": CLIENT_NAME,
        "redirect_uris": [redirect_uri],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
        "application_type": "native",
    });
    if breaks.has(Break::NoApplicationType) {
        log::step("BREAK no-application-type: registering without application_type");
        metadata
            .as_object_mut()
            .map(|m| m.remove("application_type"));
    } else if breaks.has(Break::ApplicationTypeWeb) {
        log::step("BREAK application-type-web: registering as a web application");
        metadata["application_type"] = json!("web");
    }
    metadata
}

/// The same metadata as `application/x-www-form-urlencoded` pairs (`dcr-form-encoded`).
fn form_pairs(metadata: &Value) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    for (key, value) in metadata.as_object().into_iter().flatten() {
        match value {
            Value::Array(items) => {
                for item in items.iter().filter_map(Value::as_str) {
                    pairs.push((key.clone(), item.to_string()));
                }
            }
            Value::String(s) => pairs.push((key.clone(), s.clone())),
            other => pairs.push((key.clone(), other.to_string())),
        }
    }
    pairs
}

async fn register(
    http: &reqwest::Client,
    endpoint: &str,
    redirect_uri: &str,
    breaks: &Breaks,
) -> Result<ClientCredentials> {
    let metadata = client_metadata(redirect_uri, breaks);
    let request = http.post(endpoint).header("accept", "application/json");
    let request = if breaks.has(Break::DcrFormEncoded) {
        log::step("BREAK dcr-form-encoded: registering with a form body");
        request.form(&form_pairs(&metadata))
    } else {
        request.json(&metadata)
    };
    let response = request
        .send()
        .await
        .map_err(ClientError::http(format!("POST {endpoint} (registration)")))?;
    let status = response.status();
    log::step(format!(
        "POST {endpoint} (dynamic client registration) -> {}",
        status.as_u16()
    ));
    let body: Value = response.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        return Err(ClientError::Protocol(format!(
            "registration failed with {status}: {} {}",
            body["error"].as_str().unwrap_or(""),
            body["error_description"].as_str().unwrap_or("")
        )));
    }
    credentials_from_response(&body)
}

/// RFC 7591 §3.2.1. An omitted `token_endpoint_auth_method` is `client_secret_basic` (RFC 7591 §2)
/// when a secret was issued; without one the only usable method is `none`.
pub fn credentials_from_response(body: &Value) -> Result<ClientCredentials> {
    let client_id = body["client_id"]
        .as_str()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ClientError::Protocol("the registration response has no client_id".into()))?
        .to_string();
    let client_secret = body["client_secret"].as_str().map(String::from);
    let method = match body["token_endpoint_auth_method"].as_str() {
        Some(name) => AuthMethod::from_name(name).ok_or_else(|| {
            ClientError::Protocol(format!(
                "registered token_endpoint_auth_method `{name}` is not supported"
            ))
        })?,
        None if client_secret.is_some() => AuthMethod::ClientSecretBasic,
        None => AuthMethod::None,
    };
    if matches!(
        method,
        AuthMethod::ClientSecretBasic | AuthMethod::ClientSecretPost
    ) && client_secret.is_none()
    {
        return Err(ClientError::Protocol(format!(
            "registered with {} but no client_secret was issued",
            method.name()
        )));
    }
    log::step(format!(
        "registered client `{client_id}` ({})",
        method.name()
    ));
    Ok(ClientCredentials {
        client_id,
        client_secret,
        method,
        private_key_pem: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registration_response_methods() {
        let c =
            credentials_from_response(&json!({"client_id": "a", "client_secret": "s"})).unwrap();
        assert_eq!(c.method, AuthMethod::ClientSecretBasic);
        let c = credentials_from_response(&json!({"client_id": "a"})).unwrap();
        assert_eq!(c.method, AuthMethod::None);
        let c = credentials_from_response(
            &json!({"client_id": "a", "client_secret": "s", "token_endpoint_auth_method": "client_secret_post"}),
        )
        .unwrap();
        assert_eq!(c.method, AuthMethod::ClientSecretPost);
        assert!(credentials_from_response(&json!({"client_secret": "s"})).is_err());
        assert!(credentials_from_response(
            &json!({"client_id": "a", "token_endpoint_auth_method": "client_secret_basic"})
        )
        .is_err());
    }

    #[test]
    fn pre_registered_method_follows_the_secret() {
        let with_secret = Context {
            client_id: Some("c".into()),
            client_secret: Some("s".into()),
            ..Context::default()
        };
        assert_eq!(
            pre_registered(&with_secret, "c").method,
            AuthMethod::ClientSecretBasic
        );
        let public = Context {
            client_id: Some("c".into()),
            ..Context::default()
        };
        assert_eq!(pre_registered(&public, "c").method, AuthMethod::None);
    }

    #[test]
    fn application_type_is_native_unless_broken() {
        let uri = "http://127.0.0.1:1/callback";
        assert_eq!(
            client_metadata(uri, &Breaks::default())["application_type"],
            "native"
        );
        let mut none = Breaks::default();
        none.insert(Break::NoApplicationType);
        assert!(client_metadata(uri, &none)
            .get("application_type")
            .is_none());
        let mut web = Breaks::default();
        web.insert(Break::ApplicationTypeWeb);
        assert_eq!(client_metadata(uri, &web)["application_type"], "web");
    }

    #[test]
    fn form_encoding_repeats_arrays() {
        let pairs = form_pairs(&client_metadata(
            "http://127.0.0.1:1/callback",
            &Breaks::default(),
        ));
        let grants: Vec<_> = pairs.iter().filter(|(k, _)| k == "grant_types").collect();
        assert_eq!(grants.len(), 2);
        assert!(pairs.contains(&("redirect_uris".into(), "http://127.0.0.1:1/callback".into())));
    }
}
