//! Server scenarios: what a client sees before it has a token. The 401 and its challenge, the
//! protected resource metadata (RFC 9728) and the metadata of the authorization servers it names
//! (RFC 8414 / OpenID Connect discovery). None needs a token: they run against any server.

use mcp_authlab_reports::Level;

use mcp_authlab_reports::SpecVersion;

use super::{ONLY_2025_06_18, ONLY_2026_07_28};
use crate::check::{Check, ALL_VERSIONS, SINCE_2025_06_18, SINCE_2025_11_25};
use crate::server::checks::{as_metadata as a, challenge as c, prm as p, prm_fields as pf};
use crate::server::observation::ServerObservation;
use crate::server::scenario::{ServerScenario, Step};

type C = Check<ServerObservation>;

const PRM_DISCOVERY: &str = "MCP 2025-11-25 Authorization, Protected Resource Metadata Discovery \
                             Requirements; RFC 9728 §3, §5.1";
const AS_LOCATION: &str =
    "MCP 2025-11-25 Authorization, Authorization Server Location; RFC 9728 §2";
const PRM_RESPONSE: &str = "RFC 9728 §3.2 (200, application/json, a JSON object; parameters with \
                            zero values omitted)";
const AS_DISCOVERY: &str =
    "MCP 2025-11-25 Authorization, Authorization Server Metadata Discovery; \
                            RFC 8414 §2, §3";

const UNAUTHENTICATED_401: C = Check {
    id: "unauthenticated-401",
    level: Level::Must,
    requirement: "S-401-01",
    section: "MCP Authorization, Error Handling (401: authorization required); OAuth 2.1 §5.3",
    versions: ALL_VERSIONS,
    run: c::unauthenticated_request_gets_401,
};

const WWW_AUTHENTICATE_PRESENT: C = Check {
    id: "www-authenticate-present",
    level: Level::Must,
    requirement: "S-401-04",
    section: "RFC 6750 §3 (the resource server MUST include WWW-Authenticate); OAuth 2.1 §5.3.1",
    versions: ALL_VERSIONS,
    run: c::www_authenticate_present,
};

const WWW_AUTHENTICATE_BEARER: C = Check {
    id: "www-authenticate-bearer",
    level: Level::Must,
    requirement: "S-WWWA-1",
    section: "RFC 6750 §3 (scheme Bearer, attributes at most once); RFC 9110 §11.6.1 (challenge \
              syntax)",
    versions: ALL_VERSIONS,
    run: c::bearer_challenge_well_formed,
};

const RESOURCE_METADATA_IN_CHALLENGE: C = Check {
    id: "resource-metadata-in-challenge",
    level: Level::Must,
    requirement: "S-PRM-3",
    section: "MCP 2025-06-18 Authorization, Authorization Server Location (MCP servers MUST use \
              WWW-Authenticate to indicate the resource server metadata URL); RFC 9728 §5.1",
    versions: ONLY_2025_06_18,
    run: c::resource_metadata_in_challenge,
};

const RESOURCE_METADATA_ABSOLUTE_URL: C = Check {
    id: "resource-metadata-absolute-url",
    level: Level::Must,
    requirement: "S-WWWA-1",
    section: "RFC 9728 §5.1 (resource_metadata: the URL of the protected resource metadata)",
    versions: SINCE_2025_06_18,
    run: c::resource_metadata_is_absolute,
};

const NO_ERROR_WITHOUT_CREDENTIALS: C = Check {
    id: "no-error-without-credentials",
    level: Level::Should,
    requirement: "S-401-05",
    section: "RFC 6750 §3.1 (a request without authentication information SHOULD NOT get an \
              error code); OAuth 2.1 §5.3.2",
    versions: ALL_VERSIONS,
    run: c::no_error_without_credentials,
};

const SCOPE_IN_CHALLENGE: C = Check {
    id: "scope-in-challenge",
    level: Level::Should,
    requirement: "S-SCOPE-1",
    section: PRM_DISCOVERY,
    versions: SINCE_2025_11_25,
    run: c::scope_in_challenge,
};

const PRM_DISCOVERABLE: C = Check {
    id: "prm-discoverable",
    level: Level::Must,
    requirement: "S-PRM-2",
    section: PRM_DISCOVERY,
    versions: SINCE_2025_11_25,
    run: p::prm_discoverable,
};

const PRM_VIA_CHALLENGE: C = Check {
    id: "prm-via-challenge",
    level: Level::Must,
    requirement: "S-PRM-1",
    section: "MCP 2025-06-18 Authorization, Authorization Server Location (clients find the \
              metadata through the 401's resource_metadata); RFC 9728 §5",
    versions: ONLY_2025_06_18,
    run: p::prm_via_challenge,
};

const PRM_AT_CHALLENGE_URL: C = Check {
    id: "prm-at-challenge-url",
    level: Level::Must,
    requirement: "S-PRM-1",
    section:
        "RFC 9728 §5.1 (resource_metadata is the URL of the metadata); MCP 2025-11-25 (clients \
              MUST use it when present)",
    versions: SINCE_2025_06_18,
    run: p::prm_at_challenge_url,
};

const PRM_AT_PATH_WELL_KNOWN: C = Check {
    id: "prm-at-path-well-known",
    level: Level::Should,
    requirement: "S-PRM-WELL-KNOWN",
    section: "RFC 9728 §3, §3.1 (the well-known URI inserted between host and path); MCP \
              2025-11-25 also accepts the root URL or the challenge alone",
    versions: SINCE_2025_06_18,
    run: p::prm_at_path_well_known,
};

const PRM_JSON: C = Check {
    id: "prm-json",
    level: Level::Must,
    requirement: "S-PRM-01",
    section: PRM_RESPONSE,
    versions: SINCE_2025_06_18,
    run: p::prm_is_json,
};

const PRM_RESOURCE_MATCHES: C = Check {
    id: "prm-resource-matches",
    level: Level::Must,
    requirement: "S-PRM-4",
    section: "RFC 9728 §3.3 (resource identical to the identifier the URL was formed from, or to \
              the request URL when it came from the challenge), §6 (exact comparison)",
    versions: SINCE_2025_06_18,
    run: pf::prm_resource_matches,
};

const PRM_AUTHORIZATION_SERVERS: C = Check {
    id: "prm-authorization-servers",
    level: Level::Must,
    requirement: "S-PRM-1",
    section: AS_LOCATION,
    versions: SINCE_2025_06_18,
    run: pf::prm_authorization_servers,
};

const PRM_NO_EMPTY_ARRAYS: C = Check {
    id: "prm-no-empty-arrays",
    level: Level::Must,
    requirement: "S-PRM-04",
    section: PRM_RESPONSE,
    versions: SINCE_2025_06_18,
    run: pf::prm_no_empty_arrays,
};

const PRM_SCOPES_SUPPORTED: C = Check {
    id: "prm-scopes-supported",
    level: Level::Should,
    requirement: "S-PRM-05",
    section: "RFC 9728 §2 (scopes_supported RECOMMENDED); MCP 2025-11-25 Scope Selection Strategy",
    versions: SINCE_2025_06_18,
    run: pf::prm_scopes_supported,
};

const CHALLENGE_SCOPES_LISTED: C = Check {
    id: "challenge-scopes-listed",
    level: Level::May,
    requirement: "S-SCOPE-03",
    section:
        "MCP 2025-11-25 Authorization, Protected Resource Metadata Discovery Requirements (the \
              challenged scopes MAY differ from scopes_supported; servers SHOULD strive for \
              consistency)",
    versions: SINCE_2025_11_25,
    run: pf::challenge_scopes_listed,
};

const PRM_NO_QUERY_BEARER_METHOD: C = Check {
    id: "prm-no-query-bearer-method",
    level: Level::Should,
    requirement: "S-PRM-06",
    section: "MCP Authorization, Token Requirements (access tokens MUST NOT be in the query \
              string); RFC 9728 §2 bearer_methods_supported",
    versions: SINCE_2025_06_18,
    run: pf::prm_no_query_bearer_method,
};

const PRM_CORS: C = Check {
    id: "prm-cors",
    level: Level::Should,
    requirement: "S-PRM-CORS",
    section: "Fetch Standard, CORS protocol (a browser-based client reads a cross-origin response \
              only with Access-Control-Allow-Origin); RFC 9728 §3",
    versions: SINCE_2025_06_18,
    run: p::prm_cors,
};

const AS_METADATA_FOUND: C = Check {
    id: "as-metadata-found",
    level: Level::Must,
    requirement: "AS-META-1",
    section: AS_DISCOVERY,
    versions: SINCE_2025_06_18,
    run: a::as_metadata_found,
};

const AS_ISSUER_MATCHES: C = Check {
    id: "as-issuer-matches",
    level: Level::Must,
    requirement: "AS-META-04",
    section: "RFC 8414 §3.3 (issuer identical to the issuer identifier the URL was built from)",
    versions: &[SpecVersion::V2025_06_18, SpecVersion::V2025_11_25],
    run: a::as_issuer_matches,
};

const AS_ISSUER_IDENTICAL: C = Check {
    id: "as-issuer-identical",
    level: Level::Must,
    requirement: "AS-META-04",
    section: "MCP 2026-07-28 Authorization Server Metadata Discovery (the issuer in the document \
              MUST be identical to the issuer identifier used to construct the well-known URL; \
              no normalisation, RFC 3986 §6.2.1); RFC 8414 §3.3",
    versions: ONLY_2026_07_28,
    run: a::as_issuer_identical,
};

const PRM_NO_OFFLINE_ACCESS: C = Check {
    id: "prm-no-offline-access",
    level: Level::Should,
    requirement: "S-PRM-07",
    section: "MCP 2026-07-28 Authorization, Refresh Tokens (MCP servers SHOULD NOT include \
              offline_access in WWW-Authenticate scope or Protected Resource Metadata \
              scopes_supported)",
    versions: ONLY_2026_07_28,
    run: pf::prm_no_offline_access,
};

const AS_PKCE_S256: C = Check {
    id: "as-pkce-s256",
    level: Level::Must,
    requirement: "AS-META-2",
    section: "MCP 2025-11-25 Authorization, Authorization Code Protection (clients MUST refuse \
              without code_challenge_methods_supported; S256 when capable); RFC 8414 §2",
    versions: SINCE_2025_11_25,
    run: a::as_pkce_s256,
};

const AS_RESPONSE_TYPE_CODE: C = Check {
    id: "as-response-type-code",
    level: Level::Must,
    requirement: "AS-META-05",
    section: "RFC 8414 §2 (response_types_supported REQUIRED); OAuth 2.1 §4.1",
    versions: SINCE_2025_06_18,
    run: a::as_response_type_code,
};

const AS_ENDPOINTS_PRESENT: C = Check {
    id: "as-endpoints-present",
    level: Level::Must,
    requirement: "AS-META-05",
    section: "RFC 8414 §2 (authorization_endpoint and token_endpoint REQUIRED for the code grant)",
    versions: SINCE_2025_06_18,
    run: a::as_endpoints_present,
};

const AS_CLIENT_REGISTRATION: C = Check {
    id: "as-client-registration",
    level: Level::Should,
    requirement: "AS-META-07",
    section: "MCP 2025-11-25 Authorization, Client Registration Approaches (client ID metadata \
              documents SHOULD, dynamic registration MAY)",
    versions: SINCE_2025_06_18,
    run: a::as_client_registration,
};

const AS_HTTPS: C = Check {
    id: "as-https",
    level: Level::Must,
    requirement: "AS-TLS-1",
    section: "MCP Authorization, Communication Security (all authorization server endpoints MUST \
              be served over HTTPS); OAuth 2.1 §1.5",
    versions: SINCE_2025_06_18,
    run: a::as_https,
};

pub fn scenarios() -> Vec<ServerScenario> {
    vec![
        ServerScenario {
            id: "server/unauthenticated-request",
            description: "An MCP request without credentials gets 401 with a well-formed Bearer \
                          challenge naming the protected resource metadata and the scopes \
                          needed, and no error code",
            versions: ALL_VERSIONS,
            steps: vec![Step::Unauthenticated],
            checks: vec![
                UNAUTHENTICATED_401,
                WWW_AUTHENTICATE_PRESENT,
                WWW_AUTHENTICATE_BEARER,
                RESOURCE_METADATA_IN_CHALLENGE,
                RESOURCE_METADATA_ABSOLUTE_URL,
                NO_ERROR_WITHOUT_CREDENTIALS,
                SCOPE_IN_CHALLENGE,
            ],
        },
        ServerScenario {
            id: "server/protected-resource-metadata",
            description: "The protected resource metadata is found where clients look (the \
                          challenge's URL, the path-inserted and root well-known URLs), is JSON, \
                          names this server as its resource and at least one authorization \
                          server, and is readable cross-origin",
            versions: SINCE_2025_06_18,
            steps: vec![Step::Unauthenticated, Step::ProtectedResourceMetadata],
            checks: vec![
                PRM_DISCOVERABLE,
                PRM_VIA_CHALLENGE,
                PRM_AT_CHALLENGE_URL,
                PRM_AT_PATH_WELL_KNOWN,
                PRM_JSON,
                PRM_RESOURCE_MATCHES,
                PRM_AUTHORIZATION_SERVERS,
                PRM_NO_EMPTY_ARRAYS,
                PRM_SCOPES_SUPPORTED,
                CHALLENGE_SCOPES_LISTED,
                PRM_NO_QUERY_BEARER_METHOD,
                PRM_CORS,
                PRM_NO_OFFLINE_ACCESS,
            ],
        },
        ServerScenario {
            id: "server/authorization-server-metadata",
            description: "Every authorization server the metadata names publishes RFC 8414 or \
                          OpenID Connect metadata where MCP clients look, with its own issuer, \
                          PKCE S256, the code flow's endpoints, a way to register, over HTTPS",
            versions: SINCE_2025_06_18,
            steps: vec![
                Step::Unauthenticated,
                Step::ProtectedResourceMetadata,
                Step::AuthorizationServerMetadata,
            ],
            checks: vec![
                AS_METADATA_FOUND,
                AS_ISSUER_MATCHES,
                AS_ISSUER_IDENTICAL,
                AS_PKCE_S256,
                AS_RESPONSE_TYPE_CODE,
                AS_ENDPOINTS_PRESENT,
                AS_CLIENT_REGISTRATION,
                AS_HTTPS,
            ],
        },
    ]
}
