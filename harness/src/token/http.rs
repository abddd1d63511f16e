//! The HTTP side of the token flows: one client with a per-request timeout that follows no
//! redirects, form posts with the client's authentication, and the reading of OAuth answers
//! (a JSON object on success, an `error` object otherwise: RFC 6749 §5.1/§5.2).

use std::time::Duration;

use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use serde_json::{Map, Value};

use super::error::{describe, TokenError};
use super::ClientCredentials;

/// Longest excerpt of an unexpected body quoted in an error.
const EXCERPT: usize = 200;

pub(crate) struct Http {
    client: reqwest::Client,
}

/// A response, read whole.
pub(crate) struct Answer {
    pub status: u16,
    pub json: Option<Value>,
    /// What the answer was when it is not JSON (or a redirect), for error messages.
    pub problem_if_not_json: String,
}

/// What an OAuth endpoint answered.
#[derive(Debug, PartialEq)]
pub(crate) enum OAuthAnswer {
    Success(Map<String, Value>),
    Error {
        status: u16,
        error: String,
        description: Option<String>,
    },
}

impl Http {
    pub fn new(request_timeout: Duration) -> Result<Self, TokenError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(request_timeout)
            .connect_timeout(request_timeout)
            .build()
            .map_err(|e| TokenError::HttpClient(describe(&e)))?;
        Ok(Self { client })
    }

    pub async fn get(&self, url: &str) -> Result<Answer, reqwest::Error> {
        let response = self
            .client
            .get(url)
            .header(ACCEPT, "application/json")
            .send()
            .await?;
        read(response).await
    }

    /// POSTs `form` to an OAuth endpoint: a public client adds its `client_id` to the form, a
    /// confidential one authenticates with `client_secret_basic` (RFC 6749 §2.3.1: id and secret
    /// form-urlencoded before Base64).
    pub async fn post_form(
        &self,
        endpoint: &'static str,
        url: &str,
        form: &[(&str, &str)],
        client: &ClientCredentials,
    ) -> Result<OAuthAnswer, TokenError> {
        let mut fields: Vec<(&str, &str)> = form.to_vec();
        let mut request = self.client.post(url).header(ACCEPT, "application/json");
        match client.secret() {
            Some(secret) => {
                request = request.basic_auth(form_encode(&client.id), Some(form_encode(secret)));
            }
            None => fields.push(("client_id", &client.id)),
        }
        let answer = match request.form(&fields).send().await {
            Ok(response) => read(response).await,
            Err(e) => Err(e),
        }
        .map_err(|e| TokenError::Transport {
            endpoint,
            url: url.to_string(),
            message: describe(&e),
        })?;
        classify(endpoint, url, answer)
    }
}

/// The most of an answer's body that is read (metadata and token answers are a few KiB).
const MAX_BODY: usize = 1024 * 1024;

async fn read(mut response: reqwest::Response) -> Result<Answer, reqwest::Error> {
    let status = response.status();
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_BODY {
            // Cut: the answer is not what an authorization server sends, and parses as nothing.
            bytes.truncate(MAX_BODY);
            break;
        }
    }
    let json = serde_json::from_slice::<Value>(&bytes).ok();
    let problem_if_not_json = if status.is_redirection() {
        format!(
            "a redirect to {} (not followed)",
            location.as_deref().unwrap_or("nowhere")
        )
    } else {
        let text = String::from_utf8_lossy(&bytes);
        let excerpt: String = text.chars().take(EXCERPT).collect();
        format!(
            "not JSON (Content-Type `{content_type}`): {:?}{}",
            excerpt,
            if text.chars().count() > EXCERPT {
                "…"
            } else {
                ""
            }
        )
    };
    Ok(Answer {
        status: status.as_u16(),
        json,
        problem_if_not_json,
    })
}

/// An object with a string `error` is an error answer whatever the status (some servers send
/// their device flow errors with 200); any other 2xx object is a success.
pub(crate) fn classify(
    endpoint: &'static str,
    url: &str,
    answer: Answer,
) -> Result<OAuthAnswer, TokenError> {
    let unexpected = |problem: String| TokenError::UnexpectedResponse {
        endpoint,
        url: url.to_string(),
        status: answer.status,
        problem,
    };
    let object = match answer.json {
        Some(Value::Object(object)) => object,
        Some(other) => {
            return Err(unexpected(format!(
                "a JSON {} where an object was expected",
                json_type(&other)
            )))
        }
        None => return Err(unexpected(answer.problem_if_not_json)),
    };
    if let Some(error) = object.get("error").and_then(Value::as_str) {
        return Ok(OAuthAnswer::Error {
            status: answer.status,
            error: error.to_string(),
            description: object
                .get("error_description")
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
    }
    if (200..300).contains(&answer.status) {
        Ok(OAuthAnswer::Success(object))
    } else {
        Err(unexpected(
            "an error status without an OAuth `error` member (RFC 6749 §5.2)".into(),
        ))
    }
}

pub(crate) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
fn form_encode(value: &str) -> String {
    url::form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answer(status: u16, json: Option<Value>) -> Answer {
        Answer {
            status,
            json,
            problem_if_not_json: "not JSON".into(),
        }
    }

    #[test]
    fn success_and_error_objects() {
        let ok = classify("token endpoint", "u", answer(200, Some(json!({"a": 1})))).unwrap();
        assert!(matches!(ok, OAuthAnswer::Success(m) if m["a"] == 1));
        let error = json!({"error": "slow_down", "error_description": "wait"});
        assert_eq!(
            classify("token endpoint", "u", answer(400, Some(error.clone()))).unwrap(),
            OAuthAnswer::Error {
                status: 400,
                error: "slow_down".into(),
                description: Some("wait".into())
            }
        );
        // GitHub-style: an error with 200 is still an error.
        assert!(matches!(
            classify("token endpoint", "u", answer(200, Some(error))).unwrap(),
            OAuthAnswer::Error { status: 200, .. }
        ));
    }

    #[test]
    fn non_json_arrays_and_bare_error_statuses_are_unexpected() {
        for (status, json) in [
            (200, None),
            (200, Some(json!([1]))),
            (500, Some(json!({"message": "boom"}))),
        ] {
            let e = classify("token endpoint", "http://x/token", answer(status, json)).unwrap_err();
            assert!(
                matches!(e, TokenError::UnexpectedResponse { status: s, .. } if s == status),
                "{e}"
            );
        }
    }

    #[test]
    fn basic_credentials_are_form_encoded_first() {
        assert_eq!(form_encode("a b:c/é"), "a+b%3Ac%2F%C3%A9");
        assert_eq!(form_encode("plain-id"), "plain-id");
    }
}
