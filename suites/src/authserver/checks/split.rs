//! A metadata document the user names (`--metadata-url`) that clients may not be able to find:
//! clients derive the metadata URL from the issuer only (RFC 8414 §3.1, OpenID Connect Discovery
//! §4; MCP 2025-11-25 "Authorization Server Metadata Discovery"). A document on another origin
//! (split domain) or at a custom path is invisible to them.

use mcp_authlab_mock_idp::urls::{origin_and_path, rfc8414_metadata_url};
use serde_json::Value;

use super::shown;
use crate::authserver::observation::{derived_locations, label, AuthServerObservation};
use crate::check::Finding;

/// The fix, in a sentence: where to host the document so clients find it.
pub fn hosting_fix(issuer: &str) -> String {
    let target = rfc8414_metadata_url(issuer).unwrap_or_else(|_| issuer.to_string());
    format!("host it at {target}, or put a reverse proxy there (clients, and this check, do not all follow redirects)")
}

/// Whether two URLs are the same once parsed (case of scheme and host, default port).
fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `metadata-url-answers` (AS-META-1): the named document answers 200 with a JSON object.
pub fn metadata_url_answers(obs: &AuthServerObservation) -> Finding {
    let Some(probe) = obs.probe(label::NAMED_METADATA) else {
        return Finding::not_judged(
            obs.why_not_probed(label::NAMED_METADATA)
                .unwrap_or("no --metadata-url was given")
                .to_string(),
        );
    };
    if obs.document(label::NAMED_METADATA).is_some() {
        Finding::met(format!("{} answers with a JSON object", probe.url))
    } else {
        Finding::violated(format!("{}: not a metadata document", shown(probe)))
    }
}

/// `metadata-url-discoverable` (AS-META-1): the named document is at a location clients derive
/// from the issuer; otherwise says where it is (another origin, a custom path) and the fix.
pub fn metadata_url_discoverable(obs: &AuthServerObservation) -> Finding {
    let Some(named) = obs.metadata_url.as_deref() else {
        return Finding::not_judged("no --metadata-url was given");
    };
    let derived = derived_locations(&obs.issuer);
    if let Some((_, _, title)) = derived.iter().find(|(_, u, _)| same_url(u, named)) {
        return Finding::met(format!(
            "{named} is where clients look ({title}, derived from the issuer {})",
            obs.issuer
        ));
    }
    let origin = |u: &str| origin_and_path(u).map(|(o, _)| o).ok();
    let why = if origin(named) != origin(&obs.issuer) {
        format!(
            "it is on another origin than the issuer {} (split domain)",
            obs.issuer
        )
    } else {
        format!(
            "it is at a custom path on the issuer's origin, not at a well-known URL of the issuer \
             {}",
            obs.issuer
        )
    };
    let tried: Vec<&str> = derived.iter().map(|(_, u, _)| u.as_str()).collect();
    let found_anyway = obs
        .discovered(mcp_authlab_reports::SpecVersion::V2025_11_25)
        .map(|(p, _)| p.url.clone());
    match found_anyway {
        Some(url) => Finding::note(format!(
            "no client reads {named} ({why}); they use {url} instead, which answers: make sure \
             the two documents agree"
        )),
        None => Finding::violated(format!(
            "no MCP client can find {named}: {why}. Clients only try {}. Fix: {}",
            tried.join(", "),
            hosting_fix(&obs.issuer)
        )),
    }
}

/// `metadata-url-issuer` (AS-META-04): the named document's `issuer` is the `--issuer` given.
pub fn metadata_url_issuer(obs: &AuthServerObservation) -> Finding {
    let Some((probe, doc)) = obs.document(label::NAMED_METADATA) else {
        return Finding::not_judged("the named document is not a metadata document");
    };
    match doc.get("issuer").and_then(Value::as_str) {
        Some(issuer) if issuer == obs.issuer => Finding::met(format!("issuer {issuer}")),
        Some(issuer) => Finding::violated(format!(
            "{} says issuer `{issuer}`, not `{}`: clients reject metadata whose issuer differs \
             from the one they derived its URL from (RFC 8414 §3.3); if `{issuer}` is the \
             issuer, run with --issuer {issuer}",
            probe.url, obs.issuer
        )),
        None => Finding::violated(format!("{} has no issuer", probe.url)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authserver::observation::test_support::*;
    use mcp_authlab_reports::SpecVersion;
    use serde_json::json;

    fn named(url: &str, doc: Value) -> AuthServerObservation {
        let mut obs = observation(SpecVersion::V2025_11_25);
        obs.metadata_url = Some(url.into());
        push_json(&mut obs, label::NAMED_METADATA, url, &doc);
        obs
    }

    #[test]
    fn metadata_url_answers_() {
        assert!(metadata_url_answers(&named("http://127.0.0.1:3000/m", good_metadata())).is_met());
        let mut obs = observation(SpecVersion::V2025_11_25);
        push(
            &mut obs,
            label::NAMED_METADATA,
            "http://127.0.0.1:3000/m",
            404,
            &[],
            "",
        );
        assert!(metadata_url_answers(&obs).is_violated());
    }

    #[test]
    fn metadata_url_discoverable_() {
        let good = named(
            "http://127.0.0.1:2000/.well-known/oauth-authorization-server",
            good_metadata(),
        );
        assert!(metadata_url_discoverable(&good).is_met());
        let split = metadata_url_discoverable(&named(
            "http://127.0.0.1:3000/.well-known/oauth-authorization-server",
            good_metadata(),
        ));
        assert!(split.is_violated(), "{split:?}");
        assert!(split.message().contains("split domain"), "{split:?}");
        assert!(split.message().contains(
            "host it at http://127.0.0.1:2000/.well-known/oauth-authorization-server, or put a \
             reverse proxy there"
        ));
        let custom = metadata_url_discoverable(&named(
            "http://127.0.0.1:2000/custom/m.json",
            good_metadata(),
        ));
        assert!(
            custom.is_violated() && custom.message().contains("custom path"),
            "{custom:?}"
        );
    }

    #[test]
    fn metadata_url_issuer_() {
        assert!(metadata_url_issuer(&named("http://127.0.0.1:3000/m", good_metadata())).is_met());
        let other = named(
            "http://127.0.0.1:3000/m",
            json!({"issuer": "http://127.0.0.1:3000"}),
        );
        let finding = metadata_url_issuer(&other);
        assert!(
            finding.is_violated() && finding.message().contains("--issuer http://127.0.0.1:3000")
        );
    }
}
