//! `private_key_jwt` client assertions (RFC 7523 §2.2, §3): `iss` = `sub` = client_id, `aud` = the
//! authorization server's issuer, `exp` in 5 minutes, a random `jti`, signed ES256.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use rand::RngCore;
use serde::Serialize;

use crate::breaks::{Break, Breaks};
use crate::error::{ClientError, Result};
use crate::log;

pub const ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The audience `jwt-wrong-audience` puts in instead of the issuer.
pub const WRONG_AUDIENCE: &str = "https://wrong.example/";
const LIFETIME_SECS: u64 = 300;

#[derive(Debug, Serialize)]
struct Claims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    iat: u64,
    exp: u64,
    jti: String,
}

pub fn sign(client_id: &str, issuer: &str, pem: &str, breaks: &Breaks) -> Result<String> {
    let aud = if breaks.has(Break::JwtWrongAudience) {
        log::step(format!("BREAK jwt-wrong-audience: aud {WRONG_AUDIENCE}"));
        WRONG_AUDIENCE
    } else {
        issuer
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let mut jti = [0u8; 16];
    rand::rng().fill_bytes(&mut jti);
    let claims = Claims {
        iss: client_id,
        sub: client_id,
        aud,
        iat: now,
        exp: now + LIFETIME_SECS,
        jti: URL_SAFE_NO_PAD.encode(jti),
    };
    let key = EncodingKey::from_ec_pem(pem.as_bytes())
        .map_err(|e| ClientError::Config(format!("private_key_pem is not an EC key: {e}")))?;
    encode(&Header::new(Algorithm::ES256), &claims, &key)
        .map_err(|e| ClientError::Config(format!("cannot sign the client assertion: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// A throwaway P-256 key (PKCS#8), only for this test.
    const PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgocxsDziyOo1zQ9GO
zkE5WmRtEUgm9GBQDzTXvmNsOi6hRANCAAR2iXIVDhodURYg5uc/k41An60knjDp
E62cu8PW6DyjBgiuhJbqOEBhgbR8BaCHk9NfHfN5no3OrGWjQFMgB7F0
-----END PRIVATE KEY-----";

    fn claims(jwt: &str) -> Value {
        let payload = jwt.split('.').nth(1).unwrap();
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
    }

    #[test]
    fn claims_follow_rfc7523() {
        let jwt = sign("cid", "http://as.example", PEM, &Breaks::default()).unwrap();
        let c = claims(&jwt);
        assert_eq!(c["iss"], "cid");
        assert_eq!(c["sub"], "cid");
        assert_eq!(c["aud"], "http://as.example");
        assert_eq!(c["exp"].as_u64().unwrap() - c["iat"].as_u64().unwrap(), 300);
        assert!(c["jti"].as_str().unwrap().len() >= 16);
        let header = jsonwebtoken::decode_header(&jwt).unwrap();
        assert_eq!(header.alg, Algorithm::ES256);
        assert_ne!(
            claims(&sign("cid", "x", PEM, &Breaks::default()).unwrap())["jti"],
            c["jti"]
        );
    }

    #[test]
    fn wrong_audience_break() {
        let mut breaks = Breaks::default();
        breaks.insert(Break::JwtWrongAudience);
        let jwt = sign("cid", "http://as.example", PEM, &breaks).unwrap();
        assert_eq!(claims(&jwt)["aud"], WRONG_AUDIENCE);
        assert!(sign("cid", "x", "not a key", &Breaks::default()).is_err());
    }
}
