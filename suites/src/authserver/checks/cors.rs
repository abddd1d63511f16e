//! CORS for browser-based clients (Fetch Standard, CORS protocol): the metadata answers a
//! cross-origin GET with `Access-Control-Allow-Origin`, and the registration endpoint answers a
//! preflight for a JSON POST.

use crate::authserver::observation::{label, AuthServerObservation};
use crate::check::Finding;
use crate::server::probe::BROWSER_ORIGIN;

use super::{judged_metadata, shown};

/// Whether `Access-Control-Allow-Origin` lets [`BROWSER_ORIGIN`] read the response.
fn allowed(value: Option<&str>) -> bool {
    value.is_some_and(|v| v.trim() == "*" || v.trim() == BROWSER_ORIGIN)
}

/// `metadata-cors` (AS-CORS-1, SHOULD): the metadata a client uses answers a GET with
/// `Origin` with an `Access-Control-Allow-Origin` that allows it.
pub fn metadata_cors(obs: &AuthServerObservation) -> Finding {
    let Some((probe, _)) = judged_metadata(obs) else {
        return Finding::not_judged("no authorization server metadata was found");
    };
    let value = probe
        .ok()
        .and_then(|r| r.header("access-control-allow-origin"));
    if allowed(value) {
        Finding::met(format!(
            "Access-Control-Allow-Origin: {}",
            value.unwrap_or("")
        ))
    } else {
        Finding::violated(format!(
            "{} with Origin: {BROWSER_ORIGIN} has {}: browser-based clients cannot read it",
            probe.url,
            value.map_or("no Access-Control-Allow-Origin".into(), |v| format!(
                "Access-Control-Allow-Origin: {v}"
            ))
        ))
    }
}

/// `registration-cors` (AS-CORS-1, SHOULD): the registration endpoint answers a preflight for a
/// JSON POST (2xx, the origin allowed, `content-type` among the allowed headers).
pub fn registration_cors(obs: &AuthServerObservation) -> Finding {
    let Some(probe) = obs.probe(label::REGISTRATION_PREFLIGHT) else {
        return Finding::not_judged(
            obs.why_not_probed(label::REGISTRATION_PREFLIGHT)
                .unwrap_or("no preflight was sent")
                .to_string(),
        );
    };
    let Some(response) = probe.ok().filter(|r| r.is_success()) else {
        return Finding::violated(format!(
            "the preflight {}: browser-based clients cannot register",
            shown(probe)
        ));
    };
    let origin = response.header("access-control-allow-origin");
    let headers = response
        .header("access-control-allow-headers")
        .unwrap_or("")
        .to_ascii_lowercase();
    let content_type = headers
        .split(',')
        .any(|h| matches!(h.trim(), "content-type" | "*"));
    match (allowed(origin), content_type) {
        (true, true) => Finding::met(format!(
            "{}; Access-Control-Allow-Headers: {headers}",
            response.status
        )),
        (false, _) => Finding::violated(format!(
            "the preflight got {} without an Access-Control-Allow-Origin for {BROWSER_ORIGIN}",
            response.status
        )),
        (true, false) => Finding::violated(format!(
            "the preflight does not allow the content-type header (Access-Control-Allow-Headers: \
             `{headers}`): a JSON registration cannot be sent"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authserver::observation::test_support::*;
    use crate::server::observation::AsLocation;
    use mcp_authlab_reports::SpecVersion;

    fn metadata(headers: &[(&str, &str)]) -> AuthServerObservation {
        let mut obs = observation(SpecVersion::V2025_11_25);
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        push(
            &mut obs,
            &label::metadata(AsLocation::Rfc8414),
            "http://127.0.0.1:2000/.well-known/oauth-authorization-server",
            200,
            &all,
            &good_metadata().to_string(),
        );
        obs
    }

    #[test]
    fn metadata_cors_() {
        assert!(metadata_cors(&metadata(&[("access-control-allow-origin", "*")])).is_met());
        assert!(metadata_cors(&metadata(&[])).is_violated());
        let other = metadata(&[("access-control-allow-origin", "https://other.example")]);
        assert!(metadata_cors(&other).is_violated());
    }

    #[test]
    fn registration_cors_() {
        let mut obs = observation(SpecVersion::V2025_11_25);
        push(
            &mut obs,
            label::REGISTRATION_PREFLIGHT,
            "http://127.0.0.1:2000/register",
            204,
            &[
                ("access-control-allow-origin", "*"),
                (
                    "access-control-allow-headers",
                    "Content-Type, Authorization",
                ),
            ],
            "",
        );
        assert!(registration_cors(&obs).is_met());
        let mut bad = observation(SpecVersion::V2025_11_25);
        push(
            &mut bad,
            label::REGISTRATION_PREFLIGHT,
            "http://127.0.0.1:2000/register",
            405,
            &[],
            "",
        );
        assert!(registration_cors(&bad).is_violated());
        let none = observation(SpecVersion::V2025_11_25);
        assert!(matches!(registration_cors(&none), Finding::NotJudged(_)));
    }
}
