//! The catalogue of deliberately broken or unusual deployments.
//!
//! A variant is data (name, description, the requirement it breaks or exercises) plus one small hook
//! that changes the [`Behaviour`] of the otherwise correct mock. Variants combine by applying their
//! hooks in order; variants that change the same aspect are in the same exclusive group.

mod discovery;
mod iss;
mod migration;
mod pkce;
mod prm;
mod redirect;
mod registration;
mod resource_server;
mod revision_2026;
mod timing;
mod tokens;

use serde::Serialize;

use crate::behaviour::Behaviour;
use crate::error::IdpError;

/// Whether a variant violates a requirement or is a legal but unusual deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VariantKind {
    /// Breaks a requirement: a conforming peer must detect it and stop (or work around it).
    Broken,
    /// Allowed by the spec, but a path that real clients often get wrong.
    Unusual,
}

/// Which part of the deployment a variant changes: the authorization server (what clients meet
/// during discovery, registration, authorization and token requests) or the protected MCP server
/// (its challenges, metadata and token handling: what the server suite must detect).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VariantTarget {
    AuthorizationServer,
    McpServer,
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Variant {
    pub name: &'static str,
    pub kind: VariantKind,
    pub description: &'static str,
    /// Requirement id (see `shared/spec`) that the variant breaks or exercises.
    pub requirement: &'static str,
    /// The spec or RFC section behind the requirement.
    pub reference: &'static str,
    /// Variants of the same group change the same aspect and cannot be combined.
    pub group: &'static str,
    pub target: VariantTarget,
    #[serde(skip)]
    pub apply: fn(&mut Behaviour),
}

/// Every variant, in the order `mcp-authlab variants` lists them.
pub fn catalogue() -> Vec<&'static Variant> {
    [
        discovery::ALL,
        pkce::ALL,
        registration::ALL,
        prm::ALL,
        redirect::ALL,
        iss::ALL,
        migration::ALL,
        tokens::ALL,
        timing::ALL,
        resource_server::ALL,
        revision_2026::ALL,
    ]
    .into_iter()
    .flatten()
    .copied()
    .collect()
}

pub fn lookup(name: &str) -> Result<&'static Variant, IdpError> {
    catalogue()
        .into_iter()
        .find(|v| v.name == name)
        .ok_or_else(|| IdpError::UnknownVariant(name.to_string()))
}

/// Applies the named variants, in order, to a correct deployment's behaviour.
pub fn behaviour_for<S: AsRef<str>>(names: &[S]) -> Result<Behaviour, IdpError> {
    let mut behaviour = Behaviour::default();
    let mut chosen: Vec<&'static Variant> = Vec::new();
    for name in names {
        let variant = lookup(name.as_ref())?;
        if chosen.iter().any(|c| c.name == variant.name) {
            continue;
        }
        if let Some(other) = chosen.iter().find(|c| c.group == variant.group) {
            return Err(IdpError::ConflictingVariants(
                other.name.to_string(),
                variant.name.to_string(),
                format!("both change the {}", variant.group),
            ));
        }
        (variant.apply)(&mut behaviour);
        chosen.push(variant);
    }
    Ok(behaviour)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn names_are_unique_and_kebab_case() {
        let mut seen = HashSet::new();
        for v in catalogue() {
            assert!(seen.insert(v.name), "duplicate variant {}", v.name);
            assert!(
                v.name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{} is not kebab-case",
                v.name
            );
            assert!(!v.description.is_empty() && !v.requirement.is_empty());
        }
    }

    #[test]
    fn every_variant_changes_the_behaviour() {
        for v in catalogue() {
            let changed = behaviour_for(&[v.name]).unwrap();
            assert_ne!(changed, Behaviour::default(), "{} changes nothing", v.name);
        }
    }

    #[test]
    fn every_mcp_server_variant_can_be_combined_with_every_authorization_server_variant() {
        let (mcp, other): (Vec<&Variant>, Vec<&Variant>) = catalogue()
            .into_iter()
            .partition(|v| v.target == VariantTarget::McpServer);
        assert!(mcp.len() >= 23 && other.len() >= 20);
        for m in &mcp {
            for o in &other {
                assert_ne!(m.group, o.group, "{} and {} share a group", m.name, o.name);
            }
        }
        let json = serde_json::to_value(lookup("server-skips-signature").unwrap()).unwrap();
        assert_eq!(json["target"], "mcp_server");
        assert_eq!(json["kind"], "broken");
        assert_eq!(json["requirement"], "S-TOK-1");
    }

    #[test]
    fn unknown_variant_is_a_typed_error() {
        assert!(matches!(
            behaviour_for(&["no-such-thing"]),
            Err(IdpError::UnknownVariant(n)) if n == "no-such-thing"
        ));
    }

    #[test]
    fn same_group_variants_conflict_and_others_combine() {
        assert!(matches!(
            behaviour_for(&["oidc-discovery-only", "rfc8414-only"]),
            Err(IdpError::ConflictingVariants(..))
        ));
        let b = behaviour_for(&["issuer-with-path", "pkce-not-enforced"]).unwrap();
        assert_eq!(b.issuer_path.as_deref(), Some("tenant1"));
        assert!(!b.enforce_pkce);
    }

    #[test]
    fn catalogue_covers_the_required_deployments() {
        let names: HashSet<_> = catalogue().iter().map(|v| v.name).collect();
        for required in [
            "split-domain-metadata",
            "custom-metadata-path",
            "issuer-with-path",
            "oidc-discovery-only",
            "rfc8414-only",
            "pkce-not-advertised",
            "pkce-plain-only",
            "pkce-not-enforced",
            "issuer-mismatch",
            "no-registration-endpoint",
            "cimd-only",
            "prm-missing",
            "prm-root-only",
            "prm-resource-mismatch",
            "challenge-without-resource-metadata",
            "prm-redirected",
            "legacy-2025-03-26",
            "legacy-2025-03-26-no-metadata",
            "wrong-state",
            "wrong-iss",
            "missing-iss",
            "iss-not-advertised",
            "unadvertised-iss",
            "unadvertised-wrong-iss",
            "iss-trailing-slash",
            "iss-uppercase-scheme",
            "authorization-server-migration",
            "refresh-without-rotation",
            "wrong-audience",
            "expired-tokens",
            "slow-metadata",
            "hanging-token-endpoint",
            // Broken resource servers (the server suite's self-tests).
            "server-accepts-any-audience",
            "server-accepts-expired",
            "server-skips-signature",
            "server-accepts-any-issuer",
            "server-accepts-wrong-type",
            "server-accepts-query-token",
            "server-error-without-credentials",
            "server-no-www-authenticate",
            "server-forbidden-without-token",
            "server-error-on-bad-token",
            "server-ignores-scope",
            "server-scope-challenge-without-scope",
            "server-case-sensitive-bearer",
            "server-session-as-authentication",
            "server-token-passthrough",
            "prm-wrong-content-type",
            "prm-without-cors",
            "prm-empty-authorization-servers",
            "challenge-without-scope",
            // MCP 2026-07-28 servers (the server suite's 2026-07-28 self-tests).
            "server-2026-requires-initialize",
            "server-incomplete-scope-challenge",
            "prm-advertises-offline-access",
            "prm-issuer-trailing-slash",
        ] {
            assert!(names.contains(required), "missing variant {required}");
        }
    }
}
