//! Access tokens for testing a resource server: the harness plays the authorization server the
//! server under test trusts (its issuer, its JWKS) and presents a valid token, then tokens with
//! exactly one flaw each (RFC 9068 §4, OAuth 2.1 §5.2, RFC 8707 §2). A correct server accepts the
//! [`TokenFlaw::None`] token and refuses every other with 401 `invalid_token`.
//!
//! Tokens are signed with the deployment's own key (same `kid`, `typ: at+jwt`) unless the flaw is
//! the signature; a [`TokenFlaw::Revoked`] token is recorded as revoked, so the mock's
//! introspection (RFC 7662) answers `active: false` for it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::json;

use crate::access_token::{now_secs, sign, AccessTokenClaims, AT_JWT_TYPE};
use crate::error::IdpError;
use crate::state::IdpState;
use crate::store::random_token;

/// The audience of a token minted for another resource (and the `resource` of the
/// `prm-resource-mismatch` variant).
pub const OTHER_RESOURCE: &str = "https://other-resource.example/mcp";
/// The issuer of a [`TokenFlaw::WrongIssuer`] token.
pub const OTHER_ISSUER: &str = "https://other-issuer.example";
/// How far in the past an expired token's `exp`, and in the future a not-yet-valid token's `nbf`,
/// lie: an hour, beyond any clock-skew leeway a server may allow.
pub const FLAW_OFFSET_SECS: u64 = 3600;
/// The `typ` of a [`TokenFlaw::WrongType`] token (a plain JWT, e.g. an ID token).
pub const WRONG_TYPE: &str = "JWT";

/// What is wrong with a forged token; `None` is the valid positive control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenFlaw {
    None,
    Expired,
    NotYetValid,
    WrongAudience,
    WrongIssuer,
    BadSignature,
    AlgNone,
    UnknownKid,
    Revoked,
    WrongType,
}

impl TokenFlaw {
    /// Every flaw, the valid token ([`TokenFlaw::None`]) first.
    pub const ALL: &'static [TokenFlaw] = &[
        TokenFlaw::None,
        TokenFlaw::Expired,
        TokenFlaw::NotYetValid,
        TokenFlaw::WrongAudience,
        TokenFlaw::WrongIssuer,
        TokenFlaw::BadSignature,
        TokenFlaw::AlgNone,
        TokenFlaw::UnknownKid,
        TokenFlaw::Revoked,
        TokenFlaw::WrongType,
    ];

    /// Kebab-case name (`none`, `not-yet-valid`, `alg-none`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            TokenFlaw::None => "none",
            TokenFlaw::Expired => "expired",
            TokenFlaw::NotYetValid => "not-yet-valid",
            TokenFlaw::WrongAudience => "wrong-audience",
            TokenFlaw::WrongIssuer => "wrong-issuer",
            TokenFlaw::BadSignature => "bad-signature",
            TokenFlaw::AlgNone => "alg-none",
            TokenFlaw::UnknownKid => "unknown-kid",
            TokenFlaw::Revoked => "revoked",
            TokenFlaw::WrongType => "wrong-type",
        }
    }

    /// What the token is, for messages ("a token that expired an hour ago").
    pub fn description(&self) -> &'static str {
        match self {
            TokenFlaw::None => "a valid token for this resource with the requested scopes",
            TokenFlaw::Expired => "a token that expired an hour ago",
            TokenFlaw::NotYetValid => "a token whose `nbf` is an hour in the future",
            TokenFlaw::WrongAudience => {
                "a token minted for another resource (`aud` https://other-resource.example/mcp)"
            }
            TokenFlaw::WrongIssuer => {
                "a token naming another issuer (https://other-issuer.example), signed with the real key"
            }
            TokenFlaw::BadSignature => {
                "a token naming the real key's `kid` but signed with another key"
            }
            TokenFlaw::AlgNone => "an unsigned token (`alg: none`, empty signature)",
            TokenFlaw::UnknownKid => "a token signed with a key whose `kid` is not in the JWKS",
            TokenFlaw::Revoked => "a token revoked at the authorization server (RFC 7009)",
            TokenFlaw::WrongType => "a token with `typ: JWT` instead of `at+jwt`",
        }
    }

    pub fn is_flawed(&self) -> bool {
        *self != TokenFlaw::None
    }
}

/// What to forge: the claims of the valid token, and the one flaw to give it.
#[derive(Debug, Clone)]
pub struct ForgeRequest {
    /// `aud`: the resource the token is for (the server under test's canonical URI).
    pub audience: String,
    pub scopes: Vec<String>,
    pub client_id: String,
    pub subject: String,
    pub flaw: TokenFlaw,
}

#[derive(Debug, Clone)]
pub struct ForgedToken {
    pub token: String,
    /// The claims the token carries (for `AlgNone` too; `iss` and `aud` as forged).
    pub claims: AccessTokenClaims,
    pub flaw: TokenFlaw,
}

/// Forges a token for `request`, signed (unless the flaw says otherwise) with the deployment's
/// access token key; a `Revoked` token's `jti` is recorded as revoked in the deployment's store.
pub async fn forge(state: &IdpState, request: &ForgeRequest) -> Result<ForgedToken, IdpError> {
    let flaw = request.flaw;
    let claims = claims_for(state, request, now_secs());
    let alg = state.config.signing_alg;
    let key = state.keys.signing_key(alg).await?;
    let token = match flaw {
        TokenFlaw::BadSignature => sign(
            &claims,
            state.keys.foreign_key(alg).await?,
            AT_JWT_TYPE,
            &key.kid,
        )?,
        TokenFlaw::UnknownKid => {
            let foreign = state.keys.foreign_key(alg).await?;
            sign(&claims, foreign, AT_JWT_TYPE, &foreign.kid)?
        }
        TokenFlaw::AlgNone => unsigned(&claims, &key.kid)?,
        TokenFlaw::WrongType => sign(&claims, key, WRONG_TYPE, &key.kid)?,
        _ => sign(&claims, key, AT_JWT_TYPE, &key.kid)?,
    };
    if flaw == TokenFlaw::Revoked {
        state.store.revoke_access_token(&claims.jti);
    }
    Ok(ForgedToken {
        token,
        claims,
        flaw,
    })
}

/// The claims of the forged token at `now`: those of a valid token (`iss` this issuer, `exp` now
/// plus the configured lifetime, a fresh `jti`), changed by the time, audience and issuer flaws.
fn claims_for(state: &IdpState, request: &ForgeRequest, now: u64) -> AccessTokenClaims {
    let ttl = state.config.access_token_ttl_secs;
    let mut claims = AccessTokenClaims {
        iss: state.urls.issuer(),
        sub: request.subject.clone(),
        aud: request.audience.clone(),
        client_id: request.client_id.clone(),
        scope: request.scopes.join(" "),
        iat: now,
        exp: now.saturating_add(ttl),
        nbf: None,
        jti: random_token(16),
    };
    match request.flaw {
        TokenFlaw::Expired => {
            claims.exp = now.saturating_sub(FLAW_OFFSET_SECS);
            claims.iat = claims.exp.saturating_sub(ttl);
        }
        TokenFlaw::NotYetValid => {
            let nbf = now.saturating_add(FLAW_OFFSET_SECS);
            claims.nbf = Some(nbf);
            claims.iat = nbf;
            claims.exp = nbf.saturating_add(ttl);
        }
        TokenFlaw::WrongAudience => claims.aud = OTHER_RESOURCE.to_string(),
        TokenFlaw::WrongIssuer => claims.iss = OTHER_ISSUER.to_string(),
        _ => {}
    }
    claims
}

/// An unsigned JWS (`alg: none`, RFC 7519 §6): header and claims base64url-encoded, an empty
/// signature. jsonwebtoken refuses to produce one (its `Algorithm` has no `none`), so it is
/// assembled here with serde_json and base64. This is a deliberately malformed token for testing
/// that a server refuses it, not a JWT implementation.
fn unsigned(claims: &AccessTokenClaims, kid: &str) -> Result<String, IdpError> {
    let header = json!({ "alg": "none", "typ": AT_JWT_TYPE, "kid": kid });
    let payload = serde_json::to_vec(claims)
        .map_err(|e| IdpError::KeyGeneration(format!("encoding the claims failed: {e}")))?;
    Ok(format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access_token::{validate, verify, TokenRejection};
    use jsonwebtoken::decode_header;

    fn request(state: &IdpState, flaw: TokenFlaw) -> ForgeRequest {
        ForgeRequest {
            audience: state.urls.resource(),
            scopes: vec!["mcp:tools".into()],
            client_id: "test-client".into(),
            subject: "test-user".into(),
            flaw,
        }
    }

    async fn forged(state: &IdpState, flaw: TokenFlaw) -> ForgedToken {
        forge(state, &request(state, flaw)).await.unwrap()
    }

    #[test]
    fn names_are_unique_kebab_case_and_all_lists_every_flaw_once() {
        let names: std::collections::HashSet<_> = TokenFlaw::ALL.iter().map(|f| f.name()).collect();
        assert_eq!(names.len(), 10);
        assert_eq!(TokenFlaw::ALL[0], TokenFlaw::None);
        for flaw in TokenFlaw::ALL {
            assert!(
                flaw.name()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                flaw.name()
            );
            assert!(!flaw.description().is_empty());
            assert_eq!(flaw.is_flawed(), *flaw != TokenFlaw::None);
        }
    }

    #[tokio::test]
    async fn the_valid_token_validates_with_the_rfc9068_shape() {
        let state = IdpState::for_tests(&[]);
        let valid = forged(&state, TokenFlaw::None).await;
        let header = decode_header(&valid.token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        let key = state
            .keys
            .signing_key(state.config.signing_alg)
            .await
            .unwrap();
        assert_eq!(header.kid.as_deref(), Some(key.kid.as_str()));
        assert_eq!(header.alg, key.alg);
        let claims = validate(&state, &valid.token).await.unwrap();
        assert_eq!(claims, valid.claims);
        assert_eq!(claims.iss, state.urls.issuer());
        assert_eq!(claims.aud, state.urls.resource());
        assert_eq!(claims.scope, "mcp:tools");
        assert_eq!(claims.exp, claims.iat + state.config.access_token_ttl_secs);
        assert_eq!(claims.nbf, None);
        assert_ne!(
            claims.jti,
            forged(&state, TokenFlaw::None).await.claims.jti,
            "fresh jti per token"
        );
    }

    #[tokio::test]
    async fn every_flaw_is_rejected_for_its_own_reason() {
        let state = IdpState::for_tests(&[]);
        for flaw in TokenFlaw::ALL.iter().filter(|f| f.is_flawed()) {
            let token = forged(&state, *flaw).await;
            assert_eq!(token.flaw, *flaw);
            let rejection = validate(&state, &token.token).await.unwrap_err();
            let right = match flaw {
                TokenFlaw::Expired => rejection == TokenRejection::Expired,
                TokenFlaw::NotYetValid => rejection == TokenRejection::NotYetValid,
                TokenFlaw::WrongAudience => {
                    rejection == TokenRejection::WrongAudience(OTHER_RESOURCE.into())
                }
                TokenFlaw::WrongIssuer => {
                    rejection == TokenRejection::WrongIssuer(OTHER_ISSUER.into())
                }
                TokenFlaw::BadSignature => matches!(rejection, TokenRejection::BadSignature(_)),
                TokenFlaw::AlgNone => rejection == TokenRejection::AlgNone,
                TokenFlaw::UnknownKid => matches!(rejection, TokenRejection::UnknownKey(Some(_))),
                TokenFlaw::Revoked => rejection == TokenRejection::Revoked,
                TokenFlaw::WrongType => rejection == TokenRejection::WrongType("JWT".into()),
                TokenFlaw::None => unreachable!(),
            };
            assert!(right, "{}: rejected as {rejection:?}", flaw.name());
        }
    }

    #[tokio::test]
    async fn flaws_change_only_what_they_name() {
        let state = IdpState::for_tests(&[]);
        let now = now_secs();
        let expired = forged(&state, TokenFlaw::Expired).await.claims;
        assert!(expired.exp + 600 < now, "more than ten minutes ago");
        let early = forged(&state, TokenFlaw::NotYetValid).await.claims;
        assert!(early.nbf.unwrap() > now + 600 && early.iat == early.nbf.unwrap());
        assert!(early.exp > early.nbf.unwrap());
        let bad = forged(&state, TokenFlaw::BadSignature).await;
        let real_kid = state
            .keys
            .signing_key(state.config.signing_alg)
            .await
            .unwrap()
            .kid
            .clone();
        assert_eq!(
            decode_header(&bad.token).unwrap().kid,
            Some(real_kid.clone())
        );
        let unknown = forged(&state, TokenFlaw::UnknownKid).await;
        let kid = decode_header(&unknown.token).unwrap().kid.unwrap();
        assert_ne!(kid, real_kid);
        assert!(state.keys.by_kid(&kid).await.is_none());
        let none = forged(&state, TokenFlaw::AlgNone).await;
        assert!(none.token.ends_with('.'), "empty signature");
        // The unsigned token carries the valid claims.
        let claims =
            jsonwebtoken::dangerous::insecure_decode_claims::<AccessTokenClaims>(&none.token)
                .unwrap();
        assert_eq!(claims, none.claims);
        assert_eq!(claims.iss, state.urls.issuer());
        for flaw in [
            TokenFlaw::BadSignature,
            TokenFlaw::UnknownKid,
            TokenFlaw::AlgNone,
            TokenFlaw::Revoked,
            TokenFlaw::WrongType,
        ] {
            let claims = forged(&state, flaw).await.claims;
            assert_eq!(
                (claims.iss.as_str(), claims.aud.as_str(), claims.nbf),
                (
                    state.urls.issuer().as_str(),
                    state.urls.resource().as_str(),
                    None
                ),
                "{}",
                flaw.name()
            );
        }
    }

    #[tokio::test]
    async fn a_token_for_another_resource_introspects_with_its_audience() {
        let state = IdpState::for_tests(&[]);
        let other = ForgeRequest {
            audience: "http://127.0.0.1:9/mcp".into(),
            ..request(&state, TokenFlaw::None)
        };
        let token = forge(&state, &other).await.unwrap();
        assert!(matches!(
            validate(&state, &token.token).await,
            Err(TokenRejection::WrongAudience(_))
        ));
        let claims = verify(&state, &token.token).await.unwrap();
        assert_eq!(claims.aud, "http://127.0.0.1:9/mcp");
    }

    #[tokio::test]
    async fn forging_with_an_es256_deployment_uses_es256() {
        let config = crate::Config {
            signing_alg: crate::config::SigningAlg::ES256,
            ..crate::Config::default()
        };
        let state = IdpState::for_tests_with(config, |_| {});
        for flaw in [
            TokenFlaw::None,
            TokenFlaw::BadSignature,
            TokenFlaw::UnknownKid,
        ] {
            let token = forged(&state, flaw).await;
            assert_eq!(
                decode_header(&token.token).unwrap().alg,
                jsonwebtoken::Algorithm::ES256,
                "{}",
                flaw.name()
            );
        }
        assert!(
            validate(&state, &forged(&state, TokenFlaw::None).await.token)
                .await
                .is_ok()
        );
    }
}
