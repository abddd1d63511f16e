//! The authorization-server suite against the mock IdP with every authorization-server variant:
//! the verdict per MCP version is the one the variant's rule implies, and the split-domain and
//! custom-path variants are diagnosed as such, with the fix named.

use std::sync::Arc;
use std::time::Duration;

use mcp_authlab_mock_idp::config::ClientConfig;
use mcp_authlab_mock_idp::keys::Keys;
use mcp_authlab_mock_idp::variants::{catalogue, VariantTarget};
use mcp_authlab_mock_idp::{Config, Deployment, Options};
use mcp_authlab_reports::{Outcome, ScenarioResult, SpecVersion, Verdict};
use mcp_authlab_suites::authserver::run::{
    AuthServerRunOptions, AuthServerSession, AuthServerTarget, ClientCredentials,
};
use mcp_authlab_suites::authserver::scenarios;
use mcp_authlab_suites::authserver::verdict::{verdicts, Works};

const CC_CLIENT: &str = "readiness-cc";
const CC_SECRET: &str = "readiness-cc-secret-0123456789";

/// A run against the mock with `variants`: the deployment's coordinates and the results.
struct Run {
    issuer: String,
    metadata_url: String,
    results: Vec<ScenarioResult>,
    target: AuthServerTarget,
}

impl Run {
    fn result(&self, id: &str) -> &ScenarioResult {
        self.results
            .iter()
            .find(|r| r.id == id)
            .unwrap_or_else(|| panic!("no result for {id}"))
    }

    fn check(&self, scenario: &str, check: &str) -> (Outcome, String) {
        let c = self
            .result(scenario)
            .checks
            .iter()
            .find(|c| c.id == check)
            .unwrap_or_else(|| panic!("no check {scenario}:{check}"));
        (c.outcome, c.message.clone())
    }

    /// Which versions will work: "W" or "N" per version, oldest first (`WWNN`).
    fn verdict_line(&self) -> String {
        verdicts(&self.results, &self.target)
            .iter()
            .map(|v| match v.works {
                Works::Yes => 'W',
                Works::No(_) => 'N',
                Works::Unknown(_) => '?',
            })
            .collect()
    }

    fn explain(&self) -> String {
        verdicts(&self.results, &self.target)
            .iter()
            .map(ToString::to_string)
            .collect()
    }
}

#[derive(Default, Clone, Copy)]
struct Asks {
    metadata_url: bool,
    register: bool,
    client_credentials: bool,
    timeout_secs: Option<u64>,
}

async fn run(variants: &[&str], asks: Asks) -> Run {
    let mut config = Config::default();
    config.clients.push(ClientConfig {
        client_id: CC_CLIENT.into(),
        client_secret: Some(CC_SECRET.into()),
        redirect_uris: Vec::new(),
        grant_types: vec!["client_credentials".into()],
        token_endpoint_auth_method: Some("client_secret_basic".into()),
        jwks: None,
        scope: None,
        client_name: None,
    });
    let deployment = Deployment::start(Options {
        variants: variants.iter().map(|v| v.to_string()).collect(),
        config,
        keys: Some(Arc::new(Keys::new())),
        ..Options::default()
    })
    .await
    .expect("the mock starts");
    let ready = deployment.ready().clone();
    let mut target = AuthServerTarget::new(ready.issuer.clone());
    if asks.metadata_url {
        target.metadata_url = Some(ready.authorization_server_metadata_url.clone());
    }
    target.register = asks.register;
    if asks.client_credentials {
        target.credentials = Some(ClientCredentials {
            client_id: CC_CLIENT.into(),
            client_secret: CC_SECRET.into(),
        });
        target.resource = Some(ready.mcp_url.clone());
    }
    let options = AuthServerRunOptions {
        probe_timeout: asks
            .timeout_secs
            .map_or(Duration::from_secs(10), Duration::from_secs),
        ..AuthServerRunOptions::default()
    };
    let session = Arc::new(
        AuthServerSession::start(&target, &options)
            .await
            .expect("the issuer answers"),
    );
    // Scenarios run concurrently, as the command's trials do (slow-metadata takes 5 s a probe).
    let mut tasks = tokio::task::JoinSet::new();
    for (index, scenario) in scenarios::all().into_iter().enumerate() {
        let session = Arc::clone(&session);
        let options = options.clone();
        tasks.spawn(async move { (index, session.run_scenario(&scenario, &options).await) });
    }
    let mut results: Vec<(usize, ScenarioResult)> = tasks.join_all().await;
    results.sort_by_key(|(index, _)| *index);
    let results = results.into_iter().map(|(_, r)| r).collect();
    deployment.shutdown().await;
    Run {
        issuer: ready.issuer,
        metadata_url: ready.authorization_server_metadata_url,
        results,
        target,
    }
}

/// The expected verdicts (2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28) of every
/// authorization-server variant, and why.
const EXPECTED: &[(&str, &str)] = &[
    // Only the origin's default endpoints save a 2025-03-26 client; later ones find nothing.
    ("split-domain-metadata", "WNNN"),
    ("custom-metadata-path", "WNNN"),
    // A 2025-03-26 client looks at the origin, not below /tenant1.
    ("issuer-with-path", "NWWW"),
    // 2025-06-18 clients try RFC 8414 only; 2025-03-26 ones fall back to the default endpoints.
    ("oidc-discovery-only", "WNWW"),
    ("rfc8414-only", "WWWW"),
    ("issuer-mismatch", "NNNN"),
    // The authorization server is complete; what breaks later clients in this layout is the MCP
    // server without protected resource metadata (the server suite's business).
    ("legacy-2025-03-26", "WWWW"),
    ("legacy-2025-03-26-no-metadata", "WNNN"),
    ("pkce-not-advertised", "WWNN"),
    ("pkce-plain-only", "WWNN"),
    // Not visible without an authorization flow: the client suite exercises these.
    ("pkce-not-enforced", "WWWW"),
    ("wrong-state", "WWWW"),
    // Without --register the authorization response is not seen (the tests below see it); the
    // 2026-07-28 discovery only warns when iss is not advertised.
    ("wrong-iss", "WWWW"),
    ("missing-iss", "WWWW"),
    ("iss-not-advertised", "WWWW"),
    ("unadvertised-iss", "WWWW"),
    ("unadvertised-wrong-iss", "WWWW"),
    ("iss-trailing-slash", "WWWW"),
    ("iss-uppercase-scheme", "WWWW"),
    // The first authorization server is complete; the move is the client suite's business.
    ("authorization-server-migration", "WWWW"),
    ("refresh-without-rotation", "WWWW"),
    // Works, with a pre-registered client only (a note on the verdict; as-client-registration warns).
    ("no-registration-endpoint", "WWWW"),
    ("cimd-only", "WWWW"),
    // Discovery is fine; the client-credentials token shows these (see the tests below).
    ("wrong-audience", "WWWW"),
    ("expired-tokens", "WWWW"),
    ("hanging-token-endpoint", "WWWW"),
    // Discovery documents answer after 5 s, within the 10 s timeout.
    ("slow-metadata", "WWWW"),
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_correct_mock_works_for_every_version() {
    let run = run(&[], Asks::default()).await;
    assert_eq!(run.verdict_line(), "WWWW", "{}", run.explain());
    for id in ["authserver/metadata", "authserver/jwks"] {
        assert_eq!(
            run.result(id).verdict,
            Verdict::Pass,
            "{id}: {:?}",
            run.result(id)
        );
    }
    let (outcome, message) = run.check("authserver/discovery-2025-11-25", "metadata-locations");
    assert_eq!(outcome, Outcome::Info);
    assert!(
        message.contains(&format!(
            "client uses {}/.well-known/oauth-authorization-server",
            run.issuer
        )),
        "{message}"
    );
    for id in [
        "authserver/split-or-custom-metadata",
        "authserver/registration",
        "authserver/client-credentials",
    ] {
        let r = run.result(id);
        assert_eq!(r.verdict, Verdict::Skip, "{id}");
        assert!(
            r.error.as_deref().unwrap().starts_with("only with --"),
            "{id}: {:?}",
            r.error
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_authorization_server_variant_gets_its_verdicts() {
    let variants: Vec<&str> = catalogue()
        .into_iter()
        .filter(|v| v.target == VariantTarget::AuthorizationServer)
        .map(|v| v.name)
        .collect();
    for name in &variants {
        assert!(
            EXPECTED.iter().any(|(v, _)| v == name),
            "the authorization-server variant {name} has no expected verdict here"
        );
    }
    let mut wrong = Vec::new();
    for (variant, expected) in EXPECTED {
        assert!(
            variants.contains(variant),
            "{variant} is not in the catalogue"
        );
        let run = run(&[variant], Asks::default()).await;
        if run.verdict_line() != *expected {
            wrong.push(format!(
                "{variant}: expected {expected}, got {}\n{}",
                run.verdict_line(),
                run.explain()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_domain_and_custom_path_are_diagnosed_with_the_fix() {
    for (variant, diagnosis) in [
        ("split-domain-metadata", "(split domain)"),
        (
            "custom-metadata-path",
            "at a custom path on the issuer's origin",
        ),
    ] {
        let asks = Asks {
            metadata_url: true,
            ..Asks::default()
        };
        let run = run(&[variant], asks).await;
        let fix = format!(
            "host it at {}/.well-known/oauth-authorization-server, or put a reverse proxy there (clients, and this check, do not all follow redirects)",
            run.issuer
        );
        let (outcome, message) = run.check(
            "authserver/split-or-custom-metadata",
            "metadata-url-discoverable",
        );
        assert_eq!(outcome, Outcome::Fail, "{variant}: {message}");
        assert!(message.contains(diagnosis), "{variant}: {message}");
        assert!(message.contains(&run.metadata_url), "{variant}: {message}");
        assert!(message.contains(&fix), "{variant}: {message}");
        assert_eq!(
            run.check("authserver/split-or-custom-metadata", "metadata-url-issuer")
                .0,
            Outcome::Pass
        );
        // The verdicts of the versions that fail name the document and the fix.
        let text = run.explain();
        assert!(
            text.contains(&format!(
                "the metadata at {} cannot be found from the issuer: {fix}",
                run.metadata_url
            )),
            "{text}"
        );
        // The other scenarios inspect the named document.
        assert_eq!(
            run.result("authserver/metadata").verdict,
            Verdict::Pass,
            "{variant}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_metadata_url_at_the_well_known_location_is_fine() {
    let run = run(
        &[],
        Asks {
            metadata_url: true,
            ..Asks::default()
        },
    )
    .await;
    let (outcome, message) = run.check(
        "authserver/split-or-custom-metadata",
        "metadata-url-discoverable",
    );
    assert_eq!(outcome, Outcome::Pass, "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_passes_on_the_mock_and_is_not_judged_without_an_endpoint() {
    let asks = Asks {
        register: true,
        ..Asks::default()
    };
    let run = run(&[], asks).await;
    let r = run.result("authserver/registration");
    assert_eq!(r.verdict, Verdict::Pass, "{r:?}");
    for variant in ["no-registration-endpoint", "cimd-only"] {
        let run = run_variant_register(variant).await;
        let r = run.result("authserver/registration");
        assert_eq!(r.verdict, Verdict::Skip, "{variant}: {r:?}");
        assert_eq!(
            r.error.as_deref(),
            Some("not judged: the metadata has no registration_endpoint"),
            "{variant}"
        );
    }
    let run = run_variant_register("no-registration-endpoint").await;
    assert_eq!(
        run.check("authserver/metadata", "as-client-registration").0,
        Outcome::Warn
    );
    assert!(
        run.explain().contains("with a pre-registered client only"),
        "{}",
        run.explain()
    );
}

async fn run_variant_register(variant: &str) -> Run {
    run(
        &[variant],
        Asks {
            register: true,
            ..Asks::default()
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_credentials_show_the_audience_and_never_the_token() {
    let asks = Asks {
        client_credentials: true,
        timeout_secs: Some(3),
        ..Asks::default()
    };
    let good = run(&[], asks).await;
    let r = good.result("authserver/client-credentials");
    assert_eq!(r.verdict, Verdict::Pass, "{r:?}");
    let json = serde_json::to_string(r).unwrap();
    assert!(
        !json.contains(CC_SECRET),
        "the client secret leaked: {json}"
    );
    assert!(!json.contains("eyJ"), "a token leaked: {json}");

    let wrong = run(&["wrong-audience"], asks).await;
    let (outcome, message) = wrong.check("authserver/client-credentials", "cc-token-audience");
    assert_eq!(outcome, Outcome::Warn, "{message}");
    assert!(message.contains("not the resource asked for"), "{message}");

    let hanging = run(&["hanging-token-endpoint"], asks).await;
    let (outcome, message) = hanging.check("authserver/client-credentials", "cc-token-issued");
    assert_eq!(outcome, Outcome::Fail, "{message}");
    assert!(message.contains("no response"), "{message}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_discovery_scenario_is_judged_at_its_own_version() {
    let run = run(&["pkce-not-advertised"], Asks::default()).await;
    for version in SpecVersion::ALL {
        let r = run.result(&format!("authserver/discovery-{version}"));
        assert_eq!(r.spec_version, version);
    }
    let (outcome, _) = run.check("authserver/discovery-2025-06-18", "as-pkce-s256");
    assert_eq!(outcome, Outcome::Skip);
    let (outcome, _) = run.check("authserver/discovery-2025-11-25", "as-pkce-s256");
    assert_eq!(outcome, Outcome::Fail);
}

/// MCP 2026-07-28 Authorization Response Validation, seen through the throw-away client
/// (`--register`): the mock approves at once, so the authorization response's `iss` is judged. The
/// correct mock passes; each `iss` variant fails the check of its rule, and the 2026-07-28 verdict
/// follows the MUSTs (a client rejects a wrong `iss`, or a missing one when advertised).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_response_iss_is_judged_at_2026_07_28() {
    const ISS: &str = "authserver/authorization-response-iss";
    let register = Asks {
        register: true,
        ..Asks::default()
    };
    let good = run(&[], register).await;
    let r = good.result(ISS);
    assert_eq!(r.spec_version, SpecVersion::V2026_07_28);
    assert_eq!(r.verdict, Verdict::Pass, "{r:?}");
    let json = serde_json::to_string(r).unwrap();
    assert!(json.contains("302"), "{json}");
    // The authorization code never reaches the report.
    let code = r
        .trace
        .iter()
        .find_map(|e| e.response_headers.get("location"))
        .expect("the redirect is in the trace");
    assert!(
        code.contains("code=%5Bredacted%5D") || code.contains("code=[redacted]"),
        "{code}"
    );
    assert_eq!(good.verdict_line(), "WWWW", "{}", good.explain());
    assert!(
        !good.explain().contains("not checked"),
        "{}",
        good.explain()
    );

    // (variant, check, outcome, 2026-07-28 verdict)
    let cases = [
        ("wrong-iss", "iss-matches-issuer", Outcome::Fail, 'N'),
        (
            "iss-trailing-slash",
            "iss-matches-issuer",
            Outcome::Fail,
            'N',
        ),
        (
            "iss-uppercase-scheme",
            "iss-matches-issuer",
            Outcome::Fail,
            'N',
        ),
        (
            "unadvertised-wrong-iss",
            "iss-matches-issuer",
            Outcome::Fail,
            'N',
        ),
        (
            "missing-iss",
            "iss-advertised-consistently",
            Outcome::Fail,
            'N',
        ),
        (
            "unadvertised-iss",
            "iss-advertised-consistently",
            Outcome::Fail,
            'N',
        ),
        (
            "iss-not-advertised",
            "iss-in-authorization-response",
            Outcome::Warn,
            'W',
        ),
    ];
    let mut wrong = Vec::new();
    for (variant, check, outcome, verdict) in cases {
        let run = run(&[variant], register).await;
        let (got, message) = run.check(ISS, check);
        if got != outcome {
            wrong.push(format!(
                "{variant}: {check} was {got:?}, not {outcome:?}: {message}"
            ));
        }
        let line = run.verdict_line();
        if !line.starts_with("WWW") || line.chars().nth(3) != Some(verdict) {
            wrong.push(format!("{variant}: verdicts {line}\n{}", run.explain()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let slash = run(&["iss-trailing-slash"], register).await;
    let (_, message) = slash.check(ISS, "iss-matches-issuer");
    assert!(message.contains("a trailing slash"), "{message}");
    let quiet = run(&["iss-not-advertised"], register).await;
    assert_eq!(
        quiet
            .check("authserver/discovery-2026-07-28", "iss-parameter-supported")
            .0,
        Outcome::Warn
    );
    assert!(quiet.explain().contains("mix-up"), "{}", quiet.explain());
}

/// MCP 2026-07-28 makes the issuer equality of RFC 8414 §3.3 explicit, with no normalisation: an
/// issuer named with a trailing slash that the metadata does not have fails, and says why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issuer_that_differs_only_by_a_trailing_slash_is_not_identical() {
    let run = run_with_issuer(|issuer| format!("{issuer}/")).await;
    let (outcome, message) = run.check("authserver/discovery-2026-07-28", "as-issuer-identical");
    assert_eq!(outcome, Outcome::Fail, "{message}");
    assert!(message.contains("a trailing slash"), "{message}");
    assert!(message.contains("MCP 2026-07-28 forbids"), "{message}");
    let (outcome, _) = run.check("authserver/discovery-2025-11-25", "as-issuer-matches");
    assert_eq!(outcome, Outcome::Fail);
    // A 2025-03-26 client starts from the origin, not from the issuer: it is not affected.
    assert_eq!(run.verdict_line(), "WNNN", "{}", run.explain());
}

/// [`run`] with the issuer the suite is given derived from the mock's.
async fn run_with_issuer(issuer: impl Fn(&str) -> String) -> Run {
    let deployment = Deployment::start(Options {
        keys: Some(Arc::new(Keys::new())),
        ..Options::default()
    })
    .await
    .expect("the mock starts");
    let ready = deployment.ready().clone();
    let target = AuthServerTarget::new(issuer(&ready.issuer));
    let options = AuthServerRunOptions::default();
    let session = AuthServerSession::start(&target, &options)
        .await
        .expect("the issuer answers");
    let mut results = Vec::new();
    for scenario in scenarios::all() {
        results.push(session.run_scenario(&scenario, &options).await);
    }
    deployment.shutdown().await;
    Run {
        issuer: ready.issuer,
        metadata_url: ready.authorization_server_metadata_url,
        results,
        target,
    }
}
