//! An MCP server whose authorization moves to another authorization server (MCP 2026-07-28
//! Authorization Server Binding): the client must register again with the new one and never
//! present what the old one issued there.

use super::{Variant, VariantKind::*, VariantTarget::*};

pub(super) const ALL: &[&Variant] = &[&MIGRATION];

const MIGRATION: Variant = Variant {
    name: "authorization-server-migration",
    kind: Unusual,
    description: "after the first accepted access token the protected resource metadata names a second authorization server (issuer `{issuer}/migrated-as`, its own clients) and the MCP server accepts only its tokens; no client ID metadata documents, so a client must register again by DCR",
    requirement: "C-REG-26-02",
    reference: "MCP 2026-07-28 Client Registration, Authorization Server Binding; RFC 9728 §5.2",
    group: "authorization server",
    target: AuthorizationServer,
    apply: |b| {
        b.authorization_server_migration = true;
        b.cimd_supported = false;
    },
};
