//! Broken resource servers: the protected MCP server with one rule of token handling, challenges,
//! sessions or protected resource metadata broken each, for proving the server suite's checks.

use super::{Variant, VariantKind::*, VariantTarget::*};

pub(super) const ALL: &[&Variant] = &[
    &ANY_AUDIENCE,
    &ACCEPTS_EXPIRED,
    &SKIPS_SIGNATURE,
    &ANY_ISSUER,
    &WRONG_TYPE,
    &QUERY_TOKEN,
    &ERROR_WITHOUT_CREDENTIALS,
    &NO_WWW_AUTHENTICATE,
    &FORBIDDEN_WITHOUT_TOKEN,
    &ERROR_ON_BAD_TOKEN,
    &IGNORES_SCOPE,
    &SCOPE_CHALLENGE_WITHOUT_SCOPE,
    &CASE_SENSITIVE_BEARER,
    &SESSION_AS_AUTHENTICATION,
    &TOKEN_PASSTHROUGH,
    &PRM_WRONG_CONTENT_TYPE,
    &PRM_WITHOUT_CORS,
    &PRM_EMPTY_AUTHORIZATION_SERVERS,
    &CHALLENGE_WITHOUT_SCOPE,
];

const ANY_AUDIENCE: Variant = Variant {
    name: "server-accepts-any-audience",
    kind: Broken,
    description: "the MCP server does not check the token's audience: a token minted for another resource is accepted",
    requirement: "S-TOK-2",
    reference: "RFC 8707 §2; RFC 9068 §4; MCP 2025-11-25 Token Audience Binding and Validation",
    group: "server audience check",
    target: McpServer,
    apply: |b| b.token_checks.audience = false,
};

const ACCEPTS_EXPIRED: Variant = Variant {
    name: "server-accepts-expired",
    kind: Broken,
    description: "the MCP server does not check `exp` or `nbf`: expired and not-yet-valid tokens are accepted",
    requirement: "S-TOK-1",
    reference: "OAuth 2.1 §5.2; RFC 9068 §4",
    group: "server expiry check",
    target: McpServer,
    apply: |b| b.token_checks.expiry = false,
};

const SKIPS_SIGNATURE: Variant = Variant {
    name: "server-skips-signature",
    kind: Broken,
    description: "the MCP server reads the token's claims without verifying the signature: a bad signature, `alg: none` and an unknown `kid` are accepted (issuer, audience and expiry are still checked)",
    requirement: "S-TOK-1",
    reference: "RFC 9068 §4; OAuth 2.1 §5.2",
    group: "server signature check",
    target: McpServer,
    apply: |b| b.token_checks.signature = false,
};

const ANY_ISSUER: Variant = Variant {
    name: "server-accepts-any-issuer",
    kind: Broken,
    description: "the MCP server does not check the token's `iss`: a token naming another issuer is accepted if its signature verifies",
    requirement: "S-TOK-1",
    reference: "RFC 9068 §4; OAuth 2.1 §5.2",
    group: "server issuer check",
    target: McpServer,
    apply: |b| b.token_checks.issuer = false,
};

const WRONG_TYPE: Variant = Variant {
    name: "server-accepts-wrong-type",
    kind: Broken,
    description: "the MCP server accepts a JWT whose `typ` is not `at+jwt` (an ID token, say)",
    requirement: "S-TOK-07",
    reference: "RFC 9068 §4; RFC 8725 §3.11",
    group: "server typ check",
    target: McpServer,
    apply: |b| b.token_checks.token_type = false,
};

const QUERY_TOKEN: Variant = Variant {
    name: "server-accepts-query-token",
    kind: Broken,
    description: "the MCP server accepts an `access_token` query parameter as credentials",
    requirement: "S-TOK-04",
    reference: "OAuth 2.1 §5.1; MCP 2025-11-25 Token Requirements",
    group: "server query token",
    target: McpServer,
    apply: |b| b.accept_query_token = true,
};

const ERROR_WITHOUT_CREDENTIALS: Variant = Variant {
    name: "server-error-without-credentials",
    kind: Broken,
    description: "the 401 to a request without credentials carries `error=\"invalid_token\"`",
    requirement: "S-WWWA-1",
    reference: "RFC 6750 §3.1; OAuth 2.1 §5.3.2",
    group: "server challenge error",
    target: McpServer,
    apply: |b| b.challenge_error_without_credentials = true,
};

const NO_WWW_AUTHENTICATE: Variant = Variant {
    name: "server-no-www-authenticate",
    kind: Broken,
    description: "the MCP server answers 401 without a `WWW-Authenticate` header",
    requirement: "S-401-04",
    reference: "OAuth 2.1 §5.3.1; RFC 9110 §15.5.2; RFC 6750 §3",
    group: "server challenge header",
    target: McpServer,
    apply: |b| b.www_authenticate_on_401 = false,
};

const FORBIDDEN_WITHOUT_TOKEN: Variant = Variant {
    name: "server-forbidden-without-token",
    kind: Broken,
    description: "the MCP server answers 403 instead of 401 to a request without credentials",
    requirement: "S-401-01",
    reference: "OAuth 2.1 §5.3; RFC 6750 §3.1; MCP 2025-11-25 Error Handling",
    group: "server no-credentials status",
    target: McpServer,
    apply: |b| b.forbidden_without_credentials = true,
};

const ERROR_ON_BAD_TOKEN: Variant = Variant {
    name: "server-error-on-bad-token",
    kind: Broken,
    description: "the MCP server answers 500 instead of 401 to a token that fails validation",
    requirement: "S-TOK-3",
    reference: "OAuth 2.1 §5.3; RFC 6750 §3.1",
    group: "server invalid-token status",
    target: McpServer,
    apply: |b| b.server_error_on_invalid_token = true,
};

const IGNORES_SCOPE: Variant = Variant {
    name: "server-ignores-scope",
    kind: Broken,
    description:
        "the MCP server does not enforce its required scope: a valid token without it is accepted",
    requirement: "S-TOK-4",
    reference: "MCP 2025-11-25 Runtime Insufficient Scope Errors; RFC 6750 §3.1; OAuth 2.1 §5.2",
    group: "server scope enforcement",
    target: McpServer,
    apply: |b| b.enforce_required_scope = false,
};

const SCOPE_CHALLENGE_WITHOUT_SCOPE: Variant = Variant {
    name: "server-scope-challenge-without-scope",
    kind: Broken,
    description: "the 403 `insufficient_scope` challenge does not name the scope that is needed",
    requirement: "S-TOK-4",
    reference: "MCP 2025-11-25 Runtime Insufficient Scope Errors; RFC 6750 §3.1",
    group: "server scope challenge",
    target: McpServer,
    apply: |b| b.insufficient_scope_names_scope = false,
};

const CASE_SENSITIVE_BEARER: Variant = Variant {
    name: "server-case-sensitive-bearer",
    kind: Broken,
    description: "the MCP server recognises the scheme only when spelled exactly `Bearer` (`bearer x` counts as no credentials)",
    requirement: "S-TOK-06",
    reference: "RFC 9110 §11.1; OAuth 2.1 §5.1.1",
    group: "server bearer scheme",
    target: McpServer,
    apply: |b| b.case_sensitive_bearer = true,
};

const SESSION_AS_AUTHENTICATION: Variant = Variant {
    name: "server-session-as-authentication",
    kind: Broken,
    description: "a request with a live `Mcp-Session-Id` and no `Authorization` header is accepted as the session's owner",
    requirement: "S-SESS-01",
    reference: "MCP Security Best Practices › Session Hijacking; MCP 2025-11-25 Session Management",
    group: "server sessions",
    target: McpServer,
    apply: |b| b.session_authenticates = true,
};

const TOKEN_PASSTHROUGH: Variant = Variant {
    name: "server-token-passthrough",
    kind: Broken,
    description: "on every accepted request the MCP server forwards the client's token to an upstream API (`{issuer}/upstream-api`)",
    requirement: "S-TOK-2",
    reference: "MCP Security Best Practices › Token Passthrough; MCP 2025-11-25 Access Token Privilege Restriction",
    group: "server token passthrough",
    target: McpServer,
    apply: |b| b.token_passthrough = true,
};

const PRM_WRONG_CONTENT_TYPE: Variant = Variant {
    name: "prm-wrong-content-type",
    kind: Broken,
    description: "the protected resource metadata is served as `text/plain`",
    requirement: "S-PRM-01",
    reference: "RFC 9728 §3.2",
    group: "prm content type",
    target: McpServer,
    apply: |b| b.prm_wrong_content_type = true,
};

const PRM_WITHOUT_CORS: Variant = Variant {
    name: "prm-without-cors",
    kind: Broken,
    description: "the protected resource metadata has no CORS headers and no preflight answer, so a browser-based client cannot read it (SHOULD)",
    requirement: "S-PRM-CORS",
    reference: "Fetch Standard §3.2 (CORS protocol); RFC 9728 §3; MCP servers serving browser-based clients",
    group: "prm cors",
    target: McpServer,
    apply: |b| b.prm_cors = false,
};

const PRM_EMPTY_AUTHORIZATION_SERVERS: Variant = Variant {
    name: "prm-empty-authorization-servers",
    kind: Broken,
    description: "the protected resource metadata lists `authorization_servers: []`",
    requirement: "S-PRM-1",
    reference: "RFC 9728 §2; MCP 2025-11-25 Authorization Server Location",
    group: "prm authorization servers",
    target: McpServer,
    apply: |b| b.prm_empty_authorization_servers = true,
};

const CHALLENGE_WITHOUT_SCOPE: Variant = Variant {
    name: "challenge-without-scope",
    kind: Broken,
    description:
        "the 401 challenge names no `scope` (the required scope is still enforced) (SHOULD)",
    requirement: "S-SCOPE-1",
    reference: "RFC 6750 §3; MCP 2025-11-25 Protected Resource Metadata Discovery Requirements",
    group: "challenge scope",
    target: McpServer,
    apply: |b| b.challenge_scope = false,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::behaviour::TokenChecks;

    /// The lines of the pretty `Debug` of the behaviour that differ from the default one.
    fn changed_lines(v: &Variant) -> Vec<String> {
        let mut b = crate::Behaviour::default();
        (v.apply)(&mut b);
        let default = format!("{:#?}", crate::Behaviour::default());
        let changed = format!("{b:#?}");
        assert_eq!(
            default.lines().count(),
            changed.lines().count(),
            "{}",
            v.name
        );
        default
            .lines()
            .zip(changed.lines())
            .filter(|(a, b)| a != b)
            .map(|(_, b)| b.trim().to_string())
            .collect()
    }

    #[test]
    fn each_variant_changes_exactly_one_switch_of_the_mcp_server() {
        for v in ALL {
            let changed = changed_lines(v);
            assert_eq!(changed.len(), 1, "{}: {changed:?}", v.name);
            assert_eq!(v.target, McpServer, "{}", v.name);
            assert_eq!(v.kind, Broken, "{}", v.name);
        }
        assert_eq!(changed_lines(&SKIPS_SIGNATURE), vec!["signature: false,"]);
        let mut b = crate::Behaviour::default();
        (SKIPS_SIGNATURE.apply)(&mut b);
        assert_eq!(
            b.token_checks,
            TokenChecks {
                signature: false,
                ..TokenChecks::ALL
            }
        );
    }
}
