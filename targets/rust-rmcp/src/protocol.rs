//! Which MCP lifecycle the session uses: the revision the runner names in
//! `MCP_CONFORMANCE_PROTOCOL_VERSION` (the one the scenario is judged against), when rmcp knows it.
//! A revision without `initialize` (2026-07-28) uses rmcp's `server/discover` lifecycle with
//! per-request metadata; an older one the legacy `initialize` handshake offering that revision;
//! none (or one rmcp does not know) the SDK's default, `initialize`.

use rmcp::model::ProtocolVersion;
use rmcp::service::ClientLifecycleMode;

#[derive(Debug, Clone, PartialEq)]
pub enum Lifecycle {
    /// `initialize`, offering this revision (`None`: the SDK's default offer).
    Initialize(Option<ProtocolVersion>),
    /// `server/discover`, preferring this revision.
    Discover(ProtocolVersion),
}

impl Lifecycle {
    pub fn from_env() -> Self {
        Self::for_version(
            std::env::var("MCP_CONFORMANCE_PROTOCOL_VERSION")
                .ok()
                .as_deref(),
        )
    }

    pub fn for_version(version: Option<&str>) -> Self {
        let known = version.and_then(|wanted| {
            ProtocolVersion::KNOWN_VERSIONS
                .iter()
                .find(|v| v.as_str() == wanted.trim())
        });
        match known {
            Some(v) if !v.has_initialize() => Lifecycle::Discover(v.clone()),
            Some(v) => Lifecycle::Initialize(Some(v.clone())),
            None => Lifecycle::Initialize(None),
        }
    }

    pub fn mode(&self) -> ClientLifecycleMode {
        match self {
            Lifecycle::Initialize(_) => ClientLifecycleMode::Initialize,
            Lifecycle::Discover(v) => ClientLifecycleMode::Discover {
                preferred_versions: vec![v.clone()],
            },
        }
    }

    /// The revision offered in `initialize`, when not the SDK's default.
    pub fn offered(&self) -> Option<&ProtocolVersion> {
        match self {
            Lifecycle::Initialize(v) => v.as_ref(),
            Lifecycle::Discover(_) => None,
        }
    }
}

impl std::fmt::Display for Lifecycle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Lifecycle::Initialize(Some(v)) => write!(f, "initialize ({v})"),
            Lifecycle::Initialize(None) => write!(f, "initialize (SDK default revision)"),
            Lifecycle::Discover(v) => write!(f, "server/discover ({v})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_revision_without_initialize_discovers() {
        assert_eq!(
            Lifecycle::for_version(Some("2026-07-28")),
            Lifecycle::Discover(ProtocolVersion::V_2026_07_28)
        );
        assert!(matches!(
            Lifecycle::for_version(Some("2026-07-28")).mode(),
            ClientLifecycleMode::Discover { .. }
        ));
    }

    #[test]
    fn older_or_unknown_revisions_initialize() {
        assert_eq!(
            Lifecycle::for_version(Some("2025-03-26")),
            Lifecycle::Initialize(Some(ProtocolVersion::V_2025_03_26))
        );
        assert_eq!(
            Lifecycle::for_version(Some("1999-01-01")),
            Lifecycle::Initialize(None)
        );
        assert_eq!(Lifecycle::for_version(None), Lifecycle::Initialize(None));
    }
}
