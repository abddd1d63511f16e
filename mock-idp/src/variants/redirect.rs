use super::{Variant, VariantKind::*, VariantTarget::*};
use crate::behaviour::{IssParameter, StateEcho};

pub(super) const ALL: &[&Variant] = &[&WRONG_STATE, &WRONG_ISS, &MISSING_ISS];

const WRONG_STATE: Variant = Variant {
    name: "wrong-state",
    kind: Broken,
    description: "the authorization response carries a `state` other than the one sent",
    requirement: "C-STATE-1",
    reference: "OAuth 2.1 §4.1.2, §7.12; MCP 2025-11-25 Open Redirection",
    group: "state",
    target: AuthorizationServer,
    apply: |b| b.state_echo = StateEcho::Wrong,
};

const WRONG_ISS: Variant = Variant {
    name: "wrong-iss",
    kind: Broken,
    description:
        "the authorization response carries an `iss` other than the issuer (mix-up attack)",
    requirement: "C-ISS-1",
    reference: "RFC 9207 §2.4",
    group: "iss",
    target: AuthorizationServer,
    apply: |b| b.iss_parameter = IssParameter::Wrong,
};

const MISSING_ISS: Variant = Variant {
    name: "missing-iss",
    kind: Broken,
    description: "the metadata advertises `authorization_response_iss_parameter_supported` but the response has no `iss`",
    requirement: "C-ISS-1",
    reference: "RFC 9207 §2.4",
    group: "iss",
    target: AuthorizationServer,
    apply: |b| b.iss_parameter = IssParameter::Omitted,
};
