//! The scenarios that inspect what discovery found, judged at the run's version: the metadata's
//! other fields, the JWKS, a metadata document named with `--metadata-url`, CORS, and (when
//! asked) a dynamic registration and a client-credentials token.

use mcp_authlab_reports::Level;

use crate::authserver::checks::{
    client_credentials as cc, cors, discovery as d, jwks as j, metadata as m, registration as r,
    split as s,
};
use crate::authserver::observation::AuthServerObservation;
use crate::authserver::scenario::{AuthServerScenario, Needs, Step};
use crate::check::{Check, ALL_VERSIONS, SINCE_2025_06_18};

type C = Check<AuthServerObservation>;

const fn check(
    id: &'static str,
    level: Level,
    requirement: &'static str,
    section: &'static str,
    run: fn(&AuthServerObservation) -> crate::check::Finding,
) -> C {
    Check {
        id,
        level,
        requirement,
        section,
        versions: ALL_VERSIONS,
        run,
    }
}

const METADATA: &[C] = &[
    Check {
        id: "as-client-registration",
        level: Level::Should,
        requirement: "AS-META-07",
        section: "MCP 2025-11-25 Authorization, Client Registration Approaches (client ID \
                  metadata documents SHOULD, dynamic registration MAY)",
        versions: SINCE_2025_06_18,
        run: d::client_registration,
    },
    check(
        "grant-type-refresh-token",
        Level::Should,
        "AS-META-12",
        "RFC 8414 §2 (grant_types_supported); OAuth 2.1 §4.3",
        m::grant_type_refresh_token,
    ),
    check(
        "token-endpoint-auth-none",
        Level::May,
        "AS-META-13",
        "RFC 8414 §2 (token_endpoint_auth_methods_supported); OAuth 2.1 §2.1 (public clients)",
        m::token_endpoint_auth_none,
    ),
    check(
        "pkce-no-plain",
        Level::Should,
        "AS-META-06",
        "OAuth 2.1 §4.1.1 (S256 is mandatory to implement; plain only when S256 cannot be used)",
        m::pkce_no_plain,
    ),
    check(
        "revocation-introspection",
        Level::May,
        "AS-META-10",
        "RFC 7009 §2; RFC 7662 §2; RFC 8414 §2",
        m::revocation_introspection,
    ),
    check(
        "device-authorization",
        Level::May,
        "AS-META-11",
        "RFC 8628 §4 (device_authorization_endpoint)",
        m::device_authorization,
    ),
];

const JWKS_SECTION: &str = "RFC 8414 §2 (jwks_uri); RFC 7517 §4, §5";

const JWKS: &[C] = &[
    check(
        "jwks-reachable",
        Level::Must,
        "AS-JWKS-1",
        JWKS_SECTION,
        j::jwks_reachable,
    ),
    check(
        "jwks-keys-kty",
        Level::Must,
        "AS-JWKS-1",
        JWKS_SECTION,
        j::jwks_keys_kty,
    ),
    check(
        "jwks-keys-kid",
        Level::Should,
        "AS-JWKS-1",
        JWKS_SECTION,
        j::jwks_keys_kid,
    ),
    check(
        "jwks-no-private-keys",
        Level::Must,
        "AS-JWKS-1",
        "RFC 7517 §5; RFC 7518 §6.2.2, §6.3.2 (private key parameters)",
        j::jwks_no_private_keys,
    ),
];

const SPLIT_SECTION: &str = "RFC 8414 §3.1, §3.3; MCP 2025-11-25 Authorization, Authorization \
                             Server Metadata Discovery";

const SPLIT: &[C] = &[
    check(
        "metadata-url-answers",
        Level::Must,
        "AS-META-1",
        SPLIT_SECTION,
        s::metadata_url_answers,
    ),
    check(
        "metadata-url-discoverable",
        Level::Must,
        "AS-META-1",
        SPLIT_SECTION,
        s::metadata_url_discoverable,
    ),
    check(
        "metadata-url-issuer",
        Level::Must,
        "AS-META-04",
        SPLIT_SECTION,
        s::metadata_url_issuer,
    ),
];

const CORS_SECTION: &str = "Fetch Standard, CORS protocol (browser-based MCP clients read \
                            cross-origin responses only with Access-Control-Allow-Origin)";

const CORS: &[C] = &[
    check(
        "metadata-cors",
        Level::Should,
        "AS-CORS-1",
        CORS_SECTION,
        cors::metadata_cors,
    ),
    check(
        "registration-cors",
        Level::Should,
        "AS-CORS-1",
        CORS_SECTION,
        cors::registration_cors,
    ),
];

const DCR_SECTION: &str = "RFC 7591 §2, §3.2.1; RFC 8252 §7.3 (loopback redirect URIs); MCP \
                           Authorization, Dynamic Client Registration";

const REGISTRATION: &[C] = &[
    check(
        "dcr-created",
        Level::Must,
        "AS-DCR-01",
        DCR_SECTION,
        r::dcr_created,
    ),
    check(
        "dcr-loopback-redirect",
        Level::Must,
        "AS-DCR-01",
        DCR_SECTION,
        r::dcr_loopback_redirect,
    ),
    check(
        "dcr-public-client",
        Level::Should,
        "AS-DCR-01",
        DCR_SECTION,
        r::dcr_public_client,
    ),
    check(
        "dcr-grant-types",
        Level::Should,
        "AS-DCR-01",
        DCR_SECTION,
        r::dcr_grant_types,
    ),
];

const CLIENT_CREDENTIALS: &[C] = &[
    check(
        "cc-token-issued",
        Level::Must,
        "AS-TOK-01",
        "OAuth 2.1 §4.2, §3.2.3 (access_token and token_type REQUIRED)",
        cc::cc_token_issued,
    ),
    check(
        "cc-token-audience",
        Level::Should,
        "AS-RES-01",
        "RFC 8707 §2 (resource indicators); RFC 9068 §3 (aud)",
        cc::cc_token_audience,
    ),
];

pub fn scenarios() -> Vec<AuthServerScenario> {
    vec![
        AuthServerScenario {
            id: "authserver/metadata",
            description: "The metadata's other fields: a way to register, refresh tokens, public \
                          clients, no plain PKCE, revocation and introspection, device \
                          authorization (issuer, code flow, S256, HTTPS and RFC 9207 iss are \
                          judged per version by the discovery scenarios)",
            version: None,
            needs: Needs::Nothing,
            steps: vec![Step::Discovery, Step::NamedMetadata],
            checks: METADATA.to_vec(),
        },
        AuthServerScenario {
            id: "authserver/jwks",
            description: "The jwks_uri answers with a JSON Web Key Set whose keys have kty and \
                          kid and no private parameters",
            version: None,
            needs: Needs::Nothing,
            steps: vec![Step::Discovery, Step::NamedMetadata, Step::Jwks],
            checks: JWKS.to_vec(),
        },
        AuthServerScenario {
            id: "authserver/split-or-custom-metadata",
            description: "The metadata document named with --metadata-url is where clients derive \
                          it from the issuer, and names that issuer (a document on another \
                          origin or at a custom path is invisible to MCP clients)",
            version: None,
            needs: Needs::MetadataUrl,
            steps: vec![Step::Discovery, Step::NamedMetadata],
            checks: SPLIT.to_vec(),
        },
        AuthServerScenario {
            id: "authserver/cors",
            description:
                "Browser-based clients can read the metadata (Access-Control-Allow-Origin) \
                          and send a JSON registration (preflight)",
            version: None,
            needs: Needs::Nothing,
            steps: vec![
                Step::Discovery,
                Step::NamedMetadata,
                Step::RegistrationPreflight,
            ],
            checks: CORS.to_vec(),
        },
        AuthServerScenario {
            id: "authserver/registration",
            description: "A dynamic client registration the way MCP clients make one (a public \
                          client with a loopback redirect URI, code and refresh grants) gets a \
                          client_id and the metadata asked for",
            version: None,
            needs: Needs::Register,
            steps: vec![Step::Discovery, Step::NamedMetadata, Step::Register],
            checks: REGISTRATION.to_vec(),
        },
        AuthServerScenario {
            id: "authserver/client-credentials",
            description: "The client_credentials grant with a resource indicator gives a Bearer \
                          token whose audience is that resource",
            version: None,
            needs: Needs::ClientCredentials,
            steps: vec![
                Step::Discovery,
                Step::NamedMetadata,
                Step::ClientCredentials,
            ],
            checks: CLIENT_CREDENTIALS.to_vec(),
        },
    ]
}
