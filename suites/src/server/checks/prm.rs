//! Server checks: where the protected resource metadata (PRM) is served and how. RFC 9728 §3 (at
//! the well-known URL formed by path insertion), §3.2 (200, `application/json`, a JSON object),
//! §5.1 (the challenge's `resource_metadata` URL) and MCP 2025-11-25 "Protected Resource Metadata
//! Discovery Requirements" (the challenge's URL, else the path well-known URL, else the root one).
//! What the document says is judged in [`super::prm_fields`].

use serde_json::Value;

use crate::check::Finding;
use crate::server::observation::{label, Probed, ServerObservation};

use super::support::{judged, shown};

/// The PRM probes in the order a client tries them.
const PRM_LABELS: [&str; 3] = [
    label::PRM_FROM_CHALLENGE,
    label::PRM_AT_PATH,
    label::PRM_AT_ROOT,
];

pub(super) const NO_PRM: &str =
    "no protected resource metadata was found (prm-discoverable judges that)";

/// Every PRM probe that answered 200 with a JSON object, in client order, with its document.
pub(super) fn documents(obs: &ServerObservation) -> Vec<(&Probed, Value)> {
    PRM_LABELS
        .iter()
        .filter_map(|l| obs.probe(l))
        .filter_map(|p| {
            let response = p.ok().filter(|r| r.status == 200)?;
            let doc = response.json().filter(Value::is_object)?;
            Some((p, doc))
        })
        .collect()
}

/// What each PRM location gave, for messages.
fn attempts(obs: &ServerObservation) -> String {
    PRM_LABELS
        .iter()
        .map(|l| match (obs.probe(l), obs.why_not_probed(l)) {
            (Some(p), _) => {
                let json = p
                    .ok()
                    .is_some_and(|r| r.status == 200 && !r.json().is_some_and(|d| d.is_object()));
                let hops: String = obs
                    .redirect_hops(l)
                    .into_iter()
                    .map(|hop| format!("{}, then ", shown(hop)))
                    .collect();
                format!(
                    "{hops}{}{}",
                    shown(p),
                    if json { " (not a JSON object)" } else { "" }
                )
            }
            (None, Some(why)) => format!("`{l}` not tried: {why}"),
            (None, None) => format!("`{l}` not tried"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The PRM a client would use, or the not-judged finding.
pub(super) fn prm(obs: &ServerObservation) -> Result<(&Probed, Value), Finding> {
    obs.prm().ok_or_else(|| Finding::not_judged(NO_PRM))
}

/// `prm-discoverable` (S-PRM-2, MCP 2025-11-25): a client finds the PRM at the challenge's URL or
/// at one of the well-known URLs.
pub fn prm_discoverable(obs: &ServerObservation) -> Finding {
    match obs.prm() {
        Some((p, _)) => Finding::met(format!("found at {} (`{}`)", obs.requested_url(p), p.label)),
        None => Finding::violated(format!(
            "no protected resource metadata where an MCP client looks: {}",
            attempts(obs)
        )),
    }
}

/// `prm-via-challenge` (S-PRM-1, MCP 2025-06-18): the PRM is served at the URL the 401 challenge
/// names (a 2025-06-18 client looks nowhere else).
pub fn prm_via_challenge(obs: &ServerObservation) -> Finding {
    match documents(obs)
        .into_iter()
        .find(|(p, _)| p.label == label::PRM_FROM_CHALLENGE)
    {
        Some((p, _)) => Finding::met(format!(
            "served at the challenge's URL {}",
            obs.requested_url(p)
        )),
        None => Finding::violated(format!(
            "an MCP 2025-06-18 client finds the metadata only through the challenge's \
             resource_metadata: {}",
            attempts(obs)
        )),
    }
}

/// `prm-at-challenge-url` (S-PRM-1, RFC 9728 §5.1): when the challenge names a URL, the PRM is
/// served there (clients MUST use it when present).
pub fn prm_at_challenge_url(obs: &ServerObservation) -> Finding {
    let Some(probe) = obs.probe(label::PRM_FROM_CHALLENGE) else {
        return Finding::not_judged(
            obs.why_not_probed(label::PRM_FROM_CHALLENGE)
                .unwrap_or("the challenge's URL was not fetched")
                .to_string(),
        );
    };
    if documents(obs).iter().any(|(p, _)| p.seq == probe.seq) {
        Finding::met(format!("{}: a JSON object", shown(probe)))
    } else {
        Finding::violated(format!(
            "the URL the challenge names does not serve the metadata: {}",
            attempts(obs)
        ))
    }
}

/// `prm-at-path-well-known` (RFC 9728 §3, §3.1): the PRM is served at the well-known URL formed by
/// inserting `/.well-known/oauth-protected-resource` before the MCP endpoint's path.
///
/// RFC 9728 §3 makes that location a MUST; MCP 2025-11-25 also accepts the root well-known URL or
/// the challenge alone, so this is a SHOULD: a generic RFC 9728 client, or an MCP client that
/// starts from the URL without a 401, finds nothing anywhere else.
pub fn prm_at_path_well_known(obs: &ServerObservation) -> Finding {
    let docs = documents(obs);
    let served = |l: &str| {
        docs.iter()
            .find(|(p, _)| p.label == l)
            .map(|(p, _)| obs.requested_url(p))
    };
    if let Some(url) = served(label::PRM_AT_PATH) {
        return Finding::met(format!("served at the path-inserted well-known URL {url}"));
    }
    if obs.probe(label::PRM_AT_PATH).is_none() {
        // No path: the root URL is the one RFC 9728 forms.
        return match served(label::PRM_AT_ROOT) {
            Some(url) => Finding::met(format!(
                "the MCP URL has no path; served at the well-known URL {url}"
            )),
            None => Finding::violated(format!(
                "not served at the RFC 9728 well-known URL: {}",
                attempts(obs)
            )),
        };
    }
    let elsewhere = match (
        served(label::PRM_AT_ROOT),
        served(label::PRM_FROM_CHALLENGE),
    ) {
        (Some(root), _) => format!(
            "only the root well-known URL {root} serves it (MCP 2025-11-25 clients fall back to \
             it; RFC 9728 §3.1 clients do not)"
        ),
        (None, Some(url)) => format!(
            "only the challenge's URL {url} serves it (a client must make a failing request first)"
        ),
        (None, None) => "nowhere".to_string(),
    };
    Finding::violated(format!(
        "not served at the path-inserted well-known URL: {}; {elsewhere}",
        attempts(obs)
    ))
}

/// `prm-json` (S-PRM-01, RFC 9728 §3.2): the PRM a client reaches first is 200, `application/json`,
/// a JSON object.
pub fn prm_is_json(obs: &ServerObservation) -> Finding {
    let first_200 = PRM_LABELS
        .iter()
        .filter_map(|l| obs.probe(l))
        .find(|p| p.status() == Some(200));
    let Some(probe) = first_200 else {
        return Finding::not_judged(format!("no PRM location answered 200: {}", attempts(obs)));
    };
    let response = probe.ok().expect("status 200");
    let is_object = response.json().is_some_and(|d| d.is_object());
    match (response.media_type().as_deref(), is_object) {
        (Some("application/json"), true) => {
            Finding::met(format!("{}: a JSON object", shown(probe)))
        }
        (_, false) => Finding::violated(format!("{}: the body is not a JSON object", shown(probe))),
        (media, true) => Finding::violated(format!(
            "{} is a JSON object served as `{}`, not application/json",
            probe.url,
            media.unwrap_or("no Content-Type")
        )),
    }
}

/// Why a browser page could not follow a redirect of the metadata request: the redirect sent an
/// `Origin` and its answer allows neither `*` nor that origin. `None` when it could, or when no
/// `Origin` was sent.
fn unreadable_redirect(hop: &Probed) -> Option<String> {
    let origin = hop
        .request_headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("origin"))
        .map(|(_, v)| v.as_str())?;
    let allowed = hop
        .ok()?
        .header("access-control-allow-origin")
        .map(str::trim);
    match allowed {
        Some(a) if a == "*" || a == origin => None,
        Some(a) => Some(format!(
            "the redirect {} carries `Access-Control-Allow-Origin: {a}`: a page at {origin} cannot \
             follow it",
            shown(hop)
        )),
        None => Some(format!(
            "the redirect {} has no Access-Control-Allow-Origin for `Origin: {origin}`: \
             browser-based clients cannot follow it to the metadata",
            shown(hop)
        )),
    }
}

/// `prm-cors` (S-PRM-CORS): the PRM response carries `Access-Control-Allow-Origin`, without which
/// a browser-based MCP client cannot read it cross-origin. Judged only when the probe sent an
/// `Origin` (servers may add CORS headers only then); a warning at most.
pub fn prm_cors(obs: &ServerObservation) -> Finding {
    judged(|| {
        let (probe, _) = prm(obs)?;
        // A browser runs the CORS check on every response of a redirect chain (Fetch standard).
        for hop in obs.redirect_hops(&probe.label) {
            if let Some(problem) = unreadable_redirect(hop) {
                return Ok(Finding::violated(problem));
            }
        }
        let response = probe.ok().expect("prm() answered");
        let sent_origin = probe
            .request_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("origin"))
            .map(|(_, v)| v.clone());
        if let Some(allowed) = response.header("access-control-allow-origin") {
            // A browser reads the response only if the value is `*` or its own origin (Fetch
            // standard, CORS check).
            let readable = allowed.trim() == "*" || sent_origin.as_deref() == Some(allowed.trim());
            return Ok(if readable {
                Finding::met(format!(
                    "{} carries `Access-Control-Allow-Origin: {allowed}`",
                    probe.url
                ))
            } else {
                Finding::violated(format!(
                    "{} carries `Access-Control-Allow-Origin: {allowed}`, which does not let a \
                     page at {} read it (only `*` or that origin would)",
                    probe.url,
                    sent_origin.as_deref().unwrap_or("the browser's origin")
                ))
            });
        }
        Ok(match sent_origin {
            Some(origin) => Finding::violated(format!(
                "{} has no Access-Control-Allow-Origin for `Origin: {origin}`: browser-based \
                 clients cannot read the metadata",
                probe.url
            )),
            None => Finding::not_judged(
                "the probe sent no Origin and the answer has no Access-Control-Allow-Origin \
                 (servers may add CORS headers only to requests with an Origin)",
            ),
        })
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::server::observation::test_support::*;
    use serde_json::json;

    pub const MCP: &str = "http://127.0.0.1:1000/mcp";
    pub const AT_PATH: &str = "http://127.0.0.1:1000/.well-known/oauth-protected-resource/mcp";
    pub const AT_ROOT: &str = "http://127.0.0.1:1000/.well-known/oauth-protected-resource";

    pub fn good_prm() -> Value {
        json!({
            "resource": MCP,
            "authorization_servers": ["http://127.0.0.1:2000"],
            "scopes_supported": ["mcp:tools"],
            "bearer_methods_supported": ["header"],
        })
    }

    /// The challenge names the path URL; path and root serve `at_path` / `at_root` (404 if None).
    pub fn served(at_path: Option<Value>, at_root: Option<Value>) -> ServerObservation {
        let mut obs = observation();
        probe(label::UNAUTHENTICATED, 401)
            .header(
                "www-authenticate",
                &format!(r#"Bearer resource_metadata="{AT_PATH}", scope="mcp:tools""#),
            )
            .push(&mut obs);
        for (l, url, doc) in [
            (label::PRM_FROM_CHALLENGE, AT_PATH, at_path.clone()),
            (label::PRM_AT_PATH, AT_PATH, at_path),
            (label::PRM_AT_ROOT, AT_ROOT, at_root),
        ] {
            match doc {
                Some(doc) => probe(l, 200)
                    .get(url)
                    .json(doc)
                    .header("access-control-allow-origin", "*")
                    .push(&mut obs),
                None => probe(l, 404).get(url).push(&mut obs),
            }
        }
        obs
    }

    pub fn good() -> ServerObservation {
        served(Some(good_prm()), None)
    }

    pub fn with(field: &str, value: Value) -> ServerObservation {
        let mut doc = good_prm();
        doc[field] = value;
        served(Some(doc), None)
    }

    #[test]
    fn prm_discoverable() {
        assert!(super::prm_discoverable(&good()).is_met());
        let nowhere = super::prm_discoverable(&served(None, None));
        assert!(
            nowhere.is_violated() && nowhere.message().contains("404"),
            "{nowhere:?}"
        );
    }

    #[test]
    fn prm_via_challenge() {
        assert!(super::prm_via_challenge(&good()).is_met());
        let mut obs = served(None, Some(good_prm()));
        obs.probes.retain(|p| p.label != label::PRM_FROM_CHALLENGE);
        obs.not_probed.insert(
            label::PRM_FROM_CHALLENGE.into(),
            "the 401 challenge named no resource_metadata".into(),
        );
        let finding = super::prm_via_challenge(&obs);
        assert!(
            finding.is_violated() && finding.message().contains("named no"),
            "{finding:?}"
        );
    }

    #[test]
    fn prm_at_challenge_url() {
        assert!(super::prm_at_challenge_url(&good()).is_met());
        assert!(super::prm_at_challenge_url(&served(None, Some(good_prm()))).is_violated());
    }

    #[test]
    fn prm_at_path_well_known() {
        assert!(super::prm_at_path_well_known(&good()).is_met());
        let root_only = super::prm_at_path_well_known(&served(None, Some(good_prm())));
        assert!(root_only.is_violated() && root_only.message().contains("root"));
    }

    #[test]
    fn prm_is_json() {
        assert!(super::prm_is_json(&good()).is_met());
        let mut obs = observation();
        probe(label::PRM_AT_PATH, 200)
            .header("content-type", "text/plain")
            .body(&good_prm().to_string())
            .push(&mut obs);
        let finding = super::prm_is_json(&obs);
        assert!(finding.is_violated() && finding.message().contains("text/plain"));
        let mut html = observation();
        probe(label::PRM_AT_PATH, 200)
            .body("<html>")
            .push(&mut html);
        assert!(super::prm_is_json(&html).is_violated());
    }

    #[test]
    fn prm_cors() {
        assert!(super::prm_cors(&good()).is_met());
        let mut obs = observation();
        probe(label::PRM_AT_PATH, 200)
            .request_header("Origin", "http://localhost:5173")
            .json(good_prm())
            .push(&mut obs);
        let finding = super::prm_cors(&obs);
        assert!(finding.is_violated() && finding.message().contains("browser"));
        obs.probes[0].request_headers.clear();
        assert!(matches!(super::prm_cors(&obs), Finding::NotJudged(_)));
        // An origin other than the page's does not let the browser read it.
        let mut other = observation();
        probe(label::PRM_AT_PATH, 200)
            .request_header("Origin", "http://localhost:5173")
            .header("access-control-allow-origin", "https://other.example")
            .json(good_prm())
            .push(&mut other);
        assert!(super::prm_cors(&other).is_violated());
        let mut echoed = observation();
        probe(label::PRM_AT_PATH, 200)
            .request_header("Origin", "http://localhost:5173")
            .header("access-control-allow-origin", "http://localhost:5173")
            .json(good_prm())
            .push(&mut echoed);
        assert!(super::prm_cors(&echoed).is_met());
    }

    /// A redirect of the metadata request needs CORS too, and the messages name the URL asked for.
    #[test]
    fn prm_behind_a_redirect() {
        let chain = |hop_allows: Option<&str>| {
            let mut obs = observation();
            let mut hop = probe(&label::redirect_hop(label::PRM_AT_PATH, 1), 307)
                .request_header("Origin", "http://localhost:5173")
                .header("location", "/meta/prm.json");
            if let Some(allowed) = hop_allows {
                hop = hop.header("access-control-allow-origin", allowed);
            }
            hop.push(&mut obs);
            obs.probes[0].url = AT_PATH.into();
            probe(label::PRM_AT_PATH, 200)
                .request_header("Origin", "http://localhost:5173")
                .header("access-control-allow-origin", "*")
                .json(good_prm())
                .push(&mut obs);
            obs.probes[1].url = "http://127.0.0.1:1000/meta/prm.json".into();
            obs
        };
        let good = chain(Some("*"));
        assert!(super::prm_cors(&good).is_met());
        let found = super::prm_discoverable(&good);
        assert!(
            found.message().contains(&format!(
                "{AT_PATH} (redirected to http://127.0.0.1:1000/meta/prm.json)"
            )),
            "{found:?}"
        );
        let bad = super::prm_cors(&chain(None));
        assert!(
            bad.is_violated() && bad.message().contains("the redirect"),
            "{bad:?}"
        );
    }
}
