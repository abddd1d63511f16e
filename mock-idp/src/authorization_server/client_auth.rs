//! Client authentication at the token, introspection and revocation endpoints (OAuth 2.1 §2.4,
//! RFC 6749 §2.3): `client_secret_basic`, `client_secret_post`, `private_key_jwt` (RFC 7523 §2.2)
//! and `none` (public clients). Also the JWT-with-JWK-Set verification shared with the JWT bearer
//! grant (RFC 7523 §3).

use axum::http::header;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::cimd::resolve_client;
use crate::error::OAuthError;
use crate::form::OAuthForm;
use crate::state::IdpState;
use crate::store::Client;

/// RFC 7523 §2.2: the `client_assertion_type` of `private_key_jwt`.
pub const JWT_BEARER_ASSERTION_TYPE: &str =
    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Signature algorithms accepted for assertions (`token_endpoint_auth_signing_alg_values_supported`).
pub(crate) const ASSERTION_ALGS: [Algorithm; 2] = [Algorithm::RS256, Algorithm::ES256];

/// Leeway in seconds for `exp`/`nbf` of assertions.
const ASSERTION_LEEWAY_SECS: u64 = 30;

/// A client that proved who it is, and how.
#[derive(Debug, Clone)]
pub struct AuthenticatedClient {
    pub client: Client,
    /// The method it used: `none`, `client_secret_basic`, `client_secret_post` or `private_key_jwt`.
    pub method: String,
}

impl AuthenticatedClient {
    pub fn client_id(&self) -> &str {
        &self.client.client_id
    }
    /// A public client (OAuth 2.1 §2.1): it authenticated with `none`.
    pub fn is_public(&self) -> bool {
        self.method == "none"
    }
}

/// The credentials a request presents, before they are checked.
enum Presented {
    Basic {
        id: String,
        secret: String,
    },
    Post {
        id: String,
        secret: String,
    },
    Jwt {
        client_id: Option<String>,
        assertion: String,
    },
    None {
        id: String,
    },
}

impl Presented {
    fn method(&self) -> &'static str {
        match self {
            Self::Basic { .. } => "client_secret_basic",
            Self::Post { .. } => "client_secret_post",
            Self::Jwt { .. } => "private_key_jwt",
            Self::None { .. } => "none",
        }
    }
}

/// Authenticates the client of a token-endpoint-style request. `audience` is the URL of the
/// endpoint (for `private_key_jwt` assertions).
pub async fn authenticate_client(
    state: &IdpState,
    form: &OAuthForm,
    audience: &str,
) -> Result<AuthenticatedClient, OAuthError> {
    let presented = presented_credentials(form)?;
    let is_basic = matches!(presented, Presented::Basic { .. });
    let challenge = |e: OAuthError| {
        if is_basic {
            e.with_basic_challenge()
        } else {
            e
        }
    };
    let client_id = match &presented {
        Presented::Basic { id, .. } | Presented::Post { id, .. } | Presented::None { id } => {
            id.clone()
        }
        Presented::Jwt {
            client_id,
            assertion,
        } => match client_id {
            Some(id) => id.clone(),
            None => unverified_subject(assertion)?,
        },
    };
    let client = resolve_client(state, &client_id).await.map_err(challenge)?;
    let used = presented.method();
    if client.token_endpoint_auth_method != used {
        return Err(challenge(OAuthError::invalid_client(format!(
            "client `{client_id}` is registered with token_endpoint_auth_method `{expected}` but \
             authenticated with `{used}`; use `{expected}` (RFC 7591 §2, OAuth 2.1 §2.4)",
            expected = client.token_endpoint_auth_method
        ))));
    }
    match &presented {
        Presented::Basic { secret, .. } | Presented::Post { secret, .. } => {
            let ok = client
                .client_secret
                .as_deref()
                .is_some_and(|expected| secrets_match(expected, secret));
            if !ok {
                return Err(challenge(OAuthError::invalid_client(format!(
                    "wrong client_secret for client `{client_id}` ({used}, OAuth 2.1 §2.4.1)"
                ))));
            }
        }
        Presented::Jwt { assertion, .. } => {
            check_client_assertion(state, &client, assertion, audience)?;
        }
        Presented::None { .. } => {}
    }
    Ok(AuthenticatedClient {
        client,
        method: used.to_string(),
    })
}

/// Whether the request names a client at all: an `Authorization` header, or a `client_id`,
/// `client_secret` or client assertion in the body.
pub fn presents_client(form: &OAuthForm) -> bool {
    let p = &form.params;
    form.headers.contains_key(header::AUTHORIZATION)
        || [
            "client_id",
            "client_secret",
            "client_assertion",
            "client_assertion_type",
        ]
        .iter()
        .any(|name| p.contains(name))
}

/// Which credentials the request carries; more than one method at once is `invalid_request`
/// (OAuth 2.1 §2.4, §3.2.4).
fn presented_credentials(form: &OAuthForm) -> Result<Presented, OAuthError> {
    let p = &form.params;
    let basic = basic_credentials(form)?;
    let has_post = p.contains("client_secret");
    let has_jwt = p.contains("client_assertion") || p.contains("client_assertion_type");
    let count = [basic.is_some(), has_post, has_jwt]
        .iter()
        .filter(|b| **b)
        .count();
    if count > 1 {
        return Err(OAuthError::invalid_request(
            "the request uses more than one client authentication method; use exactly one \
             (OAuth 2.1 §2.4, §3.2.4)",
        ));
    }
    let body_id = p.get("client_id").map(str::to_owned);
    if let Some((id, secret)) = basic {
        if body_id.as_deref().is_some_and(|b| b != id) {
            return Err(OAuthError::invalid_request(
                "client_id in the body differs from the client_id of the Authorization header \
                 (OAuth 2.1 §2.4.1)",
            ));
        }
        return Ok(Presented::Basic { id, secret });
    }
    if has_post {
        let id = body_id.ok_or_else(|| {
            OAuthError::invalid_request(
                "client_secret is sent without client_id (client_secret_post, OAuth 2.1 §2.4.1)",
            )
        })?;
        let secret = p.require("client_secret")?.to_string();
        return Ok(Presented::Post { id, secret });
    }
    if has_jwt {
        let assertion_type = p.get("client_assertion_type").ok_or_else(|| {
            OAuthError::invalid_request(
                "client_assertion is sent without client_assertion_type (RFC 7521 §4.2)",
            )
        })?;
        let assertion = p.get("client_assertion").ok_or_else(|| {
            OAuthError::invalid_request(
                "client_assertion_type is sent without client_assertion (RFC 7521 §4.2)",
            )
        })?;
        if assertion_type != JWT_BEARER_ASSERTION_TYPE {
            return Err(OAuthError::invalid_client(format!(
                "unsupported client_assertion_type `{assertion_type}`; only \
                 `{JWT_BEARER_ASSERTION_TYPE}` is supported (RFC 7523 §2.2)"
            )));
        }
        return Ok(Presented::Jwt {
            client_id: body_id,
            assertion: assertion.to_string(),
        });
    }
    match body_id {
        Some(id) => Ok(Presented::None { id }),
        None => Err(OAuthError::invalid_client(
            "no client authentication: send HTTP Basic credentials, client_secret, a \
             client_assertion, or at least client_id for a public client (OAuth 2.1 §2.4, §3.2.1)",
        )),
    }
}

/// `Authorization: Basic` credentials, form-urlencoded before Base64 (OAuth 2.1 §2.4.1,
/// RFC 6749 §2.3.1). A malformed header is `invalid_client` with a Basic challenge.
fn basic_credentials(form: &OAuthForm) -> Result<Option<(String, String)>, OAuthError> {
    let Some(value) = form.headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let bad = |why: &str| {
        OAuthError::invalid_client(format!(
            "the Authorization header is not valid HTTP Basic client credentials: {why} \
             (RFC 7617 §2, OAuth 2.1 §2.4.1)"
        ))
        .with_basic_challenge()
    };
    let value = value.to_str().map_err(|_| bad("not ASCII"))?;
    let (scheme, encoded) = value.trim().split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(bad(&format!(
            "scheme `{scheme}` is not accepted at this endpoint; use `Basic`"
        )));
    }
    let decoded = STANDARD
        .decode(encoded.trim())
        .map_err(|e| bad(&format!("not Base64 ({e})")))?;
    let decoded = String::from_utf8(decoded).map_err(|_| bad("not UTF-8"))?;
    let (id, secret) = decoded
        .split_once(':')
        .ok_or_else(|| bad("no `:` between client_id and client_secret"))?;
    let id = form_decode(id).ok_or_else(|| bad("client_id is not form-urlencoded UTF-8"))?;
    let secret =
        form_decode(secret).ok_or_else(|| bad("client_secret is not form-urlencoded UTF-8"))?;
    if id.is_empty() {
        return Err(bad("empty client_id"));
    }
    Ok(Some((id, secret)))
}

/// `application/x-www-form-urlencoded` decoding of one value (`+` is a space).
fn form_decode(part: &str) -> Option<String> {
    let spaced = part.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .ok()
        .map(|s| s.into_owned())
}

/// Compares secrets through their SHA-256 digests, without an early exit.
fn secrets_match(expected: &str, given: &str) -> bool {
    let a = Sha256::digest(expected.as_bytes());
    let b = Sha256::digest(given.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The `sub` of a not yet verified assertion, to find the client when the body has no client_id
/// (RFC 7521 §4.2). The assertion is verified afterwards with the client's keys.
fn unverified_subject(assertion: &str) -> Result<String, OAuthError> {
    let claims: Value =
        jsonwebtoken::dangerous::insecure_decode_claims(assertion).map_err(|e| {
            OAuthError::invalid_client(format!(
                "client_assertion is not a well-formed JWT: {e} (RFC 7523 §3)"
            ))
        })?;
    claims["sub"].as_str().map(str::to_owned).ok_or_else(|| {
        OAuthError::invalid_client(
            "client_assertion has no `sub` and the body no client_id (RFC 7523 §3)",
        )
    })
}

/// RFC 7523 §3 for `private_key_jwt`: signed by a key of the client's `jwks`, `iss` = `sub` =
/// client_id, `aud` names this endpoint or the issuer, `exp` in the future, `jti` not seen before.
fn check_client_assertion(
    state: &IdpState,
    client: &Client,
    assertion: &str,
    audience: &str,
) -> Result<(), OAuthError> {
    let fail = |why: String| {
        OAuthError::invalid_client(format!(
            "client_assertion rejected: {why} (RFC 7523 §3, private_key_jwt)"
        ))
    };
    let jwks = client
        .jwks
        .as_ref()
        .ok_or_else(|| fail(format!("client `{}` has no jwks", client.client_id)))?;
    let issuer = state.urls.issuer();
    let audiences = [audience.to_string(), issuer.clone(), format!("{issuer}/")];
    let expected = Expected {
        issuer: &client.client_id,
        subject: Some(&client.client_id),
        audiences: &audiences,
    };
    let claims = verify_with_jwk_set(assertion, jwks, &expected).map_err(fail)?;
    let jti = claims["jti"]
        .as_str()
        .filter(|j| !j.is_empty())
        .ok_or_else(|| fail("`jti` is missing".into()))?;
    if !state
        .store
        .used_assertion_ids
        .lock()
        .unwrap()
        .insert(jti.to_string())
    {
        return Err(fail(format!("`jti` `{jti}` was already used (replay)")));
    }
    Ok(())
}

/// What a verified assertion must say.
pub(crate) struct Expected<'a> {
    pub issuer: &'a str,
    pub subject: Option<&'a str>,
    /// `aud` must contain at least one of these.
    pub audiences: &'a [String],
}

/// Verifies a JWT signed by a key of a JWK Set (by `kid`, or every key when the header has none)
/// and returns its claims. Errors are a description for the client.
pub(crate) fn verify_with_jwk_set(
    token: &str,
    jwks: &Value,
    expected: &Expected<'_>,
) -> Result<Value, String> {
    let set: JwkSet = serde_json::from_value(jwks.clone())
        .map_err(|e| format!("the registered jwks is not a JWK Set ({e})"))?;
    let header = decode_header(token).map_err(|e| format!("not a well-formed JWT ({e})"))?;
    let candidates: Vec<_> = match header.kid.as_deref() {
        Some(kid) => set.find(kid).into_iter().collect(),
        None => set.keys.iter().collect(),
    };
    if candidates.is_empty() {
        return Err(format!(
            "no key in the JWK Set matches kid {:?}",
            header.kid.unwrap_or_default()
        ));
    }
    let mut last = String::new();
    for jwk in candidates {
        let Ok(key) = DecodingKey::from_jwk(jwk) else {
            continue;
        };
        match verify_with_key(token, &key, expected) {
            Ok(claims) => return Ok(claims),
            Err(e) => last = e,
        }
    }
    Err(if last.is_empty() {
        "no usable key in the JWK Set".into()
    } else {
        last
    })
}

/// Verifies a JWT with one key: asymmetric algorithm of [`ASSERTION_ALGS`] only, required `iss`,
/// `sub`, `aud`, `exp`.
pub(crate) fn verify_with_key(
    token: &str,
    key: &DecodingKey,
    expected: &Expected<'_>,
) -> Result<Value, String> {
    let header = decode_header(token).map_err(|e| format!("not a well-formed JWT ({e})"))?;
    if !ASSERTION_ALGS.contains(&header.alg) {
        return Err(format!(
            "algorithm {:?} is not accepted; use RS256 or ES256",
            header.alg
        ));
    }
    if key.family() != header.alg.family() {
        return Err(format!(
            "algorithm {:?} does not match the key type",
            header.alg
        ));
    }
    let mut validation = Validation::new(header.alg);
    validation.leeway = ASSERTION_LEEWAY_SECS;
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(expected.audiences);
    validation.sub = expected.subject.map(str::to_owned);
    decode::<Value>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| describe_jwt_error(e.kind(), expected))
}

fn describe_jwt_error(kind: &ErrorKind, expected: &Expected<'_>) -> String {
    match kind {
        ErrorKind::InvalidSignature => "the signature does not verify".into(),
        ErrorKind::ExpiredSignature => "it has expired (`exp`)".into(),
        ErrorKind::ImmatureSignature => "it is not valid yet (`nbf`)".into(),
        ErrorKind::MissingRequiredClaim(c) => format!("required claim `{c}` is missing"),
        ErrorKind::InvalidIssuer => format!("`iss` must be `{}`", expected.issuer),
        ErrorKind::InvalidSubject => format!(
            "`sub` must be `{}`",
            expected.subject.unwrap_or(expected.issuer)
        ),
        ErrorKind::InvalidAudience => {
            format!("`aud` must contain one of {:?}", expected.audiences)
        }
        ErrorKind::InvalidAlgorithm => "the algorithm does not match the key".into(),
        other => format!("not a valid JWT ({other:?})"),
    }
}

#[cfg(test)]
pub(crate) mod fixtures {
    //! Clients and credentials for the endpoint tests of this module and of token, introspection
    //! and revocation.
    use axum::body::Body;
    use axum::http::{header, Request, Response};
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    use jsonwebtoken::{encode, Header};
    use serde_json::json;

    use crate::access_token::now_secs;
    use crate::authorization_server::test_support::send;
    use crate::config::SigningAlg;
    use crate::keys::SigningKey;
    use crate::state::IdpState;
    use crate::store::{random_token, Client, ClientSource};

    pub const REDIRECT: &str = "http://127.0.0.1:9/cb";
    pub const SECRET: &str = "s3cr:et%+x";

    pub fn client(id: &str, method: &str) -> Client {
        Client {
            client_id: id.into(),
            client_secret: method.starts_with("client_secret").then(|| SECRET.into()),
            redirect_uris: vec![REDIRECT.into()],
            grant_types: vec![
                "authorization_code".into(),
                "refresh_token".into(),
                "client_credentials".into(),
                "urn:ietf:params:oauth:grant-type:jwt-bearer".into(),
            ],
            token_endpoint_auth_method: method.into(),
            jwks: None,
            scope: None,
            client_name: None,
            source: ClientSource::Config,
        }
    }

    /// Registers a `private_key_jwt` client and returns its key.
    pub fn jwt_client(state: &IdpState, id: &str) -> SigningKey {
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let mut c = client(id, "private_key_jwt");
        c.jwks = Some(json!({ "keys": [key.jwk] }));
        state.store.insert_client(c);
        key
    }

    /// A client assertion (RFC 7523 §3) with the given claims over the defaults.
    pub fn assertion(key: &SigningKey, claims: serde_json::Value) -> String {
        let mut header = Header::new(key.alg);
        header.kid = Some(key.kid.clone());
        encode(&header, &claims, &key.encoding).unwrap()
    }

    pub fn assertion_claims(id: &str, aud: &str) -> serde_json::Value {
        json!({"iss": id, "sub": id, "aud": aud, "exp": now_secs() + 60, "jti": random_token(8)})
    }

    /// `Basic` credentials, form-urlencoded before Base64 (OAuth 2.1 §2.4.1).
    pub fn basic(id: &str, secret: &str) -> String {
        format!(
            "Basic {}",
            STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
        )
    }

    pub fn enc(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }

    pub async fn post_with_auth(
        state: &IdpState,
        uri: &str,
        authorization: &str,
        body: &str,
    ) -> Response<Body> {
        send(
            state,
            Request::post(uri)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::AUTHORIZATION, authorization)
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use crate::error::ErrorCode;
    use crate::form::Params;
    use axum::http::{HeaderMap, HeaderValue, StatusCode};
    use serde_json::json;

    fn form(body: &str, authorization: Option<&str>) -> OAuthForm {
        let mut headers = HeaderMap::new();
        if let Some(a) = authorization {
            headers.insert(header::AUTHORIZATION, HeaderValue::from_str(a).unwrap());
        }
        OAuthForm {
            params: Params::parse(body.as_bytes()).unwrap(),
            headers,
        }
    }

    fn state_with_clients() -> IdpState {
        let state = IdpState::for_tests(&[]);
        for (id, m) in [
            ("basic", "client_secret_basic"),
            ("post", "client_secret_post"),
            ("public", "none"),
        ] {
            state.store.insert_client(client(id, m));
        }
        state
    }

    async fn auth(state: &IdpState, f: &OAuthForm) -> Result<AuthenticatedClient, OAuthError> {
        authenticate_client(state, f, &state.urls.token_endpoint()).await
    }

    #[test]
    fn rfc6749_basic_vector_decodes() {
        let f = form("", Some("Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"));
        let (id, secret) = basic_credentials(&f).unwrap().unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("s6BhdRkqt3", "gX1fBat3bV"));
        assert_eq!(
            basic("s6BhdRkqt3", "gX1fBat3bV"),
            "Basic czZCaGRSa3F0MzpnWDFmQmF0M2JW"
        );
    }

    #[tokio::test]
    async fn basic_with_urlencoded_special_secret_succeeds() {
        let state = state_with_clients();
        let ok = auth(&state, &form("", Some(&basic("basic", SECRET))))
            .await
            .unwrap();
        assert_eq!(ok.method, "client_secret_basic");
        assert_eq!(ok.client_id(), "basic");
    }

    #[tokio::test]
    async fn bad_basic_is_401_with_challenge() {
        let state = state_with_clients();
        for header in [
            basic("basic", "wrong"),
            // Not urlencoded: `+` decodes to a space, `%+x` is not the secret.
            format!("Basic {}", STANDARD.encode(format!("basic:{SECRET}"))),
            "Basic !!!".to_string(),
            basic("nobody", SECRET),
        ] {
            let err = auth(&state, &form("", Some(&header))).await.unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidClient, "{header}");
            assert_eq!(err.status, StatusCode::UNAUTHORIZED);
            assert!(err
                .www_authenticate
                .as_deref()
                .unwrap()
                .starts_with("Basic"));
        }
    }

    #[tokio::test]
    async fn client_secret_post_good_and_bad() {
        let state = state_with_clients();
        let good = form(
            &format!("client_id=post&client_secret={}", enc(SECRET)),
            None,
        );
        assert_eq!(
            auth(&state, &good).await.unwrap().method,
            "client_secret_post"
        );
        let bad = form("client_id=post&client_secret=nope", None);
        let err = auth(&state, &bad).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
        assert!(err.www_authenticate.is_none());
    }

    #[tokio::test]
    async fn none_good_and_unknown_client() {
        let state = state_with_clients();
        let ok = auth(&state, &form("client_id=public", None)).await.unwrap();
        assert!(ok.is_public());
        let err = auth(&state, &form("client_id=ghost", None))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
        let err = auth(&state, &form("grant_type=x", None)).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
    }

    #[tokio::test]
    async fn wrong_method_names_the_registered_one() {
        let state = state_with_clients();
        // A client_secret_basic client that sends its secret in the body (C-DCR-2).
        let f = form(
            &format!("client_id=basic&client_secret={}", enc(SECRET)),
            None,
        );
        let err = auth(&state, &f).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
        assert!(
            err.description.contains("`client_secret_basic`"),
            "{}",
            err.description
        );
        // A confidential client that sends no secret at all.
        let err = auth(&state, &form("client_id=post", None))
            .await
            .unwrap_err();
        assert!(err.description.contains("`client_secret_post`"));
    }

    #[tokio::test]
    async fn two_methods_at_once_is_invalid_request() {
        let state = state_with_clients();
        let f = form(
            &format!("client_id=basic&client_secret={}", enc(SECRET)),
            Some(&basic("basic", SECRET)),
        );
        let err = auth(&state, &f).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
        assert_eq!(err.status, StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn private_key_jwt_good_then_replay_rejected() {
        let state = state_with_clients();
        let key = jwt_client(&state, "jwt");
        let a = assertion(&key, assertion_claims("jwt", &state.urls.token_endpoint()));
        let body = format!(
            "client_assertion_type={}&client_assertion={a}",
            enc(JWT_BEARER_ASSERTION_TYPE)
        );
        let ok = auth(&state, &form(&body, None)).await.unwrap();
        assert_eq!(ok.method, "private_key_jwt");
        let err = auth(&state, &form(&body, None)).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
        assert!(
            err.description.contains("already used"),
            "{}",
            err.description
        );
    }

    #[tokio::test]
    async fn private_key_jwt_accepts_issuer_audience() {
        let state = state_with_clients();
        let key = jwt_client(&state, "jwt");
        let a = assertion(&key, assertion_claims("jwt", &state.urls.issuer()));
        let body = format!(
            "client_id=jwt&client_assertion_type={}&client_assertion={a}",
            enc(JWT_BEARER_ASSERTION_TYPE)
        );
        assert!(auth(&state, &form(&body, None)).await.is_ok());
    }

    #[tokio::test]
    async fn private_key_jwt_bad_assertions() {
        let state = state_with_clients();
        let key = jwt_client(&state, "jwt");
        let other = crate::keys::SigningKey::generate(crate::config::SigningAlg::ES256).unwrap();
        let aud = state.urls.token_endpoint();
        let mut expired = assertion_claims("jwt", &aud);
        expired["exp"] = json!(crate::access_token::now_secs() - 3600);
        let wrong_aud = assertion_claims("jwt", "https://elsewhere.example/token");
        let mut no_jti = assertion_claims("jwt", &aud);
        no_jti.as_object_mut().unwrap().remove("jti");
        let mut wrong_iss = assertion_claims("jwt", &aud);
        wrong_iss["iss"] = json!("someone-else");
        let mut no_exp = assertion_claims("jwt", &aud);
        no_exp.as_object_mut().unwrap().remove("exp");
        let cases = [
            (assertion(&key, expired), "expired"),
            (assertion(&key, wrong_aud), "aud"),
            (assertion(&key, no_jti), "jti"),
            (assertion(&key, wrong_iss), "iss"),
            (assertion(&key, no_exp), "exp"),
            (assertion(&other, assertion_claims("jwt", &aud)), "kid"),
        ];
        for (a, why) in cases {
            let body = format!(
                "client_id=jwt&client_assertion_type={}&client_assertion={a}",
                enc(JWT_BEARER_ASSERTION_TYPE)
            );
            let err = auth(&state, &form(&body, None)).await.unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidClient, "{why}");
            assert!(err.description.contains(why), "{why}: {}", err.description);
        }
        let body = "client_id=jwt&client_assertion_type=urn%3Aother&client_assertion=x.y.z";
        let err = auth(&state, &form(body, None)).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidClient);
        let err = auth(&state, &form("client_id=jwt&client_assertion=x.y.z", None))
            .await
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidRequest);
    }

    #[test]
    fn secret_comparison() {
        assert!(secrets_match("abc", "abc"));
        assert!(!secrets_match("abc", "abd"));
        assert!(!secrets_match("abc", ""));
    }
}
