//! One line per step on stderr. Secrets (tokens, codes, verifiers, client secrets, assertions)
//! are never printed: [`secret`] shows a fingerprint instead, enough to see that a value came back.

use sha2::{Digest, Sha256};

pub fn step(message: impl std::fmt::Display) {
    eprintln!("authlab-test-client: {message}");
}

/// `‹secret sha256:1a2b3c4d›`: the first 4 bytes of the value's SHA-256, never the value.
pub fn secret(value: &str) -> String {
    let digest = Sha256::digest(value.as_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("‹secret sha256:{hex}›")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_hides_the_value_but_is_stable() {
        let shown = secret("super-secret-token");
        assert!(!shown.contains("super"), "{shown}");
        assert_eq!(shown, secret("super-secret-token"));
        assert_ne!(shown, secret("another-token"));
    }
}
