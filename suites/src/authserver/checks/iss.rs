//! RFC 9207 `iss` in the authorization response, as MCP 2026-07-28 "Authorization Response
//! Validation" asks it of the authorization server: it SHOULD send `iss` (error responses
//! included); when it does, it MUST advertise `authorization_response_iss_parameter_supported`;
//! a client compares `iss` with the issuer by simple string comparison, with no normalisation, and
//! rejects a response without `iss` when the metadata advertises it. Judged on the redirects the
//! throw-away client got back ([`crate::authserver::authorization`]).

use std::collections::BTreeMap;

use serde_json::Value;

use super::shown;
use crate::authserver::authorization::redirected_back;
use crate::authserver::observation::{label, AuthServerObservation};
use crate::check::Finding;
use crate::server::checks::identical;
use crate::server::observation::Probed;

/// One redirect back to the client: the probe, what it is, its parameters.
struct Response<'a> {
    probe: &'a Probed,
    params: BTreeMap<String, String>,
}

impl Response<'_> {
    fn kind(&self) -> &'static str {
        if self.params.contains_key("code") {
            "the authorization response"
        } else {
            "the error response"
        }
    }
}

/// The redirects back to the client, or why there is none to judge.
fn responses(obs: &AuthServerObservation) -> Result<Vec<Response<'_>>, Finding> {
    let mut found = Vec::new();
    let mut other = Vec::new();
    for l in [label::AUTHORIZE, label::AUTHORIZE_ERROR] {
        let Some(probe) = obs.probe(l) else { continue };
        match redirected_back(probe) {
            Some(params) => found.push(Response { probe, params }),
            None => other.push(shown(probe)),
        }
    }
    if !found.is_empty() {
        return Ok(found);
    }
    if other.is_empty() {
        let why = obs
            .why_not_probed(label::AUTHORIZE)
            .unwrap_or("no authorization request was made");
        return Err(Finding::not_judged(why.to_string()));
    }
    Err(Finding::not_judged(format!(
        "the authorization endpoint did not redirect back to the client without a user ({}): \
         its responses can only be seen after an interactive login",
        other.join("; ")
    )))
}

/// `iss-in-authorization-response` (AS-ISS-1, SHOULD): every redirect back carries `iss`.
pub fn iss_in_authorization_response(obs: &AuthServerObservation) -> Finding {
    let responses = match responses(obs) {
        Ok(r) => r,
        Err(finding) => return finding,
    };
    let missing: Vec<String> = responses
        .iter()
        .filter(|r| !r.params.contains_key("iss"))
        .map(|r| format!("{} ({})", r.kind(), shown(r.probe)))
        .collect();
    if missing.is_empty() {
        let kinds: Vec<&str> = responses.iter().map(Response::kind).collect();
        Finding::met(format!("{} carries iss", kinds.join(" and ")))
    } else {
        Finding::violated(format!(
            "{} has no iss: clients cannot tell which authorization server answered (mix-up \
             attacks, RFC 9207)",
            missing.join(" and ")
        ))
    }
}

/// `iss-matches-issuer` (AS-ISS-2, MUST): every `iss` sent is identical to the issuer.
pub fn iss_matches_issuer(obs: &AuthServerObservation) -> Finding {
    let responses = match responses(obs) {
        Ok(r) => r,
        Err(finding) => return finding,
    };
    let sent: Vec<(&Response, &String)> = responses
        .iter()
        .filter_map(|r| r.params.get("iss").map(|iss| (r, iss)))
        .collect();
    if sent.is_empty() {
        return Finding::not_judged("no iss was sent (iss-in-authorization-response judges that)");
    }
    let wrong: Vec<String> = sent
        .iter()
        .filter(|(_, iss)| **iss != obs.issuer)
        .map(|(r, iss)| format!("{}: {}", r.kind(), identical::explain(&obs.issuer, iss)))
        .collect();
    if wrong.is_empty() {
        Finding::met(format!("iss is `{}`, the issuer", obs.issuer))
    } else {
        Finding::violated(format!(
            "{}: a 2026-07-28 client rejects the response",
            wrong.join("; ")
        ))
    }
}

/// `iss-advertised-consistently` (AS-ISS-3, MUST): `authorization_response_iss_parameter_supported`
/// is true exactly when the responses carry `iss` (advertised and missing: clients reject the
/// response; sent but not advertised: RFC 9207 §2.3, MCP 2026-07-28 MUST advertise).
pub fn iss_advertised_consistently(obs: &AuthServerObservation) -> Finding {
    let responses = match responses(obs) {
        Ok(r) => r,
        Err(finding) => return finding,
    };
    let Some((_, doc)) = obs.metadata() else {
        return Finding::not_judged("no authorization server metadata was found");
    };
    let advertised =
        doc.get("authorization_response_iss_parameter_supported") == Some(&Value::Bool(true));
    let (with, without): (Vec<&Response>, Vec<&Response>) =
        responses.iter().partition(|r| r.params.contains_key("iss"));
    let names = |rs: &[&Response]| {
        rs.iter()
            .map(|r| r.kind())
            .collect::<Vec<_>>()
            .join(" and ")
    };
    match (advertised, with.is_empty(), without.is_empty()) {
        (true, _, true) => {
            Finding::met("authorization_response_iss_parameter_supported is true and iss is sent")
        }
        (true, _, false) => Finding::violated(format!(
            "the metadata advertises authorization_response_iss_parameter_supported, but {} has \
             no iss: a 2026-07-28 client must reject it",
            names(&without)
        )),
        (false, true, _) => Finding::met(
            "iss is neither advertised nor sent (clients proceed; iss-in-authorization-response \
             judges the SHOULD)",
        ),
        (false, false, _) => Finding::violated(format!(
            "{} carries iss, but the metadata does not advertise \
             authorization_response_iss_parameter_supported: true",
            names(&with)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authserver::observation::test_support::*;
    use crate::authserver::probe::REGISTRATION_REDIRECT_URI;
    use mcp_authlab_reports::SpecVersion;
    use serde_json::json;

    /// Metadata advertising (or not) iss, and the code request answered with `location`.
    fn answered(advertised: bool, location: &str) -> AuthServerObservation {
        let doc = metadata_with(
            "authorization_response_iss_parameter_supported",
            Some(json!(advertised)),
        );
        let mut obs = with_metadata(SpecVersion::V2026_07_28, doc);
        push(
            &mut obs,
            label::AUTHORIZE,
            "http://127.0.0.1:2000/authorize",
            302,
            &[("location", location)],
            "",
        );
        obs
    }

    fn back(iss: Option<&str>) -> String {
        let mut url = url::Url::parse(REGISTRATION_REDIRECT_URI).unwrap();
        url.query_pairs_mut()
            .append_pair("code", "c")
            .append_pair("state", "s");
        if let Some(iss) = iss {
            url.query_pairs_mut().append_pair("iss", iss);
        }
        url.to_string()
    }

    #[test]
    fn iss_in_authorization_response_() {
        assert!(iss_in_authorization_response(&answered(true, &back(Some(ISSUER)))).is_met());
        assert!(iss_in_authorization_response(&answered(true, &back(None))).is_violated());
    }

    #[test]
    fn iss_matches_issuer_without_normalisation() {
        assert!(iss_matches_issuer(&answered(true, &back(Some(ISSUER)))).is_met());
        let slash = iss_matches_issuer(&answered(true, &back(Some(&format!("{ISSUER}/")))));
        assert!(
            slash.is_violated() && slash.message().contains("trailing slash"),
            "{slash:?}"
        );
        assert!(iss_matches_issuer(&answered(true, &back(Some("https://evil")))).is_violated());
        assert!(matches!(
            iss_matches_issuer(&answered(true, &back(None))),
            Finding::NotJudged(_)
        ));
    }

    #[test]
    fn iss_advertised_consistently_() {
        assert!(iss_advertised_consistently(&answered(true, &back(Some(ISSUER)))).is_met());
        assert!(iss_advertised_consistently(&answered(false, &back(None))).is_met());
        assert!(iss_advertised_consistently(&answered(true, &back(None))).is_violated());
        assert!(iss_advertised_consistently(&answered(false, &back(Some(ISSUER)))).is_violated());
    }

    #[test]
    fn a_login_page_or_no_request_is_not_judged() {
        let mut login = with_metadata(SpecVersion::V2026_07_28, good_metadata());
        push(
            &mut login,
            label::AUTHORIZE,
            "http://127.0.0.1:2000/authorize",
            200,
            &[("content-type", "text/html")],
            "<form>",
        );
        let finding = iss_in_authorization_response(&login);
        assert!(
            matches!(&finding, Finding::NotJudged(m) if m.contains("interactive login")),
            "{finding:?}"
        );
        let mut none = with_metadata(SpecVersion::V2026_07_28, good_metadata());
        none.not_probed
            .insert(label::AUTHORIZE.into(), "no client was registered".into());
        assert!(matches!(
            iss_matches_issuer(&none),
            Finding::NotJudged(m) if m == "no client was registered"
        ));
    }
}
