//! Client scenarios: discovery. Where the client finds the protected resource metadata and the
//! authorization server metadata (the official `auth/metadata-*` and 2025-03-26 back-compat
//! scenarios, plus the full priority orders), what it must refuse after reading them, and the
//! deployments whose metadata no conforming client can find.

use std::time::Duration;

use mcp_authlab_mock_idp::behaviour::MetadataLocation;
use mcp_authlab_mock_idp::Behaviour;
use mcp_authlab_reports::Level;

use super::authorization::pkce_checks;
use super::registration::{dcr_2026_checks, CLIENT_REGISTRATION_JSON, REDIRECT_URI_REGISTERED};
use crate::check::{Check, ALL_VERSIONS, ONLY_2025_03_26, SINCE_2025_06_18, SINCE_2025_11_25};
use crate::client::checks::discovery as d;
use crate::client::checks::outcome::CLIENT_COMPLETED;
use crate::client::observation::Observation;
use crate::client::scenario::{Expectation, Scenario};

/// Timeout of the scenarios whose metadata cannot be found: a client must give up well before.
pub const DISCOVERY_FAILURE_TIMEOUT: Duration = Duration::from_secs(15);

const PRM_PRIORITY_ORDER: Check<Observation> = Check {
    id: "prm-priority-order",
    level: Level::Must,
    requirement: "C-PRM-2",
    section:
        "MCP 2025-11-25 Protected Resource Metadata Discovery Requirements (resource_metadata \
              from the challenge, else the path-inserted well-known URI, then the root one); \
              RFC 9728 §3.1, §5.1",
    versions: SINCE_2025_11_25,
    run: d::prm_priority_order,
};

const PRM_FROM_RESOURCE_METADATA: Check<Observation> = Check {
    id: "prm-from-resource-metadata",
    level: Level::Must,
    requirement: "C-PRM-2",
    section: "MCP 2025-11-25 Protected Resource Metadata Discovery Requirements (clients MUST use \
              the resource metadata URL from the WWW-Authenticate header when present); RFC 9728 §5.1",
    versions: SINCE_2025_11_25,
    run: d::prm_from_resource_metadata,
};

const PRM_WELL_KNOWN_FALLBACK: Check<Observation> = Check {
    id: "prm-well-known-fallback",
    level: Level::Must,
    requirement: "C-PRM-2",
    section:
        "MCP 2025-11-25 Protected Resource Metadata Discovery Requirements (well-known URI at \
              the path, then at the root); RFC 9728 §3.1",
    versions: SINCE_2025_11_25,
    run: d::prm_well_known_fallback,
};

const AS_METADATA_PRIORITY_ORDER: Check<Observation> = Check {
    id: "as-metadata-priority-order",
    level: Level::Must,
    requirement: "C-ASM-1",
    section: "MCP 2025-11-25 Authorization Server Metadata Discovery (RFC 8414 path insertion, \
              OIDC path insertion, OIDC path appending; without a path: RFC 8414, then OIDC); \
              RFC 8414 §3.1; OIDC Discovery §4.1",
    versions: SINCE_2025_11_25,
    run: d::as_metadata_priority_order,
};

const AS_METADATA_WRONG_PATH: Check<Observation> = Check {
    id: "authorization-server-metadata-wrong-path",
    level: Level::Must,
    requirement: "C-ASM-1",
    section: "RFC 8414 §3.1 (the well-known path is inserted between the host and the issuer's \
              path); MCP 2025-11-25 Authorization Server Metadata Discovery",
    versions: SINCE_2025_06_18,
    run: d::authorization_server_metadata_wrong_path,
};

const RESOURCE_MISMATCH_REJECTED: Check<Observation> = Check {
    id: "resource-mismatch-rejected",
    level: Level::Must,
    requirement: "C-PRM-3",
    section: "RFC 9728 §3.3 (the resource value MUST be identical to the URL the client used; \
              otherwise the metadata MUST NOT be used), §7.3",
    versions: SINCE_2025_06_18,
    run: d::resource_mismatch_rejected,
};

const METADATA_ISSUER_REJECTED: Check<Observation> = Check {
    id: "sep-2468-client-validate-metadata-issuer",
    level: Level::Must,
    requirement: "C-ASM-2",
    section: "RFC 8414 §3.3 (the issuer value MUST be identical to the issuer identifier the \
              metadata URL was built from; otherwise the data MUST NOT be used); OIDC Discovery §4.3",
    versions: ALL_VERSIONS,
    run: d::metadata_issuer_rejected,
};

const PKCE_S256_REQUIRED: Check<Observation> = Check {
    id: "pkce-s256-required",
    level: Level::Must,
    requirement: "C-PKCE-3",
    section:
        "MCP 2025-11-25 Authorization Code Protection (if code_challenge_methods_supported is \
              absent, the client MUST refuse to proceed); RFC 8414 §2",
    versions: SINCE_2025_11_25,
    run: d::pkce_support_required,
};

const DISCOVERY_FAILURE_ENDS_CLEANLY: Check<Observation> = Check {
    id: "discovery-failure-ends-cleanly",
    level: Level::Should,
    requirement: "C-ASM-1",
    section: "MCP 2025-11-25 Authorization Server Metadata Discovery (only the listed well-known \
              URIs); RFC 8414 §3.1; at most 20 discovery requests, no guessed endpoints, stops \
              within the timeout",
    versions: SINCE_2025_06_18,
    run: d::discovery_failure_ends_cleanly,
};

const LEGACY_METADATA_AT_BASE_URL: Check<Observation> = Check {
    id: "authorization-server-metadata",
    level: Level::Must,
    requirement: "C-ASM-0326",
    section:
        "MCP 2025-03-26 Server Metadata Discovery (metadata at the authorization base URL: the \
              MCP URL without its path); RFC 8414 §3",
    versions: ONLY_2025_03_26,
    run: d::legacy_metadata_at_base_url,
};

const LEGACY_ENDPOINTS_FROM_METADATA: Check<Observation> = Check {
    id: "endpoints-from-metadata",
    level: Level::Must,
    requirement: "C-ASM-0326",
    section: "MCP 2025-03-26 Server Metadata Discovery (the endpoints come from the metadata; the \
              defaults are only for servers without metadata); RFC 8414 §2",
    versions: ONLY_2025_03_26,
    run: d::legacy_endpoints_from_metadata,
};

const LEGACY_DEFAULT_ENDPOINTS: Check<Observation> = Check {
    id: "default-endpoints-after-metadata",
    level: Level::Must,
    requirement: "C-ASM-0326",
    section: "MCP 2025-03-26 Fallbacks for Servers without Metadata Discovery (try the metadata \
              first, then /authorize, /token, /register at the authorization base URL)",
    versions: ONLY_2025_03_26,
    run: d::legacy_default_endpoints,
};

/// The official suite's authorization servers advertise no client ID metadata documents in these
/// scenarios, so the client registers dynamically.
fn without_cimd(b: &mut Behaviour) {
    b.cimd_supported = false;
}

/// The protected resource metadata path of the official `auth/metadata-var3`.
const VAR3_PRM_PATH: &str = "/custom/metadata/location.json";

/// Official `auth/metadata-var3`: the PRM only at `/custom/metadata/location.json` on the MCP
/// origin, named by the 401's `resource_metadata` (a client that ignores it finds no PRM at
/// either well-known URL); issuer `…/tenant1`, whose metadata is served only at
/// `/tenant1/.well-known/openid-configuration` (the third candidate).
fn metadata_var3(b: &mut Behaviour) {
    without_cimd(b);
    b.metadata_location =
        MetadataLocation::CustomPath("/tenant1/.well-known/openid-configuration".into());
    b.prm_custom_path = Some(VAR3_PRM_PATH.into());
    b.challenge_resource_metadata = true;
}

/// The official suite runs its PKCE checks in every scenario where the client gets a code.
fn with_pkce(mut checks: Vec<Check<Observation>>) -> Vec<Check<Observation>> {
    checks.extend(pkce_checks());
    checks
}

/// The official suite judges `application_type` (MCP 2026-07-28, SEP-837) at every dynamic
/// registration: the scenarios without client ID metadata documents, where the client registers.
fn with_dcr(mut checks: Vec<Check<Observation>>) -> Vec<Check<Observation>> {
    checks.extend(dcr_2026_checks());
    checks
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        Scenario {
            id: "auth/metadata-default",
            description: "Default deployment: PRM at the path-inserted well-known URL and named in \
                          the 401, RFC 8414 metadata for an issuer without a path; the root PRM URL \
                          is a trap",
            official: true,
            versions: SINCE_2025_11_25,
            variants: &[],
            tweak: Some(without_cimd),
            prepare: None,
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: with_dcr(with_pkce(vec![
                PRM_PRIORITY_ORDER,
                AS_METADATA_PRIORITY_ORDER,
                CLIENT_REGISTRATION_JSON,
                REDIRECT_URI_REGISTERED,
                CLIENT_COMPLETED,
            ])),
        },
        Scenario {
            id: "auth/metadata-var1",
            description: "No resource_metadata in the 401 (the client falls back to the well-known \
                          PRM URL) and only OpenID Connect discovery for the authorization server",
            official: true,
            versions: SINCE_2025_11_25,
            variants: &["challenge-without-resource-metadata", "oidc-discovery-only"],
            tweak: Some(without_cimd),
            prepare: None,
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: with_dcr(with_pkce(vec![
                PRM_PRIORITY_ORDER,
                AS_METADATA_PRIORITY_ORDER,
                CLIENT_COMPLETED,
            ])),
        },
        Scenario {
            id: "auth/metadata-var2",
            description: "PRM only at the root well-known URL and not named in the 401; issuer with \
                          a path (RFC 8414 path insertion); the root authorization server metadata \
                          URL is a trap",
            official: true,
            versions: SINCE_2025_11_25,
            variants: &["prm-root-only", "issuer-with-path"],
            tweak: Some(without_cimd),
            prepare: None,
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: with_dcr(with_pkce(vec![
                PRM_PRIORITY_ORDER,
                PRM_WELL_KNOWN_FALLBACK,
                AS_METADATA_WRONG_PATH,
                AS_METADATA_PRIORITY_ORDER,
                CLIENT_COMPLETED,
            ])),
        },
        Scenario {
            id: "auth/metadata-var3",
            description: "PRM only at a custom path (/custom/metadata/location.json) named by \
                          resource_metadata in the 401, at no well-known URL; issuer with a path \
                          whose metadata is only at /tenant1/.well-known/openid-configuration",
            official: true,
            versions: SINCE_2025_11_25,
            variants: &["issuer-with-path"],
            tweak: Some(metadata_var3),
            prepare: None,
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: with_dcr(with_pkce(vec![
                PRM_FROM_RESOURCE_METADATA,
                AS_METADATA_WRONG_PATH,
                AS_METADATA_PRIORITY_ORDER,
                CLIENT_COMPLETED,
            ])),
        },
        Scenario {
            id: "auth/2025-03-26-oauth-metadata-backcompat",
            description: "2025-03-26 layout: no PRM, the authorization server on the MCP origin, \
                          metadata at <MCP origin>/.well-known/oauth-authorization-server naming \
                          endpoints under /oauth/ (the defaults answer 404)",
            official: true,
            versions: ONLY_2025_03_26,
            variants: &["legacy-2025-03-26"],
            tweak: Some(without_cimd),
            prepare: None,
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: with_pkce(vec![
                LEGACY_METADATA_AT_BASE_URL,
                LEGACY_ENDPOINTS_FROM_METADATA,
                CLIENT_COMPLETED,
            ]),
        },
        Scenario {
            id: "auth/2025-03-26-oauth-endpoint-fallback",
            description: "2025-03-26 layout without metadata (404): the client falls back to \
                          /register, /authorize and /token on the MCP origin",
            official: true,
            versions: ONLY_2025_03_26,
            variants: &["legacy-2025-03-26-no-metadata"],
            tweak: Some(without_cimd),
            prepare: None,
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![LEGACY_DEFAULT_ENDPOINTS, CLIENT_COMPLETED],
        },
        Scenario {
            id: "auth/resource-mismatch",
            description: "The PRM `resource` names another server: the client must not use it \
                          (no authorization request)",
            official: true,
            versions: SINCE_2025_06_18,
            variants: &["prm-resource-mismatch"],
            tweak: None,
            prepare: None,
            tls: false,
            expectation: Expectation::Refuse,
            timeout: None,
            checks: vec![RESOURCE_MISMATCH_REJECTED],
        },
        Scenario {
            id: "auth/metadata-issuer-mismatch",
            description: "The authorization server metadata names another issuer than the one it \
                          was fetched for: the client must not register, authorize or request a \
                          token",
            official: true,
            versions: SINCE_2025_06_18,
            variants: &["issuer-mismatch"],
            tweak: None,
            prepare: None,
            tls: false,
            expectation: Expectation::Refuse,
            timeout: None,
            checks: vec![METADATA_ISSUER_REJECTED],
        },
        Scenario {
            id: "auth/as-metadata-oidc-path-inserted",
            description: "Issuer with a path and only OpenID Connect discovery: the metadata is \
                          first found at the second candidate, \
                          /.well-known/openid-configuration/tenant1",
            official: false,
            versions: SINCE_2025_11_25,
            variants: &["issuer-with-path", "oidc-discovery-only"],
            tweak: Some(without_cimd),
            prepare: None,
            tls: false,
            expectation: Expectation::Complete,
            timeout: None,
            checks: with_pkce(vec![
                AS_METADATA_PRIORITY_ORDER,
                AS_METADATA_WRONG_PATH,
                CLIENT_COMPLETED,
            ]),
        },
        Scenario {
            id: "auth/pkce-not-advertised",
            description: "The authorization server metadata has no code_challenge_methods_supported: \
                          the client must refuse to proceed (no authorization request)",
            official: false,
            versions: SINCE_2025_11_25,
            variants: &["pkce-not-advertised"],
            tweak: None,
            prepare: None,
            tls: false,
            expectation: Expectation::Refuse,
            timeout: None,
            checks: vec![PKCE_S256_REQUIRED],
        },
        Scenario {
            id: "auth/split-domain-metadata",
            description: "The authorization server metadata is served only from another origin \
                          than the issuer's: the client must look for it, then stop cleanly (no \
                          guessed endpoints, no loop)",
            official: false,
            versions: SINCE_2025_06_18,
            variants: &["split-domain-metadata"],
            tweak: None,
            prepare: None,
            tls: false,
            expectation: Expectation::Refuse,
            timeout: Some(DISCOVERY_FAILURE_TIMEOUT),
            checks: vec![DISCOVERY_FAILURE_ENDS_CLEANLY],
        },
        Scenario {
            id: "auth/custom-metadata-path",
            description: "The authorization server metadata is served only at a custom path: the \
                          client must look for it, then stop cleanly (no guessed endpoints, no loop)",
            official: false,
            versions: SINCE_2025_06_18,
            variants: &["custom-metadata-path"],
            tweak: None,
            prepare: None,
            tls: false,
            expectation: Expectation::Refuse,
            timeout: Some(DISCOVERY_FAILURE_TIMEOUT),
            checks: vec![DISCOVERY_FAILURE_ENDS_CLEANLY],
        },
        Scenario {
            id: "auth/https",
            description: "Every origin over HTTPS with a fresh CA the client is told to trust \
                          (SSL_CERT_FILE, NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE)",
            official: false,
            versions: SINCE_2025_06_18,
            variants: &[],
            tweak: None,
            prepare: None,
            tls: true,
            expectation: Expectation::Complete,
            timeout: None,
            checks: vec![CLIENT_COMPLETED],
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_ids_and_versions() {
        let all = scenarios();
        let official: Vec<&str> = all.iter().filter(|s| s.official).map(|s| s.id).collect();
        assert_eq!(
            official,
            [
                "auth/metadata-default",
                "auth/metadata-var1",
                "auth/metadata-var2",
                "auth/metadata-var3",
                "auth/2025-03-26-oauth-metadata-backcompat",
                "auth/2025-03-26-oauth-endpoint-fallback",
                "auth/resource-mismatch",
                "auth/metadata-issuer-mismatch",
            ]
        );
        for scenario in &all {
            for check in &scenario.checks {
                assert!(
                    scenario.versions.iter().any(|v| check.applies_to(*v)),
                    "{}: {} applies to none of the scenario's versions",
                    scenario.id,
                    check.id
                );
            }
            let completes = scenario.expectation == Expectation::Complete;
            let has_completion = scenario
                .checks
                .iter()
                .any(|c| c.id == "client-completed-flow");
            assert_eq!(completes, has_completion, "{}", scenario.id);
        }
    }

    #[test]
    fn var3_serves_the_prm_only_at_the_custom_path_and_metadata_at_the_third_candidate() {
        let behaviour = {
            let mut b =
                mcp_authlab_mock_idp::variants::behaviour_for(&["issuer-with-path"]).unwrap();
            metadata_var3(&mut b);
            b
        };
        let urls = mcp_authlab_mock_idp::urls::Urls::new(
            "http://127.0.0.1:1",
            "http://127.0.0.1:2",
            None,
            &behaviour,
        );
        assert_eq!(
            urls.served_metadata_url(&behaviour),
            "http://127.0.0.1:1/tenant1/.well-known/openid-configuration"
        );
        assert_eq!(
            urls.served_prm_url(&behaviour).as_deref(),
            Some("http://127.0.0.1:2/custom/metadata/location.json")
        );
        assert!(behaviour.challenge_resource_metadata);
        assert_eq!(behaviour.validate(), Ok(()));
    }
}
