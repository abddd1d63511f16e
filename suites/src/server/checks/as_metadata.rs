//! Server checks: the metadata of the authorization servers the PRM names, as an MCP client finds
//! it. MCP 2025-11-25 "Authorization Server Metadata Discovery" (RFC 8414 with path insertion,
//! then OpenID Connect discovery inserted, then appended; 2025-06-18 clients use RFC 8414 only),
//! RFC 8414 §2 (required fields), §3.3 (`issuer` identical to the issuer the URL was built from),
//! MCP "Authorization Code Protection" (`code_challenge_methods_supported`, S256) and
//! "Communication Security" (every authorization server endpoint over HTTPS).
//!
//! Each check judges every authorization server of the PRM and says which one failed.

use mcp_authlab_reports::SpecVersion;
use serde_json::Value;

use crate::check::Finding;
use crate::server::observation::{label, AsLocation, Probed, ServerObservation};

use super::support::shown;

/// The metadata of one authorization server, where a client found it.
struct Found<'a> {
    issuer: String,
    location: AsLocation,
    probe: &'a Probed,
    doc: Value,
}

/// The locations a client of this version tries.
fn locations(version: SpecVersion) -> &'static [AsLocation] {
    match version {
        SpecVersion::V2025_03_26 | SpecVersion::V2025_06_18 => &[AsLocation::Rfc8414],
        _ => &AsLocation::ORDER,
    }
}

/// The issuers of the PRM a client uses, or the finding that there is none to look up.
fn issuers(obs: &ServerObservation) -> Result<Vec<String>, Finding> {
    let Some((probe, doc)) = obs.prm() else {
        return Err(Finding::violated(
            "no protected resource metadata was found, so a client cannot find any authorization \
             server",
        ));
    };
    let issuers: Vec<String> = doc
        .get("authorization_servers")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if issuers.is_empty() {
        return Err(Finding::violated(format!(
            "the metadata at {} names no authorization server",
            probe.url
        )));
    }
    Ok(issuers)
}

/// For each issuer (by index), where its metadata was found, or what each location gave.
fn lookups<'a>(obs: &'a ServerObservation, issuers: &[String]) -> Vec<Result<Found<'a>, String>> {
    issuers
        .iter()
        .enumerate()
        .map(|(index, issuer)| {
            let mut tried = Vec::new();
            for &location in locations(obs.spec_version) {
                let l = label::as_metadata(index, location);
                let Some(probe) = obs.probe(&l) else {
                    if let Some(why) = obs.why_not_probed(&l) {
                        tried.push(format!("{}: {why}", location.name()));
                    }
                    continue;
                };
                let doc = probe
                    .ok()
                    .filter(|r| r.status == 200)
                    .and_then(|r| r.json())
                    .filter(Value::is_object);
                match doc {
                    Some(doc) => {
                        return Ok(Found {
                            issuer: issuer.clone(),
                            location,
                            probe,
                            doc,
                        })
                    }
                    None => tried.push(shown(probe)),
                }
            }
            if tried.is_empty() {
                tried.push("not probed (the harness looks at the first four)".into());
            }
            Err(format!("`{issuer}`: {}", tried.join("; ")))
        })
        .collect()
}

/// The metadata documents found, or a not-judged finding when there are none.
fn found(obs: &ServerObservation) -> Result<Vec<Found<'_>>, Finding> {
    let issuers = issuers(obs).map_err(|f| Finding::not_judged(f.message().to_string()))?;
    let found: Vec<Found> = lookups(obs, &issuers)
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    if found.is_empty() {
        return Err(Finding::not_judged(
            "no authorization server metadata was found (as-metadata-found judges that)",
        ));
    }
    Ok(found)
}

/// Judges each document with `judge` (`Err` = what is wrong); met when all pass.
fn each(obs: &ServerObservation, judge: impl Fn(&Found) -> Result<String, String>) -> Finding {
    let found = match found(obs) {
        Ok(found) => found,
        Err(finding) => return finding,
    };
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for f in &found {
        match judge(f) {
            Ok(m) => good.push(format!("`{}`: {m}", f.issuer)),
            Err(m) => bad.push(format!("`{}` ({}): {m}", f.issuer, f.probe.url)),
        }
    }
    if bad.is_empty() {
        Finding::met(good.join("; "))
    } else {
        Finding::violated(bad.join("; "))
    }
}

fn strings(doc: &Value, field: &str) -> Vec<String> {
    doc.get(field)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// `as-metadata-found` (AS-META-1): every authorization server of the PRM has metadata at a
/// location a client of this version tries; the message names the location that answered.
pub fn as_metadata_found(obs: &ServerObservation) -> Finding {
    let issuers = match issuers(obs) {
        Ok(issuers) => issuers,
        Err(finding) => return finding,
    };
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for lookup in lookups(obs, &issuers) {
        match lookup {
            Ok(f) => good.push(format!(
                "`{}` at {} ({})",
                f.issuer,
                f.probe.url,
                f.location.name()
            )),
            Err(tried) => bad.push(tried),
        }
    }
    let only_rfc8414 = locations(obs.spec_version).len() == 1;
    if bad.is_empty() {
        Finding::met(good.join("; "))
    } else {
        Finding::violated(format!(
            "no metadata where a client looks{} for {}",
            if only_rfc8414 {
                " (an MCP 2025-06-18 client tries RFC 8414 only)"
            } else {
                ""
            },
            bad.join("; ")
        ))
    }
}

/// `as-issuer-matches` (AS-META-04, RFC 8414 §3.3): the metadata's `issuer` is identical to the
/// issuer its URL was built from (clients MUST NOT use it otherwise).
pub fn as_issuer_matches(obs: &ServerObservation) -> Finding {
    each(obs, |f| match f.doc.get("issuer").and_then(Value::as_str) {
        Some(issuer) if issuer == f.issuer => Ok("issuer identical".into()),
        Some(issuer) => Err(format!(
            "issuer `{issuer}` differs from `{}`, the issuer the URL was built from",
            f.issuer
        )),
        None => Err("no issuer".into()),
    })
}

/// `as-issuer-identical` (AS-META-04; MCP 2026-07-28 Authorization Server Metadata Discovery: the
/// `issuer` in the document MUST be identical to the issuer identifier used to construct the
/// well-known URL, and clients MUST NOT normalise): as `as-issuer-matches`, and a difference a
/// normalisation would hide is named.
pub fn as_issuer_identical(obs: &ServerObservation) -> Finding {
    each(obs, |f| match f.doc.get("issuer").and_then(Value::as_str) {
        Some(issuer) if issuer == f.issuer => Ok("issuer identical".into()),
        Some(issuer) => Err(format!(
            "the metadata's issuer {}",
            super::identical::explain(&f.issuer, issuer)
        )),
        None => Err("no issuer".into()),
    })
}

/// `as-pkce-s256` (AS-META-2, C-PKCE-3): `code_challenge_methods_supported` lists `S256`; without
/// it an MCP 2025-11-25 client MUST refuse to proceed.
pub fn as_pkce_s256(obs: &ServerObservation) -> Finding {
    each(obs, |f| {
        let methods = strings(&f.doc, "code_challenge_methods_supported");
        if methods.iter().any(|m| m == "S256") {
            Ok(format!(
                "code_challenge_methods_supported: {}",
                methods.join(" ")
            ))
        } else if f.doc.get("code_challenge_methods_supported").is_none() {
            Err("no code_challenge_methods_supported: MCP clients refuse to proceed".into())
        } else {
            Err(format!(
                "code_challenge_methods_supported is `{}`, without S256",
                f.doc["code_challenge_methods_supported"]
            ))
        }
    })
}

/// `as-response-type-code` (AS-META-05, RFC 8414 §2: `response_types_supported` REQUIRED): it
/// lists `code`, the only response type MCP uses.
pub fn as_response_type_code(obs: &ServerObservation) -> Finding {
    each(obs, |f| {
        let types = strings(&f.doc, "response_types_supported");
        if types.iter().any(|t| t == "code") {
            Ok(format!("response_types_supported: {}", types.join(" ")))
        } else {
            Err(format!(
                "response_types_supported is {}, without `code`",
                f.doc
                    .get("response_types_supported")
                    .map(Value::to_string)
                    .unwrap_or_else(|| "missing".into())
            ))
        }
    })
}

/// `as-endpoints-present` (AS-META-05, RFC 8414 §2): `authorization_endpoint` and `token_endpoint`
/// are absolute URLs.
pub fn as_endpoints_present(obs: &ServerObservation) -> Finding {
    each(obs, |f| {
        let bad: Vec<String> = ["authorization_endpoint", "token_endpoint"]
            .into_iter()
            .filter_map(|field| match f.doc.get(field).and_then(Value::as_str) {
                Some(u) if super::support::is_absolute_http_url(u) => None,
                Some(u) => Some(format!("{field} `{u}` is not an absolute URL")),
                None => Some(format!("no {field}")),
            })
            .collect();
        if bad.is_empty() {
            Ok("authorization_endpoint and token_endpoint present".into())
        } else {
            Err(bad.join(", "))
        }
    })
}

/// `as-client-registration` (AS-META-07): a client without a prior relationship can register:
/// `client_id_metadata_document_supported` (SHOULD, MCP 2025-11-25) or a `registration_endpoint`
/// (MAY). With neither only pre-registered clients work: a warning, not a failure.
pub fn as_client_registration(obs: &ServerObservation) -> Finding {
    each(obs, |f| {
        let cimd = f.doc.get("client_id_metadata_document_supported") == Some(&Value::Bool(true));
        let dcr = f.doc.get("registration_endpoint").and_then(Value::as_str);
        match (cimd, dcr) {
            (true, Some(_)) => Ok("client ID metadata documents and dynamic registration".into()),
            (true, None) => Ok("client ID metadata documents".into()),
            (false, Some(url)) => Ok(format!("dynamic registration at {url}")),
            (false, None) => Err(
                "neither client_id_metadata_document_supported nor a registration_endpoint: only \
                 pre-registered clients can use it"
                    .into(),
            ),
        }
    })
}

/// Whether `url` is https, or http on a loopback host (tests; RFC 8252 §8.3 spirit).
fn https_or_loopback(url: &str) -> Result<bool, String> {
    let parsed = url::Url::parse(url).map_err(|e| format!("`{url}` is not a URL: {e}"))?;
    if parsed.scheme() == "https" {
        return Ok(false);
    }
    let loopback = match parsed.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        None => false,
    };
    if loopback {
        Ok(true)
    } else {
        Err(format!("`{url}` is not https"))
    }
}

/// `as-https` (AS-TLS-1, MCP "Communication Security": all authorization server endpoints MUST be
/// served over HTTPS): every issuer of the PRM and every endpoint of its metadata is https, or on
/// a loopback host (a local test deployment).
pub fn as_https(obs: &ServerObservation) -> Finding {
    let issuers = match issuers(obs) {
        Ok(issuers) => issuers,
        Err(finding) => return Finding::not_judged(finding.message().to_string()),
    };
    let mut urls: Vec<String> = issuers.clone();
    for f in lookups(obs, &issuers).into_iter().flatten() {
        if let Some(doc) = f.doc.as_object() {
            urls.extend(
                doc.iter()
                    .filter(|(k, _)| k.ends_with("_endpoint") || k.as_str() == "jwks_uri")
                    .filter_map(|(_, v)| v.as_str().map(str::to_string)),
            );
        }
    }
    let mut loopback = 0;
    let mut bad = Vec::new();
    for url in &urls {
        match https_or_loopback(url) {
            Ok(true) => loopback += 1,
            Ok(false) => {}
            Err(why) => bad.push(why),
        }
    }
    if !bad.is_empty() {
        return Finding::violated(bad.join("; "));
    }
    Finding::met(if loopback > 0 {
        format!(
            "{} URL(s) checked; {loopback} on a loopback host over http (accepted for local tests)",
            urls.len()
        )
    } else {
        format!("all {} URL(s) are https", urls.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observation::test_support::*;
    use serde_json::json;

    const ISSUER: &str = "http://127.0.0.1:2000";
    const RFC8414: &str = "http://127.0.0.1:2000/.well-known/oauth-authorization-server";

    fn good_metadata() -> Value {
        json!({
            "issuer": ISSUER,
            "authorization_endpoint": "http://127.0.0.1:2000/authorize",
            "token_endpoint": "http://127.0.0.1:2000/token",
            "registration_endpoint": "http://127.0.0.1:2000/register",
            "response_types_supported": ["code"],
            "code_challenge_methods_supported": ["S256"],
        })
    }

    /// A PRM naming `issuers`; the first issuer's RFC 8414 location serves `metadata` (404 if None).
    fn deployment(issuers: Value, metadata: Option<Value>) -> ServerObservation {
        let mut obs = observation();
        probe(label::PRM_AT_PATH, 200)
            .json(json!({"resource": obs.url, "authorization_servers": issuers}))
            .push(&mut obs);
        let l = label::as_metadata(0, AsLocation::Rfc8414);
        match metadata {
            Some(doc) => probe(&l, 200).get(RFC8414).json(doc).push(&mut obs),
            None => probe(&l, 404).get(RFC8414).push(&mut obs),
        }
        obs
    }

    fn good() -> ServerObservation {
        deployment(json!([ISSUER]), Some(good_metadata()))
    }

    fn with(field: &str, value: Option<Value>) -> ServerObservation {
        let mut doc = good_metadata();
        match value {
            Some(v) => doc[field] = v,
            None => {
                doc.as_object_mut().unwrap().remove(field);
            }
        }
        deployment(json!([ISSUER]), Some(doc))
    }

    #[test]
    fn as_metadata_found() {
        let finding = super::as_metadata_found(&good());
        assert!(
            finding.is_met() && finding.message().contains("rfc8414"),
            "{finding:?}"
        );
        let missing = super::as_metadata_found(&deployment(json!([ISSUER]), None));
        assert!(
            missing.is_violated() && missing.message().contains("404"),
            "{missing:?}"
        );
        assert!(super::as_metadata_found(&observation()).is_violated());
    }

    #[test]
    fn only_rfc8414_counts_for_2025_06_18() {
        let mut obs = deployment(json!([ISSUER]), None);
        probe(&label::as_metadata(0, AsLocation::OidcInserted), 200)
            .json(good_metadata())
            .push(&mut obs);
        assert!(super::as_metadata_found(&obs).is_met());
        obs.spec_version = SpecVersion::V2025_06_18;
        assert!(super::as_metadata_found(&obs).is_violated());
    }

    #[test]
    fn as_issuer_matches() {
        assert!(super::as_issuer_matches(&good()).is_met());
        let slash =
            super::as_issuer_matches(&with("issuer", Some(json!("http://127.0.0.1:2000/"))));
        assert!(
            slash.is_violated() && slash.message().contains("2000/`"),
            "{slash:?}"
        );
    }

    #[test]
    fn as_issuer_identical() {
        assert!(super::as_issuer_identical(&good()).is_met());
        let slash =
            super::as_issuer_identical(&with("issuer", Some(json!("http://127.0.0.1:2000/"))));
        assert!(slash.is_violated(), "{slash:?}");
        assert!(slash.message().contains("a trailing slash"), "{slash:?}");
        let other = super::as_issuer_identical(&with("issuer", Some(json!("http://127.0.0.1:9/"))));
        assert!(other.is_violated() && !other.message().contains("normalise"));
    }

    #[test]
    fn as_pkce_s256() {
        assert!(super::as_pkce_s256(&good()).is_met());
        assert!(super::as_pkce_s256(&with("code_challenge_methods_supported", None)).is_violated());
        let plain = with("code_challenge_methods_supported", Some(json!(["plain"])));
        assert!(super::as_pkce_s256(&plain)
            .message()
            .contains("without S256"));
    }

    #[test]
    fn as_response_type_code() {
        assert!(super::as_response_type_code(&good()).is_met());
        let token = with("response_types_supported", Some(json!(["token"])));
        assert!(super::as_response_type_code(&token).is_violated());
    }

    #[test]
    fn as_endpoints_present() {
        assert!(super::as_endpoints_present(&good()).is_met());
        let finding = super::as_endpoints_present(&with("token_endpoint", None));
        assert!(finding.is_violated() && finding.message().contains("no token_endpoint"));
    }

    #[test]
    fn as_client_registration() {
        assert!(super::as_client_registration(&good()).is_met());
        let cimd = with("client_id_metadata_document_supported", Some(json!(true)));
        assert!(super::as_client_registration(&cimd).is_met());
        let none = with("registration_endpoint", None);
        assert!(super::as_client_registration(&none).is_violated());
    }

    #[test]
    fn as_https() {
        let finding = super::as_https(&good());
        assert!(
            finding.is_met() && finding.message().contains("loopback"),
            "{finding:?}"
        );
        let mut doc = good_metadata();
        doc["issuer"] = json!("http://auth.example");
        doc["token_endpoint"] = json!("http://auth.example/token");
        let plain = deployment(json!(["http://auth.example"]), Some(doc));
        let finding = super::as_https(&plain);
        assert!(finding.is_violated() && finding.message().contains("auth.example/token"));
    }
}
