//! Client checks: `application_type` in a dynamic client registration (MCP 2026-07-28 Client
//! Registration, "Application Type and Redirect URI Constraints", SEP-837; OpenID Connect Dynamic
//! Client Registration 1.0 §2). Omitted, it defaults to `web` under OIDC, which an authorization
//! server may refuse for the loopback redirect URIs of a native client.

use mcp_authlab_mock_idp::urls::is_loopback_host;
use url::Url;

use crate::check::Finding;
use crate::client::observation::{Observation, Request};

use super::authorization::label;
use super::registration::registration_attempts;

/// The two values OIDC Dynamic Client Registration §2 defines.
const APPLICATION_TYPES: &[&str] = &["native", "web"];

/// A field of a registration request: from its JSON body, else (a form-encoded registration,
/// which `client-registration-json` judges) its form.
fn field(request: &Request<'_>, name: &str) -> Option<Vec<String>> {
    match request.json() {
        Some(body) => match body.get(name)? {
            serde_json::Value::String(s) => Some(vec![s.clone()]),
            serde_json::Value::Array(items) => Some(
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_string))
                    .collect(),
            ),
            other => Some(vec![other.to_string()]),
        },
        None => {
            let values = request.form_all(name);
            (!values.is_empty()).then_some(values)
        }
    }
}

fn application_type(request: &Request<'_>) -> Option<String> {
    field(request, "application_type").and_then(|v| v.into_iter().next())
}

const NO_REGISTRATION: &str = "the client did not register dynamically";

/// `sep-837-application-type-present` (C-DCR-03): every registration request names an
/// `application_type`, `native` or `web`.
pub fn application_type_present(obs: &Observation) -> Finding {
    let registrations = registration_attempts(obs);
    if registrations.is_empty() {
        return Finding::not_judged(NO_REGISTRATION);
    }
    let problems: Vec<String> = registrations
        .iter()
        .filter_map(|r| match application_type(r) {
            Some(t) if APPLICATION_TYPES.contains(&t.as_str()) => None,
            Some(other) => Some(format!(
                "{} has application_type `{other}` (neither native nor web)",
                label(r)
            )),
            None => Some(format!("{} has no application_type", label(r))),
        })
        .collect();
    if problems.is_empty() {
        let types: Vec<String> = registrations.iter().filter_map(application_type).collect();
        Finding::met(format!(
            "every registration request ({}) names application_type {}",
            registrations.len(),
            types.join(", ")
        ))
    } else {
        Finding::violated(problems.join("; "))
    }
}

/// Whether a redirect URI is a loopback one (RFC 8252 §7.3: `localhost`, `127.0.0.0/8`, `[::1]`).
fn is_loopback(uri: &str) -> bool {
    Url::parse(uri).is_ok_and(|u| u.host().is_some_and(|host| is_loopback_host(&host)))
}

/// `sep-837-application-type-native` (C-DCR-03, SHOULD): a registration whose redirect URIs are
/// all loopback ones (a desktop or command-line client) names `application_type` `native`. Not
/// judged for other redirect URIs or without an `application_type` (the presence check's case).
pub fn application_type_native_for_loopback(obs: &Observation) -> Finding {
    let registrations = registration_attempts(obs);
    if registrations.is_empty() {
        return Finding::not_judged(NO_REGISTRATION);
    }
    let native_clients: Vec<(Request<'_>, String)> = registrations
        .into_iter()
        .filter(|r| {
            field(r, "redirect_uris")
                .is_some_and(|uris| !uris.is_empty() && uris.iter().all(|u| is_loopback(u)))
        })
        .filter_map(|r| application_type(&r).map(|t| (r, t)))
        .collect();
    if native_clients.is_empty() {
        return Finding::not_judged(
            "no registration request with only loopback redirect URIs and an application_type",
        );
    }
    let wrong: Vec<String> = native_clients
        .iter()
        .filter(|(_, t)| t != "native")
        .map(|(r, t)| format!("{} registers loopback redirect URIs as `{t}`", label(r)))
        .collect();
    if wrong.is_empty() {
        Finding::met(format!(
            "every registration with loopback redirect URIs ({}) names application_type native",
            native_clients.len()
        ))
    } else {
        Finding::violated(wrong.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use mcp_authlab_mock_idp::trace::Role;

    use super::*;
    use crate::client::observation::test_support::*;

    fn register(obs: &mut Observation, body: serde_json::Value) {
        request(Role::AuthorizationServer, "POST", "/register")
            .header("content-type", "application/json")
            .body(&body.to_string())
            .status(201)
            .push(obs);
    }

    fn with(body: serde_json::Value) -> Observation {
        let mut obs = observation();
        register(&mut obs, body);
        obs
    }

    const LOOPBACK: &str = "http://127.0.0.1:3000/callback";

    #[test]
    fn every_registration_names_native_or_web() {
        let native =
            with(serde_json::json!({"redirect_uris": [LOOPBACK], "application_type": "native"}));
        assert!(application_type_present(&native).is_met());
        let missing = with(serde_json::json!({"redirect_uris": [LOOPBACK]}));
        let finding = application_type_present(&missing);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("no application_type"));
        let odd =
            with(serde_json::json!({"redirect_uris": [LOOPBACK], "application_type": "desktop"}));
        assert!(application_type_present(&odd).is_violated());
        let form = {
            let mut obs = observation();
            request(Role::AuthorizationServer, "POST", "/register")
                .header("content-type", "application/x-www-form-urlencoded")
                .body("redirect_uris=x&application_type=web")
                .push(&mut obs);
            obs
        };
        assert!(application_type_present(&form).is_met());
        assert!(matches!(
            application_type_present(&observation()),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn loopback_redirect_uris_mean_a_native_client() {
        let native = with(
            serde_json::json!({"redirect_uris": [LOOPBACK, "http://localhost:1/cb"], "application_type": "native"}),
        );
        assert!(application_type_native_for_loopback(&native).is_met());
        let web = with(serde_json::json!({"redirect_uris": [LOOPBACK], "application_type": "web"}));
        assert!(application_type_native_for_loopback(&web).is_violated());
        let remote = with(
            serde_json::json!({"redirect_uris": ["https://app.example/cb"], "application_type": "web"}),
        );
        assert!(matches!(
            application_type_native_for_loopback(&remote),
            Finding::NotJudged(_)
        ));
        assert!(is_loopback("http://[::1]:8/cb") && !is_loopback("http://127.example/cb"));
    }
}
