//! JWT access tokens in the RFC 9068 shape: minted by the token endpoint, validated by the protected
//! MCP server (every check) and by introspection and revocation (every check but the audience).
//! Forged tokens for testing other resource servers are in [`crate::forge`].

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{decode, decode_header, encode, Header, Validation};
use serde::{Deserialize, Serialize};

use crate::behaviour::{Audience, TokenChecks};
use crate::error::IdpError;
use crate::keys::SigningKey;
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
    /// RFC 7519 §4.1.5; the mock's own tokens have none, forged not-yet-valid ones do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
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
        nbf: None,
        jti: random_token(16),
    };
    let key = state.keys.signing_key(state.config.signing_alg).await?;
    let token = sign(&claims, key, AT_JWT_TYPE, &key.kid)?;
    Ok((token, claims))
}

/// Signs `claims` with `key`, the header naming `typ` and `kid` (which need not be the key's: a
/// forged token may claim another key).
pub(crate) fn sign(
    claims: &AccessTokenClaims,
    key: &SigningKey,
    typ: &str,
    kid: &str,
) -> Result<String, IdpError> {
    let mut header = Header::new(key.alg);
    header.typ = Some(typ.to_string());
    header.kid = Some(kid.to_string());
    encode(&header, claims, &key.encoding)
        .map_err(|e| IdpError::KeyGeneration(format!("signing failed: {e}")))
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
    #[error("the token is unsigned (`alg: none`), which is never accepted (RFC 9068 §4)")]
    AlgNone,
    #[error("the token's signature or algorithm is not valid: {0}")]
    BadSignature(String),
    #[error("the token has expired")]
    Expired,
    #[error("the token is not valid yet (its `nbf` is in the future)")]
    NotYetValid,
    #[error("the token was issued by `{0}`, not by this server's authorization server")]
    WrongIssuer(String),
    #[error("the token's audience is `{0}`, not this server (RFC 8707 §2)")]
    WrongAudience(String),
    #[error("the token has been revoked")]
    Revoked,
}

/// Seconds of clock skew allowed on `exp` and `nbf`.
pub const LEEWAY_SECS: u64 = 5;

/// The JOSE header fields validation looks at, read without jsonwebtoken's [`Header`], whose
/// `alg` cannot hold `none`: an unsigned token must be recognised (and refused, or read by a
/// server that skips signatures) rather than reported as malformed.
#[derive(Debug, Deserialize)]
struct LooseHeader {
    alg: String,
    #[serde(default)]
    typ: Option<String>,
}

fn loose_header(token: &str) -> Result<LooseHeader, TokenRejection> {
    let malformed = |why: String| TokenRejection::Malformed(why);
    let mut parts = token.split('.');
    let (Some(header), Some(_), Some(_), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(malformed("a JWS has three dot-separated parts".into()));
    };
    let bytes = URL_SAFE_NO_PAD
        .decode(header)
        .map_err(|e| malformed(format!("header is not base64url: {e}")))?;
    serde_json::from_slice(&bytes).map_err(|e| malformed(format!("header: {e}")))
}

/// `exp` and `nbf` against `now`, with [`LEEWAY_SECS`].
fn check_lifetime(claims: &AccessTokenClaims, now: u64) -> Result<(), TokenRejection> {
    if claims.exp.saturating_add(LEEWAY_SECS) < now {
        return Err(TokenRejection::Expired);
    }
    if claims
        .nbf
        .is_some_and(|nbf| nbf > now.saturating_add(LEEWAY_SECS))
    {
        return Err(TokenRejection::NotYetValid);
    }
    Ok(())
}

/// The claims of a token whose signature verifies with the mock's key named by `kid`.
async fn verified_claims(
    state: &IdpState,
    token: &str,
) -> Result<AccessTokenClaims, TokenRejection> {
    let header = decode_header(token).map_err(|e| TokenRejection::Malformed(e.to_string()))?;
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
    // Lifetime, issuer and audience are checked by `validate_with`, each behind its switch.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    decode::<AccessTokenClaims>(token, &key.decoding, &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                TokenRejection::BadSignature("signature does not verify".into())
            }
            _ => TokenRejection::Malformed(e.to_string()),
        })
}

/// Validates a token as a resource server with `checks` does: `typ`, signature with the mock's
/// keys, expiry and `nbf`, issuer, audience (the MCP server's resource identifier), revocation.
pub async fn validate_with(
    state: &IdpState,
    token: &str,
    checks: &TokenChecks,
) -> Result<AccessTokenClaims, TokenRejection> {
    let header = loose_header(token)?;
    if checks.token_type {
        match header.typ.as_deref() {
            Some(t)
                if t.eq_ignore_ascii_case(AT_JWT_TYPE)
                    || t.eq_ignore_ascii_case("application/at+jwt") => {}
            other => return Err(TokenRejection::WrongType(other.unwrap_or("").to_string())),
        }
    }
    let claims = if checks.signature {
        if header.alg.eq_ignore_ascii_case("none") {
            return Err(TokenRejection::AlgNone);
        }
        verified_claims(state, token).await?
    } else {
        jsonwebtoken::dangerous::insecure_decode_claims::<AccessTokenClaims>(token)
            .map_err(|e| TokenRejection::Malformed(e.to_string()))?
    };
    if checks.expiry {
        check_lifetime(&claims, now_secs())?;
    }
    if checks.issuer && claims.iss != state.urls.issuer() {
        return Err(TokenRejection::WrongIssuer(claims.iss));
    }
    if checks.audience && claims.aud != state.urls.resource() {
        return Err(TokenRejection::WrongAudience(claims.aud));
    }
    if checks.revocation && state.store.is_access_token_revoked(&claims.jti) {
        return Err(TokenRejection::Revoked);
    }
    Ok(claims)
}

/// Validates a token as the correct protected MCP server does: every check of
/// [`TokenChecks::ALL`], the audience being this deployment's MCP server.
pub async fn validate(state: &IdpState, token: &str) -> Result<AccessTokenClaims, TokenRejection> {
    validate_with(state, token, &TokenChecks::ALL).await
}

/// Validates a token as the authorization server does for introspection (RFC 7662) and revocation
/// (RFC 7009): every check but the audience. The token may be for any resource; checking that it
/// is meant for it is the resource server's job.
pub async fn verify(state: &IdpState, token: &str) -> Result<AccessTokenClaims, TokenRejection> {
    let checks = TokenChecks {
        audience: false,
        ..TokenChecks::ALL
    };
    validate_with(state, token, &checks).await
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
    async fn wrong_audience_variant_is_rejected_by_the_server_but_verifies_for_the_as() {
        let state = IdpState::for_tests(&["wrong-audience"]);
        let (token, claims) = mint(&state, &grant(&state)).await.unwrap();
        assert!(matches!(
            validate(&state, &token).await,
            Err(TokenRejection::WrongAudience(_))
        ));
        assert_eq!(verify(&state, &token).await, Ok(claims));
        let lax = TokenChecks {
            audience: false,
            ..TokenChecks::ALL
        };
        assert!(validate_with(&state, &token, &lax).await.is_ok());
    }

    fn lifetime(exp: u64, nbf: Option<u64>) -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "i".into(),
            sub: "s".into(),
            aud: "a".into(),
            client_id: "c".into(),
            scope: String::new(),
            iat: 0,
            exp,
            nbf,
            jti: "j".into(),
        }
    }

    #[test]
    fn lifetime_allows_a_few_seconds_of_leeway_and_no_more() {
        let now = 1_000_000;
        assert_eq!(check_lifetime(&lifetime(now + 60, None), now), Ok(()));
        assert_eq!(
            check_lifetime(&lifetime(now - LEEWAY_SECS, None), now),
            Ok(())
        );
        assert_eq!(
            check_lifetime(&lifetime(now - LEEWAY_SECS - 1, None), now),
            Err(TokenRejection::Expired)
        );
        assert_eq!(
            check_lifetime(&lifetime(now + 60, Some(now + LEEWAY_SECS)), now),
            Ok(())
        );
        assert_eq!(
            check_lifetime(&lifetime(now + 60, Some(now + LEEWAY_SECS + 1)), now),
            Err(TokenRejection::NotYetValid)
        );
        assert_eq!(
            check_lifetime(&lifetime(u64::MAX, Some(0)), u64::MAX),
            Ok(())
        );
    }

    #[test]
    fn nbf_is_left_out_of_tokens_without_one() {
        let without = serde_json::to_value(lifetime(5, None)).unwrap();
        assert!(without.get("nbf").is_none(), "{without}");
        let with = serde_json::to_value(lifetime(5, Some(3))).unwrap();
        assert_eq!(with["nbf"], 3);
    }

    #[test]
    fn the_loose_header_reads_alg_none_and_refuses_garbage() {
        let unsigned = format!(
            "{}.{}.",
            URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#),
            URL_SAFE_NO_PAD.encode("{}")
        );
        let header = loose_header(&unsigned).unwrap();
        assert_eq!(
            (header.alg.as_str(), header.typ.as_deref()),
            ("none", Some("at+jwt"))
        );
        for bad in ["not-a-jwt", "a.b", "a.b.c.d", "!!.e30.", "e30.e30."] {
            assert!(
                matches!(loose_header(bad), Err(TokenRejection::Malformed(_))),
                "{bad}"
            );
        }
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
