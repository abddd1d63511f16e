//! Client scenarios: the RFC 9207 `iss` table of MCP 2026-07-28 "Authorization Response
//! Validation" beyond a wrong or missing `iss` (those two are in `authorization.rs`). The official
//! suite's `auth/iss-supported`, `auth/iss-not-advertised`, `auth/iss-unexpected` and
//! `auth/iss-normalized` keep their ids and check ids; `auth/iss-unadvertised-correct` and
//! `auth/iss-uppercase-scheme` are ours (a correct `iss` the metadata does not advertise must be
//! accepted; case is not normalised either).

use mcp_authlab_reports::Level;

use super::authorization::ONLY_2026_07_28;
use crate::check::Check;
use crate::client::checks::issuer as i;
use crate::client::checks::outcome::CLIENT_COMPLETED;
use crate::client::observation::Observation;
use crate::client::scenario::{Expectation, Scenario};

pub const MATCHING_ISS_ACCEPTED: Check<Observation> = Check {
    id: "sep-2468-client-compare-iss-supported",
    level: Level::Must,
    requirement: "C-ISS-1",
    section: "MCP 2026-07-28 Authorization, Authorization Response Validation (advertised and \
              present: compare with the recorded issuer, RFC 3986 §6.2.1 simple string \
              comparison); RFC 9207 §2.4",
    versions: ONLY_2026_07_28,
    run: i::matching_iss_accepted,
};

pub const ABSENT_UNADVERTISED_PROCEEDS: Check<Observation> = Check {
    id: "sep-2468-client-proceed-no-iss",
    level: Level::Must,
    requirement: "C-ISS-2",
    section: "MCP 2026-07-28 Authorization, Authorization Response Validation (not advertised and \
              absent: proceed); RFC 9207 §2.4",
    versions: ONLY_2026_07_28,
    run: i::absent_unadvertised_iss_accepted,
};

pub const MATCHING_UNADVERTISED_ACCEPTED: Check<Observation> = Check {
    id: "iss-unadvertised-accepted",
    level: Level::Must,
    requirement: "C-ISS-2",
    section: "MCP 2026-07-28 Authorization, Authorization Response Validation (not advertised and \
              present: compare with the recorded issuer; equal, proceed; the local-policy \
              provision of RFC 9207 §2.4)",
    versions: ONLY_2026_07_28,
    run: i::matching_unadvertised_iss_accepted,
};

pub const MISMATCHED_UNADVERTISED_REJECTED: Check<Observation> = Check {
    id: "sep-2468-client-compare-iss-unadvertised",
    level: Level::Must,
    requirement: "C-ISS-2",
    section: "MCP 2026-07-28 Authorization, Authorization Response Validation (not advertised and \
              present: compare with the recorded issuer regardless of the metadata; reject a \
              mismatch before the code reaches any token endpoint); RFC 9207 §2.4",
    versions: ONLY_2026_07_28,
    run: i::mismatched_unadvertised_iss_rejected,
};

pub const NO_NORMALIZATION: Check<Observation> = Check {
    id: "sep-2468-client-no-normalization",
    level: Level::Must,
    requirement: "C-ISS-2",
    section: "MCP 2026-07-28 Authorization, Authorization Response Validation (clients MUST NOT \
              apply scheme or host case folding, default-port elision, trailing-slash or \
              percent-encoding normalization before the comparison); RFC 3986 §6.2.2-§6.2.3",
    versions: ONLY_2026_07_28,
    run: i::normalised_iss_rejected,
};

/// One scenario of the table: the variant that plays the row, what a correct client does.
fn row(
    id: &'static str,
    official: bool,
    description: &'static str,
    variant: &'static [&'static str],
    check: Check<Observation>,
    expectation: Expectation,
) -> Scenario {
    let checks = match expectation {
        Expectation::Complete => vec![check, CLIENT_COMPLETED],
        Expectation::Refuse => vec![check],
    };
    Scenario {
        id,
        description,
        official,
        versions: ONLY_2026_07_28,
        variants: variant,
        tweak: None,
        prepare: None,
        tls: false,
        expectation,
        timeout: None,
        checks,
    }
}

pub fn scenarios() -> Vec<Scenario> {
    vec![
        row(
            "auth/iss-supported",
            true,
            "The metadata advertises authorization_response_iss_parameter_supported and the \
             authorization response carries the issuer as iss: the client compares it, finds it \
             equal and exchanges the code",
            &[],
            MATCHING_ISS_ACCEPTED,
            Expectation::Complete,
        ),
        row(
            "auth/iss-not-advertised",
            true,
            "The metadata does not advertise authorization_response_iss_parameter_supported and \
             the authorization response carries no iss: the client proceeds",
            &["iss-not-advertised"],
            ABSENT_UNADVERTISED_PROCEEDS,
            Expectation::Complete,
        ),
        row(
            "auth/iss-unexpected",
            true,
            "The metadata does not advertise authorization_response_iss_parameter_supported, yet \
             the authorization response carries an iss that is not the issuer: the client \
             compares it all the same and must not exchange the code",
            &["unadvertised-wrong-iss"],
            MISMATCHED_UNADVERTISED_REJECTED,
            Expectation::Refuse,
        ),
        row(
            "auth/iss-normalized",
            true,
            "The authorization response carries the issuer with a trailing slash, equal to it \
             only after URL normalisation: compared as strings they differ, and the client must \
             not exchange the code",
            &["iss-trailing-slash"],
            NO_NORMALIZATION,
            Expectation::Refuse,
        ),
        row(
            "auth/iss-unadvertised-correct",
            false,
            "The metadata does not advertise authorization_response_iss_parameter_supported, and \
             the authorization response carries the issuer as iss (an authorization server that \
             sends iss before advertising it): the client compares it, finds it equal and proceeds",
            &["unadvertised-iss"],
            MATCHING_UNADVERTISED_ACCEPTED,
            Expectation::Complete,
        ),
        row(
            "auth/iss-uppercase-scheme",
            false,
            "The authorization response carries the issuer with its scheme in upper case (HTTP://), \
             equal to it only after case normalisation: the client must not exchange the code",
            &["iss-uppercase-scheme"],
            NO_NORMALIZATION,
            Expectation::Refuse,
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_a_2026_scenario_with_one_variant_at_most() {
        let all = scenarios();
        assert_eq!(all.len(), 6);
        for scenario in &all {
            assert_eq!(scenario.versions, ONLY_2026_07_28, "{}", scenario.id);
            assert!(scenario.variants.len() <= 1, "{}", scenario.id);
            assert!(scenario.description.contains("iss"), "{}", scenario.id);
            let completes = scenario
                .checks
                .iter()
                .any(|c| c.id == "client-completed-flow");
            assert_eq!(
                completes,
                scenario.expectation == Expectation::Complete,
                "{}",
                scenario.id
            );
        }
    }
}
