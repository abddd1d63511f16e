//! Sending the probes of a scenario's steps (through the server suite's [`Prober`]: a timeout on
//! every request, no redirects followed, bodies capped) and recording them in the observation.

use base64::Engine;
use mcp_authlab_mock_idp::urls::origin_and_path;
use serde_json::{json, Value};

use super::observation::{
    derived_locations, label, legacy_metadata_url, AuthServerObservation, SAME_URL,
};
use super::run::ClientCredentials;
use super::scenario::Step;
use crate::server::observation::AsLocation;
use crate::server::probe::{Prober, BROWSER_ORIGIN};

/// The loopback redirect URI of the throw-away registration (RFC 8252 §7.3; no one listens).
pub const REGISTRATION_REDIRECT_URI: &str = "http://127.0.0.1:33418/callback";
/// The `client_name` of the throw-away registration.
pub const REGISTRATION_CLIENT_NAME: &str = "mcp-authlab readiness check (throw-away client)";

/// What the steps need besides the observation.
pub struct StepContext<'a> {
    pub prober: &'a Prober,
    pub credentials: Option<&'a ClientCredentials>,
    /// `--resource`, sent in the authorization request when given.
    pub resource: Option<&'a str>,
}

/// Runs the steps in order, recording every probe in `obs`.
pub async fn run_steps(steps: &[Step], ctx: &StepContext<'_>, obs: &mut AuthServerObservation) {
    for step in steps {
        match step {
            Step::Discovery => discovery(ctx, obs).await,
            Step::LegacyDiscovery => legacy_discovery(ctx, obs).await,
            Step::NamedMetadata => named_metadata(ctx, obs).await,
            Step::Jwks => jwks(ctx, obs).await,
            Step::RegistrationPreflight => registration_preflight(ctx, obs).await,
            Step::Register => register(ctx, obs).await,
            Step::Authorize => super::authorization::authorize(ctx, obs).await,
            Step::ClientCredentials => client_credentials(ctx, obs).await,
        }
    }
}

async fn send(
    ctx: &StepContext<'_>,
    obs: &mut AuthServerObservation,
    label: &str,
    method: reqwest::Method,
    url: &str,
    headers: Vec<(String, String)>,
    body: Option<String>,
) -> usize {
    let to = role_of(&obs.issuer, url);
    let seq = obs.probes.len() as u64 + 1;
    let probed = ctx
        .prober
        .fetch(seq, label, to, method, url, headers, body)
        .await;
    obs.probes.push(probed);
    obs.probes.len() - 1
}

/// `authorization_server` on the issuer's origin, `metadata_host` elsewhere.
fn role_of(issuer: &str, url: &str) -> &'static str {
    let origin = |u: &str| origin_and_path(u).map(|(o, _)| o).ok();
    if origin(issuer).is_some() && origin(issuer) == origin(url) {
        "authorization_server"
    } else {
        "metadata_host"
    }
}

/// A metadata GET as a browser-based client sends it (with `Origin`, so CORS can be judged).
async fn get_json(ctx: &StepContext<'_>, obs: &mut AuthServerObservation, label: &str, url: &str) {
    let headers = vec![
        ("accept".into(), "application/json".into()),
        ("origin".into(), BROWSER_ORIGIN.into()),
    ];
    send(ctx, obs, label, reqwest::Method::GET, url, headers, None).await;
}

async fn discovery(ctx: &StepContext<'_>, obs: &mut AuthServerObservation) {
    let derived = derived_locations(&obs.issuer);
    for location in AsLocation::ORDER {
        let own = label::metadata(location);
        match derived.iter().find(|(l, _, _)| *l == own) {
            Some((_, url, _)) => get_json(ctx, obs, &own, &url.clone()).await,
            None => {
                let why = if url::Url::parse(&obs.issuer).is_err() {
                    format!("the issuer `{}` is not a URL", obs.issuer)
                } else {
                    SAME_URL.to_string()
                };
                obs.not_probed.insert(own, why);
            }
        }
    }
}

async fn legacy_discovery(ctx: &StepContext<'_>, obs: &mut AuthServerObservation) {
    let Ok(url) = legacy_metadata_url(&obs.issuer) else {
        obs.not_probed.insert(
            label::LEGACY_METADATA.into(),
            format!("the issuer `{}` is not a URL", obs.issuer),
        );
        return;
    };
    get_json(ctx, obs, label::LEGACY_METADATA, &url).await;
    let absent = obs
        .probe(label::LEGACY_METADATA)
        .and_then(|p| p.status())
        .is_some_and(|s| s == 404);
    obs.take_consulted();
    let Ok((origin, _)) = origin_and_path(&obs.issuer) else {
        return;
    };
    for (label, path) in [
        (label::LEGACY_AUTHORIZE, "/authorize"),
        (label::LEGACY_TOKEN, "/token"),
        (label::LEGACY_REGISTER, "/register"),
    ] {
        if absent {
            let url = format!("{origin}{path}");
            send(
                ctx,
                obs,
                label,
                reqwest::Method::GET,
                &url,
                Vec::new(),
                None,
            )
            .await;
        } else {
            obs.not_probed.insert(
                label.into(),
                "a 2025-03-26 client uses the default endpoints only when the metadata is absent \
                 (404)"
                    .into(),
            );
        }
    }
}

async fn named_metadata(ctx: &StepContext<'_>, obs: &mut AuthServerObservation) {
    match obs.metadata_url.clone() {
        Some(url) => get_json(ctx, obs, label::NAMED_METADATA, &url).await,
        None => {
            obs.not_probed.insert(
                label::NAMED_METADATA.into(),
                "no --metadata-url was given".into(),
            );
        }
    }
}

/// A URL field of the metadata, or why there is none (recorded under `label`).
fn endpoint(obs: &mut AuthServerObservation, field: &str, label: &str) -> Option<String> {
    let found = obs.metadata().is_some();
    let value = obs.metadata_str(field);
    obs.take_consulted();
    if value.is_none() {
        let why = if found {
            format!("the metadata has no {field}")
        } else {
            "no metadata was found at the issuer's well-known locations (nor at --metadata-url)"
                .to_string()
        };
        obs.not_probed.insert(label.into(), why);
    }
    value
}

async fn jwks(ctx: &StepContext<'_>, obs: &mut AuthServerObservation) {
    if let Some(url) = endpoint(obs, "jwks_uri", label::JWKS) {
        get_json(ctx, obs, label::JWKS, &url).await;
    }
}

async fn registration_preflight(ctx: &StepContext<'_>, obs: &mut AuthServerObservation) {
    let Some(url) = endpoint(obs, "registration_endpoint", label::REGISTRATION_PREFLIGHT) else {
        return;
    };
    let headers = vec![
        ("origin".into(), BROWSER_ORIGIN.into()),
        ("access-control-request-method".into(), "POST".into()),
        (
            "access-control-request-headers".into(),
            "content-type".into(),
        ),
    ];
    send(
        ctx,
        obs,
        label::REGISTRATION_PREFLIGHT,
        reqwest::Method::OPTIONS,
        &url,
        headers,
        None,
    )
    .await;
}

/// The registration request of an MCP client: a public client with a loopback redirect URI.
pub fn registration_request() -> Value {
    json!({
        "client_name": REGISTRATION_CLIENT_NAME,
        "redirect_uris": [REGISTRATION_REDIRECT_URI],
        "token_endpoint_auth_method": "none",
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    })
}

/// The secret-bearing fields of a registration or token response.
const SECRET_FIELDS: &[&str] = &[
    "client_secret",
    "registration_access_token",
    "access_token",
    "refresh_token",
    "id_token",
];

fn remember_secrets(obs: &mut AuthServerObservation, index: usize) {
    let Some(doc) = obs.probes[index].ok().and_then(|r| r.json()) else {
        return;
    };
    for field in SECRET_FIELDS {
        if let Some(value) = doc.get(*field).and_then(Value::as_str) {
            obs.secrets.push(value.to_string());
        }
    }
}

async fn register(ctx: &StepContext<'_>, obs: &mut AuthServerObservation) {
    let Some(url) = endpoint(obs, "registration_endpoint", label::REGISTRATION) else {
        return;
    };
    let headers = vec![
        ("content-type".into(), "application/json".into()),
        ("accept".into(), "application/json".into()),
    ];
    let body = registration_request().to_string();
    let index = send(
        ctx,
        obs,
        label::REGISTRATION,
        reqwest::Method::POST,
        &url,
        headers,
        Some(body),
    )
    .await;
    remember_secrets(obs, index);
}

/// The `client_id` the registration gave (a 2xx JSON answer), if it gave one.
pub fn registered_client_id(obs: &AuthServerObservation) -> Option<String> {
    let id = obs
        .response(label::REGISTRATION)
        .filter(|r| r.is_success())
        .and_then(|r| r.json())
        .and_then(|doc| doc.get("client_id")?.as_str().map(str::to_string));
    obs.take_consulted();
    id
}

/// `client_secret_basic` unless the metadata lists only `client_secret_post` of the two.
fn uses_post(obs: &AuthServerObservation) -> bool {
    let methods: Vec<String> = obs
        .metadata()
        .and_then(|(_, doc)| {
            doc.get("token_endpoint_auth_methods_supported")?
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
        })
        .unwrap_or_default();
    obs.take_consulted();
    methods.iter().any(|m| m == "client_secret_post")
        && !methods.iter().any(|m| m == "client_secret_basic")
}

/// RFC 6749 §2.3.1: id and secret form-encoded, then Basic.
fn basic_credentials(credentials: &ClientCredentials) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!(
        "{}:{}",
        encode(&credentials.client_id),
        encode(&credentials.client_secret)
    );
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// The form of the client_credentials request; with `credentials` (client_secret_post) in the body.
fn client_credentials_form(resource: &str, credentials: Option<&ClientCredentials>) -> String {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    form.append_pair("grant_type", "client_credentials");
    form.append_pair("resource", resource);
    if let Some(c) = credentials {
        form.append_pair("client_id", &c.client_id);
        form.append_pair("client_secret", &c.client_secret);
    }
    form.finish()
}

async fn client_credentials(ctx: &StepContext<'_>, obs: &mut AuthServerObservation) {
    let Some(credentials) = ctx.credentials else {
        obs.not_probed.insert(
            label::CLIENT_CREDENTIALS.into(),
            "no --client-id and --client-secret were given".into(),
        );
        return;
    };
    obs.secrets.push(credentials.client_secret.clone());
    let Some(url) = endpoint(obs, "token_endpoint", label::CLIENT_CREDENTIALS) else {
        return;
    };
    let post = uses_post(obs);
    let mut headers = vec![
        (
            "content-type".to_string(),
            "application/x-www-form-urlencoded".to_string(),
        ),
        ("accept".into(), "application/json".into()),
    ];
    if !post {
        headers.push(("authorization".into(), basic_credentials(credentials)));
    }
    let body = client_credentials_form(&obs.resource, post.then_some(credentials));
    let index = send(
        ctx,
        obs,
        label::CLIENT_CREDENTIALS,
        reqwest::Method::POST,
        &url,
        headers,
        Some(body),
    )
    .await;
    remember_secrets(obs, index);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_the_issuer_origin() {
        assert_eq!(
            role_of("http://a:1/t", "http://a:1/.well-known/x"),
            "authorization_server"
        );
        assert_eq!(role_of("http://a:1", "http://b:1/x"), "metadata_host");
    }

    #[test]
    fn basic_credentials_are_form_encoded_first() {
        let c = ClientCredentials {
            client_id: "a b".into(),
            client_secret: "s:1".into(),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic_credentials(&c).trim_start_matches("Basic "))
            .unwrap();
        assert_eq!(String::from_utf8(decoded).unwrap(), "a+b:s%3A1");
    }
}
