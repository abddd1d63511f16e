//! Server scenarios: credentials that are not tokens, and a valid token presented in other ways
//! (in the query string, with the scheme spelled in another case, with extra spaces).

use mcp_authlab_reports::Level;

use super::tokens::with_valid_token;
use super::{TOKEN_HANDLING, TOKEN_REQUIRED};
use crate::check::{Check, ALL_VERSIONS};
use crate::server::checks::{garbage as g, presentation as p};
use crate::server::observation::ServerObservation;
use crate::server::scenario::{Credential, ServerScenario, Step};

type C = Check<ServerObservation>;

const BEARER_SYNTAX: &str = "RFC 6750 §2.1 (credentials = \"Bearer\" 1*SP b64token); RFC 9110 \
                             §11.1 (the auth-scheme is case-insensitive), §11.4; OAuth 2.1 \
                             §5.1.1";

const RANDOM_TOKEN_401: C = Check {
    id: "random-token-401",
    level: Level::Must,
    requirement: "S-TOK-3",
    section: TOKEN_HANDLING,
    versions: ALL_VERSIONS,
    run: g::random_token_401,
};

const MALFORMED_HEADER_400_OR_401: C = Check {
    id: "malformed-header-400-or-401",
    level: Level::Must,
    requirement: "S-401-08",
    section: "MCP Authorization, Error Handling (401: token invalid; 400: malformed request); \
              RFC 6750 §3.1",
    versions: ALL_VERSIONS,
    run: g::malformed_header_400_or_401,
};

const BASIC_SCHEME_BEARER_CHALLENGE: C = Check {
    id: "basic-scheme-bearer-challenge",
    level: Level::Must,
    requirement: "S-401-04",
    section:
        "RFC 6750 §3 (a request without a usable access token gets WWW-Authenticate: Bearer); \
              RFC 9110 §11.6.1",
    versions: ALL_VERSIONS,
    run: g::basic_scheme_bearer_challenge,
};

const GARBAGE_NO_SERVER_ERROR: C = Check {
    id: "garbage-no-server-error",
    level: Level::Must,
    requirement: "S-TOK-3",
    section: TOKEN_HANDLING,
    versions: ALL_VERSIONS,
    run: g::garbage_no_server_error,
};

const TOKEN_IN_QUERY_REJECTED: C = Check {
    id: "token-in-query-rejected",
    level: Level::Must,
    requirement: "S-TOK-04",
    section: "MCP Authorization, Token Requirements (access tokens MUST NOT be included in the \
              URI query string); OAuth 2.1 §5.1",
    versions: ALL_VERSIONS,
    run: p::token_in_query_rejected,
};

const BEARER_SCHEME_CASE_INSENSITIVE: C = Check {
    id: "bearer-scheme-case-insensitive",
    level: Level::Must,
    requirement: "S-TOK-06",
    section: BEARER_SYNTAX,
    versions: ALL_VERSIONS,
    run: p::bearer_scheme_case_insensitive,
};

const SCHEME_CASE_NO_SERVER_ERROR: C = Check {
    id: "scheme-case-no-server-error",
    level: Level::Must,
    requirement: "S-TOK-3",
    section: TOKEN_HANDLING,
    versions: ALL_VERSIONS,
    run: p::scheme_case_no_server_error,
};

const EXTRA_SPACES_ACCEPTED: C = Check {
    id: "extra-spaces-accepted",
    level: Level::Should,
    requirement: "S-TOK-06",
    section: BEARER_SYNTAX,
    versions: ALL_VERSIONS,
    run: p::extra_spaces_accepted,
};

const EXTRA_SPACES_NO_SERVER_ERROR: C = Check {
    id: "extra-spaces-no-server-error",
    level: Level::Must,
    requirement: "S-TOK-3",
    section: TOKEN_HANDLING,
    versions: ALL_VERSIONS,
    run: p::extra_spaces_no_server_error,
};

fn present(label: &'static str, credential: Credential) -> Step {
    Step::Present { label, credential }
}

pub fn scenarios() -> Vec<ServerScenario> {
    vec![
        ServerScenario {
            id: "server/garbage-credentials",
            description: "Credentials that are not tokens (a random string, a bare Bearer, Basic, \
                          two tokens) get 401 or 400 with a Bearer challenge, never a success or \
                          a server error",
            versions: ALL_VERSIONS,
            steps: vec![
                Step::Unauthenticated,
                present(g::RANDOM, Credential::Literal("Bearer this-is-not-a-token")),
                present(g::EMPTY_BEARER, Credential::Literal("Bearer")),
                present(g::BASIC, Credential::Literal("Basic dXNlcjpwYXNz")),
                present(g::TWO_TOKENS, Credential::Literal("Bearer a b")),
            ],
            checks: vec![
                RANDOM_TOKEN_401,
                MALFORMED_HEADER_400_OR_401,
                BASIC_SCHEME_BEARER_CHALLENGE,
                GARBAGE_NO_SERVER_ERROR,
            ],
        },
        ServerScenario {
            id: "server/token-in-query",
            description: "A valid token sent only as ?access_token= is ignored: 401",
            versions: ALL_VERSIONS,
            steps: with_valid_token(&[present(p::QUERY, Credential::Query)]),
            checks: vec![TOKEN_REQUIRED, TOKEN_IN_QUERY_REJECTED],
        },
        ServerScenario {
            id: "server/bearer-scheme-case",
            description: "The scheme name is case-insensitive: `bearer` and `BEARER` with a \
                          valid token are accepted",
            versions: ALL_VERSIONS,
            steps: with_valid_token(&[
                present(p::LOWERCASE_SCHEME, Credential::Spelled("bearer ")),
                present(p::UPPERCASE_SCHEME, Credential::Spelled("BEARER ")),
            ]),
            checks: vec![
                TOKEN_REQUIRED,
                BEARER_SCHEME_CASE_INSENSITIVE,
                SCHEME_CASE_NO_SERVER_ERROR,
            ],
        },
        ServerScenario {
            id: "server/bearer-extra-spaces",
            description: "`Bearer` followed by two spaces and a valid token is accepted (RFC 6750 \
                          allows 1*SP), and never crashes the server",
            versions: ALL_VERSIONS,
            steps: with_valid_token(&[present(p::EXTRA_SPACES, Credential::Spelled("Bearer  "))]),
            checks: vec![
                TOKEN_REQUIRED,
                EXTRA_SPACES_ACCEPTED,
                EXTRA_SPACES_NO_SERVER_ERROR,
            ],
        },
    ]
}
