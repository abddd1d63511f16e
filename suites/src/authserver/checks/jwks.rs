//! The JSON Web Key Set at the metadata's `jwks_uri` (RFC 8414 §2, RFC 7517 §5): reachable, keys
//! with `kty` and `kid`, and no private key material.

use serde_json::{Map, Value};

use super::shown;
use crate::authserver::observation::{label, AuthServerObservation};
use crate::check::Finding;

/// Parameters of private (or symmetric) keys: RFC 7518 §6.2.2, §6.3.2, §6.4.1; RFC 8037 §2.
const PRIVATE_PARAMETERS: &[&str] = &["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// The keys of the set, or the finding that there is no set to judge (`Err`).
fn keys(obs: &AuthServerObservation) -> Result<Vec<Map<String, Value>>, Finding> {
    let Some(probe) = obs.probe(label::JWKS) else {
        return Err(Finding::not_judged(
            obs.why_not_probed(label::JWKS)
                .unwrap_or("the JWKS was not fetched")
                .to_string(),
        ));
    };
    let set = probe
        .ok()
        .filter(|r| r.status == 200)
        .and_then(|r| r.json())
        .filter(Value::is_object);
    let Some(set) = set else {
        return Err(Finding::violated(format!(
            "{}: not a JSON Web Key Set",
            shown(probe)
        )));
    };
    match set.get("keys").and_then(Value::as_array) {
        Some(keys) => Ok(keys
            .iter()
            .map(|k| k.as_object().cloned().unwrap_or_default())
            .collect()),
        None => Err(Finding::violated(format!(
            "{}: a JSON object without a `keys` array (RFC 7517 §5)",
            probe.url
        ))),
    }
}

/// `jwks-reachable` (AS-JWKS-1): `jwks_uri` answers 200 with a JSON Web Key Set with keys.
pub fn jwks_reachable(obs: &AuthServerObservation) -> Finding {
    match keys(obs) {
        Ok(keys) if keys.is_empty() => {
            Finding::violated("the key set is empty: no token can be verified")
        }
        Ok(keys) => Finding::met(format!("{} key(s)", keys.len())),
        Err(finding) => finding,
    }
}

/// `jwks-keys-kty` (AS-JWKS-1): every key has a `kty` (RFC 7517 §4.1 REQUIRED).
pub fn jwks_keys_kty(obs: &AuthServerObservation) -> Finding {
    judge_keys(obs, |i, key| match key.get("kty").and_then(Value::as_str) {
        Some(_) => None,
        None => Some(format!("key {i} has no kty")),
    })
}

/// `jwks-keys-kid` (AS-JWKS-1, SHOULD): every key has a `kid`, so verifiers can pick it.
pub fn jwks_keys_kid(obs: &AuthServerObservation) -> Finding {
    judge_keys(obs, |i, key| match key.get("kid").and_then(Value::as_str) {
        Some(_) => None,
        None => Some(format!("key {i} has no kid")),
    })
}

/// `jwks-no-private-keys` (AS-JWKS-1, MUST NOT): no key carries private or symmetric material.
pub fn jwks_no_private_keys(obs: &AuthServerObservation) -> Finding {
    judge_keys(obs, |i, key| {
        let private: Vec<&str> = PRIVATE_PARAMETERS
            .iter()
            .copied()
            .filter(|p| key.contains_key(*p))
            .collect();
        (!private.is_empty()).then(|| {
            format!(
                "key {i} publishes private parameters ({}): rotate that key now",
                private.join(", ")
            )
        })
    })
}

fn judge_keys(
    obs: &AuthServerObservation,
    bad: impl Fn(usize, &Map<String, Value>) -> Option<String>,
) -> Finding {
    let keys = match keys(obs) {
        Ok(keys) if !keys.is_empty() => keys,
        Ok(_) => return Finding::not_judged("the key set is empty"),
        Err(finding) => return Finding::not_judged(finding.message().to_string()),
    };
    let problems: Vec<String> = keys
        .iter()
        .enumerate()
        .filter_map(|(i, k)| bad(i, k))
        .collect();
    if problems.is_empty() {
        Finding::met(format!("all {} key(s)", keys.len()))
    } else {
        Finding::violated(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authserver::observation::test_support::*;
    use mcp_authlab_reports::SpecVersion;
    use serde_json::json;

    fn set(keys: Value) -> AuthServerObservation {
        let mut obs = observation(SpecVersion::V2025_11_25);
        push_json(
            &mut obs,
            label::JWKS,
            "http://127.0.0.1:2000/jwks",
            &json!({"keys": keys}),
        );
        obs
    }

    fn good() -> AuthServerObservation {
        set(json!([{"kty": "EC", "kid": "a", "crv": "P-256", "x": "x", "y": "y"}]))
    }

    #[test]
    fn jwks_reachable_() {
        assert!(jwks_reachable(&good()).is_met());
        assert!(jwks_reachable(&set(json!([]))).is_violated());
        let mut html = observation(SpecVersion::V2025_11_25);
        push(
            &mut html,
            label::JWKS,
            "http://127.0.0.1:2000/jwks",
            200,
            &[],
            "<html>",
        );
        assert!(jwks_reachable(&html).is_violated());
        let missing = observation(SpecVersion::V2025_11_25);
        assert!(matches!(jwks_reachable(&missing), Finding::NotJudged(_)));
    }

    #[test]
    fn jwks_keys_kty_() {
        assert!(jwks_keys_kty(&good()).is_met());
        assert!(jwks_keys_kty(&set(json!([{"kid": "a"}]))).is_violated());
    }

    #[test]
    fn jwks_keys_kid_() {
        assert!(jwks_keys_kid(&good()).is_met());
        assert!(jwks_keys_kid(&set(json!([{"kty": "EC"}]))).is_violated());
    }

    #[test]
    fn jwks_no_private_keys_() {
        assert!(jwks_no_private_keys(&good()).is_met());
        let private =
            jwks_no_private_keys(&set(json!([{"kty": "RSA", "n": "n", "e": "e", "d": "d"}])));
        assert!(
            private.is_violated() && private.message().contains("(d)"),
            "{private:?}"
        );
    }
}
