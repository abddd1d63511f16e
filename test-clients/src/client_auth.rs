//! Client authentication at the token endpoint (OAuth 2.1 §2.4; RFC 6749 §2.3.1; RFC 7523 §2.2):
//! `none` (client_id in the form), `client_secret_basic`, `client_secret_post`, `private_key_jwt`.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::RequestBuilder;

use crate::breaks::{Break, Breaks};
use crate::client_assertion;
use crate::error::{ClientError, Result};
use crate::log;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    None,
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
}

impl AuthMethod {
    pub fn from_name(name: &str) -> Option<AuthMethod> {
        Some(match name {
            "none" => AuthMethod::None,
            "client_secret_basic" => AuthMethod::ClientSecretBasic,
            "client_secret_post" => AuthMethod::ClientSecretPost,
            "private_key_jwt" => AuthMethod::PrivateKeyJwt,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            AuthMethod::None => "none",
            AuthMethod::ClientSecretBasic => "client_secret_basic",
            AuthMethod::ClientSecretPost => "client_secret_post",
            AuthMethod::PrivateKeyJwt => "private_key_jwt",
        }
    }
}

/// The client's identity at the authorization server.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientCredentials {
    pub client_id: String,
    pub client_secret: Option<String>,
    pub method: AuthMethod,
    /// PKCS#8 PEM key for `private_key_jwt`.
    pub private_key_pem: Option<String>,
}

impl std::fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("client_id", &self.client_id)
            .field("method", &self.method)
            .finish_non_exhaustive()
    }
}

/// RFC 6749 §2.3.1: id and secret are form-urlencoded, then joined with `:` and base64-encoded.
pub fn basic_header(client_id: &str, secret: &str) -> String {
    let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(client_id), enc(secret)))
    )
}

impl ClientCredentials {
    /// The method really used: the registered one, except that `auth-method-post-always` sends
    /// any secret in the form.
    pub fn effective_method(&self, breaks: &Breaks) -> AuthMethod {
        if breaks.has(Break::AuthMethodPostAlways) && self.client_secret.is_some() {
            AuthMethod::ClientSecretPost
        } else {
            self.method
        }
    }

    /// Adds the authentication to a token request: a header, or fields of `form`.
    /// `audience` is the `aud` of a client assertion (the issuer).
    pub fn apply(
        &self,
        request: RequestBuilder,
        form: &mut Vec<(String, String)>,
        audience: &str,
        breaks: &Breaks,
    ) -> Result<RequestBuilder> {
        let method = self.effective_method(breaks);
        if method != self.method {
            log::step(format!(
                "BREAK auth-method-post-always: using client_secret_post, not {}",
                self.method.name()
            ));
        }
        let secret = || {
            self.client_secret.as_deref().ok_or_else(|| {
                ClientError::Config(format!("{} needs a client secret", method.name()))
            })
        };
        let mut field = |k: &str, v: &str| form.push((k.to_string(), v.to_string()));
        Ok(match method {
            AuthMethod::None => {
                field("client_id", &self.client_id);
                request
            }
            AuthMethod::ClientSecretBasic => {
                request.header("authorization", basic_header(&self.client_id, secret()?))
            }
            AuthMethod::ClientSecretPost => {
                field("client_id", &self.client_id);
                field("client_secret", secret()?);
                request
            }
            AuthMethod::PrivateKeyJwt => {
                let pem = self.private_key_pem.as_deref().ok_or_else(|| {
                    ClientError::Config("private_key_jwt needs private_key_pem".into())
                })?;
                let assertion = client_assertion::sign(&self.client_id, audience, pem, breaks)?;
                field("client_assertion_type", client_assertion::ASSERTION_TYPE);
                field("client_assertion", &assertion);
                request
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_header_urlencodes_before_base64() {
        assert_eq!(
            basic_header("a", "b"),
            format!("Basic {}", STANDARD.encode("a:b"))
        );
        assert_eq!(
            basic_header("id:1", "s p&"),
            format!("Basic {}", STANDARD.encode("id%3A1:s+p%26"))
        );
    }

    #[test]
    fn post_always_only_changes_clients_with_a_secret() {
        let mut breaks = Breaks::default();
        let basic = ClientCredentials {
            client_id: "c".into(),
            client_secret: Some("s".into()),
            method: AuthMethod::ClientSecretBasic,
            private_key_pem: None,
        };
        assert_eq!(
            basic.effective_method(&breaks),
            AuthMethod::ClientSecretBasic
        );
        breaks.insert(Break::AuthMethodPostAlways);
        assert_eq!(
            basic.effective_method(&breaks),
            AuthMethod::ClientSecretPost
        );
        let public = ClientCredentials {
            client_secret: None,
            method: AuthMethod::None,
            ..basic.clone()
        };
        assert_eq!(public.effective_method(&breaks), AuthMethod::None);
        assert!(format!("{basic:?}").find("\"s\"").is_none());
        assert_eq!(
            AuthMethod::from_name("client_secret_post"),
            Some(AuthMethod::ClientSecretPost)
        );
        assert_eq!(AuthMethod::from_name("tls_client_auth"), None);
    }
}
