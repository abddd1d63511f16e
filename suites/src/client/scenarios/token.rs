//! Client scenarios: renewing tokens (an access token that dies in mid-session, rotated refresh
//! tokens) and the client-credentials extension (the official `auth/client-credentials-*`
//! scenarios: HTTP Basic with a pre-registered secret, `private_key_jwt` with a fresh ES256 key).

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use mcp_authlab_mock_idp::config::ClientConfig;
use mcp_authlab_mock_idp::Behaviour;
use mcp_authlab_reports::Level;
use serde_json::json;

use super::authorization::{BEARER_ON_EVERY_REQUEST, RESOURCE_IN_REFRESH};
use crate::check::{Check, ALL_VERSIONS, SINCE_2025_06_18};
use crate::client::checks::outcome::CLIENT_COMPLETED;
use crate::client::checks::token as t;
use crate::client::observation::Observation;
use crate::client::scenario::{Expectation, Scenario, Setup, SetupError};

/// The client id of the client-credentials scenarios (the official suite's).
pub const CC_CLIENT_ID: &str = "conformance-test-client";
/// The secret of `auth/client-credentials-basic` (the official suite's).
pub const CC_CLIENT_SECRET: &str = "conformance-test-secret";

/// How many MCP requests an access token is good for in `auth/refresh-rotation`. One: every
/// request after the first needs a refresh, so a flow of a few requests refreshes several times
/// and a client that presents an already rotated refresh token shows it.
pub const REFRESH_ROTATION_TOKEN_USES: u32 = 1;

const REFRESH_ON_EXPIRY: Check<Observation> = Check {
    id: "refresh-on-expiry",
    level: Level::Should,
    requirement: "C-RT-02",
    section:
        "OAuth 2.1 §4.3 (refresh token grant), §5.3 (invalid_token); MCP Authorization, Token \
              Handling",
    versions: ALL_VERSIONS,
    run: t::refresh_on_expiry,
};

const REFRESH_TOKEN_ROTATED: Check<Observation> = Check {
    id: "refresh-token-rotated",
    level: Level::Must,
    requirement: "C-RT-01",
    section: "OAuth 2.1 §4.3.2 (the client MUST discard the old refresh token when a new one is \
              issued); MCP Authorization, Token Theft (rotation for public clients)",
    versions: ALL_VERSIONS,
    run: t::refresh_token_rotated,
};

const CC_SECTION: &str =
    "MCP extension io.modelcontextprotocol/oauth-client-credentials; OAuth 2.1 \
                          §4.2";

const CC_GRANT_TYPE: Check<Observation> = Check {
    id: "client-credentials-grant-type",
    level: Level::Must,
    requirement: "E-CC-01",
    section: CC_SECTION,
    versions: SINCE_2025_06_18,
    run: t::client_credentials_grant_type,
};

const CC_BASIC_AUTH: Check<Observation> = Check {
    id: "client-credentials-basic-auth",
    level: Level::Must,
    requirement: "E-CC-01",
    section:
        "MCP extension io.modelcontextprotocol/oauth-client-credentials (client_secret_basic); \
              OAuth 2.1 §2.4.1",
    versions: SINCE_2025_06_18,
    run: t::client_credentials_basic_auth,
};

const CC_JWT_VERIFIED: Check<Observation> = Check {
    id: "client-credentials-jwt-verified",
    level: Level::Must,
    requirement: "E-CC-02",
    section: "MCP extension io.modelcontextprotocol/oauth-client-credentials (private_key_jwt); \
              RFC 7523 §2.2, §3 (iss = sub = client_id; aud = the authorization server's issuer, \
              as rfc7523bis requires)",
    versions: SINCE_2025_06_18,
    run: t::client_credentials_jwt_verified,
};

const GIVES_UP_ON_HANGING_TOKEN_ENDPOINT: Check<Observation> = Check {
    id: "gives-up-on-unresponsive-token-endpoint",
    level: Level::Should,
    requirement: "C-TIMEOUT-1",
    section: "MCP 2025-11-25 Security Considerations (availability); RFC 9110 §9.2.2 (a client \
              gives up on a request that does not complete)",
    versions: ALL_VERSIONS,
    run: t::gives_up_on_unresponsive_token_endpoint,
};

/// Time the client gets in `auth/hanging-token-endpoint`: enough for a request timeout of 20 s.
pub const HANGING_TOKEN_ENDPOINT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

fn token_dies_in_mid_session(b: &mut Behaviour) {
    b.token_valid_for_requests = Some(REFRESH_ROTATION_TOKEN_USES);
}

/// A pre-registered confidential client that may only use the client_credentials grant.
fn cc_client(method: &str) -> ClientConfig {
    ClientConfig {
        client_id: CC_CLIENT_ID.into(),
        client_secret: None,
        redirect_uris: Vec::new(),
        grant_types: vec!["client_credentials".into()],
        token_endpoint_auth_method: Some(method.into()),
        jwks: None,
        scope: None,
        client_name: Some("conformance client credentials client".into()),
    }
}

/// The metadata names only `client_secret_basic`, the method the client is registered with (as in
/// the official scenario): a client that picks another listed method is not misled.
fn basic_only(behaviour: &mut Behaviour) {
    behaviour.registration_auth_method = Some("client_secret_basic".into());
}

fn client_credentials_basic(setup: &mut Setup) -> Result<(), SetupError> {
    setup.config.clients.push(ClientConfig {
        client_secret: Some(CC_CLIENT_SECRET.into()),
        ..cc_client("client_secret_basic")
    });
    setup.context = Some(json!({
        "client_id": CC_CLIENT_ID,
        "client_secret": CC_CLIENT_SECRET,
    }));
    Ok(())
}

/// A fresh ES256 key: the private key as PKCS#8 PEM (for the client) and the public key as a
/// JWK (for the mock's client registration).
fn es256_key() -> Result<(String, serde_json::Value), SetupError> {
    let failed = |e: &dyn std::fmt::Display| SetupError(format!("ES256 key: {e}"));
    let pair =
        rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| failed(&e))?;
    let pem = pair.serialize_pem();
    let encoding = EncodingKey::from_ec_pem(pem.as_bytes()).map_err(|e| failed(&e))?;
    let jwk = Jwk::from_encoding_key(&encoding, Algorithm::ES256).map_err(|e| failed(&e))?;
    let jwk = serde_json::to_value(jwk).map_err(|e| failed(&e))?;
    Ok((pem, jwk))
}

fn client_credentials_jwt(setup: &mut Setup) -> Result<(), SetupError> {
    let (pem, jwk) = es256_key()?;
    setup.config.clients.push(ClientConfig {
        jwks: Some(json!({ "keys": [jwk] })),
        ..cc_client("private_key_jwt")
    });
    setup.context = Some(json!({
        "client_id": CC_CLIENT_ID,
        "private_key_pem": pem,
        "signing_algorithm": "ES256",
    }));
    Ok(())
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            id: "auth/hanging-token-endpoint",
            description: "The token endpoint accepts the connection and never answers: the client \
                          must time its request out and stop, not hang",
            official: false,
            versions: ALL_VERSIONS,
            variants: &["hanging-token-endpoint"],
            tweak: None,
            prepare: None,
            tls: false,
            expectation: Expectation::Refuse,
            timeout: Some(HANGING_TOKEN_ENDPOINT_TIMEOUT),
            checks: vec![GIVES_UP_ON_HANGING_TOKEN_ENDPOINT],
        },
        Scenario {
            id: "auth/refresh-rotation",
            description: "Each access token is good for one MCP request, then 401 invalid_token: the \
                          client refreshes (with resource) instead of authorizing again, and always \
                          presents the newest (rotated) refresh token",
            official: false,
            versions: SINCE_2025_06_18,
            variants: &[],
            tweak: Some(token_dies_in_mid_session),
            prepare: None,
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![
                REFRESH_ON_EXPIRY,
                REFRESH_TOKEN_ROTATED,
                RESOURCE_IN_REFRESH,
                BEARER_ON_EVERY_REQUEST,
                CLIENT_COMPLETED,
            ],
        },
        Scenario {
            id: "auth/client-credentials-basic",
            description: "Client credentials grant with a pre-registered client_id and \
                          client_secret (in MCP_CONFORMANCE_CONTEXT), authenticated with HTTP Basic",
            official: true,
            versions: SINCE_2025_06_18,
            variants: &[],
            tweak: Some(basic_only),
            prepare: Some(client_credentials_basic),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![CC_GRANT_TYPE, CC_BASIC_AUTH, CLIENT_COMPLETED],
        },
        Scenario {
            id: "auth/client-credentials-jwt",
            description: "Client credentials grant with private_key_jwt: a fresh ES256 key (PKCS#8 \
                          PEM in MCP_CONFORMANCE_CONTEXT), the assertion's aud is the issuer",
            official: true,
            versions: SINCE_2025_06_18,
            variants: &[],
            tweak: None,
            prepare: Some(client_credentials_jwt),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![CC_GRANT_TYPE, CC_JWT_VERIFIED, CLIENT_COMPLETED],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_jwt_scenario_gets_a_key_pair_that_signs_and_verifies() {
        let scenario = scenarios()
            .into_iter()
            .find(|s| s.id == "auth/client-credentials-jwt")
            .unwrap();
        let setup = scenario.setup().unwrap();
        setup.config.validate().unwrap();
        let context = setup.context.unwrap();
        assert_eq!(context["client_id"], CC_CLIENT_ID);
        assert_eq!(context["signing_algorithm"], "ES256");
        let pem = context["private_key_pem"].as_str().unwrap();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----"), "PKCS#8");
        let jwk = setup.config.clients[0].jwks.as_ref().unwrap()["keys"][0].clone();
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], "P-256");
        assert!(jwk.get("d").is_none(), "the JWK must be public only");
        // An assertion signed with the PEM verifies with the JWK.
        let key = EncodingKey::from_ec_pem(pem.as_bytes()).unwrap();
        let claims =
            json!({"iss": CC_CLIENT_ID, "sub": CC_CLIENT_ID, "aud": "x", "exp": 4_000_000_000u64});
        let token =
            jsonwebtoken::encode(&jsonwebtoken::Header::new(Algorithm::ES256), &claims, &key)
                .unwrap();
        let jwk: Jwk = serde_json::from_value(jwk).unwrap();
        let mut validation = jsonwebtoken::Validation::new(Algorithm::ES256);
        validation.set_audience(&["x"]);
        jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap(),
            &validation,
        )
        .unwrap();
        // Each run gets its own key.
        let again = scenario.setup().unwrap().context.unwrap();
        assert_ne!(again["private_key_pem"], context["private_key_pem"]);
    }

    #[test]
    fn the_basic_scenario_preregisters_its_secret() {
        let scenario = scenarios()
            .into_iter()
            .find(|s| s.id == "auth/client-credentials-basic")
            .unwrap();
        let setup = scenario.setup().unwrap();
        let client = &setup.config.clients[0];
        assert_eq!(client.effective_auth_method(), "client_secret_basic");
        assert_eq!(client.grant_types, vec!["client_credentials"]);
        assert_eq!(setup.context.unwrap()["client_secret"], CC_CLIENT_SECRET);
    }
}
