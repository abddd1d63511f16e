use super::{Variant, VariantKind::*, VariantTarget::*};
use crate::behaviour::Audience;
use crate::forge::OTHER_RESOURCE;

pub(super) const ALL: &[&Variant] = &[&NO_ROTATION, &WRONG_AUDIENCE, &EXPIRED_TOKENS];

const NO_ROTATION: Variant = Variant {
    name: "refresh-without-rotation",
    kind: Broken,
    description: "refresh tokens are not rotated and can be reused",
    requirement: "AS-REFRESH-1",
    reference: "OAuth 2.1 §4.3.1; MCP 2025-06-18 Token Theft",
    group: "refresh",
    target: AuthorizationServer,
    apply: |b| b.rotate_refresh_tokens = false,
};

const WRONG_AUDIENCE: Variant = Variant {
    name: "wrong-audience",
    kind: Broken,
    description: "access tokens are minted for another resource than the one requested, so the MCP server must reject them",
    requirement: "S-TOK-2",
    reference: "RFC 8707 §2; RFC 9068 §4; MCP 2025-06-18 Token Audience Binding and Validation",
    group: "audience",
    target: AuthorizationServer,
    apply: |b| b.audience = Audience::Fixed(OTHER_RESOURCE.into()),
};

const EXPIRED_TOKENS: Variant = Variant {
    name: "expired-tokens",
    kind: Broken,
    description: "access tokens are issued already expired; the MCP server rejects them and clients must refresh or re-authorize, not loop",
    requirement: "S-TOK-1",
    reference: "OAuth 2.1 §5.2; RFC 9068 §4",
    group: "expiry",
    target: AuthorizationServer,
    apply: |b| b.issue_expired_tokens = true,
};
