//! The broken resource-server variants in memory: for each, the correct server refuses something
//! and the broken one accepts it (or answers it wrongly), and nothing else changes.

use axum::body::Body;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use serde_json::json;

use super::test_support::*;
use crate::forge::{forge, ForgeRequest, TokenFlaw};
use crate::state::IdpState;

const PRM: &str = "/.well-known/oauth-protected-resource/mcp";

async fn forged(state: &IdpState, flaw: TokenFlaw, scopes: &[&str]) -> String {
    let request = ForgeRequest {
        audience: state.urls.resource(),
        scopes: scopes.iter().map(|s| s.to_string()).collect(),
        client_id: "test-client".into(),
        subject: "test-user".into(),
        flaw,
    };
    forge(state, &request).await.unwrap().token
}

fn with_authorization(value: &str) -> Request<Body> {
    let mut request = post_json("/mcp", None, &ping());
    request
        .headers_mut()
        .insert(header::AUTHORIZATION, HeaderValue::from_str(value).unwrap());
    request
}

fn has_challenge(response: &Response<Body>) -> bool {
    response.headers().contains_key(header::WWW_AUTHENTICATE)
}

/// Which forged tokens the server of `variant` lets through (`None` always).
#[tokio::test]
async fn token_check_variants_accept_exactly_their_flaws() {
    use TokenFlaw::{
        AlgNone, BadSignature, Expired, NotYetValid, UnknownKid, WrongAudience, WrongIssuer,
        WrongType,
    };
    let table: &[(&str, &[TokenFlaw])] = &[
        ("", &[]),
        ("server-accepts-any-audience", &[WrongAudience]),
        ("server-accepts-expired", &[Expired, NotYetValid]),
        (
            "server-skips-signature",
            &[BadSignature, AlgNone, UnknownKid],
        ),
        ("server-accepts-any-issuer", &[WrongIssuer]),
        ("server-accepts-wrong-type", &[WrongType]),
    ];
    for (variant, accepted) in table {
        let variants: Vec<&str> = [*variant].into_iter().filter(|v| !v.is_empty()).collect();
        let state = IdpState::for_tests(&variants);
        for flaw in TokenFlaw::ALL {
            let token = forged(&state, *flaw, &["mcp:tools"]).await;
            let response = rpc(&state, Some(&token), &ping()).await;
            let label = format!("{variant:?} with a {} token", flaw.name());
            if *flaw == TokenFlaw::None || accepted.contains(flaw) {
                assert_eq!(response.status(), StatusCode::OK, "{label}");
                assert_eq!(json(response).await["result"], json!({}), "{label}");
            } else {
                assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{label}");
                let params = challenge(&response);
                assert_eq!(params["error"], "invalid_token", "{label}");
                assert_eq!(params["scope"], "mcp:tools", "{label}");
                assert!(params.contains_key("resource_metadata"), "{label}");
            }
        }
    }
}

#[tokio::test]
async fn query_token_is_credentials_only_for_the_broken_server() {
    for (variant, accepted) in [(None, false), (Some("server-accepts-query-token"), true)] {
        let state = IdpState::for_tests(&variant.into_iter().collect::<Vec<_>>());
        let token = forged(&state, TokenFlaw::None, &["mcp:tools"]).await;
        let uri = format!("/mcp?access_token={token}");
        let response = send(&state, post_json(&uri, None, &ping())).await;
        let expected = if accepted {
            StatusCode::OK
        } else {
            StatusCode::UNAUTHORIZED
        };
        assert_eq!(response.status(), expected, "{variant:?}");
        // A bad query token is still refused, as a token.
        let response = send(&state, post_json("/mcp?access_token=bad", None, &ping())).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{variant:?}");
        assert_eq!(
            challenge(&response).get("error").map(String::as_str),
            accepted.then_some("invalid_token"),
            "{variant:?}"
        );
    }
}

#[tokio::test]
async fn no_credentials_challenge_carries_an_error_only_when_broken() {
    let strict = IdpState::for_tests(&[]);
    let response = rpc(&strict, None, &ping()).await;
    assert!(!challenge(&response).contains_key("error"));

    let state = IdpState::for_tests(&["server-error-without-credentials"]);
    let response = rpc(&state, None, &ping()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let params = challenge(&response);
    assert_eq!(params["error"], "invalid_token");
    assert_eq!(params["scope"], "mcp:tools");
    assert!(params.contains_key("resource_metadata"));
    let token = forged(&state, TokenFlaw::None, &["mcp:tools"]).await;
    assert_eq!(
        rpc(&state, Some(&token), &ping()).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_broken_server_sends_401_without_a_challenge_but_403_with_one() {
    let state = IdpState::for_tests(&["server-no-www-authenticate"]);
    let response = rpc(&state, None, &ping()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(!has_challenge(&response));
    let response = rpc(&state, Some("bad"), &ping()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(!has_challenge(&response));
    assert_eq!(json(response).await["error"], "invalid_token");
    let weak = forged(&state, TokenFlaw::None, &[]).await;
    let response = rpc(&state, Some(&weak), &ping()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(challenge(&response)["error"], "insufficient_scope");

    let strict = IdpState::for_tests(&[]);
    assert!(has_challenge(&rpc(&strict, None, &ping()).await));
    assert!(has_challenge(&rpc(&strict, Some("bad"), &ping()).await));
}

#[tokio::test]
async fn no_credentials_get_403_only_from_the_broken_server() {
    let state = IdpState::for_tests(&["server-forbidden-without-token"]);
    let response = rpc(&state, None, &ping()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(!challenge(&response).contains_key("error"));
    assert_eq!(
        rpc(&state, Some("bad"), &ping()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let strict = IdpState::for_tests(&[]);
    assert_eq!(
        rpc(&strict, None, &ping()).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_bad_token_gets_500_only_from_the_broken_server() {
    let state = IdpState::for_tests(&["server-error-on-bad-token"]);
    let expired = forged(&state, TokenFlaw::Expired, &["mcp:tools"]).await;
    for bad in ["bad", expired.as_str()] {
        let response = rpc(&state, Some(bad), &ping()).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
    assert_eq!(
        rpc(&state, None, &ping()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let valid = forged(&state, TokenFlaw::None, &["mcp:tools"]).await;
    assert_eq!(
        rpc(&state, Some(&valid), &ping()).await.status(),
        StatusCode::OK
    );
    let strict = IdpState::for_tests(&[]);
    let expired = forged(&strict, TokenFlaw::Expired, &["mcp:tools"]).await;
    assert_eq!(
        rpc(&strict, Some(&expired), &ping()).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn the_required_scope_is_enforced_unless_broken() {
    let strict = IdpState::for_tests(&[]);
    let weak = forged(&strict, TokenFlaw::None, &["profile"]).await;
    let response = rpc(&strict, Some(&weak), &ping()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(challenge(&response)["scope"], "mcp:tools");

    let state = IdpState::for_tests(&["server-ignores-scope"]);
    let weak = forged(&state, TokenFlaw::None, &["profile"]).await;
    assert_eq!(
        rpc(&state, Some(&weak), &ping()).await.status(),
        StatusCode::OK
    );
    // The 401 still names the scope, and the admin tool still steps up.
    assert_eq!(
        challenge(&rpc(&state, None, &ping()).await)["scope"],
        "mcp:tools"
    );
    let response = rpc(&state, Some(&weak), &call_msg("admin_action", json!({}))).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_insufficient_scope_challenge_names_the_scope_unless_broken() {
    let state = IdpState::for_tests(&["server-scope-challenge-without-scope"]);
    let weak = forged(&state, TokenFlaw::None, &["profile"]).await;
    let response = rpc(&state, Some(&weak), &ping()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let params = challenge(&response);
    assert_eq!(params["error"], "insufficient_scope");
    assert!(!params.contains_key("scope"), "{params:?}");
    assert!(params.contains_key("resource_metadata"));
    // The 401 challenge is unchanged.
    assert_eq!(
        challenge(&rpc(&state, None, &ping()).await)["scope"],
        "mcp:tools"
    );
}

#[tokio::test]
async fn the_scheme_is_case_insensitive_unless_broken() {
    let strict = IdpState::for_tests(&[]);
    let token = forged(&strict, TokenFlaw::None, &["mcp:tools"]).await;
    for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
        for spaces in [" ", "   "] {
            let response = send(
                &strict,
                with_authorization(&format!("{scheme}{spaces}{token}")),
            )
            .await;
            assert_eq!(response.status(), StatusCode::OK, "{scheme:?}{spaces:?}");
        }
    }

    let state = IdpState::for_tests(&["server-case-sensitive-bearer"]);
    let token = forged(&state, TokenFlaw::None, &["mcp:tools"]).await;
    let response = send(&state, with_authorization(&format!("Bearer  {token}"))).await;
    assert_eq!(response.status(), StatusCode::OK);
    for scheme in ["bearer", "BEARER"] {
        let response = send(&state, with_authorization(&format!("{scheme} {token}"))).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{scheme}");
        assert!(!challenge(&response).contains_key("error"), "{scheme}");
    }
}

#[tokio::test]
async fn a_session_authenticates_only_the_broken_server() {
    for (variant, accepted) in [
        (None, false),
        (Some("server-session-as-authentication"), true),
    ] {
        let state = IdpState::for_tests(&variant.into_iter().collect::<Vec<_>>());
        let token = forged(&state, TokenFlaw::None, &["mcp:tools"]).await;
        let response = rpc(&state, Some(&token), &initialize_msg("2025-11-25")).await;
        let session = response.headers()["mcp-session-id"].clone();
        let with_session = |token: Option<&str>, session: HeaderValue| {
            let mut request = post_json("/mcp", token, &call_msg("whoami", json!({})));
            request.headers_mut().insert("mcp-session-id", session);
            request
        };
        let response = send(&state, with_session(None, session.clone())).await;
        if accepted {
            assert_eq!(response.status(), StatusCode::OK);
            let body = json(response).await;
            let text = body["result"]["content"][0]["text"].as_str().unwrap();
            assert!(text.contains("test-user"), "{text}");
        } else {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        // Never with a bad token or an unknown session.
        let response = send(&state, with_session(Some("bad"), session.clone())).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{variant:?}");
        let unknown = HeaderValue::from_static("no-such-session");
        let response = send(&state, with_session(None, unknown)).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{variant:?}");
    }
}

#[tokio::test]
async fn the_prm_content_type_is_json_unless_broken() {
    let strict = IdpState::for_tests(&[]);
    assert_eq!(
        get(&strict, PRM).await.headers()["content-type"],
        "application/json"
    );
    let state = IdpState::for_tests(&["prm-wrong-content-type"]);
    let response = get(&state, PRM).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"],
        "text/plain; charset=utf-8"
    );
    // The body is the same document.
    assert_eq!(json(response).await, super::prm::document(&state));
}

#[tokio::test]
async fn the_prm_has_cors_unless_broken() {
    let preflight = || Request::options(PRM).body(Body::empty()).unwrap();
    let strict = IdpState::for_tests(&[]);
    assert_eq!(
        get(&strict, PRM).await.headers()["access-control-allow-origin"],
        "*"
    );
    assert_eq!(
        send(&strict, preflight()).await.status(),
        StatusCode::NO_CONTENT
    );

    let state = IdpState::for_tests(&["prm-without-cors"]);
    let response = get(&state, PRM).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get("access-control-allow-origin")
        .is_none());
    assert!(response
        .headers()
        .get("access-control-expose-headers")
        .is_none());
    assert_eq!(
        send(&state, preflight()).await.status(),
        StatusCode::METHOD_NOT_ALLOWED
    );
    // The MCP endpoint keeps its CORS headers.
    assert_eq!(
        rpc(&state, None, &ping()).await.headers()["access-control-allow-origin"],
        "*"
    );
}

#[tokio::test]
async fn the_prm_lists_the_authorization_server_unless_broken() {
    let strict = IdpState::for_tests(&[]);
    assert_eq!(
        json(get(&strict, PRM).await).await["authorization_servers"],
        json!(["http://127.0.0.1:1"])
    );
    let state = IdpState::for_tests(&["prm-empty-authorization-servers"]);
    let doc = json(get(&state, PRM).await).await;
    assert_eq!(doc["authorization_servers"], json!([]));
    assert_eq!(doc["resource"], "http://127.0.0.1:2/mcp");
}

#[tokio::test]
async fn the_401_names_the_scope_unless_broken() {
    let state = IdpState::for_tests(&["challenge-without-scope"]);
    let response = rpc(&state, None, &ping()).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(!challenge(&response).contains_key("scope"));
    let weak = forged(&state, TokenFlaw::None, &[]).await;
    let response = rpc(&state, Some(&weak), &ping()).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(challenge(&response)["scope"], "mcp:tools");
    let strict = IdpState::for_tests(&[]);
    assert_eq!(
        challenge(&rpc(&strict, None, &ping()).await)["scope"],
        "mcp:tools"
    );
}

#[tokio::test]
async fn the_passthrough_server_still_answers_at_once() {
    // In memory the "upstream" (the authorization server origin 127.0.0.1:1) refuses the
    // connection; the MCP answer does not depend on it. On sockets: tests/resource_server.rs.
    let state = IdpState::for_tests(&["server-token-passthrough"]);
    let token = forged(&state, TokenFlaw::None, &["mcp:tools"]).await;
    let response = rpc(&state, Some(&token), &ping()).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        rpc(&state, None, &ping()).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
