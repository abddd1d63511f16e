//! `MCP_CONFORMANCE_CONTEXT`: what the scenario hands the client (pre-registered credentials, the
//! client-credentials material).

use serde_json::{Map, Value};

use crate::error::AdapterError;

#[derive(Debug, Default, Clone)]
pub struct Context {
    fields: Map<String, Value>,
}

impl Context {
    pub fn from_env() -> Result<Self, AdapterError> {
        match std::env::var("MCP_CONFORMANCE_CONTEXT") {
            Ok(raw) if !raw.trim().is_empty() => Self::parse(&raw),
            _ => Ok(Self::default()),
        }
    }

    pub fn parse(raw: &str) -> Result<Self, AdapterError> {
        match serde_json::from_str::<Value>(raw) {
            Ok(Value::Object(fields)) => Ok(Self { fields }),
            Ok(other) => Err(AdapterError::Context(format!("got {other}"))),
            Err(e) => Err(AdapterError::Context(e.to_string())),
        }
    }

    /// A non-empty string field.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.fields
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    }

    pub fn require(&self, name: &'static str) -> Result<&str, AdapterError> {
        self.get(name).ok_or(AdapterError::ContextField(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_string_fields_of_an_object() {
        let context = Context::parse(r#"{"name":"x","client_id":"abc","client_secret":""}"#)
            .expect("an object");
        assert_eq!(context.get("client_id"), Some("abc"));
        assert_eq!(context.get("client_secret"), None, "empty is absent");
        assert!(matches!(
            context.require("private_key_pem"),
            Err(AdapterError::ContextField("private_key_pem"))
        ));
    }

    #[test]
    fn refuses_what_is_not_an_object() {
        assert!(matches!(
            Context::parse("[1]"),
            Err(AdapterError::Context(_))
        ));
        assert!(matches!(Context::parse("{"), Err(AdapterError::Context(_))));
    }
}
