//! Client scenarios: registration. Client ID metadata documents, pre-registered credentials,
//! dynamic registration and the authentication method it returns.

use mcp_authlab_mock_idp::config::ClientConfig;
use mcp_authlab_mock_idp::store::random_token;
use mcp_authlab_mock_idp::Behaviour;
use mcp_authlab_reports::Level;
use serde_json::json;

use super::authorization::{pkce_checks, resource_checks, ONLY_2026_07_28};
use crate::check::{Check, ALL_VERSIONS, SINCE_2025_06_18, SINCE_2025_11_25};
use crate::client::checks::application_type;
use crate::client::checks::outcome::CLIENT_COMPLETED;
use crate::client::checks::registration as r;
use crate::client::observation::Observation;
use crate::client::scenario::{Expectation, Scenario, Setup, SetupError};

/// The pre-registered client of `auth/pre-registration` (the official suite's id).
pub const PRE_REGISTERED_CLIENT_ID: &str = "pre-registered-client";

/// Its redirect URIs: the official conformance clients' `http://localhost:3000/callback`, and the
/// same on 127.0.0.1 (any port is accepted for loopback redirect URIs, RFC 8252 §7.3).
pub const PRE_REGISTERED_REDIRECT_URIS: &[&str] = &[
    "http://localhost:3000/callback",
    "http://127.0.0.1:3000/callback",
];

pub(crate) const CLIENT_REGISTRATION_JSON: Check<Observation> = Check {
    id: "client-registration-json",
    level: Level::Must,
    requirement: "C-DCR-2",
    section: "RFC 7591 §3.1 (HTTP POST with Content-Type application/json, the client metadata as \
              a JSON object); §2 (redirect_uris for redirect-based flows)",
    versions: ALL_VERSIONS,
    run: r::client_registration_json,
};

pub(crate) const REDIRECT_URI_REGISTERED: Check<Observation> = Check {
    id: "redirect-uri-registered",
    level: Level::Must,
    requirement: "C-REDIR-1",
    section: "MCP Authorization, Communication Security (redirect URIs are localhost or HTTPS); \
              OAuth 2.1 §2.3.1, §4.1.1 (a registered redirect URI); RFC 8252 §7.3 (loopback port)",
    versions: ALL_VERSIONS,
    run: r::redirect_uri_registered,
};

const APPLICATION_TYPE_SECTION: &str =
    "MCP 2026-07-28 Client Registration, Dynamic Client Registration, Application Type and \
     Redirect URI Constraints (SEP-837); OpenID Connect Dynamic Client Registration 1.0 §2";

/// SEP-837: every dynamic registration names `application_type` (new in MCP 2026-07-28).
pub(crate) const APPLICATION_TYPE_PRESENT: Check<Observation> = Check {
    id: "sep-837-application-type-present",
    level: Level::Must,
    requirement: "C-DCR-03",
    section: APPLICATION_TYPE_SECTION,
    versions: ONLY_2026_07_28,
    run: application_type::application_type_present,
};

/// SEP-837: a client with loopback redirect URIs registers as `native`.
pub(crate) const APPLICATION_TYPE_NATIVE: Check<Observation> = Check {
    id: "sep-837-application-type-native",
    level: Level::Should,
    requirement: "C-DCR-03",
    section: APPLICATION_TYPE_SECTION,
    versions: ONLY_2026_07_28,
    run: application_type::application_type_native_for_loopback,
};

/// The checks of a scenario where the client registers dynamically that only MCP 2026-07-28
/// requires.
pub(crate) fn dcr_2026_checks() -> Vec<Check<Observation>> {
    vec![APPLICATION_TYPE_PRESENT, APPLICATION_TYPE_NATIVE]
}

const TOKEN_ENDPOINT_AUTH_METHOD: Check<Observation> = Check {
    id: "token-endpoint-auth-method",
    level: Level::Must,
    requirement: "C-DCR-2",
    section: "RFC 7591 §3.2.1 (the response holds the registered metadata), §2 \
              (token_endpoint_auth_method; omitted means client_secret_basic); OAuth 2.1 §2.4",
    versions: ALL_VERSIONS,
    run: r::token_endpoint_auth_method,
};

const PRE_REGISTRATION_AUTH: Check<Observation> = Check {
    id: "pre-registration-auth",
    level: Level::Must,
    requirement: "C-REG-1",
    section: "MCP 2025-11-25 Client Registration Approaches, Preregistration (pre-registered \
              credentials come first); OAuth 2.1 §2.4.1 (client_secret_basic)",
    versions: SINCE_2025_11_25,
    run: r::pre_registration_auth,
};

/// The same judgement where DCR and client ID metadata documents are available too: the
/// registration priority of MCP 2025-11-25 is a SHOULD.
const PRE_REGISTRATION_PREFERRED: Check<Observation> = Check {
    id: "pre-registration-preferred",
    level: Level::Should,
    requirement: "C-REG-1",
    section: "MCP 2025-11-25 Client Registration Approaches (pre-registered credentials, then \
              client ID metadata documents, then DCR)",
    versions: SINCE_2025_11_25,
    run: r::pre_registration_auth,
};

const CIMD_CLIENT_ID_USED: Check<Observation> = Check {
    id: "cimd-client-id-used",
    level: Level::Should,
    requirement: "C-REG-1",
    section: "MCP 2025-11-25 Client Registration Approaches (client ID metadata documents before \
              DCR when client_id_metadata_document_supported); Client ID Metadata Documents \
              (C-CIMD-1: the client_id is an https URL with a path)",
    versions: SINCE_2025_11_25,
    run: r::cimd_client_id_used,
};

fn without_cimd(b: &mut Behaviour) {
    b.cimd_supported = false;
}

fn auth_basic(b: &mut Behaviour) {
    without_cimd(b);
    b.registration_auth_method = Some("client_secret_basic".into());
}

fn auth_post(b: &mut Behaviour) {
    without_cimd(b);
    b.registration_auth_method = Some("client_secret_post".into());
}

fn auth_none(b: &mut Behaviour) {
    without_cimd(b);
    b.registration_auth_method = Some("none".into());
}

fn auth_method_omitted(b: &mut Behaviour) {
    without_cimd(b);
    b.registration_response_omits_auth_method = true;
}

/// Pre-registration: the metadata lists only `client_secret_basic`, as the official scenario's.
fn pre_registration_behaviour(b: &mut Behaviour) {
    b.registration_auth_method = Some("client_secret_basic".into());
}

/// A pre-registered confidential client with a fresh random secret, and the context that hands
/// its credentials to the client.
fn pre_registered_client(setup: &mut Setup) -> Result<(), SetupError> {
    let client_secret = random_token(24);
    setup.config.clients.push(ClientConfig {
        client_id: PRE_REGISTERED_CLIENT_ID.into(),
        client_secret: Some(client_secret.clone()),
        redirect_uris: PRE_REGISTERED_REDIRECT_URIS
            .iter()
            .map(|u| u.to_string())
            .collect(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        token_endpoint_auth_method: Some("client_secret_basic".into()),
        jwks: None,
        scope: None,
        client_name: Some("mcp-authlab pre-registered client".into()),
    });
    setup.context = Some(json!({
        "client_id": PRE_REGISTERED_CLIENT_ID,
        "client_secret": client_secret,
    }));
    Ok(())
}

/// One of the official `auth/token-endpoint-auth-*` scenarios.
fn token_endpoint_auth(
    id: &'static str,
    description: &'static str,
    tweak: fn(&mut Behaviour),
) -> Scenario {
    Scenario {
        id,
        description,
        official: true,
        versions: SINCE_2025_06_18,
        variants: &[],
        tweak: Some(tweak),
        prepare: None,
        tls: false,
        expectation: Expectation::Complete,
        timeout: None,
        // As in the official suite: the PKCE and RFC 8707 resource checks run here too.
        checks: [
            vec![
                TOKEN_ENDPOINT_AUTH_METHOD,
                CLIENT_REGISTRATION_JSON,
                REDIRECT_URI_REGISTERED,
                CLIENT_COMPLETED,
            ],
            pkce_checks(),
            resource_checks(),
            dcr_2026_checks(),
        ]
        .concat(),
    }
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            id: "auth/basic-cimd",
            description: "The authorization server advertises client ID metadata documents (and \
                          DCR): the client's client_id is its metadata document URL",
            official: true,
            versions: SINCE_2025_11_25,
            variants: &[],
            tweak: None,
            prepare: None,
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![CIMD_CLIENT_ID_USED, CLIENT_COMPLETED],
        },
        Scenario {
            id: "auth/pre-registration",
            description:
                "No registration endpoint; the client is given pre-registered credentials \
                          (MCP_CONFORMANCE_CONTEXT client_id/client_secret) and must authenticate \
                          with them (client_secret_basic)",
            official: true,
            versions: SINCE_2025_11_25,
            variants: &["no-registration-endpoint"],
            tweak: Some(pre_registration_behaviour),
            prepare: Some(pre_registered_client),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![PRE_REGISTRATION_AUTH, CLIENT_COMPLETED],
        },
        Scenario {
            id: "auth/pre-registration-priority",
            description: "The client is given pre-registered credentials while the authorization \
                          server also offers client ID metadata documents and DCR: it should use \
                          the credentials (no registration, Basic with exactly them)",
            official: false,
            versions: SINCE_2025_11_25,
            variants: &[],
            tweak: None,
            prepare: Some(pre_registered_client),
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![PRE_REGISTRATION_PREFERRED, CLIENT_COMPLETED],
        },
        token_endpoint_auth(
            "auth/token-endpoint-auth-basic",
            "DCR registers the client as client_secret_basic (the only method advertised); the \
             token request must use it",
            auth_basic,
        ),
        token_endpoint_auth(
            "auth/token-endpoint-auth-post",
            "DCR registers the client as client_secret_post (the only method advertised); the \
             token request must use it",
            auth_post,
        ),
        token_endpoint_auth(
            "auth/token-endpoint-auth-none",
            "DCR registers a public client (none, the only method advertised); the token request \
             must carry no client secret",
            auth_none,
        ),
        Scenario {
            id: "auth/registration-auth-method-omitted",
            description: "The DCR response omits token_endpoint_auth_method: the client must use \
                          client_secret_basic (RFC 7591 §2 default)",
            official: false,
            versions: SINCE_2025_06_18,
            variants: &[],
            tweak: Some(auth_method_omitted),
            prepare: None,
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![
                TOKEN_ENDPOINT_AUTH_METHOD,
                CLIENT_REGISTRATION_JSON,
                CLIENT_COMPLETED,
                APPLICATION_TYPE_PRESENT,
                APPLICATION_TYPE_NATIVE,
            ],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pre_registration_setup_has_a_fresh_secret_in_config_and_context() {
        let scenario = scenarios()
            .into_iter()
            .find(|s| s.id == "auth/pre-registration")
            .unwrap();
        let one = scenario.setup().unwrap();
        let two = scenario.setup().unwrap();
        let context = one.context.as_ref().unwrap();
        assert_eq!(context["client_id"], PRE_REGISTERED_CLIENT_ID);
        let secret = context["client_secret"].as_str().unwrap();
        assert!(secret.len() >= 32, "{secret}");
        assert_ne!(
            two.context.unwrap()["client_secret"],
            context["client_secret"]
        );
        let client = &one.config.clients[0];
        assert_eq!(client.client_secret.as_deref(), Some(secret));
        assert_eq!(
            client.token_endpoint_auth_method.as_deref(),
            Some("client_secret_basic")
        );
        one.config.validate().unwrap();
    }

    #[test]
    fn complete_scenarios_check_completion_and_checks_apply_to_their_versions() {
        for scenario in scenarios() {
            assert_eq!(
                scenario.expectation,
                Expectation::Complete,
                "{}",
                scenario.id
            );
            assert!(
                scenario
                    .checks
                    .iter()
                    .any(|c| c.id == "client-completed-flow"),
                "{}",
                scenario.id
            );
            for check in &scenario.checks {
                assert!(
                    scenario.versions.iter().any(|v| check.applies_to(*v)),
                    "{}: {}",
                    scenario.id,
                    check.id
                );
            }
        }
    }

    #[test]
    fn token_endpoint_auth_scenarios_force_one_method_without_cimd() {
        for (id, method) in [
            ("auth/token-endpoint-auth-basic", "client_secret_basic"),
            ("auth/token-endpoint-auth-post", "client_secret_post"),
            ("auth/token-endpoint-auth-none", "none"),
        ] {
            let scenario = scenarios().into_iter().find(|s| s.id == id).unwrap();
            let mut behaviour = Behaviour::default();
            (scenario.tweak.unwrap())(&mut behaviour);
            assert_eq!(behaviour.registration_auth_method.as_deref(), Some(method));
            assert!(!behaviour.cimd_supported);
            assert!(behaviour.validate().is_ok());
        }
    }
}
