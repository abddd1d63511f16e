//! The requirement catalogue: one sentence per requirement id the checks use, saying what the
//! requirement asks. Reports show it as "Expected" next to what was observed.
//!
//! Ids are those of the spec digest (`shared/spec/README.md`: short ids like `C-PKCE-1`) and, where
//! no short id fits, of the longer catalogue (`shared/spec/requirements.md`: `C-RES-04`,
//! `S-401-05`, …), plus the few the code added (`C-TIMEOUT-1`). Never reuse an id for a different
//! meaning; add a line here when a check starts using a new id.

/// (id, what it asks), sorted by id.
const CATALOGUE: &[(&str, &str)] = &[
    // Authorization server.
    ("AS-CIMD-1", "The authorization server accepts a client ID metadata document only when its client_id equals its URL, and checks redirect URIs against it."),
    ("AS-CORS-1", "The authorization server's metadata and registration endpoint can be used cross-origin (Access-Control-Allow-Origin, a preflight for a JSON POST), so browser-based clients can discover it and register."),
    ("AS-DCR-01", "A dynamic client registration succeeds with 201 and a JSON body carrying the client_id and the registered metadata (RFC 7591 §3.2.1)."),
    ("AS-ISS-1", "The authorization server sends iss (RFC 9207) in authorization responses."),
    ("AS-ISS-2", "The iss of an authorization response is identical to the authorization server's issuer identifier, with no normalisation."),
    ("AS-ISS-3", "The authorization server advertises authorization_response_iss_parameter_supported exactly when its authorization responses carry iss."),
    ("AS-JWKS-1", "The jwks_uri of the metadata serves a JSON Web Key Set whose keys have kty and (SHOULD) kid, and no private key parameters."),
    ("AS-META-04", "The authorization server metadata's issuer is identical to the issuer identifier it was fetched for, an https URL without query or fragment."),
    ("AS-META-05", "The authorization server metadata lists authorization_endpoint, token_endpoint and code in response_types_supported."),
    ("AS-META-06", "The metadata's code_challenge_methods_supported lists S256 and not plain."),
    ("AS-META-07", "The authorization server metadata advertises how clients can register: client_id_metadata_document_supported or a registration_endpoint."),
    ("AS-META-09", "The authorization server sends iss in authorization responses and advertises authorization_response_iss_parameter_supported (RFC 9207)."),
    ("AS-META-1", "The authorization server publishes RFC 8414 authorization server metadata or an OpenID Connect discovery document."),
    ("AS-META-10", "The metadata names the revocation (RFC 7009) and introspection (RFC 7662) endpoints the authorization server has (informational)."),
    ("AS-META-11", "The metadata names a device_authorization_endpoint (RFC 8628) when headless clients are to get tokens (informational)."),
    ("AS-META-12", "The metadata's grant_types_supported includes authorization_code (or is absent) and SHOULD include refresh_token."),
    ("AS-META-13", "The token endpoint accepts public clients (token_endpoint_auth_method none), as MCP clients on desktops and command lines are (informational)."),
    ("AS-META-2", "An OpenID Connect discovery document of the authorization server lists code_challenge_methods_supported."),
    ("AS-REDIR-1", "The authorization server matches the redirect URI exactly against the registered ones (any port for loopback)."),
    ("AS-REFRESH-1", "The authorization server rotates refresh tokens issued to public clients."),
    ("AS-RES-01", "The authorization server restricts a token's audience to the resource requested with the resource parameter (RFC 8707 §2, RFC 9068 §3)."),
    ("AS-TLS-1", "Every authorization server endpoint is served over HTTPS."),
    ("AS-TOK-01", "A successful token response is 200 JSON with access_token and token_type (OAuth 2.1 §3.2.3)."),
    // Client: discovery.
    ("C-ASM-0326", "Under MCP 2025-03-26 the client looks for metadata at <MCP origin>/.well-known/oauth-authorization-server and, when there is none, uses /authorize, /token and /register at the MCP origin."),
    ("C-ASM-1", "The client tries the authorization server metadata URLs (RFC 8414, then OpenID Connect discovery) in the order the spec gives, and only those."),
    ("C-ASM-2", "The client uses authorization server metadata only when its issuer equals the issuer it was derived from."),
    // Client: registration.
    ("C-CIMD-1", "A client ID metadata document URL used as client_id is an https URL with a path, and the document's client_id equals it."),
    ("C-DCR-03", "A client that registers dynamically sends an appropriate application_type: native for desktop, command-line and loopback clients, web for remote browser applications."),
    ("C-DCR-1", "The client supports Dynamic Client Registration (RFC 7591)."),
    ("C-DCR-2", "The client registers with a JSON request carrying its redirect_uris and authenticates at the token endpoint with the method the registration returned (client_secret_basic when omitted)."),
    // Client: authorization.
    ("C-ISS-1", "When the authorization server advertises authorization_response_iss_parameter_supported, the client compares the iss of the authorization response with the issuer and stops on a mismatch or when it is missing."),
    ("C-ISS-2", "The client compares an iss present in the authorization response with the recorded issuer by simple string comparison, without case, default-port, trailing-slash or percent-encoding normalisation, whether or not the authorization server advertises support, and proceeds when it is neither advertised nor present."),
    ("C-PKCE-1", "The client uses PKCE: a code_challenge in every authorization request and the matching code_verifier (43 to 128 unreserved characters, fresh each time) at the token endpoint."),
    ("C-PKCE-2", "The client uses the S256 code challenge method."),
    ("C-PKCE-3", "The client refuses to proceed when the authorization server metadata does not list code_challenge_methods_supported."),
    ("C-PRM-1", "The client uses the protected resource metadata to find the authorization server."),
    ("C-PRM-2", "The client fetches the protected resource metadata from the resource_metadata URL of the challenge, else from the path-inserted well-known URL, then the root one, in that order."),
    ("C-PRM-3", "The client stops when the resource of the protected resource metadata is not the server it is connecting to."),
    ("C-REDIR-1", "The client uses only registered redirect URIs on localhost or HTTPS, and the same redirect URI at the authorization and token endpoints."),
    ("C-REG-1", "The client registers in the order the spec gives: pre-registered credentials, then a client ID metadata document when supported, then Dynamic Client Registration."),
    ("C-REG-26-02", "The client keys its credentials by the authorization server's issuer and, when the protected resource metadata names another authorization server, registers again with it and presents it nothing the previous one issued."),
    ("C-RES-01", "The client sends the resource parameter in every token request, refresh requests included."),
    ("C-RES-04", "The client sends the same resource value in the authorization request and the token request."),
    ("C-RES-1", "The client sends the resource parameter (RFC 8707) in both the authorization request and the token request."),
    ("C-RES-2", "The resource parameter is the canonical URI of the MCP server (absolute, no fragment, the resource of the protected resource metadata)."),
    ("C-RT-01", "The client discards the old refresh token when the authorization server issues a new one, and never presents it again."),
    ("C-RT-02", "On 401 invalid_token with a refresh token at hand, the client refreshes (with the resource parameter) instead of authorizing again."),
    ("C-RT-03", "The client lists refresh_token in the grant_types it registers and does not assume a refresh token will be issued."),
    ("C-SCOPE-06", "On a step-up the client asks for the union of the scopes it asked for before and the scopes the challenge names."),
    ("C-SCOPE-08", "The client asks for offline_access only when the authorization server lists it in scopes_supported."),
    ("C-SCOPE-1", "The client asks for the scope named in the challenge, else for all scopes_supported of the protected resource metadata, else for no scope."),
    ("C-SCOPE-2", "On 403 insufficient_scope the client re-authorizes with the challenged scopes and retries, a limited number of times."),
    ("C-STATE-1", "The client sends state and discards an authorization response whose state is missing or different."),
    ("C-TIMEOUT-1", "The client times out a request the server never answers and stops instead of hanging."),
    // Client: token use.
    ("C-TOK-1", "The client completes the authorization and sends the access token in an Authorization: Bearer header on every request to the MCP server."),
    ("C-TOK-2", "The client never puts the access token in a URL query string."),
    ("C-TOK-3", "The client sends the access token only to the MCP server it was issued for, never to another host."),
    ("C-WWWA-1", "The client parses the WWW-Authenticate challenge of a 401 and reacts to it."),
    // Extensions.
    ("E-CC-01", "With the client credentials extension, the client uses the client_credentials grant with its pre-registered credentials, authenticating as the authorization server advertises."),
    ("E-CC-02", "A client assertion (RFC 7523) has iss and sub equal to the client_id, the authorization server as audience, an expiry, and a signature the registered key verifies."),
    // MCP server: discovery.
    ("S-401-01", "The MCP server answers 401 to a request that needs authorization and carries no token."),
    ("S-401-02", "Under MCP 2025-06-18 the 401 carries a Bearer WWW-Authenticate challenge with resource_metadata naming the protected resource metadata URL."),
    ("S-401-03", "The MCP server exposes its protected resource metadata through resource_metadata in the 401 challenge or at a well-known URL."),
    ("S-401-04", "Every 401 carries a WWW-Authenticate: Bearer challenge."),
    ("S-401-05", "A challenge to a request that carried no credentials has no error attribute."),
    ("S-401-06", "The 401 challenge names the needed scopes in a scope attribute."),
    ("S-401-07", "An invalid, expired, malformed or unverifiable token gets 401, with error=\"invalid_token\" in the challenge."),
    ("S-401-08", "The MCP server uses 401 for missing or invalid tokens, 403 for insufficient scope and 400 for malformed requests."),
    ("S-PRM-01", "The protected resource metadata is served with 200 as a JSON object (application/json)."),
    ("S-PRM-02", "The protected resource metadata lists at least one authorization server."),
    ("S-PRM-03", "The resource of the protected resource metadata is identical to the URL of the MCP server."),
    ("S-PRM-04", "The protected resource metadata leaves out parameters without values (no empty arrays)."),
    ("S-PRM-05", "The protected resource metadata lists scopes_supported, a minimal set."),
    ("S-PRM-06", "The protected resource metadata does not list query in bearer_methods_supported."),
    ("S-PRM-07", "The MCP server does not advertise offline_access in its challenge or its scopes_supported."),
    ("S-PRM-1", "The MCP server implements RFC 9728 protected resource metadata listing at least one authorization server."),
    ("S-PRM-2", "The MCP server offers its protected resource metadata through resource_metadata in the 401 challenge or at a well-known URL."),
    ("S-PRM-3", "Under MCP 2025-06-18 the 401 carries WWW-Authenticate with resource_metadata."),
    ("S-PRM-4", "The resource of the protected resource metadata equals the resource identifier the client used to find it."),
    ("S-PRM-CORS", "The protected resource metadata can be read cross-origin (Access-Control-Allow-Origin), so browser-based clients can discover the authorization server."),
    ("S-PRM-WELL-KNOWN", "The protected resource metadata is served at the well-known URL with the endpoint's path inserted."),
    // MCP server: tokens, scopes, sessions.
    ("S-SCOPE-01", "A token with too little scope gets 403 with error=\"insufficient_scope\", the needed scope and resource_metadata in the challenge."),
    ("S-SCOPE-02", "The challenged scope covers what the request needs."),
    ("S-SCOPE-03", "The MCP server challenges for scopes consistently."),
    ("S-SCOPE-04", "The MCP server names every scope an operation needs in one challenge."),
    ("S-SCOPE-1", "The 401 challenge carries scope with the scopes needed."),
    ("S-SESS-01", "The MCP server checks the token on every request and never treats a session id as authentication."),
    ("S-TOK-01", "The MCP server validates access tokens: signature, issuer, expiry and scope."),
    ("S-TOK-02", "The MCP server accepts only tokens issued for itself (its URL in the audience)."),
    ("S-TOK-03", "The MCP server accepts no token from another issuer and passes no client token on to upstream APIs."),
    ("S-TOK-04", "The MCP server ignores access tokens sent in the URL query."),
    ("S-TOK-05", "The MCP server returns no data before the token is validated."),
    ("S-TOK-06", "The MCP server accepts the Bearer scheme name in any case."),
    ("S-TOK-07", "A server validating JWT access tokens checks typ, iss, aud, the signature and exp, and rejects alg=none."),
    ("S-TOK-1", "The MCP server validates tokens: signature, issuer and expiry."),
    ("S-TOK-2", "The MCP server accepts only tokens issued for itself, and passes none on to upstream APIs."),
    ("S-TOK-3", "An invalid or expired token gets 401; a malformed request gets 400."),
    ("S-TOK-4", "Insufficient scope gets 403 with WWW-Authenticate: Bearer error=\"insufficient_scope\", scope and resource_metadata."),
    ("S-VER-0", "Which protocol revisions the MCP server speaks: initialize at each earlier revision, server/discover from 2026-07-28 (informational)."),
    ("S-VER-1", "The MCP server implements server/discover, answering with supportedVersions that list 2026-07-28."),
    ("S-VER-2", "The MCP server answers a 2026-07-28 request carrying its protocol version in _meta without initialize or session, and mints no session for it."),
    ("S-VER-3", "The MCP server answers a request for a protocol version it does not implement with 400 and UnsupportedProtocolVersionError listing the versions it supports."),
    ("S-WWWA-1", "The challenge uses the Bearer scheme with well-formed parameters, and no error attribute when the request carried no credentials."),
];

/// What the requirement `id` asks, in one sentence; `None` for an id the catalogue does not know.
pub fn describe(id: &str) -> Option<&'static str> {
    CATALOGUE
        .binary_search_by(|(known, _)| known.cmp(&id))
        .ok()
        .map(|index| CATALOGUE[index].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalogue_is_sorted_without_duplicates() {
        for pair in CATALOGUE.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} then {}", pair[0].0, pair[1].0);
        }
    }

    #[test]
    fn each_description_is_one_sentence() {
        for (id, sentence) in CATALOGUE {
            assert!(sentence.ends_with('.'), "{id}: {sentence}");
            assert!(
                !sentence[..sentence.len() - 1].contains(". "),
                "{id}: {sentence}"
            );
            assert!(sentence.starts_with(char::is_uppercase), "{id}: {sentence}");
        }
    }

    #[test]
    fn known_ids_are_described_and_unknown_ones_are_not() {
        assert!(describe("C-PKCE-1").unwrap().contains("PKCE"));
        assert!(describe("S-401-05").is_some());
        assert_eq!(describe("C-NOPE-9"), None);
        assert_eq!(describe(""), None);
    }

    #[test]
    fn every_requirement_of_the_client_catalogue_is_described() {
        let missing: Vec<String> = crate::client::scenarios::all()
            .iter()
            .flat_map(|s| s.checks.iter().map(move |c| (s.id, c.id, c.requirement)))
            .filter(|(_, _, requirement)| describe(requirement).is_none())
            .map(|(scenario, check, requirement)| format!("{scenario}:{check} ({requirement})"))
            .collect();
        assert!(missing.is_empty(), "no description for: {missing:?}");
    }

    #[test]
    fn every_requirement_of_the_server_catalogue_is_described() {
        let missing: Vec<String> = crate::server::scenarios::all()
            .iter()
            .flat_map(|s| s.checks.iter().map(move |c| (s.id, c.id, c.requirement)))
            .filter(|(_, _, requirement)| describe(requirement).is_none())
            .map(|(scenario, check, requirement)| format!("{scenario}:{check} ({requirement})"))
            .collect();
        assert!(missing.is_empty(), "no description for: {missing:?}");
    }
}
