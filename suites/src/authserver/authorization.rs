//! The authorization request of the throw-away client (`--register`), sent the way an MCP client
//! sends it (OAuth 2.1 §4.1.1: `response_type=code`, the registered loopback redirect URI, PKCE
//! S256, `state`; `resource` when `--resource` was given), to see the authorization response an
//! authorization server gives without a user: a redirect back to the client (an authorization
//! server that approves at once, like the mock), else a login page. When no redirect came back,
//! an error response is asked for instead (an unsupported `response_type`, which RFC 6749
//! §4.1.2.1 answers by redirect once the client and redirect URI are valid, usually before any
//! login). Redirects are never followed; the authorization code is remembered as a secret.

use std::collections::BTreeMap;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use mcp_authlab_mock_idp::store::random_token;
use sha2::{Digest, Sha256};

use super::observation::{label, AuthServerObservation};
use super::probe::{registered_client_id, StepContext, REGISTRATION_REDIRECT_URI};
use crate::server::observation::Probed;

/// The `response_type` no authorization server supports (the error request).
pub const UNSUPPORTED_RESPONSE_TYPE: &str = "mcp-authlab-unsupported";

/// The authorization request URL: `authorization_endpoint` with the parameters of an MCP client.
pub fn request_url(
    endpoint: &str,
    client_id: &str,
    response_type: &str,
    resource: Option<&str>,
) -> Result<String, url::ParseError> {
    let mut url = url::Url::parse(endpoint)?;
    let verifier = random_token(32);
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    {
        let mut query = url.query_pairs_mut();
        query
            .append_pair("response_type", response_type)
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", REGISTRATION_REDIRECT_URI)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", &random_token(16));
        if let Some(resource) = resource {
            query.append_pair("resource", resource);
        }
    }
    Ok(url.to_string())
}

/// The query parameters of a redirect back to the registered redirect URI (`Location` of a 3xx),
/// or `None` when the answer is anything else (a login page, an error page, no answer).
pub fn redirected_back(probe: &Probed) -> Option<BTreeMap<String, String>> {
    let response = probe.ok().filter(|r| (300..400).contains(&r.status))?;
    let location = url::Url::parse(response.header("location")?).ok()?;
    let registered = url::Url::parse(REGISTRATION_REDIRECT_URI).ok()?;
    let same_target = location.scheme() == registered.scheme()
        && location.host() == registered.host()
        && location.port_or_known_default() == registered.port_or_known_default()
        && location.path() == registered.path();
    same_target.then(|| location.query_pairs().into_owned().collect())
}

/// The step: the code request, and the error request when the first did not come back.
pub async fn authorize(ctx: &StepContext<'_>, obs: &mut AuthServerObservation) {
    let Some(client_id) = registered_client_id(obs) else {
        let why = obs
            .why_not_probed(label::REGISTRATION)
            .map(|why| format!("no client was registered: {why}"))
            .unwrap_or_else(|| "the registration gave no client_id".into());
        obs.not_probed.insert(label::AUTHORIZE.into(), why);
        return;
    };
    let Some(endpoint) = obs.metadata_str("authorization_endpoint") else {
        obs.take_consulted();
        obs.not_probed.insert(
            label::AUTHORIZE.into(),
            "the metadata has no authorization_endpoint".into(),
        );
        return;
    };
    obs.take_consulted();
    for (probe_label, response_type) in [
        (label::AUTHORIZE, "code"),
        (label::AUTHORIZE_ERROR, UNSUPPORTED_RESPONSE_TYPE),
    ] {
        let url = match request_url(&endpoint, &client_id, response_type, ctx.resource) {
            Ok(url) => url,
            Err(e) => {
                obs.not_probed.insert(
                    probe_label.into(),
                    format!("the authorization_endpoint `{endpoint}` is not a URL: {e}"),
                );
                return;
            }
        };
        let headers = vec![("accept".into(), "text/html".into())];
        let seq = obs.probes.len() as u64 + 1;
        let probed = ctx
            .prober
            .fetch(
                seq,
                probe_label,
                "authorization_server",
                reqwest::Method::GET,
                &url,
                headers,
                None,
            )
            .await;
        let back = redirected_back(&probed);
        if let Some(code) = back.as_ref().and_then(|p| p.get("code")) {
            obs.secrets.push(code.clone());
        }
        obs.probes.push(probed);
        if back.is_some() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observation::ProbeResponse;

    fn redirect(location: &str) -> Probed {
        Probed {
            seq: 1,
            label: label::AUTHORIZE.into(),
            to: "authorization_server",
            method: "GET".into(),
            url: "http://as/authorize".into(),
            request_headers: Vec::new(),
            request_body: None,
            response: Ok(ProbeResponse {
                status: 302,
                headers: vec![("location".into(), location.into())],
                body: String::new(),
            }),
            duration_ms: 1,
        }
    }

    #[test]
    fn the_request_is_an_mcp_clients() {
        let url = request_url(
            "https://as.example/authorize?x=1",
            "c1",
            "code",
            Some("https://mcp/mcp"),
        )
        .unwrap();
        let pairs: BTreeMap<String, String> = url::Url::parse(&url)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect();
        assert_eq!(pairs["x"], "1");
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["redirect_uri"], REGISTRATION_REDIRECT_URI);
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert_eq!(pairs["code_challenge"].len(), 43);
        assert_eq!(pairs["resource"], "https://mcp/mcp");
        assert!(pairs["state"].len() >= 16);
    }

    #[test]
    fn only_a_redirect_to_the_registered_uri_counts() {
        let back = redirected_back(&redirect(&format!(
            "{REGISTRATION_REDIRECT_URI}?code=abc&state=s&iss=https%3A%2F%2Fas"
        )))
        .unwrap();
        assert_eq!(back["iss"], "https://as");
        assert!(redirected_back(&redirect("https://as.example/login?next=1")).is_none());
        let mut page = redirect("x");
        page.response = Ok(ProbeResponse {
            status: 200,
            headers: Vec::new(),
            body: "<form>".into(),
        });
        assert!(redirected_back(&page).is_none());
    }
}
