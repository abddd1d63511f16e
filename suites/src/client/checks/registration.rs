//! Client checks: registration. Dynamic client registration (RFC 7591), the authentication method
//! at the token endpoint, pre-registered credentials, client ID metadata documents, and the
//! redirect URIs a client registered.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;
use url::Url;

use crate::check::Finding;
use crate::client::observation::{Endpoint, Observation, Request};

/// Every registration attempt: requests to the advertised registration endpoint, and any `POST`
/// to a `…/register` path (a deployment without a registration endpoint still sees the attempt).
pub fn registration_attempts<'a>(obs: &'a Observation) -> Vec<Request<'a>> {
    obs.requests()
        .into_iter()
        .filter(|r| {
            r.endpoint == Endpoint::Registration
                || (r.method() == "POST" && r.path().ends_with("/register"))
        })
        .collect()
}

fn succeeded(request: &Request<'_>) -> bool {
    (200..300).contains(&request.status())
}

fn is_json_media_type(content_type: &str) -> bool {
    content_type
        .split(';')
        .next()
        .is_some_and(|mime| mime.trim().eq_ignore_ascii_case("application/json"))
}

/// The `redirect_uris` of a registration request body, if it is JSON with such an array.
fn registered_redirect_uris(request: &Request<'_>) -> Option<Vec<String>> {
    let body = request.json()?;
    let uris = body.get("redirect_uris")?.as_array()?;
    uris.iter()
        .map(|u| u.as_str().map(str::to_string))
        .collect()
}

/// The registration response (redacted in the trace; `client_id` and the method are not secret).
pub(crate) fn registration_response(request: &Request<'_>) -> Option<Value> {
    serde_json::from_str(request.event.response_body.as_deref()?).ok()
}

/// `client-registration-json` (C-DCR-2, RFC 7591 §3.1): every registration request is a `POST`
/// with `Content-Type: application/json` whose body is a JSON object with a non-empty
/// `redirect_uris` array.
pub fn client_registration_json(obs: &Observation) -> Finding {
    let requests = registration_attempts(obs);
    if requests.is_empty() {
        return Finding::violated("the client made no dynamic client registration request");
    }
    let mut problems = Vec::new();
    let mut uris = Vec::new();
    for request in &requests {
        let mut wrong = Vec::new();
        if request.method() != "POST" {
            wrong.push(format!("method {}", request.method()));
        }
        let content_type = request.header("content-type").unwrap_or("");
        if !is_json_media_type(content_type) {
            wrong.push(format!("Content-Type `{content_type}`"));
        }
        match request.json() {
            Some(Value::Object(_)) => match registered_redirect_uris(request) {
                Some(list) if !list.is_empty() => uris.extend(list),
                Some(_) => wrong.push("`redirect_uris` is empty".to_string()),
                None => wrong.push("no `redirect_uris` array of strings".to_string()),
            },
            Some(_) => wrong.push("the body is JSON but not an object".to_string()),
            None => wrong.push("the body is not JSON".to_string()),
        }
        if !wrong.is_empty() {
            problems.push(format!("{}: {}", request.summary(), wrong.join(", ")));
        }
    }
    if problems.is_empty() {
        Finding::met(format!(
            "{} registration request(s), each a JSON POST with redirect_uris {}",
            requests.len(),
            uris.join(" ")
        ))
    } else {
        Finding::violated(problems.join("; "))
    }
}

/// Whether a redirect URI is a loopback `http` URI (RFC 8252 §7.3) or `https` (OAuth 2.1 §2.3.1).
fn loopback_or_https(uri: &Url) -> bool {
    match uri.scheme() {
        "https" => true,
        "http" => uri
            .host()
            .is_some_and(|h| mcp_authlab_mock_idp::urls::is_loopback_host(&h)),
        _ => false,
    }
}

/// Same URI, or both loopback with only the port differing (RFC 8252 §7.3: the port of a loopback
/// redirect URI may vary).
fn same_redirect_uri(used: &Url, registered: &str) -> bool {
    let Ok(registered) = Url::parse(registered) else {
        return false;
    };
    if *used == registered {
        return true;
    }
    let loopback = |u: &Url| u.scheme() == "http" && loopback_or_https(u);
    loopback(used)
        && loopback(&registered)
        && used.host() == registered.host()
        && used.path() == registered.path()
        && used.query() == registered.query()
}

/// `redirect-uri-registered` (C-REDIR-1): every authorization request's `redirect_uri` is one the
/// client registered by DCR for that `client_id` (a loopback port may differ, RFC 8252 §7.3), and is
/// a loopback `http` or an `https` URI. Clients not registered by DCR in the run are not judged.
pub fn redirect_uri_registered(obs: &Observation) -> Finding {
    let authorizations = obs.authorization_requests();
    if authorizations.is_empty() {
        return Finding::not_judged("the client sent no authorization request");
    }
    // (client_id from the response if recorded, redirect URIs from the request)
    let registrations: Vec<(Option<String>, Vec<String>)> = registration_attempts(obs)
        .iter()
        .filter(|r| succeeded(r))
        .map(|r| {
            let client_id = registration_response(r)
                .and_then(|v| v.get("client_id")?.as_str().map(str::to_string));
            (client_id, registered_redirect_uris(r).unwrap_or_default())
        })
        .collect();
    let mut problems = Vec::new();
    let mut judged = Vec::new();
    for request in &authorizations {
        let client_id = request.query("client_id").unwrap_or_default();
        let matching: Vec<&(Option<String>, Vec<String>)> = registrations
            .iter()
            .filter(|(id, _)| id.as_deref().is_none_or(|id| id == client_id))
            .collect();
        if matching.is_empty() {
            continue;
        }
        let known: Vec<&String> = matching.iter().flat_map(|(_, uris)| uris).collect();
        let Some(redirect_uri) = request.query("redirect_uri") else {
            problems.push(format!("{} has no redirect_uri", request.summary()));
            continue;
        };
        let Ok(parsed) = Url::parse(&redirect_uri) else {
            problems.push(format!(
                "{}: redirect_uri `{redirect_uri}` is not an absolute URI",
                request.summary()
            ));
            continue;
        };
        if !loopback_or_https(&parsed) {
            problems.push(format!(
                "{}: redirect_uri `{redirect_uri}` is neither loopback http nor https",
                request.summary()
            ));
        }
        if !known.iter().any(|r| same_redirect_uri(&parsed, r)) {
            problems.push(format!(
                "{}: redirect_uri `{redirect_uri}` is not one client `{client_id}` registered ({})",
                request.summary(),
                known
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(" ")
            ));
        }
        judged.push(redirect_uri);
    }
    if !problems.is_empty() {
        Finding::violated(problems.join("; "))
    } else if judged.is_empty() {
        Finding::not_judged(
            "no authorization request used a client registered by DCR in this run (its redirect \
             URIs are not known to this check)",
        )
    } else {
        judged.dedup();
        Finding::met(format!(
            "the authorization request(s) used registered redirect URI(s): {}",
            judged.join(" ")
        ))
    }
}

/// The client authentication method a token request used, as the official suite detects it:
/// `Authorization: Basic` → `client_secret_basic`, `client_secret` in the body →
/// `client_secret_post`, `client_assertion` → `private_key_jwt`, none of these → `none`. More than
/// one is reported joined with `+` (RFC 6749 §2.3: a client MUST NOT use more than one).
pub fn token_auth_method(request: &Request<'_>) -> String {
    let basic = request
        .header("authorization")
        .and_then(|v| v.split_once(' '))
        .is_some_and(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"));
    let mut methods = Vec::new();
    if basic {
        methods.push("client_secret_basic");
    }
    if request.form("client_secret").is_some() {
        methods.push("client_secret_post");
    }
    if request.form("client_assertion").is_some() {
        methods.push("private_key_jwt");
    }
    if methods.is_empty() {
        "none".to_string()
    } else {
        methods.join("+")
    }
}

/// RFC 6749 §2.3.1: `application/x-www-form-urlencoded` decoding of one credential part.
fn form_decode(part: &str) -> String {
    url::form_urlencoded::parse(format!("v={part}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The `(client_id, client_secret)` of an `Authorization: Basic` header, both as sent and
/// form-decoded (RFC 6749 §2.3.1). Secrets stay in memory, never in messages.
pub(crate) fn basic_credentials(request: &Request<'_>) -> Option<[(String, String); 2]> {
    let (scheme, encoded) = request.header("authorization")?.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some([
        (id.to_string(), secret.to_string()),
        (form_decode(id), form_decode(secret)),
    ])
}

/// The client id a token request names (Basic credentials or the `client_id` form parameter).
pub(crate) fn token_client_id(request: &Request<'_>) -> Option<String> {
    basic_credentials(request)
        .map(|[_, (id, _)]| id)
        .or_else(|| request.form("client_id"))
}

/// `token-endpoint-auth-method` (C-DCR-2, RFC 7591 §2, §3.2.1): every token request authenticates
/// with the `token_endpoint_auth_method` the registration response returned (omitted means
/// `client_secret_basic`), for the client id the registration returned.
pub fn token_endpoint_auth_method(obs: &Observation) -> Finding {
    let registrations: Vec<Request<'_>> = registration_attempts(obs)
        .into_iter()
        .filter(|r| succeeded(r))
        .collect();
    let Some(registration) = registrations.last() else {
        return Finding::violated(
            "the client did not register successfully (no 2xx dynamic registration), so it had no \
             registered authentication method to use",
        );
    };
    let Some(response) = registration_response(registration) else {
        return Finding::not_judged(format!(
            "the registration response of {} was not recorded",
            registration.summary()
        ));
    };
    let (expected, source) = match response
        .get("token_endpoint_auth_method")
        .and_then(Value::as_str)
    {
        Some(method) => (method.to_string(), "returned by the registration response"),
        None => (
            "client_secret_basic".to_string(),
            "the default when the registration response omits token_endpoint_auth_method",
        ),
    };
    let registered_id = response
        .get("client_id")
        .and_then(Value::as_str)
        .map(str::to_string);
    let tokens = obs.token_requests(None);
    if tokens.is_empty() {
        return Finding::violated(format!(
            "the client made no token request (expected {expected}, {source})"
        ));
    }
    let mut problems = Vec::new();
    for request in &tokens {
        let used = token_auth_method(request);
        if used != expected {
            problems.push(format!("{} used {used}", request.summary()));
        }
        if let (Some(registered), Some(named)) = (&registered_id, token_client_id(request)) {
            if *registered != named {
                problems.push(format!(
                    "{} named client `{named}`, not the registered `{registered}`",
                    request.summary()
                ));
            }
        }
    }
    if problems.is_empty() {
        Finding::met(format!(
            "{} token request(s) used {expected} ({source})",
            tokens.len()
        ))
    } else {
        Finding::violated(format!(
            "expected {expected} ({source}): {}",
            problems.join("; ")
        ))
    }
}

/// `pre-registration-auth` (C-REG-1): given pre-registered credentials (the context's
/// `client_id`/`client_secret`), the client does not register, and every authorization-code token
/// request authenticates with `Authorization: Basic` of exactly those credentials.
pub fn pre_registration_auth(obs: &Observation) -> Finding {
    let context = obs.context.as_ref();
    let field = |name: &str| {
        context
            .and_then(|c| c.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (Some(client_id), Some(client_secret)) = (field("client_id"), field("client_secret"))
    else {
        return Finding::not_judged("the scenario gave the client no pre-registered credentials");
    };
    let mut problems = Vec::new();
    let attempts = registration_attempts(obs);
    if !attempts.is_empty() {
        problems.push(format!(
            "the client tried to register although it was given credentials: {}",
            attempts
                .iter()
                .map(|r| r.summary())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let tokens = obs.token_requests(Some("authorization_code"));
    if tokens.is_empty() {
        problems.push("the client did not make a token request".to_string());
    }
    for request in &tokens {
        match basic_credentials(request) {
            None => problems.push(format!(
                "{} authenticated with {}, not client_secret_basic",
                request.summary(),
                token_auth_method(request)
            )),
            Some(forms) => {
                if !forms
                    .iter()
                    .any(|(id, secret)| *id == client_id && *secret == client_secret)
                {
                    let named = &forms[1].0;
                    problems.push(if *named == client_id {
                        format!(
                            "{}: Basic credentials name `{named}` but the secret is not the \
                             pre-registered one",
                            request.summary()
                        )
                    } else {
                        format!(
                            "{}: Basic credentials name client `{named}`, not the pre-registered \
                             `{client_id}`",
                            request.summary()
                        )
                    });
                }
            }
        }
    }
    if problems.is_empty() {
        Finding::met(format!(
            "no registration; {} token request(s) with Basic credentials of the pre-registered \
             client `{client_id}`",
            tokens.len()
        ))
    } else {
        Finding::violated(problems.join("; "))
    }
}

/// Whether a `client_id` is a client ID metadata document URL: `https` with a path, no fragment,
/// no user or password (MCP 2025-11-25 Client ID Metadata Documents; CIMD §3).
fn is_metadata_document_url(client_id: &str) -> bool {
    Url::parse(client_id).is_ok_and(|u| {
        u.scheme() == "https"
            && u.path() != "/"
            && !u.path().is_empty()
            && u.fragment().is_none()
            && u.username().is_empty()
            && u.password().is_none()
    })
}

/// `cimd-client-id-used` (C-REG-1, C-CIMD-1): the authorization server advertises client ID
/// metadata documents, so the client's `client_id` at the authorization endpoint is an `https`
/// URL with a path.
pub fn cimd_client_id_used(obs: &Observation) -> Finding {
    let authorizations = obs.authorization_requests();
    if authorizations.is_empty() {
        return Finding::violated("the client sent no authorization request");
    }
    let ids: Vec<String> = authorizations
        .iter()
        .map(|r| r.query("client_id").unwrap_or_default())
        .collect();
    let bad: Vec<&String> = ids
        .iter()
        .filter(|id| !is_metadata_document_url(id))
        .collect();
    if bad.is_empty() {
        Finding::met(format!(
            "client_id `{}` is an https URL with a path (a client ID metadata document)",
            ids[0]
        ))
    } else {
        let registered = registration_attempts(obs).len();
        Finding::violated(format!(
            "client_id `{}` is not an https URL with a path although the authorization server \
             advertises client_id_metadata_document_supported ({registered} dynamic \
             registration request(s))",
            bad[0]
        ))
    }
}

#[cfg(test)]
mod tests {
    use mcp_authlab_mock_idp::trace::Role::AuthorizationServer as As;
    use serde_json::json;

    use super::*;
    use crate::client::observation::test_support::*;

    const REDIRECT: &str = "http://127.0.0.1:3000/callback";

    fn register(obs: &mut Observation, content_type: &str, body: &str, method: Option<&str>) {
        let response = match method {
            Some(m) => {
                json!({"client_id": "c1", "client_secret": "‹redacted:1›", "token_endpoint_auth_method": m})
            }
            None => json!({"client_id": "c1", "client_secret": "‹redacted:1›"}),
        };
        request(As, "POST", "/register")
            .header("Content-Type", content_type)
            .body(body)
            .status(201)
            .response_body(&response.to_string())
            .push(obs);
    }

    fn json_registration(obs: &mut Observation, method: Option<&str>) {
        let body = json!({"redirect_uris": [REDIRECT], "client_name": "t"}).to_string();
        register(obs, "application/json", &body, method);
    }

    fn authorize(obs: &mut Observation, client_id: &str, redirect_uri: &str) {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", redirect_uri)
            .finish();
        request(As, "GET", &format!("/authorize?{query}"))
            .status(302)
            .push(obs);
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    fn token(obs: &mut Observation, authorization: Option<&str>, body: &str) {
        let mut builder = request(As, "POST", "/token").body(body);
        if let Some(value) = authorization {
            builder = builder.header("Authorization", value);
        }
        builder.push(obs);
    }

    #[test]
    fn registration_must_be_json_with_redirect_uris() {
        let mut good = observation();
        json_registration(&mut good, None);
        assert!(client_registration_json(&good).is_met());

        let mut bad = observation();
        register(
            &mut bad,
            "application/x-www-form-urlencoded",
            "redirect_uris=http%3A%2F%2F127.0.0.1%2Fcb",
            None,
        );
        let finding = client_registration_json(&bad);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("x-www-form-urlencoded"));
        assert!(client_registration_json(&observation()).is_violated());

        let mut empty = observation();
        register(
            &mut empty,
            "application/json",
            r#"{"redirect_uris":[]}"#,
            None,
        );
        assert!(client_registration_json(&empty).is_violated());
    }

    #[test]
    fn redirect_uri_must_be_a_registered_one() {
        let mut good = observation();
        json_registration(&mut good, None);
        authorize(&mut good, "c1", "http://127.0.0.1:45678/callback");
        assert!(redirect_uri_registered(&good).is_met());

        let mut bad = observation();
        json_registration(&mut bad, None);
        authorize(&mut bad, "c1", "http://127.0.0.1:3000/other");
        let finding = redirect_uri_registered(&bad);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("/other"));

        let mut insecure = observation();
        register(
            &mut insecure,
            "application/json",
            r#"{"redirect_uris":["http://app.example/cb"]}"#,
            None,
        );
        authorize(&mut insecure, "c1", "http://app.example/cb");
        assert!(redirect_uri_registered(&insecure).is_violated());

        let mut cimd = observation();
        authorize(&mut cimd, "https://client.example/meta.json", REDIRECT);
        assert!(matches!(
            redirect_uri_registered(&cimd),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn token_method_must_be_the_registered_one() {
        let mut good = observation();
        json_registration(&mut good, Some("client_secret_post"));
        token(
            &mut good,
            None,
            "grant_type=authorization_code&client_id=c1&client_secret=s",
        );
        assert!(token_endpoint_auth_method(&good).is_met());

        let mut bad = observation();
        json_registration(&mut bad, Some("client_secret_basic"));
        token(
            &mut bad,
            None,
            "grant_type=authorization_code&client_id=c1&client_secret=s",
        );
        let finding = token_endpoint_auth_method(&bad);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("used client_secret_post"));
        assert!(!finding.message().contains("=s"));
    }

    #[test]
    fn omitted_method_means_client_secret_basic() {
        let mut good = observation();
        json_registration(&mut good, None);
        token(
            &mut good,
            Some(&basic("c1", "s")),
            "grant_type=authorization_code",
        );
        assert!(token_endpoint_auth_method(&good).is_met());

        let mut bad = observation();
        json_registration(&mut bad, None);
        token(&mut bad, None, "grant_type=authorization_code&client_id=c1");
        let finding = token_endpoint_auth_method(&bad);
        assert!(finding.is_violated());
        assert!(finding.message().contains("used none"), "{finding:?}");
    }

    fn pre_registered() -> Observation {
        let mut obs = observation();
        obs.context =
            Some(json!({"client_id": "pre-registered-client", "client_secret": "Zx9-s3cr3t"}));
        obs
    }

    #[test]
    fn pre_registration_uses_exactly_the_given_credentials() {
        let mut good = pre_registered();
        token(
            &mut good,
            Some(&basic("pre-registered-client", "Zx9-s3cr3t")),
            "grant_type=authorization_code",
        );
        assert!(pre_registration_auth(&good).is_met());

        let mut wrong_secret = pre_registered();
        token(
            &mut wrong_secret,
            Some(&basic("pre-registered-client", "other")),
            "grant_type=authorization_code",
        );
        let finding = pre_registration_auth(&wrong_secret);
        assert!(finding.is_violated());
        assert!(!finding.message().contains("Zx9-s3cr3t"));

        let mut registered = pre_registered();
        request(As, "POST", "/register")
            .status(404)
            .push(&mut registered);
        token(
            &mut registered,
            Some(&basic("pre-registered-client", "Zx9-s3cr3t")),
            "grant_type=authorization_code",
        );
        let finding = pre_registration_auth(&registered);
        assert!(finding.is_violated(), "{finding:?}");
        assert!(finding.message().contains("register"));

        assert!(pre_registration_auth(&pre_registered()).is_violated());
    }

    #[test]
    fn cimd_client_id_must_be_an_https_url_with_a_path() {
        let mut good = observation();
        authorize(
            &mut good,
            "https://conformance-test.local/client-metadata.json",
            REDIRECT,
        );
        assert!(cimd_client_id_used(&good).is_met());

        let mut bad = observation();
        json_registration(&mut bad, None);
        authorize(&mut bad, "c1", REDIRECT);
        assert!(cimd_client_id_used(&bad).is_violated());
        assert!(!is_metadata_document_url("https://client.example"));
        assert!(!is_metadata_document_url("http://client.example/m.json"));
        assert!(cimd_client_id_used(&observation()).is_violated());
    }
}
