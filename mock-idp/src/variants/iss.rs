//! The RFC 9207 `iss` cases of MCP 2026-07-28 "Authorization Response Validation" beyond a wrong
//! or missing `iss` (`redirect.rs`): an authorization server that does not advertise
//! `authorization_response_iss_parameter_supported` (and sends no `iss`, a correct one or a wrong
//! one), and an `iss` equal to the issuer only after URL normalisation, which the client must not
//! apply.

use super::{Variant, VariantKind::*, VariantTarget::*};
use crate::behaviour::IssParameter;

pub(super) const ALL: &[&Variant] = &[
    &NOT_ADVERTISED,
    &UNADVERTISED_CORRECT,
    &UNADVERTISED_WRONG,
    &TRAILING_SLASH,
    &UPPERCASE_SCHEME,
];

const VALIDATION: &str =
    "MCP 2026-07-28 Authorization Response Validation; RFC 9207 §2.3, §2.4; RFC 3986 §6.2";

const NOT_ADVERTISED: Variant = Variant {
    name: "iss-not-advertised",
    kind: Unusual,
    description: "the metadata does not advertise `authorization_response_iss_parameter_supported` and the authorization response has no `iss` (the client proceeds)",
    requirement: "C-ISS-2",
    reference: VALIDATION,
    group: "iss",
    target: AuthorizationServer,
    apply: |b| {
        b.advertise_iss_parameter = false;
        b.iss_parameter = IssParameter::Omitted;
    },
};

const UNADVERTISED_CORRECT: Variant = Variant {
    name: "unadvertised-iss",
    kind: Unusual,
    description: "the authorization response carries the correct `iss` although the metadata does not advertise `authorization_response_iss_parameter_supported` (the client compares it and proceeds)",
    requirement: "C-ISS-2",
    reference: VALIDATION,
    group: "iss",
    target: AuthorizationServer,
    apply: |b| {
        b.advertise_iss_parameter = false;
        b.iss_parameter = IssParameter::Correct;
    },
};

const UNADVERTISED_WRONG: Variant = Variant {
    name: "unadvertised-wrong-iss",
    kind: Broken,
    description: "the metadata does not advertise `authorization_response_iss_parameter_supported`, and the authorization response carries an `iss` other than the issuer (the client must still compare it and reject)",
    requirement: "C-ISS-2",
    reference: VALIDATION,
    group: "iss",
    target: AuthorizationServer,
    apply: |b| {
        b.advertise_iss_parameter = false;
        b.iss_parameter = IssParameter::Wrong;
    },
};

const TRAILING_SLASH: Variant = Variant {
    name: "iss-trailing-slash",
    kind: Broken,
    description: "the authorization response carries the issuer with a `/` appended, equal to it only after trailing-slash normalisation (the client must reject)",
    requirement: "C-ISS-2",
    reference: VALIDATION,
    group: "iss",
    target: AuthorizationServer,
    apply: |b| b.iss_parameter = IssParameter::TrailingSlash,
};

const UPPERCASE_SCHEME: Variant = Variant {
    name: "iss-uppercase-scheme",
    kind: Broken,
    description: "the authorization response carries the issuer with its scheme in upper case, equal to it only after case normalisation (the client must reject)",
    requirement: "C-ISS-2",
    reference: VALIDATION,
    group: "iss",
    target: AuthorizationServer,
    apply: |b| b.iss_parameter = IssParameter::UppercaseScheme,
};
