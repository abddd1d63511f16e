//! Where the tokens of the server suite come from: the mock IdP the server trusts (every flaw can
//! be minted), one token the user obtained elsewhere (`--token`: the flaws that need no signing
//! key are made by tampering with it), or nowhere.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mcp_authlab_mock_idp::forge::{forge, ForgeRequest, TokenFlaw};
use mcp_authlab_mock_idp::IdpState;
use serde_json::Value;

use super::observation::TokenSourceKind;
use super::scenario::TokenKind;

/// The `client_id` put into the tokens the harness mints.
pub const HARNESS_CLIENT_ID: &str = "mcp-authlab-server-suite";
/// The subject of the tokens the harness mints.
pub const HARNESS_SUBJECT: &str = "mcp-authlab-test-user";
/// The `kid` put into a given token to make it name a key nobody has.
const UNKNOWN_KID: &str = "mcp-authlab-unknown-kid";

#[derive(Clone)]
pub enum TokenSource {
    None,
    /// A token from elsewhere (`--token`), valid for the server.
    Given(String),
    /// The mock IdP the server trusts; tokens are minted for `audience` (the server's resource).
    MockIdp {
        state: IdpState,
        audience: String,
    },
}

impl std::fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TokenSource::None => f.write_str("TokenSource::None"),
            TokenSource::Given(_) => f.write_str("TokenSource::Given(‹redacted›)"),
            TokenSource::MockIdp { audience, .. } => {
                write!(f, "TokenSource::MockIdp {{ audience: {audience:?} }}")
            }
        }
    }
}

impl TokenSource {
    pub fn kind(&self) -> TokenSourceKind {
        match self {
            TokenSource::None => TokenSourceKind::None,
            TokenSource::Given(_) => TokenSourceKind::Given,
            TokenSource::MockIdp { .. } => TokenSourceKind::MockIdp,
        }
    }

    /// A token of this kind carrying `scopes` (minted tokens only), or why none can be made.
    pub async fn token(&self, kind: TokenKind, scopes: &[String]) -> Result<String, String> {
        match self {
            TokenSource::None => Err("no token: give --token, or let the server trust the mock \
                                      IdP (--command or --idp-bind)"
                .into()),
            TokenSource::Given(token) => tamper(token, kind),
            TokenSource::MockIdp { state, audience } => {
                let (flaw, scopes) = match kind {
                    TokenKind::Flawed(flaw) => (flaw, scopes.to_vec()),
                    TokenKind::WithoutScopes => (TokenFlaw::None, Vec::new()),
                };
                let request = ForgeRequest {
                    audience: audience.clone(),
                    scopes,
                    client_id: HARNESS_CLIENT_ID.into(),
                    subject: HARNESS_SUBJECT.into(),
                    flaw,
                };
                forge(state, &request)
                    .await
                    .map(|forged| forged.token)
                    .map_err(|e| format!("the mock IdP could not mint the token: {e}"))
            }
        }
    }
}

/// The given token with one flaw, when that flaw can be made without the issuer's key.
fn tamper(token: &str, kind: TokenKind) -> Result<String, String> {
    let flaw = match kind {
        TokenKind::Flawed(TokenFlaw::None) => return Ok(token.to_string()),
        TokenKind::Flawed(flaw) => flaw,
        TokenKind::WithoutScopes => {
            return Err(
                "a token without scopes needs the mock IdP (--command or --idp-bind)".into(),
            )
        }
    };
    let needs_issuer = || {
        Err(format!(
            "the `{}` variant cannot be made from the given token without the issuer's signing key \
             (let the server trust the mock IdP: --command or --idp-bind)",
            flaw.name()
        ))
    };
    let parts: Vec<&str> = token.split('.').collect();
    let (header, payload, signature) = match parts.as_slice() {
        [h, p, s] => (*h, *p, *s),
        _ => {
            return Err(format!(
                "the given token is not a JWT, so its `{}` variant cannot be made",
                flaw.name()
            ))
        }
    };
    let mut header_json: Value = URL_SAFE_NO_PAD
        .decode(header)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .filter(Value::is_object)
        .ok_or_else(|| "the given token's JWT header is not a JSON object".to_string())?;
    let encode = |v: &Value| URL_SAFE_NO_PAD.encode(v.to_string());
    match flaw {
        TokenFlaw::BadSignature => {
            let mut sig = URL_SAFE_NO_PAD
                .decode(signature)
                .map_err(|_| "the given token's signature is not base64url".to_string())?;
            match sig.first_mut() {
                Some(byte) => *byte ^= 0x01,
                None => return Err("the given token has no signature".into()),
            }
            Ok(format!(
                "{header}.{payload}.{}",
                URL_SAFE_NO_PAD.encode(sig)
            ))
        }
        TokenFlaw::AlgNone => {
            header_json["alg"] = Value::from("none");
            Ok(format!("{}.{payload}.", encode(&header_json)))
        }
        TokenFlaw::UnknownKid => {
            header_json["kid"] = Value::from(UNKNOWN_KID);
            Ok(format!("{}.{payload}.{signature}", encode(&header_json)))
        }
        _ => needs_issuer(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt() -> String {
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256","typ":"at+jwt","kid":"k1"}"#);
        let p = URL_SAFE_NO_PAD.encode(r#"{"sub":"u"}"#);
        let s = URL_SAFE_NO_PAD.encode([7u8; 64]);
        format!("{h}.{p}.{s}")
    }

    fn header_of(token: &str) -> Value {
        let h = token.split('.').next().unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap()
    }

    #[test]
    fn a_given_jwt_is_tampered_one_flaw_at_a_time() {
        let t = jwt();
        assert_eq!(tamper(&t, TokenKind::VALID).unwrap(), t);
        let bad = tamper(&t, TokenKind::Flawed(TokenFlaw::BadSignature)).unwrap();
        assert_ne!(bad, t);
        assert_eq!(
            bad.rsplit_once('.').unwrap().0,
            t.rsplit_once('.').unwrap().0
        );
        let none = tamper(&t, TokenKind::Flawed(TokenFlaw::AlgNone)).unwrap();
        assert_eq!(header_of(&none)["alg"], "none");
        assert!(none.ends_with('.'));
        let kid = tamper(&t, TokenKind::Flawed(TokenFlaw::UnknownKid)).unwrap();
        assert_eq!(header_of(&kid)["kid"], UNKNOWN_KID);
    }

    #[test]
    fn flaws_that_need_the_key_or_a_jwt_say_why() {
        let t = jwt();
        for flaw in [
            TokenFlaw::Expired,
            TokenFlaw::WrongAudience,
            TokenFlaw::Revoked,
        ] {
            let why = tamper(&t, TokenKind::Flawed(flaw)).unwrap_err();
            assert!(why.contains("signing key"), "{why}");
        }
        let why = tamper("opaque-token", TokenKind::Flawed(TokenFlaw::AlgNone)).unwrap_err();
        assert!(why.contains("not a JWT"), "{why}");
        assert_eq!(
            tamper("opaque-token", TokenKind::VALID).unwrap(),
            "opaque-token"
        );
    }

    #[tokio::test]
    async fn no_source_makes_no_token() {
        let err = TokenSource::None
            .token(TokenKind::VALID, &[])
            .await
            .unwrap_err();
        assert!(err.contains("--token"), "{err}");
        assert!(!format!("{:?}", TokenSource::Given("sekrit".into())).contains("sekrit"));
    }
}
