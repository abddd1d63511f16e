use super::{Variant, VariantKind::*, VariantTarget::*};
use crate::behaviour::MetadataLocation;

pub(super) const ALL: &[&Variant] = &[
    &SPLIT_DOMAIN,
    &CUSTOM_PATH,
    &ISSUER_WITH_PATH,
    &OIDC_ONLY,
    &RFC8414_ONLY,
    &ISSUER_MISMATCH,
    &LEGACY,
    &LEGACY_NO_METADATA,
];

const SPLIT_DOMAIN: Variant = Variant {
    name: "split-domain-metadata",
    kind: Broken,
    description:
        "authorization server metadata is served only from another origin than the issuer's",
    requirement: "AS-META-1",
    reference: "RFC 8414 §3.1; MCP 2025-11-25 Authorization Server Metadata Discovery",
    group: "metadata location",
    target: AuthorizationServer,
    apply: |b| b.metadata_location = MetadataLocation::SeparateOrigin,
};

const CUSTOM_PATH: Variant = Variant {
    name: "custom-metadata-path",
    kind: Broken,
    description:
        "authorization server metadata is served only at a custom path, not at a well-known URL",
    requirement: "AS-META-1",
    reference: "RFC 8414 §3.1; MCP 2025-11-25 Authorization Server Metadata Discovery",
    group: "metadata location",
    target: AuthorizationServer,
    apply: |b| {
        b.metadata_location = MetadataLocation::CustomPath("/custom/oauth-metadata.json".into())
    },
};

const ISSUER_WITH_PATH: Variant = Variant {
    name: "issuer-with-path",
    kind: Unusual,
    description: "the issuer has a path (`/tenant1`): metadata URLs need path insertion",
    requirement: "C-ASM-1",
    reference: "RFC 8414 §3.1; MCP 2025-11-25 Authorization Server Metadata Discovery",
    group: "issuer path",
    target: AuthorizationServer,
    apply: |b| b.issuer_path = Some("tenant1".into()),
};

const OIDC_ONLY: Variant = Variant {
    name: "oidc-discovery-only",
    kind: Unusual,
    description: "only OpenID Connect discovery is served, no RFC 8414 document",
    requirement: "C-ASM-1",
    reference: "MCP 2025-11-25 Authorization Server Metadata Discovery; OIDC Discovery §4",
    group: "metadata format",
    target: AuthorizationServer,
    apply: |b| b.serve_rfc8414 = false,
};

const RFC8414_ONLY: Variant = Variant {
    name: "rfc8414-only",
    kind: Unusual,
    description: "only the RFC 8414 document is served, no OpenID Connect discovery",
    requirement: "C-ASM-1",
    reference: "RFC 8414 §3; MCP 2025-11-25 Authorization Server Metadata Discovery",
    group: "metadata format",
    target: AuthorizationServer,
    apply: |b| b.serve_oidc = false,
};

const ISSUER_MISMATCH: Variant = Variant {
    name: "issuer-mismatch",
    kind: Broken,
    description: "the metadata's `issuer` differs from the issuer it was fetched for",
    requirement: "C-ASM-2",
    reference: "RFC 8414 §3.3",
    group: "metadata issuer",
    target: AuthorizationServer,
    apply: |b| b.metadata_issuer_mismatch = true,
};

const LEGACY: Variant = Variant {
    name: "legacy-2025-03-26",
    kind: Unusual,
    description: "2025-03-26 layout: authorization server on the MCP origin, its metadata at <MCP origin>/.well-known/oauth-authorization-server naming endpoints under /oauth/ (as the official scenario does: a client that ignores the metadata and guesses /authorize /token /register gets 404), no protected resource metadata",
    requirement: "C-ASM-0326",
    reference: "MCP 2025-03-26 Server Metadata Discovery, Fallbacks for Servers without Metadata Discovery",
    group: "metadata location",
    target: AuthorizationServer,
    apply: |b| {
        b.legacy_2025_03_26_layout = true;
        b.endpoint_path_prefix = Some("/oauth".into());
        b.prm_at_path = false;
        b.prm_at_root = false;
        b.challenge_resource_metadata = false;
    },
};

const LEGACY_NO_METADATA: Variant = Variant {
    name: "legacy-2025-03-26-no-metadata",
    kind: Unusual,
    description: "2025-03-26 layout without any authorization server metadata (404): clients must fall back to /authorize /token /register on the MCP origin",
    requirement: "C-ASM-0326",
    reference: "MCP 2025-03-26 Fallbacks for Servers without Metadata Discovery",
    group: "metadata location",
    target: AuthorizationServer,
    apply: |b| {
        (LEGACY.apply)(b);
        b.metadata_location = MetadataLocation::Nowhere;
        // Nothing names other endpoints: the defaults are the endpoints.
        b.endpoint_path_prefix = None;
        // Without metadata there is no issuer to compare an `iss` with (RFC 9207 §2.4): the
        // official fallback scenario redirects with `code` and `state` only.
        b.iss_parameter = crate::behaviour::IssParameter::Omitted;
        b.advertise_iss_parameter = false;
    },
};
