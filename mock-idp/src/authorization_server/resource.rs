//! Resource indicators (RFC 8707 §2): the one check of the `resource` parameter, shared by the
//! authorization endpoint, the token endpoint and the device authorization endpoint.
//!
//! This authorization server protects exactly one resource, the deployment's MCP server. Each
//! `resource` value must be an absolute URI without a fragment and name that server (compared as
//! parsed URLs, so the case of the scheme and host does not matter); `resource` may be repeated
//! (RFC 8707 §2), so several values are accepted when each of them names it. Every failure is an
//! `invalid_target`.

use url::Url;

use crate::error::OAuthError;
use crate::form::Params;
use crate::state::IdpState;

/// The resource the request asks for: `None` without `resource`, else the served resource URI
/// (every value sent must name it).
pub(crate) fn requested(state: &IdpState, params: &Params) -> Result<Option<String>, OAuthError> {
    let values = params.all("resource");
    if values.is_empty() {
        return Ok(None);
    }
    let served = state.urls.resource();
    for value in values {
        check(value, &served)?;
    }
    Ok(Some(served))
}

/// The resource of a token request on an existing grant (authorization code, refresh token,
/// device code): the requested one, which must also be the resource the grant is bound to
/// (RFC 8707 §2.2); without `resource`, the bound one.
pub(crate) fn for_grant(
    state: &IdpState,
    params: &Params,
    bound: Option<&str>,
) -> Result<Option<String>, OAuthError> {
    let Some(requested) = requested(state, params)? else {
        return Ok(bound.map(str::to_owned));
    };
    if let Some(bound) = bound {
        if !same_resource(&requested, bound) {
            return Err(OAuthError::invalid_target(format!(
                "resource `{requested}` differs from `{bound}`, the resource this grant was \
                 issued for (RFC 8707 §2.2)"
            )));
        }
    }
    Ok(Some(requested))
}

/// One `resource` value: an absolute URI without a fragment that names `served`.
fn check(value: &str, served: &str) -> Result<(), OAuthError> {
    let parsed = Url::parse(value).map_err(|e| {
        OAuthError::invalid_target(format!(
            "resource `{value}` is not an absolute URI ({e}; RFC 8707 §2)"
        ))
    })?;
    if parsed.fragment().is_some() {
        return Err(OAuthError::invalid_target(format!(
            "resource `{value}` must not contain a fragment (RFC 8707 §2)"
        )));
    }
    if Url::parse(served).ok() != Some(parsed) {
        return Err(OAuthError::invalid_target(format!(
            "resource `{value}` is not protected by this authorization server; the only resource \
             is `{served}` (RFC 8707 §2)"
        )));
    }
    Ok(())
}

/// Compares resource URIs as parsed URLs (so `HTTP://Host` equals `http://host`).
fn same_resource(a: &str, b: &str) -> bool {
    matches!((Url::parse(a), Url::parse(b)), (Ok(a), Ok(b)) if a == b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn params(values: &[&str]) -> Params {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(values.iter().map(|v| ("resource", *v)))
            .finish();
        Params::parse(query.as_bytes()).unwrap()
    }

    #[test]
    fn served_resource_is_accepted_whatever_the_case_of_scheme_and_host() {
        let state = IdpState::for_tests(&[]);
        let served = state.urls.resource();
        assert_eq!(requested(&state, &params(&[])).unwrap(), None);
        for value in [served.as_str(), "HTTP://127.0.0.1:2/mcp"] {
            let got = requested(&state, &params(&[value])).unwrap();
            assert_eq!(got, Some(served.clone()), "{value}");
        }
    }

    #[test]
    fn bad_values_are_invalid_target() {
        let state = IdpState::for_tests(&[]);
        for (value, hint) in [
            ("/mcp", "absolute URI"),
            ("not a uri", "absolute URI"),
            ("http://127.0.0.1:2/mcp#x", "fragment"),
            ("http://127.0.0.1:2/mcp/", "not protected"),
            ("https://other.example/mcp", "not protected"),
        ] {
            let err = requested(&state, &params(&[value])).unwrap_err();
            assert_eq!(err.code, ErrorCode::InvalidTarget, "{value}");
            assert!(
                err.description.contains(hint),
                "{value}: {}",
                err.description
            );
            assert!(err.description.contains("RFC 8707 section 2"));
        }
    }

    #[test]
    fn repeated_values_must_each_be_the_served_resource() {
        let state = IdpState::for_tests(&[]);
        let served = state.urls.resource();
        let ok = requested(&state, &params(&[&served, "HTTP://127.0.0.1:2/mcp"])).unwrap();
        assert_eq!(ok, Some(served.clone()));
        let err = requested(&state, &params(&[&served, "https://other.example/mcp"])).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidTarget);
        assert!(err.description.contains("other.example"));
    }

    #[test]
    fn grant_binding() {
        let state = IdpState::for_tests(&[]);
        let served = state.urls.resource();
        let bound = Some(served.as_str());
        assert_eq!(
            for_grant(&state, &params(&[]), bound).unwrap(),
            Some(served.clone())
        );
        assert_eq!(for_grant(&state, &params(&[]), None).unwrap(), None);
        assert_eq!(
            for_grant(&state, &params(&["HTTP://127.0.0.1:2/mcp"]), bound).unwrap(),
            Some(served.clone())
        );
        assert_eq!(
            for_grant(&state, &params(&[&served]), None).unwrap(),
            Some(served.clone())
        );
        let err =
            for_grant(&state, &params(&[&served]), Some("http://127.0.0.1:2/else")).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidTarget);
        assert!(err.description.contains("RFC 8707 section 2.2"));
        let err = for_grant(&state, &params(&["https://other.example/mcp"]), bound).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidTarget);
    }
}
