//! The device authorization grant (RFC 8628): the device authorization request (§3.1/§3.2), the
//! user's instructions (§3.3), and the polling of the token endpoint (§3.4/§3.5) by
//! [`DevicePoller`], a state machine without I/O.

use std::cell::Cell;
use std::future::Future;
use std::time::{Duration, Instant};

use serde_json::{Map, Value};

use super::discovery::Metadata;
use super::http::{json_type, Http, OAuthAnswer};
use super::{token_response, warn_if_cleartext, Event, TokenError, TokenRequest, TokenResponse};

pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// RFC 8628 §3.2: the interval when the response has none.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);
/// RFC 8628 §3.5: `slow_down` adds 5 seconds to the interval, for this and every later poll.
pub const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);
/// Shortest pause between polls, whatever the server says (an `interval` of 0 is not a licence
/// to spin).
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);
/// The longest `interval` or `expires_in` taken from an answer (a day): more is nonsense.
const MAX_SECS: u64 = 24 * 60 * 60;

const DEVICE_ENDPOINT: &str = "device authorization endpoint";
const TOKEN_ENDPOINT: &str = "token endpoint";

/// An error answer of the token endpoint while polling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollAnswer {
    pub status: u16,
    pub error: String,
    pub description: Option<String>,
}

/// What an error answer means for the polling (every other outcome ends it with an error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `authorization_pending`: poll again after the same interval.
    Pending,
    /// `slow_down`: poll again after the new, longer interval.
    SlowDown(Duration),
}

/// The polling rules of RFC 8628 §3.5: the interval, its increase on `slow_down`, the end of the
/// device code's life, and the errors that end the flow.
#[derive(Debug, Clone)]
pub struct DevicePoller {
    token_endpoint: String,
    interval: Duration,
    expires_in: Option<u64>,
    expires_at: Option<Instant>,
}

impl DevicePoller {
    /// `interval` and `expires_in` as given in the device authorization response, counted from
    /// `now` (when that response arrived).
    pub fn new(
        token_endpoint: impl Into<String>,
        interval: Option<u64>,
        expires_in: Option<u64>,
        now: Instant,
    ) -> Self {
        // Bounded: an absurd `interval` or `expires_in` must not overflow the clock arithmetic.
        let interval = interval
            .map(|secs| Duration::from_secs(secs.min(MAX_SECS)))
            .unwrap_or(DEFAULT_INTERVAL)
            .max(MIN_INTERVAL);
        let expires_in = expires_in.map(|secs| secs.min(MAX_SECS));
        Self {
            token_endpoint: token_endpoint.into(),
            interval,
            expires_in,
            expires_at: expires_in.and_then(|secs| now.checked_add(Duration::from_secs(secs))),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// How long to wait before the next poll, or the end when the device code will have expired
    /// by then.
    pub fn next_wait(&self, now: Instant) -> Result<Duration, TokenError> {
        match (self.expires_at, self.expires_in) {
            (Some(at), Some(secs)) if now.checked_add(self.interval).is_none_or(|t| t >= at) => {
                Err(TokenError::DeviceCodeExpired {
                    source_of_expiry: format!("its expires_in of {secs} s is over"),
                    description: None,
                })
            }
            _ => Ok(self.interval),
        }
    }

    /// An error answer to a poll: go on (pending, slow down) or end with the error it means.
    pub fn on_error(&mut self, answer: PollAnswer) -> Result<Step, TokenError> {
        let PollAnswer {
            status,
            error,
            description,
        } = answer;
        match error.as_str() {
            "authorization_pending" => Ok(Step::Pending),
            "slow_down" => {
                self.interval = (self.interval + SLOW_DOWN_STEP).min(Duration::from_secs(MAX_SECS));
                Ok(Step::SlowDown(self.interval))
            }
            "access_denied" => Err(TokenError::AccessDenied {
                url: self.token_endpoint.clone(),
                description,
            }),
            "expired_token" => Err(TokenError::DeviceCodeExpired {
                source_of_expiry: format!("expired_token from {}", self.token_endpoint),
                description,
            }),
            _ => Err(TokenError::Refused {
                endpoint: TOKEN_ENDPOINT,
                url: self.token_endpoint.clone(),
                status,
                error,
                description,
            }),
        }
    }
}

/// The device authorization response (RFC 8628 §3.2).
#[derive(Debug)]
struct DeviceAuthorization {
    device_code: String,
    user_code: String,
    verification_uri: String,
    verification_uri_complete: Option<String>,
    expires_in: Option<u64>,
    interval: Option<u64>,
}

impl DeviceAuthorization {
    fn parse(url: &str, object: &Map<String, Value>) -> Result<Self, TokenError> {
        let bad = |problem: String| TokenError::UnexpectedResponse {
            endpoint: DEVICE_ENDPOINT,
            url: url.to_string(),
            status: 200,
            problem,
        };
        let string = |field: &str| match object.get(field) {
            None => Ok(None),
            Some(Value::String(s)) if !s.is_empty() => Ok(Some(s.clone())),
            Some(other) => Err(bad(format!(
                "`{field}` is a {} (RFC 8628 §3.2 wants a non-empty string)",
                json_type(other)
            ))),
        };
        let number = |field: &str| match object.get(field) {
            None => Ok(None),
            Some(value) => value.as_u64().map(Some).ok_or_else(|| {
                bad(format!(
                    "`{field}` is not a number of seconds: {value} (RFC 8628 §3.2)"
                ))
            }),
        };
        let required = |field: &str| {
            string(field)?.ok_or_else(|| bad(format!("no `{field}` (required, RFC 8628 §3.2)")))
        };
        Ok(Self {
            device_code: required("device_code")?,
            user_code: required("user_code")?,
            // `verification_url`: the spelling of some providers (Google) before RFC 8628.
            verification_uri: match string("verification_uri")? {
                Some(uri) => uri,
                None => required("verification_url")
                    .map_err(|_| bad("no `verification_uri` (required, RFC 8628 §3.2)".into()))?,
            },
            verification_uri_complete: string("verification_uri_complete")?,
            expires_in: number("expires_in")?,
            interval: number("interval")?,
        })
    }
}

/// Runs the device flow: asks for a device code, tells the user what to do, polls until the token
/// comes or the flow ends. `sleep` is the pause between polls.
pub(crate) async fn run<S, F>(
    http: &Http,
    metadata: &Metadata,
    request: &TokenRequest,
    events: &mut dyn FnMut(Event),
    phase: &Cell<&'static str>,
    mut sleep: S,
) -> Result<TokenResponse, TokenError>
where
    S: FnMut(Duration) -> F,
    F: Future<Output = ()>,
{
    let device_endpoint = metadata.endpoint("device_authorization_endpoint")?;
    let token_endpoint = metadata.endpoint("token_endpoint")?;
    warn_if_cleartext(&device_endpoint, events);
    warn_if_cleartext(&token_endpoint, events);

    phase.set("waiting for the device authorization endpoint");
    let mut form = Vec::new();
    if let Some(scope) = &request.scope {
        form.push(("scope", scope.as_str()));
    }
    if let Some(resource) = &request.resource {
        form.push(("resource", resource.as_str()));
    }
    let authorization = match http
        .post_form(DEVICE_ENDPOINT, &device_endpoint, &form, &request.client)
        .await?
    {
        OAuthAnswer::Success(object) => DeviceAuthorization::parse(&device_endpoint, &object)?,
        OAuthAnswer::Error {
            status,
            error,
            description,
        } => {
            return Err(TokenError::Refused {
                endpoint: DEVICE_ENDPOINT,
                url: device_endpoint,
                status,
                error,
                description,
            })
        }
    };
    if authorization.expires_in.is_none() {
        events(Event::Warning(
            "the device authorization response has no `expires_in` (required, RFC 8628 §3.2); \
             polling until --timeout"
                .into(),
        ));
    }
    let mut poller = DevicePoller::new(
        token_endpoint.clone(),
        authorization.interval,
        authorization.expires_in,
        Instant::now(),
    );
    events(Event::UserAction {
        verification_uri: authorization.verification_uri,
        verification_uri_complete: authorization.verification_uri_complete,
        user_code: authorization.user_code,
        expires_in: authorization.expires_in,
    });

    phase.set("waiting for the user's approval (polling the token endpoint)");
    let mut poll = vec![
        ("grant_type", DEVICE_CODE_GRANT),
        ("device_code", authorization.device_code.as_str()),
    ];
    if let Some(resource) = &request.resource {
        poll.push(("resource", resource.as_str()));
    }
    loop {
        sleep(poller.next_wait(Instant::now())?).await;
        let answer = http
            .post_form(TOKEN_ENDPOINT, &token_endpoint, &poll, &request.client)
            .await?;
        match answer {
            OAuthAnswer::Success(object) => {
                return token_response(TOKEN_ENDPOINT, &token_endpoint, &object, events)
            }
            OAuthAnswer::Error {
                status,
                error,
                description,
            } => match poller.on_error(PollAnswer {
                status,
                error,
                description,
            })? {
                Step::Pending => {}
                Step::SlowDown(interval) => events(Event::SlowDown { interval }),
            },
        }
    }
}

#[cfg(test)]
mod bounds_tests {
    use super::*;

    #[test]
    fn absurd_intervals_and_lifetimes_do_not_overflow() {
        let now = Instant::now();
        let huge = DevicePoller::new("http://t/token", Some(u64::MAX), Some(u64::MAX), now);
        assert_eq!(huge.interval(), Duration::from_secs(MAX_SECS));
        // An interval as long as the code's life: it expires before the first poll (no panic).
        assert!(huge.next_wait(now).is_err());
        let mut poll = DevicePoller::new("http://t/token", Some(5), Some(u64::MAX), now);
        assert_eq!(poll.next_wait(now).unwrap(), Duration::from_secs(5));
        assert!(poll
            .on_error(PollAnswer {
                status: 400,
                error: "slow_down".into(),
                description: None,
            })
            .is_ok());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn error(code: &str) -> PollAnswer {
        PollAnswer {
            status: 400,
            error: code.into(),
            description: Some(format!("{code} described")),
        }
    }

    #[test]
    fn pending_then_slow_down_raises_the_interval_for_good() {
        let now = Instant::now();
        let mut poller = DevicePoller::new("http://as/token", Some(2), Some(600), now);
        assert_eq!(poller.next_wait(now).unwrap(), Duration::from_secs(2));
        assert_eq!(
            poller.on_error(error("authorization_pending")).unwrap(),
            Step::Pending
        );
        assert_eq!(poller.next_wait(now).unwrap(), Duration::from_secs(2));
        assert_eq!(
            poller.on_error(error("slow_down")).unwrap(),
            Step::SlowDown(Duration::from_secs(7))
        );
        assert_eq!(
            poller.on_error(error("authorization_pending")).unwrap(),
            Step::Pending
        );
        assert_eq!(poller.next_wait(now).unwrap(), Duration::from_secs(7));
        assert_eq!(
            poller.on_error(error("slow_down")).unwrap(),
            Step::SlowDown(Duration::from_secs(12))
        );
    }

    #[test]
    fn default_and_minimum_interval() {
        let now = Instant::now();
        assert_eq!(
            DevicePoller::new("t", None, None, now).interval(),
            DEFAULT_INTERVAL
        );
        assert_eq!(
            DevicePoller::new("t", Some(0), None, now).interval(),
            MIN_INTERVAL
        );
    }

    #[test]
    fn denied_expired_and_other_errors_end_the_flow() {
        let now = Instant::now();
        let mut poller = DevicePoller::new("http://as/token", Some(1), Some(600), now);
        let denied = poller.on_error(error("access_denied")).unwrap_err();
        assert!(
            matches!(denied, TokenError::AccessDenied { ref url, .. } if url == "http://as/token")
        );
        let expired = poller.on_error(error("expired_token")).unwrap_err();
        assert!(matches!(expired, TokenError::DeviceCodeExpired { .. }));
        assert!(
            expired
                .to_string()
                .contains("expired_token from http://as/token"),
            "{expired}"
        );
        let other = poller.on_error(error("invalid_grant")).unwrap_err();
        assert!(
            matches!(other, TokenError::Refused { ref error, status: 400, .. } if error == "invalid_grant")
        );
    }

    #[test]
    fn the_code_expires_locally_when_the_next_poll_would_be_too_late() {
        let now = Instant::now();
        let poller = DevicePoller::new("t", Some(5), Some(12), now);
        assert!(poller.next_wait(now + Duration::from_secs(6)).is_ok());
        let e = poller.next_wait(now + Duration::from_secs(7)).unwrap_err();
        assert!(e.to_string().contains("expires_in of 12 s is over"), "{e}");
        // Without expires_in only the overall timeout ends the polling.
        let endless = DevicePoller::new("t", Some(5), None, now);
        assert!(endless.next_wait(now + Duration::from_secs(86_400)).is_ok());
    }

    #[test]
    fn device_authorization_response_fields() {
        let ok = json!({
            "device_code": "dc", "user_code": "ABCD-EFGH",
            "verification_url": "https://as/device", "expires_in": 600
        });
        let parsed = DeviceAuthorization::parse("u", ok.as_object().unwrap()).unwrap();
        assert_eq!(parsed.verification_uri, "https://as/device");
        assert_eq!(parsed.interval, None);
        assert_eq!(parsed.expires_in, Some(600));
        for bad in [
            json!({"user_code": "A", "verification_uri": "v"}),
            json!({"device_code": "d", "user_code": "A"}),
            json!({"device_code": "d", "user_code": 3, "verification_uri": "v"}),
            json!({"device_code": "d", "user_code": "A", "verification_uri": "v", "interval": "5"}),
        ] {
            let e = DeviceAuthorization::parse("u", bad.as_object().unwrap()).unwrap_err();
            assert!(
                matches!(e, TokenError::UnexpectedResponse { .. }),
                "{bad}: {e}"
            );
        }
    }
}
