//! `Mcp-Session-Id` (MCP Basic › Transports › Session Management). A session is bound to the
//! subject of the token that opened it and is never a credential: every request still needs a
//! valid token (MCP Security Best Practices › Session Hijacking).

use axum::http::HeaderMap;

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

/// Opens a session for the subject; the id is 192 random bits, URL-safe (visible ASCII).
pub fn open(state: &IdpState, subject: &str) -> String {
    let id = random_token(24);
    state
        .store
        .mcp_sessions
        .lock()
        .unwrap()
        .insert(id.clone(), subject.to_string());
    id
}

pub fn check(state: &IdpState, headers: &HeaderMap, subject: &str) -> SessionCheck {
    let Some(value) = headers.get(HEADER) else {
        return SessionCheck::Absent;
    };
    let Ok(id) = value.to_str() else {
        return SessionCheck::NotFound;
    };
    match state.store.mcp_sessions.lock().unwrap().get(id) {
        Some(owner) if owner == subject => SessionCheck::Valid(id.to_string()),
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

    #[test]
    fn sessions_are_random_and_bound_to_their_subject() {
        let state = IdpState::for_tests(&[]);
        let a = open(&state, "alice");
        assert_ne!(a, open(&state, "alice"));
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
