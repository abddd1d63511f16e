//! Token endpoint requests (OAuth 2.1 §3.2): a form POST with the client's authentication, and the
//! token response (§3.2.3).

use serde_json::Value;

use crate::as_metadata::AuthServer;
use crate::breaks::Breaks;
use crate::client_auth::ClientCredentials;
use crate::error::{ClientError, Result};
use crate::log;

#[derive(Clone, PartialEq, Eq)]
pub struct TokenSet {
    pub access_token: String,
    pub refresh_token: Option<String>,
    pub scope: Option<String>,
}

impl std::fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &log::secret(&self.access_token))
            .field(
                "refresh_token",
                &self.refresh_token.as_deref().map(log::secret),
            )
            .field("scope", &self.scope)
            .finish()
    }
}

/// Form fields, in order.
pub type Form = Vec<(String, String)>;

pub fn field(form: &mut Form, name: &str, value: &str) {
    form.push((name.to_string(), value.to_string()));
}

/// POSTs `form` (plus the client authentication) to the token endpoint.
pub async fn request(
    http: &reqwest::Client,
    server: &AuthServer,
    client: &ClientCredentials,
    mut form: Form,
    breaks: &Breaks,
) -> Result<TokenSet> {
    let grant = form
        .iter()
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.clone())
        .unwrap_or_default();
    let endpoint = &server.token_endpoint;
    let request = http.post(endpoint).header("accept", "application/json");
    let request = client.apply(request, &mut form, &server.issuer, breaks)?;
    let response = request
        .form(&form)
        .send()
        .await
        .map_err(ClientError::http(format!("POST {endpoint} ({grant})")))?;
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    log::step(format!(
        "POST {endpoint} (grant_type={grant}, client auth {}) -> {}",
        client.effective_method(breaks).name(),
        status.as_u16()
    ));
    if !status.is_success() {
        return Err(ClientError::Protocol(format!(
            "the token request ({grant}) failed with {status}: {} {}",
            body["error"].as_str().unwrap_or(""),
            body["error_description"].as_str().unwrap_or("")
        )));
    }
    let tokens = parse_response(&body)?;
    log::step(format!(
        "got access token {}{}{}",
        log::secret(&tokens.access_token),
        tokens
            .refresh_token
            .as_deref()
            .map(|r| format!(", refresh token {}", log::secret(r)))
            .unwrap_or_default(),
        tokens
            .scope
            .as_deref()
            .map(|s| format!(", scope `{s}`"))
            .unwrap_or_default()
    ));
    Ok(tokens)
}

pub fn parse_response(body: &Value) -> Result<TokenSet> {
    let access_token = body["access_token"]
        .as_str()
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ClientError::Protocol("the token response has no access_token".into()))?;
    if let Some(kind) = body["token_type"].as_str() {
        if !kind.eq_ignore_ascii_case("bearer") {
            return Err(ClientError::Protocol(format!(
                "token_type `{kind}` is not Bearer"
            )));
        }
    }
    Ok(TokenSet {
        access_token: access_token.to_string(),
        refresh_token: body["refresh_token"].as_str().map(String::from),
        scope: body["scope"].as_str().map(String::from),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn token_responses() {
        let t = parse_response(
            &json!({"access_token": "a", "token_type": "bearer", "refresh_token": "r"}),
        )
        .unwrap();
        assert_eq!(t.refresh_token.as_deref(), Some("r"));
        assert!(!format!("{t:?}").contains("\"a\""));
        assert!(parse_response(&json!({"token_type": "Bearer"})).is_err());
        assert!(parse_response(&json!({"access_token": "a", "token_type": "DPoP"})).is_err());
    }
}
