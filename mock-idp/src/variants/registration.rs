use super::{Variant, VariantKind::*, VariantTarget::*};

pub(super) const ALL: &[&Variant] = &[&NO_REGISTRATION, &CIMD_ONLY];

const NO_REGISTRATION: Variant = Variant {
    name: "no-registration-endpoint",
    kind: Unusual,
    description: "no `registration_endpoint` and no client ID metadata documents: only pre-registered clients work",
    requirement: "C-REG-1",
    reference: "MCP 2025-11-25 Client Registration Approaches",
    group: "registration",
    target: AuthorizationServer,
    apply: |b| {
        b.registration_endpoint = false;
        b.cimd_supported = false;
    },
};

const CIMD_ONLY: Variant = Variant {
    name: "cimd-only",
    kind: Unusual,
    description: "client ID metadata documents are supported, dynamic registration is not",
    requirement: "C-CIMD-1",
    reference: "MCP 2025-11-25 Client ID Metadata Documents",
    group: "registration",
    target: AuthorizationServer,
    apply: |b| {
        b.registration_endpoint = false;
        b.cimd_supported = true;
    },
};
