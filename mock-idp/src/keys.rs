//! Signing keys of the mock: one ES256 and one RS256 key, generated per process with rcgen and
//! published at the JWKS endpoint. The RSA key is slow to generate, so it is made in the background
//! at start-up and awaited by the first request that needs it.

use std::sync::Arc;

use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use tokio::sync::OnceCell;

use crate::config::SigningAlg;
use crate::error::IdpError;

pub struct SigningKey {
    pub kid: String,
    pub alg: Algorithm,
    pub encoding: EncodingKey,
    pub decoding: DecodingKey,
    pub jwk: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn generate(alg: SigningAlg) -> Result<Self, IdpError> {
        let err = |e: &dyn std::fmt::Display| IdpError::KeyGeneration(e.to_string());
        let (rcgen_alg, jwt_alg) = match alg {
            SigningAlg::ES256 => (&rcgen::PKCS_ECDSA_P256_SHA256, Algorithm::ES256),
            SigningAlg::RS256 => (&rcgen::PKCS_RSA_SHA256, Algorithm::RS256),
        };
        let pair = rcgen::KeyPair::generate_for(rcgen_alg).map_err(|e| err(&e))?;
        let pem = pair.serialize_pem();
        let encoding = match alg {
            SigningAlg::ES256 => EncodingKey::from_ec_pem(pem.as_bytes()),
            SigningAlg::RS256 => EncodingKey::from_rsa_pem(pem.as_bytes()),
        }
        .map_err(|e| err(&e))?;
        let mut jwk = Jwk::from_encoding_key(&encoding, jwt_alg).map_err(|e| err(&e))?;
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| err(&e))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(match alg {
            SigningAlg::ES256 => KeyAlgorithm::ES256,
            SigningAlg::RS256 => KeyAlgorithm::RS256,
        });
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| err(&e))?;
        Ok(Self {
            kid,
            alg: jwt_alg,
            encoding,
            decoding,
            jwk,
        })
    }
}

type LazyKey = OnceCell<Result<SigningKey, String>>;

/// Both signing keys, generated on first use (or in the background after [`Keys::prewarm`]).
///
/// Nothing is generated at construction: the first use of aws-lc's random generator seeds its
/// jitter entropy source (~50 ms) and the RSA key takes longer still, so doing either before the
/// ready line would make start-up slow. Requests that need a key wait for it.
#[derive(Debug, Default)]
pub struct Keys {
    es256: LazyKey,
    rs256: LazyKey,
    /// Keys that are never published nor accepted: what a forger signs with ([`Keys::foreign_key`]).
    foreign_es256: LazyKey,
    foreign_rs256: LazyKey,
}

impl Keys {
    pub fn new() -> Self {
        Self::default()
    }

    /// Generates, in the background, the key access tokens are signed with; the other key is made
    /// when first needed (the JWKS, a client assertion). Keys shared by several deployments are
    /// generated once.
    pub fn prewarm(self: &Arc<Self>, signing: SigningAlg) {
        let keys = Arc::clone(self);
        tokio::spawn(async move {
            let _ = keys.signing_key(signing).await;
        });
    }

    pub async fn signing_key(&self, alg: SigningAlg) -> Result<&SigningKey, IdpError> {
        let cell = match alg {
            SigningAlg::ES256 => &self.es256,
            SigningAlg::RS256 => &self.rs256,
        };
        Self::get_or_generate(cell, alg).await
    }

    /// A key of the same algorithm that is not in the JWKS and that [`Keys::by_kid`] never returns:
    /// for forged tokens (a bad signature, an unknown `kid`, see [`crate::forge`]). Generated once
    /// per `Keys` on first use.
    pub async fn foreign_key(&self, alg: SigningAlg) -> Result<&SigningKey, IdpError> {
        let cell = match alg {
            SigningAlg::ES256 => &self.foreign_es256,
            SigningAlg::RS256 => &self.foreign_rs256,
        };
        Self::get_or_generate(cell, alg).await
    }

    async fn get_or_generate(cell: &LazyKey, alg: SigningAlg) -> Result<&SigningKey, IdpError> {
        cell.get_or_init(|| async move {
            tokio::task::spawn_blocking(move || {
                SigningKey::generate(alg).map_err(|e| e.to_string())
            })
            .await
            .unwrap_or_else(|e| Err(e.to_string()))
        })
        .await
        .as_ref()
        .map_err(|e| IdpError::KeyGeneration(e.clone()))
    }

    /// The key with this `kid`, if the mock has one.
    pub async fn by_kid(&self, kid: &str) -> Option<&SigningKey> {
        for alg in [SigningAlg::ES256, SigningAlg::RS256] {
            if let Ok(key) = self.signing_key(alg).await {
                if key.kid == kid {
                    return Some(key);
                }
            }
        }
        None
    }

    pub async fn jwks(&self) -> Result<JwkSet, IdpError> {
        Ok(JwkSet {
            keys: vec![
                self.signing_key(SigningAlg::RS256).await?.jwk.clone(),
                self.signing_key(SigningAlg::ES256).await?.jwk.clone(),
            ],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{decode, encode, Header, Validation};
    use serde_json::json;

    #[tokio::test]
    async fn both_keys_sign_and_verify_and_are_published() {
        let keys = Keys::new();
        for alg in [SigningAlg::ES256, SigningAlg::RS256] {
            let key = keys.signing_key(alg).await.unwrap();
            let mut header = Header::new(key.alg);
            header.kid = Some(key.kid.clone());
            let token = encode(
                &header,
                &json!({"sub": "x", "exp": 4_000_000_000u64}),
                &key.encoding,
            )
            .unwrap();
            let mut v = Validation::new(key.alg);
            v.validate_aud = false;
            let data = decode::<serde_json::Value>(&token, &key.decoding, &v).unwrap();
            assert_eq!(data.claims["sub"], "x");
            assert!(keys.by_kid(&key.kid).await.is_some());
        }
        let jwks = keys.jwks().await.unwrap();
        assert_eq!(jwks.keys.len(), 2);
        assert!(keys.by_kid("unknown").await.is_none());
    }

    #[tokio::test]
    async fn foreign_keys_are_neither_published_nor_accepted() {
        let keys = Keys::new();
        let real = keys.signing_key(SigningAlg::ES256).await.unwrap();
        let foreign = keys.foreign_key(SigningAlg::ES256).await.unwrap();
        assert_eq!(foreign.alg, real.alg);
        assert_ne!(foreign.kid, real.kid);
        assert!(keys.by_kid(&foreign.kid).await.is_none());
        let jwks = keys.jwks().await.unwrap();
        assert!(jwks
            .keys
            .iter()
            .all(|k| k.common.key_id.as_deref() != Some(foreign.kid.as_str())));
        // Generated once: the same key on every call.
        let again = keys.foreign_key(SigningAlg::ES256).await.unwrap();
        assert_eq!(again.kid, foreign.kid);
    }

    #[tokio::test]
    async fn a_token_from_another_key_does_not_verify() {
        let a = Keys::new();
        let b = Keys::new();
        let ka = a.signing_key(SigningAlg::ES256).await.unwrap();
        let kb = b.signing_key(SigningAlg::ES256).await.unwrap();
        let token = encode(
            &Header::new(Algorithm::ES256),
            &json!({"exp": 4_000_000_000u64}),
            &ka.encoding,
        )
        .unwrap();
        assert!(decode::<serde_json::Value>(
            &token,
            &kb.decoding,
            &Validation::new(Algorithm::ES256)
        )
        .is_err());
    }
}
