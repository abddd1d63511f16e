//! `mcp-authlab idp`: starts a mock deployment, prints one JSON ready line, traces every request.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use mcp_authlab_mock_idp::trace::TraceEvent;
use mcp_authlab_mock_idp::{Config, Deployment, IdpError, Options};
use tokio::sync::broadcast::error::RecvError;

#[derive(Args, Debug)]
pub struct IdpArgs {
    /// A variant from `mcp-authlab variants`; repeat to combine.
    #[arg(long = "variant", value_name = "NAME")]
    variants: Vec<String>,
    /// Address of the MCP server's listener (other origins use the same IP, port 0).
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,
    /// Serve HTTPS with a CA and certificate made at start-up.
    #[arg(long)]
    tls: bool,
    /// Where to write the CA certificate with --tls (default: a temp file).
    #[arg(long, value_name = "PATH", requires = "tls")]
    ca_cert: Option<PathBuf>,
    /// TOML configuration (user, scopes, pre-registered clients, ...).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Also write the trace as JSON lines to this file.
    #[arg(long, value_name = "FILE")]
    trace: Option<PathBuf>,
    /// Do not print the readable trace on stderr.
    #[arg(long)]
    quiet: bool,
}

pub fn run(args: IdpArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the runtime: {e}");
            return ExitCode::from(crate::exit::HARNESS);
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let code = match e {
                IdpError::UnknownVariant(_)
                | IdpError::ConflictingVariants(..)
                | IdpError::ConfigRead { .. }
                | IdpError::ConfigParse { .. }
                | IdpError::InvalidConfig(_) => crate::exit::USAGE,
                _ => crate::exit::HARNESS,
            };
            ExitCode::from(code)
        }
    }
}

async fn serve(args: IdpArgs) -> Result<(), IdpError> {
    let config = match &args.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if !args.bind.ip().is_loopback() {
        eprintln!(
            "warning: binding {} which is not a loopback address: the mock is for local testing only",
            args.bind
        );
    }
    let mut trace_file = match &args.trace {
        Some(path) => Some(
            std::fs::File::create(path).map_err(|source| IdpError::Write {
                path: path.display().to_string(),
                source,
            })?,
        ),
        None => None,
    };

    let deployment = Deployment::start(Options {
        variants: args.variants.clone(),
        config,
        bind: args.bind,
        tls: args.tls,
        ca_cert_path: args.ca_cert.clone(),
    })
    .await?;
    let mut events = deployment.state().trace.subscribe();

    let ready = serde_json::to_string(deployment.ready()).expect("ready info serializes");
    {
        let mut stdout = std::io::stdout().lock();
        let _ = writeln!(stdout, "{ready}");
        let _ = stdout.flush();
    }
    if !args.quiet {
        eprintln!(
            "mcp-authlab idp: MCP server {} protected by {} (variants: {})",
            deployment.ready().mcp_url,
            deployment.ready().issuer,
            if args.variants.is_empty() {
                "none".to_string()
            } else {
                args.variants.join(", ")
            }
        );
    }

    let quiet = args.quiet;
    let printer = tokio::spawn(async move {
        loop {
            match events.recv().await {
                Ok(event) => emit(&event, quiet, trace_file.as_mut()),
                Err(RecvError::Lagged(n)) => eprintln!("(trace: {n} events dropped)"),
                Err(RecvError::Closed) => break,
            }
        }
    });

    shutdown_signal().await;
    if !args.quiet {
        eprintln!("mcp-authlab idp: shutting down");
    }
    deployment.shutdown().await;
    printer.abort();
    Ok(())
}

fn emit(event: &TraceEvent, quiet: bool, file: Option<&mut std::fs::File>) {
    if !quiet {
        eprintln!("{}", event.summary());
    }
    if let Some(file) = file {
        if let Ok(line) = serde_json::to_string(event) {
            let _ = writeln!(file, "{line}");
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}
