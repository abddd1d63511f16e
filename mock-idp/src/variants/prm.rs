use super::{Variant, VariantKind::*, VariantTarget::*};

pub(super) const ALL: &[&Variant] = &[
    &PRM_MISSING,
    &PRM_ROOT_ONLY,
    &PRM_RESOURCE_MISMATCH,
    &NO_RESOURCE_METADATA,
    &PRM_REDIRECTED,
];

const PRM_MISSING: Variant = Variant {
    name: "prm-missing",
    kind: Broken,
    description: "the MCP server serves no protected resource metadata and its 401 names none",
    requirement: "S-PRM-1",
    reference: "RFC 9728 §3, §5.1; MCP 2025-06-18 Authorization Server Location",
    group: "prm location",
    target: McpServer,
    apply: |b| {
        b.prm_at_path = false;
        b.prm_at_root = false;
        b.challenge_resource_metadata = false;
    },
};

const PRM_ROOT_ONLY: Variant = Variant {
    name: "prm-root-only",
    kind: Unusual,
    description: "protected resource metadata only at the root well-known URL, not at the path-inserted one, and not named in the 401",
    requirement: "C-PRM-2",
    reference: "RFC 9728 §3.1; MCP 2025-11-25 Protected Resource Metadata Discovery Requirements",
    group: "prm location",
    target: McpServer,
    apply: |b| {
        b.prm_at_path = false;
        b.prm_at_root = true;
        b.challenge_resource_metadata = false;
    },
};

const PRM_RESOURCE_MISMATCH: Variant = Variant {
    name: "prm-resource-mismatch",
    kind: Broken,
    description: "the protected resource metadata's `resource` names another server",
    requirement: "C-PRM-3",
    reference: "RFC 9728 §3.3, §7.3",
    group: "prm resource",
    target: McpServer,
    apply: |b| b.prm_resource_mismatch = true,
};

const NO_RESOURCE_METADATA: Variant = Variant {
    name: "challenge-without-resource-metadata",
    kind: Unusual,
    description: "the 401 `WWW-Authenticate` has no `resource_metadata`: clients must fall back to the well-known URL (required in 2025-06-18)",
    requirement: "S-PRM-3",
    reference: "RFC 9728 §5.1; MCP 2025-06-18 Authorization Server Location; MCP 2025-11-25 Protected Resource Metadata Discovery Requirements",
    group: "challenge",
    target: McpServer,
    apply: |b| b.challenge_resource_metadata = false,
};

const PRM_REDIRECTED: Variant = Variant {
    name: "prm-redirected",
    kind: Unusual,
    description: "the protected resource metadata URLs answer 307 to /metadata/protected-resource.json on the same origin, where the document is (for the server suite, whose metadata probes follow it; the client suite's discovery checks count a 307 as not found)",
    requirement: "S-PRM-1",
    reference: "RFC 9728 §3; RFC 9110 §15.4.8",
    group: "prm location",
    target: McpServer,
    apply: |b| b.prm_redirect = true,
};
