//! The authorization request (OAuth 2.1 §4.1.1 with PKCE, `state`, RFC 8707 `resource`) and the
//! checks of the response the redirect carries (`state`; RFC 9207 `iss`).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::RngCore;
use url::Url;

use crate::as_metadata::AuthServer;
use crate::breaks::{Break, Breaks};
use crate::error::{ClientError, Result};
use crate::log;
use crate::pkce::Pkce;

/// What goes into the authorization URL.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub client_id: &'a str,
    pub redirect_uri: &'a str,
    pub scope: Option<&'a str>,
    pub resource: Option<&'a str>,
    pub pkce: Option<&'a Pkce>,
    pub state: Option<&'a str>,
}

/// A random `state` (128 bits).
pub fn random_state() -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn url(endpoint: &str, request: &Request<'_>) -> Result<Url> {
    let mut url = Url::parse(endpoint).map_err(|e| {
        ClientError::Protocol(format!(
            "authorization_endpoint `{endpoint}` is not a URL: {e}"
        ))
    })?;
    {
        let mut q = url.query_pairs_mut();
        q.append_pair("response_type", "code");
        q.append_pair("client_id", request.client_id);
        q.append_pair("redirect_uri", request.redirect_uri);
        if let Some(scope) = request.scope {
            q.append_pair("scope", scope);
        }
        if let Some(state) = request.state {
            q.append_pair("state", state);
        }
        if let Some(pkce) = request.pkce {
            q.append_pair("code_challenge", &pkce.challenge);
            q.append_pair("code_challenge_method", pkce.method);
        }
        if let Some(resource) = request.resource {
            q.append_pair("resource", resource);
        }
    }
    Ok(url)
}

/// The parameters of the redirect back to the client.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Callback {
    pub code: Option<String>,
    pub state: Option<String>,
    pub iss: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
}

pub fn parse_callback(query: &str) -> Callback {
    let mut cb = Callback::default();
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match k.as_ref() {
            "code" => &mut cb.code,
            "state" => &mut cb.state,
            "iss" => &mut cb.iss,
            "error" => &mut cb.error,
            "error_description" => &mut cb.error_description,
            _ => continue,
        };
        slot.get_or_insert_with(|| v.into_owned());
    }
    cb
}

/// Headless: GET the authorization URL without following the redirect, and read the `Location`.
pub async fn follow_headless(http: &reqwest::Client, url: &Url) -> Result<Callback> {
    let response = http
        .get(url.clone())
        .send()
        .await
        .map_err(ClientError::http("GET authorization endpoint"))?;
    let status = response.status();
    log::step(format!(
        "GET {}{} (authorization request) -> {}",
        url.origin().ascii_serialization(),
        url.path(),
        status.as_u16()
    ));
    if !status.is_redirection() {
        return Err(ClientError::Protocol(format!(
            "the authorization endpoint answered {status} instead of redirecting"
        )));
    }
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ClientError::Protocol("the redirect has no Location".into()))?;
    let target = url
        .join(location)
        .map_err(|e| ClientError::Protocol(format!("the Location is not a URL: {e}")))?;
    Ok(parse_callback(target.query().unwrap_or("")))
}

/// Checks the response against the request; the authorization code when everything matches.
pub fn validate(
    cb: &Callback,
    sent_state: Option<&str>,
    server: &AuthServer,
    breaks: &Breaks,
) -> Result<String> {
    if let Some(sent) = sent_state {
        if cb.state.as_deref() != Some(sent) {
            let why = format!(
                "the authorization response carries state {:?}, not the one sent",
                cb.state
            );
            if breaks.has(Break::SkipStateCheck) {
                log::step(format!("BREAK skip-state-check: {why}; going on"));
            } else {
                return Err(ClientError::Refused(why));
            }
        }
    }
    check_iss(cb, server, breaks)?;
    if let Some(error) = &cb.error {
        return Err(ClientError::Protocol(format!(
            "the authorization server refused: {error} {}",
            cb.error_description.as_deref().unwrap_or("")
        )));
    }
    cb.code
        .clone()
        .ok_or_else(|| ClientError::Protocol("the authorization response has no code".into()))
}

/// RFC 9207 §2.4 as MCP 2026-07-28 "Authorization Response Validation" tables it: an `iss` that is
/// there must be the issuer exactly (a simple string comparison, no normalisation), advertised or
/// not; with `authorization_response_iss_parameter_supported` it must be there.
fn check_iss(cb: &Callback, server: &AuthServer, breaks: &Breaks) -> Result<()> {
    let problem = match (&cb.iss, server.iss_parameter_supported) {
        (Some(_), false) if breaks.has(Break::IssRejectUnadvertised) => Some(
            "BREAK iss-reject-unadvertised: the response carries an iss the metadata does not \
             advertise"
                .to_string(),
        ),
        (Some(iss), false) if breaks.has(Break::IssOnlyWhenAdvertised) => {
            log::step(format!(
                "BREAK iss-only-when-advertised: not comparing iss `{iss}`, which the metadata does \
                 not advertise"
            ));
            None
        }
        (Some(iss), _) if !same_issuer(iss, &server.issuer, breaks) => Some(format!(
            "the authorization response names issuer `{iss}`, not `{}` (RFC 9207)",
            server.issuer
        )),
        (None, true) => Some(
            "the authorization server advertises `iss` in responses, but this one has none (RFC 9207)"
                .to_string(),
        ),
        (None, false) if breaks.has(Break::IssRequiredAlways) => Some(
            "BREAK iss-required-always: the authorization response has no iss".to_string(),
        ),
        _ => None,
    };
    match problem {
        None => Ok(()),
        Some(why) if breaks.has(Break::SkipIssCheck) => {
            log::step(format!("BREAK skip-iss-check: {why}; going on"));
            Ok(())
        }
        Some(why) => Err(ClientError::Refused(why)),
    }
}

/// `iss` against the recorded issuer: equal strings (RFC 3986 §6.2.1). The breaks compare what a
/// URL library makes of them instead (scheme and host lower-cased, `/` for an empty path).
fn same_issuer(iss: &str, issuer: &str, breaks: &Breaks) -> bool {
    let serialised = |u: &str| {
        Url::parse(u)
            .map(|u| u.to_string())
            .unwrap_or(u.to_string())
    };
    if breaks.has(Break::IssNormalize) {
        let normal = |u: &str| serialised(u).trim_end_matches('/').to_string();
        return normal(iss) == normal(issuer);
    }
    if breaks.has(Break::IssCompareHref) {
        return iss == serialised(issuer);
    }
    iss == issuer
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::as_metadata::legacy_defaults;

    fn server(iss_supported: bool) -> AuthServer {
        AuthServer {
            iss_parameter_supported: iss_supported,
            ..legacy_defaults("http://as.example")
        }
    }

    fn with(b: Break) -> Breaks {
        let mut breaks = Breaks::default();
        breaks.insert(b);
        breaks
    }

    #[test]
    fn url_carries_every_parameter() {
        let pkce = crate::pkce::generate(&Breaks::default()).unwrap();
        let request = Request {
            client_id: "https://c.example/m.json",
            redirect_uri: "http://127.0.0.1:3000/callback",
            scope: Some("a b"),
            resource: Some("http://127.0.0.1:1/mcp"),
            pkce: Some(&pkce),
            state: Some("st"),
        };
        let u = url("http://as.example/authorize?x=1", &request).unwrap();
        let q: std::collections::HashMap<_, _> = u.query_pairs().into_owned().collect();
        assert_eq!(q["x"], "1");
        assert_eq!(q["response_type"], "code");
        assert_eq!(q["client_id"], "https://c.example/m.json");
        assert_eq!(q["scope"], "a b");
        assert_eq!(q["resource"], "http://127.0.0.1:1/mcp");
        assert_eq!(q["code_challenge_method"], "S256");
        assert_eq!(q["code_challenge"], pkce.challenge);
        assert_eq!(q["state"], "st");
        let bare = Request {
            scope: None,
            resource: None,
            pkce: None,
            state: None,
            ..request
        };
        let u = url("http://as.example/authorize", &bare).unwrap();
        assert!(!u.query().unwrap().contains("scope"));
        assert!(!u.query().unwrap().contains("state"));
    }

    #[test]
    fn state_must_match() {
        let cb = parse_callback("code=c&state=other");
        let ok = Breaks::default();
        assert!(matches!(
            validate(&cb, Some("mine"), &server(false), &ok),
            Err(ClientError::Refused(_))
        ));
        assert_eq!(
            validate(
                &cb,
                Some("mine"),
                &server(false),
                &with(Break::SkipStateCheck)
            )
            .unwrap(),
            "c"
        );
        assert_eq!(
            validate(
                &parse_callback("code=c&state=mine"),
                Some("mine"),
                &server(false),
                &ok
            )
            .unwrap(),
            "c"
        );
        // No state sent (`no-state`): nothing to compare.
        assert_eq!(
            validate(&parse_callback("code=c"), None, &server(false), &ok).unwrap(),
            "c"
        );
    }

    #[test]
    fn iss_rules_of_rfc9207() {
        let ok = Breaks::default();
        let good = parse_callback("code=c&state=s&iss=http%3A%2F%2Fas.example");
        let wrong = parse_callback("code=c&state=s&iss=https%3A%2F%2Fevil.example");
        let missing = parse_callback("code=c&state=s");
        let slash = parse_callback("code=c&state=s&iss=http%3A%2F%2Fas.example%2F");
        assert!(validate(&good, Some("s"), &server(true), &ok).is_ok());
        assert!(validate(&wrong, Some("s"), &server(true), &ok).is_err());
        assert!(validate(&missing, Some("s"), &server(true), &ok).is_err());
        assert!(validate(&slash, Some("s"), &server(true), &ok).is_err());
        assert!(validate(&missing, Some("s"), &server(false), &ok).is_ok());
        assert!(validate(&wrong, Some("s"), &server(false), &ok).is_err());
        assert!(validate(&wrong, Some("s"), &server(true), &with(Break::SkipIssCheck)).is_ok());
        assert!(validate(
            &missing,
            Some("s"),
            &server(true),
            &with(Break::SkipIssCheck)
        )
        .is_ok());
        let upper = parse_callback("code=c&state=s&iss=HTTP%3A%2F%2Fas.example");
        assert!(validate(&upper, Some("s"), &server(true), &ok).is_err());
        assert!(validate(&good, Some("s"), &server(false), &ok).is_ok());
    }

    #[test]
    fn each_iss_break_bends_one_row() {
        let good = parse_callback("code=c&state=s&iss=http%3A%2F%2Fas.example");
        let slash = parse_callback("code=c&state=s&iss=http%3A%2F%2Fas.example%2F");
        let upper = parse_callback("code=c&state=s&iss=HTTP%3A%2F%2Fas.example");
        let wrong = parse_callback("code=c&state=s&iss=https%3A%2F%2Fevil.example");
        let missing = parse_callback("code=c&state=s");
        let ok = |cb: &Callback, advertised: bool, b: Break| {
            validate(cb, Some("s"), &server(advertised), &with(b)).is_ok()
        };
        assert!(ok(&slash, true, Break::IssNormalize) && ok(&upper, true, Break::IssNormalize));
        assert!(ok(&good, true, Break::IssNormalize) && !ok(&wrong, true, Break::IssNormalize));
        assert!(!ok(&good, true, Break::IssCompareHref) && ok(&slash, true, Break::IssCompareHref));
        assert!(ok(&wrong, false, Break::IssOnlyWhenAdvertised));
        assert!(!ok(&wrong, true, Break::IssOnlyWhenAdvertised));
        assert!(!ok(&missing, false, Break::IssRequiredAlways));
        assert!(ok(&good, false, Break::IssRequiredAlways));
        assert!(!ok(&good, false, Break::IssRejectUnadvertised));
        assert!(ok(&good, true, Break::IssRejectUnadvertised));
        assert!(ok(&missing, false, Break::IssRejectUnadvertised));
    }

    #[test]
    fn error_responses_end_the_flow() {
        let cb = parse_callback("error=access_denied&state=s");
        assert!(matches!(
            validate(&cb, Some("s"), &server(false), &Breaks::default()),
            Err(ClientError::Protocol(_))
        ));
        assert_ne!(random_state(), random_state());
    }
}
