//! `WWW-Authenticate: Bearer ...` challenges (RFC 6750 §3, RFC 9728 §5.1), built from parts with
//! RFC 9110 §11.2 auth-param syntax: every value a quoted-string with `"` and `\` escaped.

pub use crate::error::sanitize_description;
use crate::state::IdpState;

/// One `Bearer` challenge, its auth-params in the order they were added.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Challenge {
    params: Vec<(&'static str, String)>,
}

impl Challenge {
    /// The deployment's base challenge: `resource_metadata` (RFC 9728 §5.1) when the behaviour names
    /// one and a protected resource metadata document is really served, and `scope` (RFC 6750 §3;
    /// MCP 2025-11-25 Protected Resource Metadata Discovery) when asked for.
    pub fn for_deployment(state: &IdpState, with_scope: bool) -> Self {
        let mut challenge = Self::default();
        if state.behaviour.challenge_resource_metadata {
            if let Some(url) = state.urls.served_prm_url(&state.behaviour) {
                challenge = challenge.param("resource_metadata", url);
            }
        }
        let required = super::scopes::required(state);
        if with_scope && state.behaviour.challenge_scope && !required.is_empty() {
            challenge = challenge.param("scope", required.join(" "));
        }
        challenge
    }

    /// Adds (or replaces) an auth-param.
    pub fn param(mut self, name: &'static str, value: impl Into<String>) -> Self {
        let value = value.into();
        match self.params.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.params.push((name, value)),
        }
        self
    }

    /// Adds `error` and a sanitised `error_description` (RFC 6750 §3: the description may only
    /// hold %x20-21 / %x23-5B / %x5D-7E), with the same [`sanitize_description`] every
    /// [`crate::error::OAuthError`] uses.
    pub fn error(self, code: &str, description: &str) -> Self {
        self.param("error", code.to_string())
            .param("error_description", sanitize_description(description))
    }

    /// `Bearer` alone, or `Bearer k="v", k2="v2"`.
    pub fn render(&self) -> String {
        let mut out = String::from("Bearer");
        for (i, (name, value)) in self.params.iter().enumerate() {
            out.push_str(if i == 0 { " " } else { ", " });
            out.push_str(name);
            out.push('=');
            out.push_str(&quote(value));
        }
        out
    }
}

/// An RFC 9110 §5.6.4 quoted-string: `"` and `\` escaped with a backslash.
pub fn quote(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    #[test]
    fn renders_quoted_params_and_escapes() {
        let c = Challenge::default()
            .param("resource_metadata", "http://h/.well-known/x")
            .param("scope", r#"a"b\c"#);
        assert_eq!(
            c.render(),
            r#"Bearer resource_metadata="http://h/.well-known/x", scope="a\"b\\c""#
        );
        assert_eq!(Challenge::default().render(), "Bearer");
    }

    #[test]
    fn description_is_restricted_to_rfc6750_characters() {
        let c = Challenge::default().error("invalid_token", "bad \"typ\" (RFC 8707 §2)\n");
        let rendered = c.render();
        assert!(rendered.is_ascii(), "{rendered}");
        assert!(
            rendered.contains(r#"error_description="bad 'typ' (RFC 8707 section 2)?""#),
            "{rendered}"
        );
    }

    #[test]
    fn deployment_challenge_follows_the_behaviour() {
        let state = IdpState::for_tests(&[]);
        assert_eq!(
            Challenge::for_deployment(&state, true).render(),
            "Bearer resource_metadata=\"http://127.0.0.1:2/.well-known/oauth-protected-resource/mcp\", scope=\"mcp:tools\""
        );
        let legacy = IdpState::for_tests(&["legacy-2025-03-26"]);
        assert_eq!(
            Challenge::for_deployment(&legacy, true).render(),
            "Bearer scope=\"mcp:tools\""
        );
        let render = |state: IdpState| Challenge::for_deployment(&state, true).render();
        let prm = "Bearer resource_metadata=\"http://127.0.0.1:2/.well-known/oauth-protected-resource/mcp\"";
        let no_scope = IdpState::for_tests_with(Config::default(), |b| b.challenge_scope = false);
        assert_eq!(render(no_scope), prm);
        for required in [None, Some(""), Some(" ")] {
            let config = Config {
                required_scope: required.map(str::to_owned),
                ..Config::default()
            };
            assert_eq!(
                render(IdpState::for_tests_with(config, |_| {})),
                prm,
                "{required:?}"
            );
        }
        let two = Config {
            required_scope: Some("mcp:tools mcp:admin".into()),
            ..Config::default()
        };
        assert!(render(IdpState::for_tests_with(two, |_| {}))
            .ends_with("scope=\"mcp:tools mcp:admin\""));
        let root = IdpState::for_tests(&["prm-root-only"]);
        assert!(!Challenge::for_deployment(&root, false)
            .render()
            .contains("resource_metadata"));
    }
}
