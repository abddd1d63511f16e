use super::{Variant, VariantKind::*, VariantTarget::*};

pub(super) const ALL: &[&Variant] = &[&NOT_ADVERTISED, &PLAIN_ONLY, &NOT_ENFORCED];

const NOT_ADVERTISED: Variant = Variant {
    name: "pkce-not-advertised",
    kind: Broken,
    description:
        "the metadata has no `code_challenge_methods_supported`: clients must refuse to proceed",
    requirement: "C-PKCE-3",
    reference: "MCP 2025-11-25 Authorization Code Protection; RFC 8414 §2",
    group: "pkce methods",
    target: AuthorizationServer,
    apply: |b| b.code_challenge_methods = None,
};

const PLAIN_ONLY: Variant = Variant {
    name: "pkce-plain-only",
    kind: Broken,
    description: "the metadata advertises, and the authorization endpoint accepts, only the \
                  `plain` PKCE method (S256 is rejected)",
    requirement: "C-PKCE-2",
    reference: "MCP 2025-11-25 Authorization Code Protection; OAuth 2.1 §4.1.1",
    group: "pkce methods",
    target: AuthorizationServer,
    apply: |b| b.code_challenge_methods = Some(vec!["plain".into()]),
};

const NOT_ENFORCED: Variant = Variant {
    name: "pkce-not-enforced",
    kind: Broken,
    description: "the authorization server issues codes and tokens without checking PKCE",
    requirement: "AS-PKCE-1",
    reference: "OAuth 2.1 §4.1.3, §7.5.2",
    group: "pkce enforcement",
    target: AuthorizationServer,
    apply: |b| b.enforce_pkce = false,
};
