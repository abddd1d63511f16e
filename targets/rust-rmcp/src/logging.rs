//! stderr log: the adapter's progress and the SDK's own log (rmcp at DEBUG names every discovery
//! URL it tries and every decision it makes). No tokens are logged by the adapter; the SDK redacts
//! tokens in its `Debug` output, and the suite redacts anything secret in a client's output.

use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

pub fn init() {
    let filter = Targets::new()
        .with_target("authlab_rmcp_client", LevelFilter::DEBUG)
        .with_target("rmcp", LevelFilter::DEBUG)
        .with_default(LevelFilter::WARN);
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .with_ansi(false)
                .with_target(true),
        )
        .with(filter)
        .try_init();
}
