//! MCP Streamable HTTP transport (MCP 2025-11-25 Basic › Transports): every JSON-RPC message is a
//! POST accepting JSON or an SSE stream; `Mcp-Session-Id` is kept once the server gives one, and
//! `MCP-Protocol-Version` is sent after initialization. 401 and 403 come back to the caller with
//! their `Bearer` challenge.

use reqwest::header::CONTENT_TYPE;
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use crate::breaks::{Break, Breaks};
use crate::challenge::BearerChallenge;
use crate::error::{ClientError, Result};
use crate::log;

const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";

#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// 2xx: the JSON-RPC response, or `None` (202 for a notification).
    Ok(Option<Value>),
    Unauthorized(BearerChallenge),
    /// 403 (`insufficient_scope` or another reason: see the challenge's `error`).
    Forbidden(BearerChallenge),
}

pub struct Transport {
    http: reqwest::Client,
    url: Url,
    session_id: Option<String>,
    protocol_version: Option<String>,
    breaks: Breaks,
    token_in_query_logged: bool,
}

impl Transport {
    pub fn new(http: reqwest::Client, url: Url, breaks: Breaks) -> Transport {
        Transport {
            http,
            url,
            session_id: None,
            protocol_version: None,
            breaks,
            token_in_query_logged: false,
        }
    }

    /// From now on, every request carries `MCP-Protocol-Version: version`.
    pub fn set_protocol_version(&mut self, version: &str) {
        self.protocol_version = Some(version.to_string());
    }

    pub async fn post(&mut self, message: &Value, token: Option<&str>) -> Result<Reply> {
        let method = message["method"].as_str().unwrap_or("?").to_string();
        let mut url = self.url.clone();
        if let (Some(token), true) = (token, self.breaks.has(Break::TokenInQuery)) {
            if !self.token_in_query_logged {
                log::step("BREAK token-in-query: the access token also goes in the URL query");
                self.token_in_query_logged = true;
            }
            url.query_pairs_mut().append_pair("access_token", token);
        }
        let mut request = self
            .http
            .post(url)
            .header("accept", "application/json, text/event-stream")
            .header(CONTENT_TYPE, "application/json")
            .body(message.to_string());
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(id) = &self.session_id {
            request = request.header(SESSION_HEADER, id);
        }
        if let Some(version) = &self.protocol_version {
            request = request.header(VERSION_HEADER, version);
        }
        let response = request
            .send()
            .await
            .map_err(ClientError::http(format!("POST {} ({method})", self.url)))?;
        let status = response.status();
        log::step(format!(
            "POST {} ({method}{}) -> {}",
            self.url,
            if token.is_some() { ", with token" } else { "" },
            status.as_u16()
        ));
        if let Some(id) = response
            .headers()
            .get(SESSION_HEADER)
            .and_then(|v| v.to_str().ok())
        {
            if self.session_id.as_deref() != Some(id) {
                log::step("keeping the Mcp-Session-Id the server gave");
                self.session_id = Some(id.to_string());
            }
        }
        match status {
            StatusCode::UNAUTHORIZED => Ok(Reply::Unauthorized(BearerChallenge::from_headers(
                response.headers(),
            ))),
            StatusCode::FORBIDDEN => Ok(Reply::Forbidden(BearerChallenge::from_headers(
                response.headers(),
            ))),
            s if s.is_success() => read_body(response).await.map(Reply::Ok),
            s => {
                let text = response.text().await.unwrap_or_default();
                Err(ClientError::Protocol(format!(
                    "the MCP server answered {method} with {s}: {}",
                    text.chars().take(300).collect::<String>()
                )))
            }
        }
    }
}

/// A 2xx body: nothing (202), a JSON document, or the first `data:` event of an SSE stream.
async fn read_body(mut response: reqwest::Response) -> Result<Option<Value>> {
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("text/event-stream") {
        let mut buffer = String::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(ClientError::http("reading the SSE stream"))?
        {
            buffer.push_str(&String::from_utf8_lossy(&chunk));
            if let Some(data) = first_sse_data(&buffer, false) {
                return parse_json(&data).map(Some);
            }
        }
        return match first_sse_data(&buffer, true) {
            Some(data) => parse_json(&data).map(Some),
            None => Err(ClientError::Protocol(
                "the SSE stream ended without data".into(),
            )),
        };
    }
    let body = response
        .bytes()
        .await
        .map_err(ClientError::http("reading the MCP response"))?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| ClientError::Protocol(format!("the MCP response is not JSON: {e}")))
}

fn parse_json(data: &str) -> Result<Value> {
    serde_json::from_str(data)
        .map_err(|e| ClientError::Protocol(format!("the SSE event data is not JSON: {e}")))
}

/// The data of the first complete SSE event that has any (its `data:` lines joined with `\n`).
/// With `at_end`, an unterminated last event counts too.
pub fn first_sse_data(buffer: &str, at_end: bool) -> Option<String> {
    let normalized = buffer.replace("\r\n", "\n").replace('\r', "\n");
    let mut events: Vec<&str> = normalized.split("\n\n").collect();
    let last = events.pop();
    if at_end {
        events.extend(last);
    }
    events.into_iter().find_map(|event| {
        let data: Vec<&str> = event
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        (!data.is_empty()).then(|| data.join("\n"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_first_data_event() {
        let stream =
            ": comment\n\nevent: message\nid: 1\ndata: {\"a\":\ndata: 1}\n\ndata: {\"b\":2}\n\n";
        assert_eq!(first_sse_data(stream, false).unwrap(), "{\"a\":\n1}");
        assert_eq!(first_sse_data("data: {}", false), None);
        assert_eq!(first_sse_data("data: {}", true).unwrap(), "{}");
        assert_eq!(first_sse_data("data:x\r\n\r\n", false).unwrap(), "x");
        assert_eq!(first_sse_data("retry: 5\n\n", true), None);
    }
}
