//! Discovery as a client of each version does it. 2025-06-18: RFC 8414 with path insertion only;
//! 2025-11-25 and later: RFC 8414, then OpenID Connect discovery inserted, then appended (MCP
//! 2025-11-25 "Authorization Server Metadata Discovery"); 2025-03-26: `<origin>/.well-known/
//! oauth-authorization-server`, and on 404 the default `/authorize`, `/token`, `/register` (MCP
//! 2025-03-26 "Server Metadata Discovery", "Fallbacks for Servers without Metadata Discovery").
//!
//! Whether the document a client finds is usable is judged by the server suite's checks
//! ([`crate::server::checks::as_metadata`]) on the observation's server view.

use mcp_authlab_reports::SpecVersion;

use super::shown;
use crate::authserver::observation::{
    label, legacy_metadata_url, locations, AuthServerObservation,
};
use crate::check::Finding;
use crate::server::checks::as_metadata as a;

/// `metadata-locations` (note): what each location a client of this version tries answered, and
/// the one it uses.
pub fn metadata_locations(obs: &AuthServerObservation) -> Finding {
    let version = obs.spec_version;
    let labels: Vec<String> = if version == SpecVersion::V2025_03_26 {
        [
            label::LEGACY_METADATA,
            label::LEGACY_AUTHORIZE,
            label::LEGACY_TOKEN,
            label::LEGACY_REGISTER,
        ]
        .map(str::to_string)
        .to_vec()
    } else {
        locations(version)
            .iter()
            .map(|&l| label::metadata(l))
            .collect()
    };
    let tried: Vec<String> = labels
        .iter()
        .filter_map(|l| obs.probe(l).map(shown))
        .collect();
    if tried.is_empty() {
        return Finding::not_judged("no location was probed");
    }
    let used = match obs.discovered(version) {
        Some((probe, _)) => format!("an MCP {version} client uses {}", probe.url),
        None if version == SpecVersion::V2025_03_26 => format!(
            "an MCP {version} client finds no metadata and falls back to the default endpoints \
             only if the metadata answered 404"
        ),
        None => format!("an MCP {version} client finds no metadata"),
    };
    Finding::note(format!("{}; {used}", tried.join("; ")))
}

/// `as-metadata-found` (AS-META-1) for 2025-06-18 and later: the server suite's check.
pub fn metadata_found(obs: &AuthServerObservation) -> Finding {
    obs.judge_as_server(a::as_metadata_found)
}

/// `as-metadata-found` (C-ASM-0326) for 2025-03-26: metadata at the origin, or, when it is
/// absent (404), `/authorize` and `/token` answering at the origin (`/register` is optional).
pub fn legacy_metadata_found(obs: &AuthServerObservation) -> Finding {
    let url = legacy_metadata_url(&obs.issuer).unwrap_or_else(|_| obs.issuer.clone());
    let Some(probe) = obs.probe(label::LEGACY_METADATA) else {
        return Finding::not_judged(
            obs.why_not_probed(label::LEGACY_METADATA)
                .unwrap_or("the metadata was not probed")
                .to_string(),
        );
    };
    if obs.document(label::LEGACY_METADATA).is_some() {
        return Finding::met(format!("metadata at {url}"));
    }
    if probe.status() != Some(404) {
        return Finding::violated(format!(
            "{}: a 2025-03-26 client falls back to the default endpoints only when the metadata \
             is absent (404)",
            shown(probe)
        ));
    }
    let answers = |l: &str| {
        obs.probe(l)
            .is_some_and(|p| p.status().is_some_and(|s| s != 404 && s < 500))
    };
    let defaults: Vec<String> = [
        label::LEGACY_AUTHORIZE,
        label::LEGACY_TOKEN,
        label::LEGACY_REGISTER,
    ]
    .iter()
    .filter_map(|l| obs.probe(l).map(shown))
    .collect();
    if answers(label::LEGACY_AUTHORIZE) && answers(label::LEGACY_TOKEN) {
        Finding::met(format!(
            "no metadata ({url} → 404): a 2025-03-26 client uses the default endpoints, which \
             answer: {}",
            defaults.join("; ")
        ))
    } else {
        Finding::violated(format!(
            "no metadata at {url} (404) and the default endpoints are not there: {}",
            defaults.join("; ")
        ))
    }
}

/// `as-issuer-matches` (AS-META-04): the server suite's check.
pub fn issuer_matches(obs: &AuthServerObservation) -> Finding {
    obs.judge_as_server(a::as_issuer_matches)
}

/// `as-issuer-identical` (AS-META-04, MCP 2026-07-28: no normalisation): the server suite's check.
pub fn issuer_identical(obs: &AuthServerObservation) -> Finding {
    obs.judge_as_server(a::as_issuer_identical)
}

/// `as-pkce-s256` (AS-META-2, C-PKCE-3): the server suite's check.
pub fn pkce_s256(obs: &AuthServerObservation) -> Finding {
    obs.judge_as_server(a::as_pkce_s256)
}

/// `as-response-type-code` (AS-META-05): the server suite's check.
pub fn response_type_code(obs: &AuthServerObservation) -> Finding {
    obs.judge_as_server(a::as_response_type_code)
}

/// `as-endpoints-present` (AS-META-05): the server suite's check.
pub fn endpoints_present(obs: &AuthServerObservation) -> Finding {
    obs.judge_as_server(a::as_endpoints_present)
}

/// `as-https` (AS-TLS-1): the server suite's check (loopback hosts accepted over http).
pub fn https(obs: &AuthServerObservation) -> Finding {
    obs.judge_as_server(a::as_https)
}

/// `as-client-registration` (AS-META-07): the server suite's check.
pub fn client_registration(obs: &AuthServerObservation) -> Finding {
    obs.judge_as_server(a::as_client_registration)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::authserver::observation::test_support::*;
    use crate::server::observation::AsLocation;
    use serde_json::json;

    const V1125: SpecVersion = SpecVersion::V2025_11_25;

    fn good(version: SpecVersion) -> AuthServerObservation {
        with_metadata(version, good_metadata())
    }

    /// Nothing at the RFC 8414 location, a document at the OIDC one.
    fn oidc_only(version: SpecVersion) -> AuthServerObservation {
        let mut obs = observation(version);
        push(
            &mut obs,
            &label::metadata(AsLocation::Rfc8414),
            "http://127.0.0.1:2000/.well-known/oauth-authorization-server",
            404,
            &[],
            "",
        );
        push_json(
            &mut obs,
            &label::metadata(AsLocation::OidcInserted),
            "http://127.0.0.1:2000/.well-known/openid-configuration",
            &good_metadata(),
        );
        obs
    }

    #[test]
    fn metadata_locations() {
        let finding = super::metadata_locations(&oidc_only(V1125));
        assert!(matches!(finding, Finding::Note(_)));
        assert!(
            finding.message().contains("404")
                && finding
                    .message()
                    .contains("client uses http://127.0.0.1:2000/.well-known/openid-configuration"),
            "{finding:?}"
        );
        let old = super::metadata_locations(&oidc_only(SpecVersion::V2025_06_18));
        assert!(old.message().ends_with("finds no metadata"), "{old:?}");
    }

    #[test]
    fn metadata_found_follows_the_version() {
        assert!(super::metadata_found(&oidc_only(V1125)).is_met());
        let old = super::metadata_found(&oidc_only(SpecVersion::V2025_06_18));
        assert!(
            old.is_violated() && old.message().contains("RFC 8414 only"),
            "{old:?}"
        );
    }

    #[test]
    fn legacy_metadata_found() {
        assert!(super::legacy_metadata_found(&good(SpecVersion::V2025_03_26)).is_met());
        let mut obs = observation(SpecVersion::V2025_03_26);
        push(
            &mut obs,
            label::LEGACY_METADATA,
            "http://127.0.0.1:2000/.well-known/oauth-authorization-server",
            404,
            &[],
            "",
        );
        push(
            &mut obs,
            label::LEGACY_AUTHORIZE,
            "http://127.0.0.1:2000/authorize",
            400,
            &[],
            "",
        );
        push(
            &mut obs,
            label::LEGACY_TOKEN,
            "http://127.0.0.1:2000/token",
            405,
            &[],
            "",
        );
        let fallback = super::legacy_metadata_found(&obs);
        assert!(
            fallback.is_met() && fallback.message().contains("default endpoints"),
            "{fallback:?}"
        );
        obs.probes[2].response.as_mut().unwrap().status = 404;
        assert!(super::legacy_metadata_found(&obs).is_violated());
        obs.probes[0].response.as_mut().unwrap().status = 500;
        assert!(super::legacy_metadata_found(&obs)
            .message()
            .contains("only when"));
    }

    #[test]
    fn issuer_matches() {
        assert!(super::issuer_matches(&good(V1125)).is_met());
        let other = with_metadata(
            V1125,
            metadata_with("issuer", Some(json!("http://127.0.0.1:2000/x"))),
        );
        assert!(super::issuer_matches(&other).is_violated());
    }

    #[test]
    fn issuer_identical() {
        assert!(super::issuer_identical(&good(V1125)).is_met());
        let issuer = good_metadata()["issuer"]
            .as_str()
            .expect("the good metadata names an issuer")
            .to_string();
        let slash = with_metadata(
            V1125,
            metadata_with("issuer", Some(json!(format!("{issuer}/")))),
        );
        assert!(super::issuer_identical(&slash).is_violated());
    }

    #[test]
    fn pkce_s256() {
        assert!(super::pkce_s256(&good(V1125)).is_met());
        let none = with_metadata(
            V1125,
            metadata_with("code_challenge_methods_supported", None),
        );
        assert!(super::pkce_s256(&none).is_violated());
    }

    #[test]
    fn response_type_code() {
        assert!(super::response_type_code(&good(V1125)).is_met());
        let token = with_metadata(
            V1125,
            metadata_with("response_types_supported", Some(json!(["token"]))),
        );
        assert!(super::response_type_code(&token).is_violated());
    }

    #[test]
    fn endpoints_present() {
        assert!(super::endpoints_present(&good(V1125)).is_met());
        let none = with_metadata(V1125, metadata_with("token_endpoint", None));
        assert!(super::endpoints_present(&none).is_violated());
    }

    #[test]
    fn https() {
        assert!(super::https(&good(V1125)).is_met());
        let plain = with_metadata(
            V1125,
            metadata_with("token_endpoint", Some(json!("http://auth.example/token"))),
        );
        assert!(super::https(&plain).is_violated());
    }

    #[test]
    fn client_registration() {
        assert!(super::client_registration(&good(V1125)).is_met());
        let none = with_metadata(V1125, metadata_with("registration_endpoint", None));
        assert!(super::client_registration(&none).is_violated());
    }

    #[test]
    fn the_2025_03_26_view_judges_the_origin_document() {
        let obs = good(SpecVersion::V2025_03_26);
        assert!(super::issuer_matches(&obs).is_met());
        assert_eq!(obs.take_consulted(), vec![2]);
    }
}
