//! One MCP operation at a time, authorized: a 401 leads to an authorization (or, with a token that
//! the server calls invalid, one refresh, then one new authorization; when the protected resource
//! metadata now names another authorization server, an authorization there); a 403
//! insufficient_scope to at most [`MAX_STEP_UPS`] step-up authorizations. Then JSON-RPC on top.

use serde_json::{json, Value};

use crate::authorizer::Authorizer;
use crate::breaks::{Break, Breaks};
use crate::error::{ClientError, Result};
use crate::log;
use crate::mcp::{Reply, Transport};

/// Step-up authorizations per operation before the client gives up.
pub const MAX_STEP_UPS: u32 = 2;

pub struct Session {
    transport: Transport,
    authorizer: Authorizer,
    breaks: Breaks,
    next_id: u64,
}

impl Session {
    pub fn new(transport: Transport, authorizer: Authorizer, breaks: Breaks) -> Session {
        Session {
            transport,
            authorizer,
            breaks,
            next_id: 1,
        }
    }

    pub fn set_protocol_version(&mut self, version: &str) {
        self.transport.set_protocol_version(version);
    }

    /// A JSON-RPC request; its `result`, or an error for a JSON-RPC error.
    pub async fn request(&mut self, method: &str, params: Value) -> Result<Value> {
        let id = self.next_id;
        self.next_id += 1;
        let message = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        let reply = self.send(&message).await?.ok_or_else(|| {
            ClientError::Protocol(format!("{method}: the server sent no JSON-RPC response"))
        })?;
        if let Some(error) = reply.get("error") {
            return Err(ClientError::Protocol(format!(
                "{method} failed: JSON-RPC error {} {}",
                error["code"],
                error["message"].as_str().unwrap_or("")
            )));
        }
        if reply.get("id") != Some(&json!(id)) {
            return Err(ClientError::Protocol(format!(
                "{method}: the response has id {}, not {id}",
                reply.get("id").unwrap_or(&Value::Null)
            )));
        }
        reply
            .get("result")
            .cloned()
            .ok_or_else(|| ClientError::Protocol(format!("{method}: the response has no result")))
    }

    pub async fn notify(&mut self, method: &str) -> Result<()> {
        self.send(&json!({"jsonrpc": "2.0", "method": method}))
            .await
            .map(|_| ())
    }

    /// Sends one message, authorizing as the server asks.
    async fn send(&mut self, message: &Value) -> Result<Option<Value>> {
        let mut refreshed = false;
        let mut authorized = false;
        let mut step_ups = 0u32;
        loop {
            let reply = self
                .transport
                .post(message, self.authorizer.access_token())
                .await?;
            match reply {
                Reply::Ok(body) => return Ok(body),
                Reply::Unauthorized(challenge) => {
                    let mut had_token = self.authorizer.access_token().is_some();
                    if had_token
                        && self
                            .authorizer
                            .authorization_server_changed(&challenge)
                            .await
                    {
                        // Its tokens belong to the old authorization server: none to refresh.
                        had_token = false;
                    }
                    let invalid_token = challenge.error.as_deref() == Some("invalid_token");
                    if had_token && invalid_token && self.authorizer.can_refresh() && !refreshed {
                        refreshed = true;
                        if self.breaks.has(Break::NoRefresh) {
                            log::step("BREAK no-refresh: authorizing again instead of refreshing");
                        } else {
                            log::step("the access token was rejected: refreshing it");
                            match self.authorizer.refresh().await {
                                Ok(()) => continue,
                                Err(e) => {
                                    log::step(format!("refresh failed ({e}): authorizing again"))
                                }
                            }
                        }
                    }
                    if authorized {
                        return Err(ClientError::Protocol(
                            "the MCP server still answers 401 after a new authorization".into(),
                        ));
                    }
                    authorized = true;
                    log::step(if had_token {
                        "401 with a token: authorizing again"
                    } else {
                        "401: authorization needed"
                    });
                    self.authorizer.authorize(&challenge).await?;
                }
                Reply::Forbidden(challenge) => {
                    if challenge.error.as_deref() != Some("insufficient_scope") {
                        return Err(ClientError::Protocol(format!(
                            "the MCP server answered 403 ({:?})",
                            challenge.error
                        )));
                    }
                    if self.breaks.has(Break::NoStepUp) {
                        return Err(ClientError::Protocol(format!(
                            "BREAK no-step-up: 403 insufficient_scope (scope {:?}), giving up",
                            challenge.scope
                        )));
                    }
                    if step_ups >= MAX_STEP_UPS {
                        if self.breaks.has(Break::StepUpForever) {
                            log::step(format!(
                                "BREAK step-up-forever: step-up number {}",
                                step_ups + 1
                            ));
                        } else {
                            return Err(ClientError::Protocol(format!(
                                "still 403 insufficient_scope after {MAX_STEP_UPS} step-up authorizations; giving up"
                            )));
                        }
                    }
                    step_ups += 1;
                    self.authorizer.step_up(&challenge).await?;
                }
            }
        }
    }
}
