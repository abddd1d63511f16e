use std::time::Duration;

use super::{Variant, VariantKind::*, VariantTarget::*};
use crate::behaviour::{Delay, Endpoint};

pub(super) const ALL: &[&Variant] = &[&SLOW_METADATA, &HANGING_TOKEN];

/// How long the slow variants wait before answering.
pub const SLOW_DELAY: Duration = Duration::from_secs(5);

const SLOW_METADATA: Variant = Variant {
    name: "slow-metadata",
    kind: Unusual,
    description: "discovery documents (protected resource and authorization server metadata) answer after 5 seconds",
    requirement: "C-ASM-1",
    reference: "MCP 2025-11-25 Authorization Server Metadata Discovery",
    group: "timing",
    target: AuthorizationServer,
    apply: |b| {
        for endpoint in [
            Endpoint::AuthorizationServerMetadata,
            Endpoint::ProtectedResourceMetadata,
        ] {
            b.delays.push(Delay {
                endpoint,
                after: Some(SLOW_DELAY),
            });
        }
    },
};

const HANGING_TOKEN: Variant = Variant {
    name: "hanging-token-endpoint",
    kind: Broken,
    description: "the token endpoint accepts the connection and never answers: clients must time out, not hang",
    requirement: "C-TIMEOUT-1",
    reference: "MCP 2025-11-25 Security Considerations (availability); RFC 9110 §9.2.2",
    group: "timing",
    target: AuthorizationServer,
    apply: |b| {
        b.delays.push(Delay {
            endpoint: Endpoint::Token,
            after: None,
        })
    },
};
