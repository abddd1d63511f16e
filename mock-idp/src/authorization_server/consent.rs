//! The HTML login/consent page (`consent = "page"`) and its decision endpoint,
//! `POST {issuer}/authorize/decision` (OAuth 2.1 §4.1.1: the authorization server authenticates the
//! resource owner and obtains its decision).
//!
//! The page posts back a transaction id under which [`super::authorize`] stored the request's
//! parameters; the decision re-validates them and then denies (`access_denied`, OAuth 2.1 §4.1.2.1)
//! or issues a code exactly as the automatic consent does.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use html_escape::{encode_double_quoted_attribute as attr, encode_text as text};

use super::authorize::{error_page, error_redirect, issue_code, AuthorizationRequest};
use crate::error::{ErrorCode, OAuthError};
use crate::form::OAuthForm;
use crate::state::IdpState;

/// The login/consent page for a pending authorization request.
pub(super) fn consent_page(
    state: &IdpState,
    transaction: &str,
    request: &AuthorizationRequest,
    error: Option<&str>,
) -> Response {
    let client = &request.client;
    let scopes = if request.scopes.is_empty() {
        "<li>(no scope requested)</li>".to_string()
    } else {
        request
            .scopes
            .iter()
            .map(|s| format!("<li><code>{}</code></li>", text(s)))
            .collect()
    };
    let resource = match &request.resource {
        Some(r) => format!("<code>{}</code>", text(r)),
        None => format!(
            "(none requested; tokens will be for <code>{}</code>)",
            text(&state.urls.resource())
        ),
    };
    let error = error
        .map(|e| format!("<p role=\"alert\" class=\"error\">{}</p>", text(e)))
        .unwrap_or_default();
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <title>Sign in: mcp-authlab mock authorization server</title></head><body>\
         <h1>Authorize {name}</h1>{error}\
         <dl><dt>Client</dt><dd>{name} (<code>{client_id}</code>)</dd>\
         <dt>Redirect URI</dt><dd><code>{redirect}</code></dd>\
         <dt>Scopes</dt><dd><ul>{scopes}</ul></dd>\
         <dt>Resource</dt><dd>{resource}</dd>\
         <dt>User</dt><dd>{user} (<code>{subject}</code>)</dd></dl>\
         <form method=\"post\" action=\"{action}\">\
         <input type=\"hidden\" name=\"transaction\" value=\"{transaction}\">\
         <label>Password <input type=\"password\" name=\"password\" autocomplete=\"current-password\"></label>\
         <button type=\"submit\" name=\"action\" value=\"approve\">Approve</button>\
         <button type=\"submit\" name=\"action\" value=\"deny\">Deny</button>\
         </form></body></html>\n",
        name = text(client.client_name.as_deref().unwrap_or(&client.client_id)),
        client_id = text(&client.client_id),
        redirect = text(&request.redirect_uri),
        user = text(&state.config.user.name),
        subject = text(&state.config.user.subject),
        action = attr(&state.urls.endpoint("/authorize/decision")),
        transaction = attr(transaction),
    );
    (
        StatusCode::OK,
        [
            (header::CACHE_CONTROL, "no-store"),
            // Clickjacking protection for the consent page (OAuth 2.1 §7.11 / RFC 6819 §4.4.1.9).
            (header::X_FRAME_OPTIONS, "DENY"),
        ],
        Html(body),
    )
        .into_response()
}

/// `POST {issuer}/authorize/decision` with `transaction`, `action` (`approve` or `deny`) and
/// `password`.
pub async fn decision(
    State(state): State<IdpState>,
    form: Result<OAuthForm, OAuthError>,
) -> Response {
    let form = match form {
        Ok(form) => form,
        Err(error) => return error_page(&error),
    };
    let params = &form.params;
    let Some(transaction) = params.get("transaction") else {
        return error_page(&OAuthError::invalid_request(
            "missing required parameter `transaction`",
        ));
    };
    let pending = state
        .store
        .pending_consents
        .lock()
        .unwrap()
        .get(transaction)
        .cloned();
    let Some(pending) = pending else {
        return unknown_transaction(transaction);
    };
    let request = match AuthorizationRequest::from_params(&state, &pending).await {
        Ok(request) => request,
        Err(rejection) => {
            take(&state, transaction);
            return rejection.into_response(&state);
        }
    };
    match params.get("action") {
        Some("deny") => {
            if !take(&state, transaction) {
                return unknown_transaction(transaction);
            }
            let denied = OAuthError::new(
                ErrorCode::AccessDenied,
                "the user denied the authorization request (OAuth 2.1 §4.1.2.1)",
            );
            error_redirect(
                &state,
                &request.redirect_uri,
                request.state.as_deref(),
                &denied,
            )
        }
        Some("approve") if params.get("password") != Some(state.config.user.password.as_str()) => {
            consent_page(&state, transaction, &request, Some("Wrong password."))
        }
        Some("approve") => {
            if !take(&state, transaction) {
                return unknown_transaction(transaction);
            }
            issue_code(&state, &request)
        }
        other => error_page(&OAuthError::invalid_request(format!(
            "`action` must be `approve` or `deny`, got `{}`",
            other.unwrap_or("")
        ))),
    }
}

/// Removes the transaction; `false` if it was already gone (used by a concurrent decision).
fn take(state: &IdpState, transaction: &str) -> bool {
    state
        .store
        .pending_consents
        .lock()
        .unwrap()
        .remove(transaction)
        .is_some()
}

fn unknown_transaction(transaction: &str) -> Response {
    error_page(&OAuthError::invalid_request(format!(
        "unknown or already decided transaction `{transaction}`"
    )))
}

#[cfg(test)]
mod tests {
    use axum::body::Body;

    use super::super::authorize::tests::{add_clients, query, redirected, text as body_text};
    use super::*;
    use crate::authorization_server::test_support::{get, post_form};
    use crate::config::{Config, Consent};
    use crate::urls::Urls;

    fn page_state(variants: &[&str]) -> IdpState {
        let behaviour = crate::variants::behaviour_for(variants).unwrap();
        let urls = Urls::new("http://127.0.0.1:1", "http://127.0.0.1:2", None, &behaviour);
        let config = Config {
            consent: Consent::Page,
            ..Config::default()
        };
        let state = IdpState::new(config, behaviour, urls).unwrap();
        add_clients(&state);
        state
    }

    /// Opens the page and returns its body and the transaction it created.
    async fn open_page(state: &IdpState, changes: &[(&str, &str)]) -> (String, String) {
        let response = get(state, &format!("/authorize?{}", query(state, changes))).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
        let body = body_text(response).await;
        let transactions: Vec<String> = state
            .store
            .pending_consents
            .lock()
            .unwrap()
            .keys()
            .cloned()
            .collect();
        assert_eq!(transactions.len(), 1);
        (body, transactions[0].clone())
    }

    async fn decide(state: &IdpState, body: &str) -> Response<Body> {
        post_form(state, "/authorize/decision", body).await
    }

    #[tokio::test]
    async fn page_shows_the_request_escaped_and_issues_no_code_yet() {
        let state = page_state(&[]);
        let (body, transaction) = open_page(&state, &[]).await;
        assert!(body.contains("Test &lt;Client&gt;"), "{body}");
        assert!(!body.contains("<Client>"));
        assert!(body.contains("test-client"));
        assert!(body.contains("mcp:tools") && body.contains("offline_access"));
        assert!(body.contains("http://127.0.0.1:2/mcp"));
        assert!(body.contains("http://127.0.0.1/callback"));
        assert!(body.contains("action=\"http://127.0.0.1:1/authorize/decision\""));
        assert!(body.contains(&format!("value=\"{transaction}\"")));
        assert!(body.contains("type=\"password\""));
        assert!(state.store.codes.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn invalid_requests_never_reach_the_page() {
        let state = page_state(&[]);
        let response = get(
            &state,
            &format!("/authorize?{}", query(&state, &[("code_challenge", "")])),
        )
        .await;
        assert_eq!(redirected(&response).1["error"], "invalid_request");
        assert!(state.store.pending_consents.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn approve_with_the_password_issues_a_code_once() {
        let state = page_state(&[]);
        let (_, transaction) = open_page(&state, &[]).await;
        let form = format!("transaction={transaction}&action=approve&password=password");
        let response = decide(&state, &form).await;
        let (_, p) = redirected(&response);
        assert_eq!(p["state"], "xyz-123");
        assert_eq!(p["iss"], "http://127.0.0.1:1");
        let code = state.store.take_code(&p["code"]).unwrap();
        assert_eq!(code.resource.as_deref(), Some("http://127.0.0.1:2/mcp"));
        assert_eq!(code.subject, "test-user");
        // The transaction is consumed.
        let again = decide(&state, &form).await;
        assert_eq!(again.status(), StatusCode::BAD_REQUEST);
    }

    #[tokio::test]
    async fn wrong_password_shows_the_page_again() {
        let state = page_state(&[]);
        let (_, transaction) = open_page(&state, &[]).await;
        let response = decide(
            &state,
            &format!("transaction={transaction}&action=approve&password=guess"),
        )
        .await;
        assert_eq!(response.status(), StatusCode::OK);
        let body = body_text(response).await;
        assert!(body.contains("Wrong password."), "{body}");
        assert!(state.store.codes.lock().unwrap().is_empty());
        assert!(state
            .store
            .pending_consents
            .lock()
            .unwrap()
            .contains_key(&transaction));
    }

    #[tokio::test]
    async fn deny_redirects_access_denied() {
        let state = page_state(&[]);
        let (_, transaction) = open_page(&state, &[]).await;
        let response = decide(&state, &format!("transaction={transaction}&action=deny")).await;
        let (_, p) = redirected(&response);
        assert_eq!(p["error"], "access_denied");
        assert_eq!(p["state"], "xyz-123");
        assert_eq!(p["iss"], "http://127.0.0.1:1");
        assert!(!p.contains_key("code"));
        assert!(state.store.pending_consents.lock().unwrap().is_empty());
    }

    #[tokio::test]
    async fn unknown_transaction_or_action_is_a_page() {
        let state = page_state(&[]);
        let response = decide(&state, "transaction=nope&action=approve&password=password").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(body_text(response)
            .await
            .contains("unknown or already decided"));
        let response = decide(&state, "action=approve").await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);

        let (_, transaction) = open_page(&state, &[]).await;
        let response = decide(&state, &format!("transaction={transaction}&action=maybe")).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert!(body_text(response).await.contains("`maybe`"));
    }

    #[tokio::test]
    async fn approval_follows_the_response_variants() {
        let state = page_state(&["wrong-state", "missing-iss"]);
        let (_, transaction) = open_page(&state, &[]).await;
        let response = decide(
            &state,
            &format!("transaction={transaction}&action=approve&password=password"),
        )
        .await;
        let (_, p) = redirected(&response);
        assert_ne!(p["state"], "xyz-123");
        assert!(!p.contains_key("iss"));
    }
}
