//! The rules the client can be told to break (`--break RULE`, repeatable). Each switch breaks
//! exactly one rule of the conformance contract; everything else stays correct. The names are the
//! ones of the break table in the project brief, which the client-suite tests rely on.

use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Break {
    PrmRootFirst,
    IgnoreResourceMetadata,
    NoPrmFallback,
    AsMetadataRootOnly,
    NoOidcDiscovery,
    SkipIssuerCheck,
    SkipPkceSupportCheck,
    SkipPrmResourceCheck,
    RetryDiscoveryForever,
    DcrFormEncoded,
    AuthMethodPostAlways,
    NoCimd,
    RegisterDespiteCredentials,
    NoPkce,
    PkcePlain,
    PkceWrongVerifier,
    PkceShortVerifier,
    NoState,
    SkipStateCheck,
    SkipIssCheck,
    TokenRedirectUriDiffers,
    NoResource,
    ResourceTrailingSlash,
    IgnoreChallengeScope,
    NoStepUp,
    StepUpForever,
    TokenInQuery,
    TokenToAuthorizationServer,
    ReuseRefreshToken,
    NoRefresh,
    JwtWrongAudience,
    IgnoreCaEnv,
    IssNormalize,
    IssCompareHref,
    IssOnlyWhenAdvertised,
    IssRequiredAlways,
    IssRejectUnadvertised,
    StepUpChallengeOnly,
    NoApplicationType,
    ApplicationTypeWeb,
    ReuseClientAcrossAs,
    RefreshAtNewAs,
    OfflineAccessAlways,
    RequireRefreshToken,
    IgnoreLegacyMetadataEndpoints,
}

/// Every break: its name on the command line and what the client then does wrong.
pub const ALL: &[(Break, &str, &str)] = &[
    (
        Break::PrmRootFirst,
        "prm-root-first",
        "requests the root protected resource metadata URL before any other",
    ),
    (
        Break::IgnoreResourceMetadata,
        "ignore-resource-metadata",
        "ignores `resource_metadata` in the 401 challenge",
    ),
    (
        Break::NoPrmFallback,
        "no-prm-fallback",
        "does not try the well-known PRM URLs when the challenge names none",
    ),
    (
        Break::AsMetadataRootOnly,
        "as-metadata-root-only",
        "looks for AS metadata only at <origin>/.well-known/oauth-authorization-server",
    ),
    (
        Break::NoOidcDiscovery,
        "no-oidc-discovery",
        "never tries the openid-configuration URLs",
    ),
    (
        Break::SkipIssuerCheck,
        "skip-issuer-check",
        "accepts AS metadata whose `issuer` differs from the issuer",
    ),
    (
        Break::SkipPkceSupportCheck,
        "skip-pkce-support-check",
        "proceeds although the AS does not advertise S256",
    ),
    (
        Break::SkipPrmResourceCheck,
        "skip-prm-resource-check",
        "accepts a PRM whose `resource` names another server",
    ),
    (
        Break::RetryDiscoveryForever,
        "retry-discovery-forever",
        "re-runs discovery every 50 ms, forever, when it fails",
    ),
    (
        Break::DcrFormEncoded,
        "dcr-form-encoded",
        "sends the registration request form-encoded instead of JSON",
    ),
    (
        Break::AuthMethodPostAlways,
        "auth-method-post-always",
        "sends the client secret in the form whatever method was registered",
    ),
    (
        Break::NoCimd,
        "no-cimd",
        "registers by DCR although the AS supports client ID metadata documents",
    ),
    (
        Break::RegisterDespiteCredentials,
        "register-despite-credentials",
        "ignores the client_id of the context and registers by DCR",
    ),
    (
        Break::NoPkce,
        "no-pkce",
        "sends no code_challenge and no code_verifier",
    ),
    (
        Break::PkcePlain,
        "pkce-plain",
        "uses code_challenge_method=plain",
    ),
    (
        Break::PkceWrongVerifier,
        "pkce-wrong-verifier",
        "sends another verifier than the one of the challenge",
    ),
    (
        Break::PkceShortVerifier,
        "pkce-short-verifier",
        "uses a 42-character verifier (RFC 7636 asks 43 to 128)",
    ),
    (Break::NoState, "no-state", "sends no `state`"),
    (
        Break::SkipStateCheck,
        "skip-state-check",
        "accepts a redirect whose `state` differs",
    ),
    (
        Break::SkipIssCheck,
        "skip-iss-check",
        "accepts a redirect whose `iss` is missing or differs",
    ),
    (
        Break::TokenRedirectUriDiffers,
        "token-redirect-uri-differs",
        "sends another redirect_uri to the token endpoint",
    ),
    (
        Break::NoResource,
        "no-resource",
        "sends no `resource` parameter",
    ),
    (
        Break::ResourceTrailingSlash,
        "resource-trailing-slash",
        "appends `/` to the `resource` parameter",
    ),
    (
        Break::IgnoreChallengeScope,
        "ignore-challenge-scope",
        "ignores the `scope` of the 401 challenge",
    ),
    (
        Break::NoStepUp,
        "no-step-up",
        "gives up on 403 insufficient_scope instead of re-authorizing",
    ),
    (
        Break::StepUpForever,
        "step-up-forever",
        "keeps stepping up on 403 insufficient_scope without a limit",
    ),
    (
        Break::TokenInQuery,
        "token-in-query",
        "also sends the access token as `access_token` in the MCP URL query",
    ),
    (
        Break::TokenToAuthorizationServer,
        "token-to-authorization-server",
        "sends the access token to the AS (GET of its metadata)",
    ),
    (
        Break::ReuseRefreshToken,
        "reuse-refresh-token",
        "presents the first refresh token again on later refreshes",
    ),
    (
        Break::NoRefresh,
        "no-refresh",
        "re-runs the whole authorization instead of refreshing",
    ),
    (
        Break::JwtWrongAudience,
        "jwt-wrong-audience",
        "signs client assertions with aud https://wrong.example/",
    ),
    (
        Break::IgnoreCaEnv,
        "ignore-ca-env",
        "ignores SSL_CERT_FILE (trusts only the platform's roots)",
    ),
    // MCP 2026-07-28.
    (
        Break::IssNormalize,
        "iss-normalize",
        "compares `iss` with the issuer after URL normalisation (case, trailing slash)",
    ),
    (
        Break::IssCompareHref,
        "iss-compare-href",
        "compares `iss` with the issuer as a URL library serialises it (`http://host:port/`)",
    ),
    (
        Break::IssOnlyWhenAdvertised,
        "iss-only-when-advertised",
        "ignores an `iss` the metadata does not advertise",
    ),
    (
        Break::IssRequiredAlways,
        "iss-required-always",
        "rejects a response without `iss` even when the metadata does not advertise it",
    ),
    (
        Break::IssRejectUnadvertised,
        "iss-reject-unadvertised",
        "rejects a response with an `iss` the metadata does not advertise, even the right one",
    ),
    (
        Break::StepUpChallengeOnly,
        "step-up-challenge-only",
        "steps up with the challenged scopes alone, dropping those asked for before",
    ),
    (
        Break::NoApplicationType,
        "no-application-type",
        "registers by DCR without `application_type`",
    ),
    (
        Break::ApplicationTypeWeb,
        "application-type-web",
        "registers its loopback redirect URI with `application_type` web",
    ),
    (
        Break::ReuseClientAcrossAs,
        "reuse-client-across-as",
        "keeps its client_id when the PRM names another authorization server",
    ),
    (
        Break::RefreshAtNewAs,
        "refresh-at-new-as",
        "presents the old authorization server's refresh token to the new one",
    ),
    (
        Break::OfflineAccessAlways,
        "offline-access-always",
        "asks for offline_access even when the AS does not list it",
    ),
    (
        Break::RequireRefreshToken,
        "require-refresh-token",
        "gives up when offline_access brought no refresh token",
    ),
    (
        Break::IgnoreLegacyMetadataEndpoints,
        "ignore-legacy-metadata-endpoints",
        "fetches the 2025-03-26 metadata, then uses the default /authorize /token /register anyway",
    ),
];

impl Break {
    pub fn from_name(name: &str) -> Option<Break> {
        ALL.iter().find(|(_, n, _)| *n == name).map(|(b, _, _)| *b)
    }

    pub fn name(self) -> &'static str {
        ALL.iter()
            .find(|(b, _, _)| *b == self)
            .map(|(_, n, _)| *n)
            .expect("every break is in ALL")
    }
}

/// The breaks of one run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Breaks(BTreeSet<Break>);

impl Breaks {
    pub fn insert(&mut self, b: Break) {
        self.0.insert(b);
    }

    pub fn has(&self, b: Break) -> bool {
        self.0.contains(&b)
    }

    pub fn names(&self) -> Vec<&'static str> {
        self.0.iter().map(|b| b.name()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        assert_eq!(ALL.len(), 45);
        for (b, name, _) in ALL {
            assert_eq!(Break::from_name(name), Some(*b));
            assert_eq!(b.name(), *name);
        }
        let mut names: Vec<_> = ALL.iter().map(|(_, n, _)| *n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert_eq!(Break::from_name("no-such-break"), None);
    }

    #[test]
    fn set_membership() {
        let mut breaks = Breaks::default();
        assert!(!breaks.has(Break::NoPkce));
        breaks.insert(Break::NoPkce);
        breaks.insert(Break::NoPkce);
        assert!(breaks.has(Break::NoPkce));
        assert_eq!(breaks.names(), ["no-pkce"]);
    }
}
