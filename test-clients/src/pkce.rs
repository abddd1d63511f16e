//! PKCE (RFC 7636; OAuth 2.1 §4.1.1): a fresh 64-character verifier from the unreserved set per
//! authorization, `S256` challenge.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::Rng;
use sha2::{Digest, Sha256};

use crate::breaks::{Break, Breaks};

/// RFC 7636 §4.1 `unreserved`.
const UNRESERVED: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
pub const VERIFIER_LEN: usize = 64;
/// One less than RFC 7636's minimum of 43 (`pkce-short-verifier`).
pub const SHORT_VERIFIER_LEN: usize = 42;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pkce {
    /// Sent to the token endpoint.
    pub verifier: String,
    pub challenge: String,
    pub method: &'static str,
}

/// A random verifier of `len` unreserved characters.
pub fn random_verifier(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| UNRESERVED[rng.random_range(0..UNRESERVED.len())] as char)
        .collect()
}

/// `BASE64URL(SHA256(ASCII(verifier)))` without padding (RFC 7636 §4.2).
pub fn s256(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The PKCE parameters of one authorization; `None` with `no-pkce`.
pub fn generate(breaks: &Breaks) -> Option<Pkce> {
    if breaks.has(Break::NoPkce) {
        return None;
    }
    let len = if breaks.has(Break::PkceShortVerifier) {
        SHORT_VERIFIER_LEN
    } else {
        VERIFIER_LEN
    };
    let verifier = random_verifier(len);
    let (challenge, method) = if breaks.has(Break::PkcePlain) {
        (verifier.clone(), "plain")
    } else {
        (s256(&verifier), "S256")
    };
    let verifier = if breaks.has(Break::PkceWrongVerifier) {
        random_verifier(len) // not the one the challenge was made from
    } else {
        verifier
    };
    Some(Pkce {
        verifier,
        challenge,
        method,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(b: Break) -> Breaks {
        let mut breaks = Breaks::default();
        breaks.insert(b);
        breaks
    }

    #[test]
    fn rfc7636_appendix_b_example() {
        assert_eq!(
            s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn correct_pkce_is_fresh_s256_over_unreserved() {
        let a = generate(&Breaks::default()).unwrap();
        let b = generate(&Breaks::default()).unwrap();
        assert_ne!(a.verifier, b.verifier);
        assert_eq!(a.verifier.len(), VERIFIER_LEN);
        assert!(a.verifier.bytes().all(|c| UNRESERVED.contains(&c)));
        assert_eq!(a.method, "S256");
        assert_eq!(a.challenge, s256(&a.verifier));
    }

    #[test]
    fn each_break_changes_one_thing() {
        assert!(generate(&with(Break::NoPkce)).is_none());
        let plain = generate(&with(Break::PkcePlain)).unwrap();
        assert_eq!((plain.method, &plain.challenge), ("plain", &plain.verifier));
        let wrong = generate(&with(Break::PkceWrongVerifier)).unwrap();
        assert_eq!(wrong.method, "S256");
        assert_ne!(wrong.challenge, s256(&wrong.verifier));
        let short = generate(&with(Break::PkceShortVerifier)).unwrap();
        assert_eq!(short.verifier.len(), 42);
        assert_eq!(short.challenge, s256(&short.verifier));
    }
}
