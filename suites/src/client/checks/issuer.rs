//! Client checks: the RFC 9207 `iss` of the authorization response as MCP 2026-07-28
//! "Authorization Response Validation" tables it. Advertised and present: compared, exactly;
//! advertised and absent: rejected (`authorization::iss_missing_rejected`); not advertised and
//! present: compared all the same; neither: the client proceeds. The comparison is a simple string
//! comparison (RFC 3986 §6.2.1): no case folding, port elision, trailing-slash or
//! percent-encoding normalisation (§6.2.2-§6.2.3).
//!
//! The refusals use the must-refuse pattern of `authorization::refused_after_redirect` (the client
//! read the metadata, got the redirect, exchanged no code); the acceptances need a code exchange
//! after the redirect.

use crate::check::Finding;
use crate::client::observation::Observation;

use super::authorization::{
    code_exchanges, delivered_to_client, label, labels, redirected_code, refused_after_redirect,
};

/// The `iss` the first redirect of the authorization endpoint carried (not a secret), if any.
fn redirected_iss(obs: &Observation) -> Option<String> {
    obs.authorization_requests()
        .iter()
        .filter(|a| (300..400).contains(&a.status()))
        .find_map(|a| {
            let location = a.event.response_headers.get("location")?;
            let url = url::Url::parse(location).ok()?;
            url.query_pairs()
                .find(|(name, _)| name == "iss")
                .map(|(_, value)| value.into_owned())
        })
}

/// What the first redirect carried in `iss`, for messages.
fn iss_shown(obs: &Observation) -> String {
    match redirected_iss(obs) {
        Some(iss) => format!("iss `{iss}`"),
        None => "no iss".to_string(),
    }
}

/// The must-proceed pattern: the authorization endpoint redirected with a code (carrying `what`)
/// and the client exchanged a code afterwards.
fn proceeded_after_redirect(obs: &Observation, what: &str) -> Finding {
    let Some(redirect) = obs
        .authorization_requests()
        .into_iter()
        .find(|a| (300..400).contains(&a.status()) && redirected_code(a).is_some())
    else {
        return Finding::violated(format!(
            "no authorization request was answered with a redirect carrying a code, so the client \
             never received the authorization response with {what} that it had to accept"
        ));
    };
    let exchanged: Vec<_> = code_exchanges(obs)
        .into_iter()
        .filter(|e| e.event.seq > redirect.event.seq)
        .collect();
    if !exchanged.is_empty() {
        return Finding::met(format!(
            "the authorization response of {} carried {what}; the client went on and exchanged \
             the code ({})",
            label(&redirect),
            labels(&exchanged)
        ));
    }
    Finding::violated(if delivered_to_client(obs, &redirect) {
        format!(
            "the authorization response of {} carried {what}, which the client must accept, but \
             it exchanged no code afterwards",
            label(&redirect)
        )
    } else {
        format!(
            "the headless browser followed {} for the client but could not deliver the \
             authorization response ({what}) to the client's redirect URI, and the client \
             exchanged no code",
            label(&redirect)
        )
    })
}

/// `sep-2468-client-compare-iss-supported` in `auth/iss-supported` (C-ISS-1): the metadata
/// advertises `authorization_response_iss_parameter_supported` and the redirect carries the
/// issuer exactly; the client compares, finds it equal and exchanges the code.
pub fn matching_iss_accepted(obs: &Observation) -> Finding {
    proceeded_after_redirect(
        obs,
        &format!(
            "{} (the issuer `{}`, advertised)",
            iss_shown(obs),
            obs.ready.issuer
        ),
    )
}

/// `sep-2468-client-proceed-no-iss` (C-ISS-2): the metadata does not advertise
/// `authorization_response_iss_parameter_supported` and the redirect carries no `iss`; the client
/// proceeds.
pub fn absent_unadvertised_iss_accepted(obs: &Observation) -> Finding {
    proceeded_after_redirect(
        obs,
        &format!(
            "{}, from an authorization server that does not advertise it",
            iss_shown(obs)
        ),
    )
}

/// `iss-unadvertised-accepted` (C-ISS-2): the metadata does not advertise the parameter but the
/// redirect carries the issuer exactly; the client compares, finds it equal and proceeds (an
/// authorization server may send `iss` before it advertises it).
pub fn matching_unadvertised_iss_accepted(obs: &Observation) -> Finding {
    proceeded_after_redirect(
        obs,
        &format!(
            "{} (the issuer `{}`) although the metadata does not advertise it",
            iss_shown(obs),
            obs.ready.issuer
        ),
    )
}

/// `sep-2468-client-compare-iss-unadvertised` (C-ISS-2): the metadata does not advertise the
/// parameter and the redirect carries an `iss` that is not the issuer; the client compares it all
/// the same and does not exchange the code.
pub fn mismatched_unadvertised_iss_rejected(obs: &Observation) -> Finding {
    refused_after_redirect(
        obs,
        &format!(
            "{}, not the issuer `{}`, from an authorization server that does not advertise \
             authorization_response_iss_parameter_supported",
            iss_shown(obs),
            obs.ready.issuer
        ),
        true,
    )
}

/// `sep-2468-client-no-normalization` (C-ISS-2): the redirect carries an `iss` equal to the issuer
/// only after URL normalisation (a trailing `/`, an upper-case scheme); compared as strings it
/// differs, so the client does not exchange the code.
pub fn normalised_iss_rejected(obs: &Observation) -> Finding {
    refused_after_redirect(
        obs,
        &format!(
            "{}, equal to the issuer `{}` only after URL normalisation",
            iss_shown(obs),
            obs.ready.issuer
        ),
        true,
    )
}

#[cfg(test)]
mod tests {
    use mcp_authlab_mock_idp::redact::fingerprint;
    use mcp_authlab_mock_idp::trace::Role;

    use super::*;
    use crate::client::observation::test_support::*;

    /// Metadata, then an authorization request redirected with a code and `iss` (when given),
    /// then (with `exchange`) the code exchange.
    fn flow(iss: Option<&str>, exchange: bool) -> Observation {
        let mut obs = observation();
        request(
            Role::AuthorizationServer,
            "GET",
            "/.well-known/oauth-authorization-server",
        )
        .response_body("{}")
        .push(&mut obs);
        let mut location = format!(
            "http://127.0.0.1:3000/callback?code={}&state=s",
            fingerprint("c1")
        );
        if let Some(iss) = iss {
            location.push_str(&format!(
                "&iss={}",
                iss.replace(':', "%3A").replace('/', "%2F")
            ));
        }
        request(Role::AuthorizationServer, "GET", "/authorize?state=s")
            .status(302)
            .response_header("location", &location)
            .push(&mut obs);
        if exchange {
            request(Role::AuthorizationServer, "POST", "/token")
                .body("grant_type=authorization_code&code=c1")
                .push(&mut obs);
        }
        obs
    }

    #[test]
    fn acceptances_need_a_code_exchange_after_the_redirect() {
        for check in [
            matching_iss_accepted,
            absent_unadvertised_iss_accepted,
            matching_unadvertised_iss_accepted,
        ] {
            let good = check(&flow(Some(AS), true));
            assert!(good.is_met(), "{good:?}");
            let stopped = check(&flow(Some(AS), false));
            assert!(stopped.is_violated(), "{stopped:?}");
            assert!(check(&observation()).is_violated());
        }
        let message = matching_iss_accepted(&flow(Some(AS), true));
        assert!(
            message.message().contains("iss `http://127.0.0.1:2000`"),
            "{message:?}"
        );
        let absent = absent_unadvertised_iss_accepted(&flow(None, true));
        assert!(absent.message().contains("no iss"), "{absent:?}");
    }

    #[test]
    fn refusals_need_the_metadata_the_redirect_and_no_exchange() {
        let slash = format!("{AS}/");
        for check in [
            mismatched_unadvertised_iss_rejected,
            normalised_iss_rejected,
        ] {
            let refused = check(&flow(Some(&slash), false));
            assert!(refused.is_met(), "{refused:?}");
            let redeemed = check(&flow(Some(&slash), true));
            assert!(redeemed.is_violated(), "{redeemed:?}");
            assert!(check(&observation()).is_violated());
        }
        let message = normalised_iss_rejected(&flow(Some(&slash), true));
        assert!(
            message.message().contains("iss `http://127.0.0.1:2000/`"),
            "{message:?}"
        );
    }
}
