//! What every server check needs: the probe under a label or why it cannot be judged, the
//! response or the violation of there being none, the positive control, and short descriptions
//! of what came back. Messages quote statuses, header values and URLs, never credentials.

use serde_json::Value;

use crate::check::Finding;
use crate::server::observation::{label, ProbeResponse, Probed, ServerObservation};

/// Why token checks are not judged when the valid token was refused.
pub const CONTROL_FAILED: &str = "the positive control failed: a valid token was not accepted, so \
                                  a rejection proves nothing";

/// Runs a check written with `?` on `Result<_, Finding>`: an early `Err` is the finding.
pub fn judged(check: impl FnOnce() -> Result<Finding, Finding>) -> Finding {
    check().unwrap_or_else(|finding| finding)
}

/// The probe under `label`, or a not-judged finding saying why it was not made.
pub fn probed<'a>(obs: &'a ServerObservation, label: &str) -> Result<&'a Probed, Finding> {
    if let Some(probe) = obs.probe(label) {
        return Ok(probe);
    }
    Err(Finding::not_judged(match obs.why_not_probed(label) {
        Some(why) => format!("no `{label}` probe: {why}"),
        None => format!("the `{label}` probe was not made"),
    }))
}

/// The response of `probe`; no response at all is a violation (the server did not answer).
pub fn answered(probe: &Probed) -> Result<&ProbeResponse, Finding> {
    probe
        .response
        .as_ref()
        .map_err(|error| Finding::violated(format!("{} got no response: {error}", probe.summary())))
}

/// The positive control passed, or the not-judged finding every negative token check gives.
pub fn control(obs: &ServerObservation) -> Result<(), Finding> {
    if obs.valid_token_accepted() {
        return Ok(());
    }
    let seen = match obs.probe(label::VALID) {
        Some(probe) => shown(probe),
        None => obs
            .why_not_probed(label::VALID)
            .unwrap_or("no valid-token probe was made")
            .to_string(),
    };
    Err(Finding::not_judged(format!("{CONTROL_FAILED} ({seen})")))
}

/// `POST http://host/mcp -> 401 (application/json)`: the request and what came back.
pub fn shown(probe: &Probed) -> String {
    format!("{} -> {}", probe.summary(), probe.outcome_summary())
}

/// The `WWW-Authenticate` values of a response, for messages (`no WWW-Authenticate` when none).
pub fn challenge_text(response: &ProbeResponse) -> String {
    let values: Vec<&str> = response.header_values("www-authenticate").collect();
    if values.is_empty() {
        "no WWW-Authenticate".into()
    } else {
        values
            .iter()
            .map(|v| format!("`WWW-Authenticate: {v}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Whether the body holds a JSON-RPC response with a `result` (data was returned).
pub fn has_jsonrpc_result(response: &ProbeResponse) -> bool {
    response
        .jsonrpc_messages()
        .iter()
        .any(|m| m.get("result").is_some())
}

/// The first JSON-RPC `error` of the body, as `code message`.
pub fn jsonrpc_error(response: &ProbeResponse) -> Option<String> {
    response.jsonrpc_messages().iter().find_map(|m| {
        let error = m.get("error")?;
        let code = error.get("code").map(Value::to_string).unwrap_or_default();
        let message = error.get("message").and_then(Value::as_str).unwrap_or("");
        Some(format!("{code} {message}").trim().to_string())
    })
}

/// Judges a response that must be 401 (a request without a usable token): `what` names the
/// request in messages ("a request without credentials"). 2xx, 5xx, 400 and 403 are violations,
/// and so is a 401 whose body still holds a JSON-RPC result.
pub fn expect_401(probe: &Probed, what: &str) -> Result<Finding, Finding> {
    let response = answered(probe)?;
    let seen = shown(probe);
    Ok(match response.status {
        401 if has_jsonrpc_result(response) => Finding::violated(format!(
            "{what} got 401, but its body holds a JSON-RPC result: data returned without \
             authorization ({seen})"
        )),
        401 => Finding::met(format!("{what} got 401 ({seen})")),
        s if (200..300).contains(&s) => {
            Finding::violated(format!("{what} was accepted: {seen} instead of 401"))
        }
        s if s >= 500 => Finding::violated(format!(
            "{what} caused a server error: {seen} instead of 401"
        )),
        403 => Finding::violated(format!(
            "{what} got 403 instead of 401 ({seen}): 403 means the token is valid but its scope \
             is insufficient"
        )),
        400 => Finding::violated(format!(
            "{what} got 400 instead of 401 ({seen}): 400 is for malformed requests"
        )),
        _ => Finding::violated(format!("{what} got {seen}, not 401")),
    })
}

/// Judges a response that must not be a server error (any answer below 500).
pub fn no_server_error<'a>(probes: impl IntoIterator<Item = &'a Probed>) -> Finding {
    let probes: Vec<&Probed> = probes.into_iter().collect();
    if probes.is_empty() {
        return Finding::not_judged("none of these probes was made");
    }
    let bad: Vec<String> = probes
        .iter()
        .filter(|p| p.status().is_none_or(|s| s >= 500))
        .map(|p| format!("`{}`: {}", p.label, shown(p)))
        .collect();
    if bad.is_empty() {
        let statuses: Vec<String> = probes
            .iter()
            .map(|p| format!("`{}` {}", p.label, p.outcome_summary()))
            .collect();
        Finding::met(format!("no server error: {}", statuses.join(", ")))
    } else {
        Finding::violated(format!(
            "a bad credential must get a 4xx answer, not a crash: {}",
            bad.join("; ")
        ))
    }
}

/// Whether `url` is an absolute http(s) URL with a host.
pub fn is_absolute_http_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observation::test_support::*;

    #[test]
    fn a_probe_that_was_not_made_says_why() {
        let mut obs = observation();
        obs.not_probed
            .insert(label::VALID.into(), "no token: give --token".into());
        let finding = probed(&obs, label::VALID).unwrap_err();
        assert!(matches!(finding, Finding::NotJudged(ref m) if m.contains("give --token")));
        assert!(probed(&obs, "other").is_err());
    }

    #[test]
    fn expect_401_accepts_only_a_401_without_data() {
        let mut obs = observation();
        probe("a", 401).push(&mut obs);
        probe("b", 401)
            .json(serde_json::json!({"jsonrpc": "2.0", "id": 1, "result": {}}))
            .push(&mut obs);
        probe("c", 403).push(&mut obs);
        failed_probe("d", "connection refused").push(&mut obs);
        let judge = |l: &str| judged(|| expect_401(obs.probe(l).unwrap(), "x"));
        assert!(judge("a").is_met());
        assert!(judge("b").message().contains("JSON-RPC result"));
        assert!(judge("c").message().contains("403"));
        assert!(judge("d").message().contains("connection refused"));
    }

    #[test]
    fn server_errors_and_silence_are_not_4xx_answers() {
        let mut obs = observation();
        probe("a", 401).push(&mut obs);
        probe("b", 400).push(&mut obs);
        assert!(no_server_error(&obs.probes).is_met());
        probe("c", 502).push(&mut obs);
        failed_probe("d", "timeout").push(&mut obs);
        let finding = no_server_error(&obs.probes);
        assert!(finding.is_violated());
        assert!(finding.message().contains("`c`") && finding.message().contains("`d`"));
    }
}
