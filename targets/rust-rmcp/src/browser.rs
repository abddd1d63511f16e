//! The headless user agent: fetches the authorization URL without following the redirect (the
//! mock approves at once with a 302 to the redirect URI, where nothing listens) and hands the
//! `Location` to the SDK's `AuthorizationCallback::from_redirect_url`, which reads `code`, `state`
//! and `iss`. Nothing is checked here: comparing `state` and `iss` is the SDK's job.

use rmcp::transport::auth::AuthorizationCallback;

use crate::error::AdapterError;

pub async fn authorize(
    browser: &reqwest::Client,
    authorization_url: &str,
) -> Result<AuthorizationCallback, AdapterError> {
    tracing::info!("authorization request: {authorization_url}");
    let problem = |problem: String| AdapterError::Browser {
        url: without_query(authorization_url),
        problem,
    };
    let response = browser
        .get(authorization_url)
        .send()
        .await
        .map_err(|e| problem(format!("request failed: {e}")))?;
    let status = response.status();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let Some(location) = location.filter(|_| status.is_redirection()) else {
        return Err(problem(format!("answered {status} without a redirect")));
    };
    callback_of(&location).map_err(problem)
}

/// The SDK's reading of the redirect, after the authorization server's error response (RFC 6749
/// §4.1.2.1), which the SDK does not read.
fn callback_of(location: &str) -> Result<AuthorizationCallback, String> {
    let url = reqwest::Url::parse(location)
        .map_err(|e| format!("redirect to `{location}`, not a URL: {e}"))?;
    if let Some((_, error)) = url.query_pairs().find(|(k, _)| k == "error") {
        let description = url
            .query_pairs()
            .find(|(k, _)| k == "error_description")
            .map(|(_, v)| format!(": {v}"))
            .unwrap_or_default();
        return Err(format!("authorization error `{error}`{description}"));
    }
    let callback = AuthorizationCallback::from_redirect_url(location)
        .map_err(|e| format!("redirect to {}: {e}", without_query(location)))?;
    tracing::info!(
        "authorization code received (iss {}): handed to the SDK",
        callback.issuer.as_deref().unwrap_or("absent")
    );
    Ok(callback)
}

fn without_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_code_state_and_iss_of_the_redirect() {
        let callback =
            callback_of("http://localhost:3000/callback?code=c0de&state=st4te&iss=http%3A%2F%2Fas")
                .expect("a callback");
        assert_eq!(callback.code, "c0de");
        assert_eq!(callback.csrf_token, "st4te");
        assert_eq!(callback.issuer.as_deref(), Some("http://as"));
    }

    #[test]
    fn an_error_redirect_is_no_callback() {
        let error = callback_of(
            "http://localhost:3000/callback?error=access_denied&error_description=no&state=s",
        )
        .expect_err("an error response");
        assert_eq!(error, "authorization error `access_denied`: no");
        let missing = callback_of("http://localhost:3000/callback?state=s").expect_err("no code");
        assert!(missing.contains("missing code"), "{missing}");
    }

    #[test]
    fn strips_the_query() {
        assert_eq!(
            without_query("http://a/authorize?x=1#f"),
            "http://a/authorize"
        );
        assert_eq!(without_query("http://a/authorize"), "http://a/authorize");
    }
}
