//! One discovery scenario per spec version: the client of that version looks for the metadata
//! where its spec says, and the document it finds must be usable (issuer, code flow, endpoints,
//! HTTPS, and from 2025-11-25 on S256). Each is judged at its own version; its verdict is the
//! per-version verdict ([`crate::authserver::verdict`]).

use mcp_authlab_reports::{Level, SpecVersion};

use crate::authserver::checks::{discovery as d, metadata as m};
use crate::authserver::observation::AuthServerObservation;
use crate::authserver::scenario::{AuthServerScenario, Needs, Step};
use crate::check::{Check, ALL_VERSIONS, ONLY_2025_03_26, SINCE_2025_06_18, SINCE_2025_11_25};

use super::ONLY_2026_07_28;

type C = Check<AuthServerObservation>;

const AS_DISCOVERY: &str = "MCP 2025-11-25 Authorization, Authorization Server Metadata \
                            Discovery; MCP 2025-06-18 Authorization Server Discovery; RFC 8414 §3";

const LOCATIONS: C = Check {
    id: "metadata-locations",
    level: Level::May,
    requirement: "C-ASM-1",
    section: AS_DISCOVERY,
    versions: ALL_VERSIONS,
    run: d::metadata_locations,
};

const FOUND: C = Check {
    id: "as-metadata-found",
    level: Level::Must,
    requirement: "AS-META-1",
    section: AS_DISCOVERY,
    versions: SINCE_2025_06_18,
    run: d::metadata_found,
};

const LEGACY_FOUND: C = Check {
    id: "as-metadata-found",
    level: Level::Must,
    requirement: "C-ASM-0326",
    section: "MCP 2025-03-26 Authorization, Server Metadata Discovery; Fallbacks for Servers \
              without Metadata Discovery",
    versions: ONLY_2025_03_26,
    run: d::legacy_metadata_found,
};

const ISSUER_MATCHES: C = Check {
    id: "as-issuer-matches",
    level: Level::Must,
    requirement: "AS-META-04",
    section: "RFC 8414 §3.3 (issuer identical to the issuer identifier the URL was built from; \
              clients MUST NOT use the metadata otherwise)",
    versions: &[
        SpecVersion::V2025_03_26,
        SpecVersion::V2025_06_18,
        SpecVersion::V2025_11_25,
    ],
    run: d::issuer_matches,
};

const ISSUER_IDENTICAL: C = Check {
    id: "as-issuer-identical",
    level: Level::Must,
    requirement: "AS-META-04",
    section: "MCP 2026-07-28 Authorization Server Metadata Discovery (the issuer in the document \
              MUST be identical to the issuer identifier used to construct the well-known URL; \
              clients MUST NOT use it otherwise and MUST NOT normalise, RFC 3986 §6.2.1); RFC \
              8414 §3.3",
    versions: ONLY_2026_07_28,
    run: d::issuer_identical,
};

const ISS_PARAMETER_SUPPORTED: C = Check {
    id: "iss-parameter-supported",
    level: Level::Should,
    requirement: "AS-META-09",
    section: "MCP 2026-07-28 Authorization Response Validation (authorization servers SHOULD \
              include iss and MUST then advertise authorization_response_iss_parameter_supported); \
              RFC 9207 §2, §3",
    versions: ONLY_2026_07_28,
    run: m::iss_parameter_supported,
};

const RESPONSE_TYPE_CODE: C = Check {
    id: "as-response-type-code",
    level: Level::Must,
    requirement: "AS-META-05",
    section: "RFC 8414 §2 (response_types_supported REQUIRED); OAuth 2.1 §4.1",
    versions: ALL_VERSIONS,
    run: d::response_type_code,
};

const ENDPOINTS_PRESENT: C = Check {
    id: "as-endpoints-present",
    level: Level::Must,
    requirement: "AS-META-05",
    section: "RFC 8414 §2 (authorization_endpoint and token_endpoint REQUIRED for the code grant)",
    versions: ALL_VERSIONS,
    run: d::endpoints_present,
};

const GRANT_CODE: C = Check {
    id: "grant-type-authorization-code",
    level: Level::Must,
    requirement: "AS-META-12",
    section: "RFC 8414 §2 (grant_types_supported; default authorization_code, implicit); MCP \
              Authorization (OAuth 2.1 authorization code flow)",
    versions: ALL_VERSIONS,
    run: m::grant_type_authorization_code,
};

const PKCE_S256: C = Check {
    id: "as-pkce-s256",
    level: Level::Must,
    requirement: "AS-META-2",
    section: "MCP 2025-11-25 Authorization, Authorization Code Protection (clients MUST refuse \
              without code_challenge_methods_supported; S256 when capable); RFC 8414 §2",
    versions: SINCE_2025_11_25,
    run: d::pkce_s256,
};

const HTTPS: C = Check {
    id: "as-https",
    level: Level::Must,
    requirement: "AS-TLS-1",
    section: "MCP Authorization, Communication Security (all authorization server endpoints MUST \
              be served over HTTPS); OAuth 2.1 §1.5",
    versions: ALL_VERSIONS,
    run: d::https,
};

fn scenario(
    id: &'static str,
    description: &'static str,
    version: SpecVersion,
) -> AuthServerScenario {
    let legacy = version == SpecVersion::V2025_03_26;
    let current = version == SpecVersion::V2026_07_28;
    let mut checks = vec![
        LOCATIONS,
        if legacy { LEGACY_FOUND } else { FOUND },
        if current {
            ISSUER_IDENTICAL
        } else {
            ISSUER_MATCHES
        },
        RESPONSE_TYPE_CODE,
        ENDPOINTS_PRESENT,
        GRANT_CODE,
        PKCE_S256,
        HTTPS,
    ];
    if current {
        checks.push(ISS_PARAMETER_SUPPORTED);
    }
    AuthServerScenario {
        id,
        description,
        version: Some(version),
        needs: Needs::Nothing,
        steps: vec![if legacy {
            Step::LegacyDiscovery
        } else {
            Step::Discovery
        }],
        checks,
    }
}

pub fn scenarios() -> Vec<AuthServerScenario> {
    vec![
        scenario(
            "authserver/discovery-2025-03-26",
            "An MCP 2025-03-26 client finds the authorization server: metadata at \
             <origin>/.well-known/oauth-authorization-server, else (404) /authorize, /token and \
             /register on that origin (2025-03-26 clients derive it from the MCP server's origin: \
             this assumes the MCP server shares the issuer's origin)",
            SpecVersion::V2025_03_26,
        ),
        scenario(
            "authserver/discovery-2025-06-18",
            "An MCP 2025-06-18 client finds usable metadata: RFC 8414 with path insertion only; \
             issuer identical, the code flow, HTTPS",
            SpecVersion::V2025_06_18,
        ),
        scenario(
            "authserver/discovery-2025-11-25",
            "An MCP 2025-11-25 client finds usable metadata: RFC 8414 (path inserted), OpenID \
             Connect (path inserted), OpenID Connect (path appended), in that order; issuer \
             identical, the code flow, S256, HTTPS",
            SpecVersion::V2025_11_25,
        ),
        scenario(
            "authserver/discovery-2026-07-28",
            "An MCP 2026-07-28 client finds usable metadata where a 2025-11-25 client does, with \
             an issuer identical to the one it was derived from (no normalisation), the code \
             flow, S256, HTTPS, and RFC 9207 iss advertised",
            SpecVersion::V2026_07_28,
        ),
    ]
}
