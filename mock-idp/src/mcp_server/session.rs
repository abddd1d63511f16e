//! `Mcp-Session-Id` (MCP Basic › Transports › Session Management). A session is bound to the
//! subject of the token that opened it and is never a credential: every request still needs a
//! valid token (MCP Security Best Practices › Session Hijacking), unless the broken
//! `Behaviour::session_authenticates` asks for the session's [`opener`].

use axum::http::HeaderMap;

use crate::access_token::AccessTokenClaims;
use crate::state::IdpState;
use crate::store::random_token;

pub const HEADER: &str = "mcp-session-id";

/// What the request's `Mcp-Session-Id` header says about its session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionCheck {
    /// No header: the client does not use sessions (allowed; the mock does not require them).
    Absent,
    /// A live session opened by this subject.
    Valid(String),
    /// Unknown, ended, unreadable, or opened by another subject: 404, the client starts a new one.
    NotFound,
}

/// Opens a session for the holder of `claims` (bound to its subject); the id is 192 random bits,
/// URL-safe (visible ASCII).
pub fn open(state: &IdpState, claims: &AccessTokenClaims) -> String {
    let id = random_token(24);
    state
        .store
        .mcp_sessions
        .lock()
        .unwrap()
        .insert(id.clone(), claims.clone());
    id
}

/// The claims of the token that opened the live session the request names, if any. Only for the
/// broken `Behaviour::session_authenticates`: a session is never a credential.
pub fn opener(state: &IdpState, headers: &HeaderMap) -> Option<AccessTokenClaims> {
    let id = headers.get(HEADER)?.to_str().ok()?;
    state.store.mcp_sessions.lock().unwrap().get(id).cloned()
}

pub fn check(state: &IdpState, headers: &HeaderMap, subject: &str) -> SessionCheck {
    let Some(value) = headers.get(HEADER) else {
        return SessionCheck::Absent;
    };
    let Ok(id) = value.to_str() else {
        return SessionCheck::NotFound;
    };
    match state.store.mcp_sessions.lock().unwrap().get(id) {
        Some(opener) if opener.sub == subject => SessionCheck::Valid(id.to_string()),
        _ => SessionCheck::NotFound,
    }
}

/// Ends a session; later requests naming it get 404.
pub fn close(state: &IdpState, id: &str) {
    state.store.mcp_sessions.lock().unwrap().remove(id);
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn with_session(id: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HEADER, HeaderValue::from_str(id).unwrap());
        headers
    }

    fn claims(subject: &str) -> AccessTokenClaims {
        AccessTokenClaims {
            iss: "http://127.0.0.1:1".into(),
            sub: subject.into(),
            aud: "http://127.0.0.1:2/mcp".into(),
            client_id: "c".into(),
            scope: "mcp:tools".into(),
            iat: 0,
            exp: 0,
            nbf: None,
            jti: "j".into(),
        }
    }

    #[test]
    fn sessions_are_random_and_bound_to_their_subject() {
        let state = IdpState::for_tests(&[]);
        let a = open(&state, &claims("alice"));
        assert_ne!(a, open(&state, &claims("alice")));
        assert_eq!(opener(&state, &with_session(&a)), Some(claims("alice")));
        assert_eq!(opener(&state, &with_session("unknown")), None);
        assert_eq!(opener(&state, &HeaderMap::new()), None);
        assert!(a.len() >= 32);
        assert_eq!(
            check(&state, &with_session(&a), "alice"),
            SessionCheck::Valid(a.clone())
        );
        assert_eq!(
            check(&state, &with_session(&a), "bob"),
            SessionCheck::NotFound
        );
        assert_eq!(
            check(&state, &HeaderMap::new(), "alice"),
            SessionCheck::Absent
        );
        close(&state, &a);
        assert_eq!(
            check(&state, &with_session(&a), "alice"),
            SessionCheck::NotFound
        );
    }
}
