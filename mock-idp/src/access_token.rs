//! JWT access tokens in the RFC 9068 shape: minted by the token endpoint, validated by the protected
//! MCP server and by introspection.

use std::time::{SystemTime, UNIX_EPOCH};

use jsonwebtoken::{decode, decode_header, encode, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::behaviour::Audience;
use crate::error::IdpError;
use crate::state::IdpState;
use crate::store::random_token;

/// RFC 9068 §2.1 `typ`.
pub const AT_JWT_TYPE: &str = "at+jwt";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

impl AccessTokenClaims {
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.split(' ').filter(|s| !s.is_empty())
    }
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope)
    }
}

/// What a token is for: who, which client, which scopes, which resource (RFC 8707).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub subject: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub resource: Option<String>,
}

pub fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `iat` and `exp` of a token minted at `now` with lifetime `ttl`; with `expired`, a token that
/// expired at least ten minutes ago. Saturating: a huge `ttl` (the config bounds it, but a `Config`
/// can be built directly) never overflows or wraps.
fn issued_and_expiry(now: u64, ttl: u64, expired: bool) -> (u64, u64) {
    if expired {
        let back = ttl.max(600);
        (
            now.saturating_sub(back.saturating_mul(2)),
            now.saturating_sub(back),
        )
    } else {
        (now, now.saturating_add(ttl))
    }
}

/// Mints a signed access token for the grant, following the deployment's behaviour (audience and
/// expiry variants). Returns the token and its claims.
pub async fn mint(
    state: &IdpState,
    grant: &Grant,
) -> Result<(String, AccessTokenClaims), IdpError> {
    let now = now_secs();
    let ttl = state.config.access_token_ttl_secs;
    let aud = match &state.behaviour.audience {
        Audience::Resource => grant
            .resource
            .clone()
            .unwrap_or_else(|| state.urls.resource()),
        Audience::Fixed(aud) => aud.clone(),
    };
    let (iat, exp) = issued_and_expiry(now, ttl, state.behaviour.issue_expired_tokens);
    let claims = AccessTokenClaims {
        iss: state.urls.issuer(),
        sub: grant.subject.clone(),
        aud,
        client_id: grant.client_id.clone(),
        scope: grant.scopes.join(" "),
        iat,
        exp,
        jti: random_token(16),
    };
    let key = state.keys.signing_key(state.config.signing_alg).await?;
    let mut header = Header::new(key.alg);
    header.typ = Some(AT_JWT_TYPE.to_string());
    header.kid = Some(key.kid.clone());
    let token = encode(&header, &claims, &key.encoding)
        .map_err(|e| IdpError::KeyGeneration(format!("signing failed: {e}")))?;
    Ok((token, claims))
}

/// Why a presented access token is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenRejection {
    #[error("the token is not a well-formed JWT: {0}")]
    Malformed(String),
    #[error("the token's `typ` is `{0}`, not `at+jwt` (RFC 9068 §4)")]
    WrongType(String),
    #[error("the token is signed with a key this server does not know (kid {0:?})")]
    UnknownKey(Option<String>),
    #[error("the token's signature or algorithm is not valid: {0}")]
    BadSignature(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token was issued by `{0}`, not by this server's authorization server")]
    WrongIssuer(String),
    #[error("the token's audience is `{0}`, not this server (RFC 8707 §2)")]
    WrongAudience(String),
    #[error("the token has been revoked")]
    Revoked,
}

/// Validates a token as the protected MCP server does: signature with the mock's keys, `typ`,
/// issuer, audience (the MCP server's resource identifier), expiry, revocation.
pub async fn validate(state: &IdpState, token: &str) -> Result<AccessTokenClaims, TokenRejection> {
    let header = decode_header(token).map_err(|e| TokenRejection::Malformed(e.to_string()))?;
    match header.typ.as_deref() {
        Some(t)
            if t.eq_ignore_ascii_case(AT_JWT_TYPE)
                || t.eq_ignore_ascii_case("application/at+jwt") => {}
        other => return Err(TokenRejection::WrongType(other.unwrap_or("").to_string())),
    }
    let kid = header.kid.clone();
    let key = match kid.as_deref() {
        Some(kid) => state.keys.by_kid(kid).await,
        None => None,
    }
    .ok_or(TokenRejection::UnknownKey(kid))?;
    if header.alg != key.alg {
        return Err(TokenRejection::BadSignature(format!(
            "alg {:?} does not match the key's {:?}",
            header.alg, key.alg
        )));
    }
    let mut validation = Validation::new(key.alg);
    validation.leeway = 5;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data =
        decode::<AccessTokenClaims>(token, &key.decoding, &validation).map_err(|e| {
            match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => TokenRejection::Expired,
                jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    TokenRejection::BadSignature("signature does not verify".into())
                }
                _ => TokenRejection::Malformed(e.to_string()),
            }
        })?;
    let claims = data.claims;
    if claims.iss != state.urls.issuer() {
        return Err(TokenRejection::WrongIssuer(claims.iss));
    }
    if claims.aud != state.urls.resource() {
        return Err(TokenRejection::WrongAudience(claims.aud));
    }
    if state.store.is_access_token_revoked(&claims.jti) {
        return Err(TokenRejection::Revoked);
    }
    Ok(claims)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(state: &IdpState) -> Grant {
        Grant {
            subject: "test-user".into(),
            client_id: "c1".into(),
            scopes: vec!["mcp:tools".into()],
            resource: Some(state.urls.resource()),
        }
    }

    #[tokio::test]
    async fn minted_token_validates_with_rfc9068_shape() {
        let state = IdpState::for_tests(&[]);
        let (token, claims) = mint(&state, &grant(&state)).await.unwrap();
        assert_eq!(
            decode_header(&token).unwrap().typ.as_deref(),
            Some("at+jwt")
        );
        assert_eq!(claims.aud, "http://127.0.0.1:2/mcp");
        let checked = validate(&state, &token).await.unwrap();
        assert!(checked.has_scope("mcp:tools"));
    }

    #[tokio::test]
    async fn wrong_audience_variant_is_rejected_by_the_server() {
        let state = IdpState::for_tests(&["wrong-audience"]);
        let (token, _) = mint(&state, &grant(&state)).await.unwrap();
        assert!(matches!(
            validate(&state, &token).await,
            Err(TokenRejection::WrongAudience(_))
        ));
    }

    #[tokio::test]
    async fn expired_tokens_variant_is_rejected() {
        let state = IdpState::for_tests(&["expired-tokens"]);
        let (token, _) = mint(&state, &grant(&state)).await.unwrap();
        assert_eq!(validate(&state, &token).await, Err(TokenRejection::Expired));
    }

    #[tokio::test]
    async fn token_from_another_mock_is_rejected() {
        let a = IdpState::for_tests(&[]);
        let b = IdpState::for_tests(&[]);
        let (token, _) = mint(&a, &grant(&a)).await.unwrap();
        assert!(matches!(
            validate(&b, &token).await,
            Err(TokenRejection::UnknownKey(_))
        ));
        assert!(matches!(
            validate(&a, "not-a-jwt").await,
            Err(TokenRejection::Malformed(_))
        ));
    }

    #[test]
    fn timestamps_saturate_instead_of_overflowing() {
        assert_eq!(issued_and_expiry(1000, 60, false), (1000, 1060));
        assert_eq!(issued_and_expiry(10_000, 60, true), (8_800, 9_400));
        assert_eq!(issued_and_expiry(1000, u64::MAX, false), (1000, u64::MAX));
        assert_eq!(issued_and_expiry(1000, u64::MAX, true), (0, 0));
        assert_eq!(issued_and_expiry(u64::MAX, 1, false), (u64::MAX, u64::MAX));
    }

    #[tokio::test]
    async fn revoked_token_is_rejected() {
        let state = IdpState::for_tests(&[]);
        let (token, claims) = mint(&state, &grant(&state)).await.unwrap();
        state
            .store
            .revoked_access_tokens
            .lock()
            .unwrap()
            .insert(claims.jti);
        assert_eq!(validate(&state, &token).await, Err(TokenRejection::Revoked));
    }
}
