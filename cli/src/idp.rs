//! `mcp-authlab idp`: starts a mock deployment, prints one JSON ready line, traces every request.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use clap::Args;
use mcp_authlab_mock_idp::trace::TraceEvent;
use mcp_authlab_mock_idp::{Config, Deployment, IdpError, Options};
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;

/// How long the runtime may take to drop the tasks left after the deployment's shutdown.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(1);
/// How long the trace printer may take to write what is still queued at exit.
const PRINTER_DRAIN: Duration = Duration::from_secs(3);

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
    let result = runtime.block_on(serve(args));
    // Dropping the runtime drops every task still holding the deployment's state (connections the
    // graceful shutdown gave up on): the trace channel closes, and the printer, having written
    // everything queued, stops.
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    match result {
        Ok(printer) => {
            if !printer.finish(PRINTER_DRAIN) {
                eprintln!(
                    "mcp-authlab idp: the trace printer did not finish within {PRINTER_DRAIN:?}; \
                     the last events may be missing"
                );
            }
            ExitCode::SUCCESS
        }
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

/// Runs the deployment until SIGINT/SIGTERM and shuts it down; returns the trace printer, which
/// finishes once the runtime (and with it every holder of the trace channel) is gone.
async fn serve(args: IdpArgs) -> Result<Printer, IdpError> {
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
    let trace_file = match &args.trace {
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
        authorization_server_bind: None,
        tls: args.tls,
        ca_cert_path: args.ca_cert.clone(),
        tweaks: Vec::new(),
        keys: None,
    })
    .await?;
    let events = deployment.state().trace.subscribe();
    let printer = match Printer::start(events, args.quiet, trace_file) {
        Ok(printer) => printer,
        Err(source) => {
            deployment.shutdown().await;
            return Err(IdpError::Write {
                path: "the trace (no printer thread)".into(),
                source,
            });
        }
    };

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

    shutdown_signal().await;
    if !args.quiet {
        eprintln!("mcp-authlab idp: shutting down");
    }
    deployment.shutdown().await;
    Ok(printer)
}

/// Prints the trace on a dedicated thread, since `eprintln!` and file writes block: a readable line
/// per event on stderr (unless quiet) and a JSON line per event in the trace file, flushed as it
/// is written. It stops when the trace channel closes, after writing everything queued before.
struct Printer {
    thread: JoinHandle<()>,
}

impl Printer {
    fn start(
        mut events: broadcast::Receiver<TraceEvent>,
        quiet: bool,
        file: Option<File>,
    ) -> std::io::Result<Self> {
        let mut file = file.map(BufWriter::new);
        let thread = std::thread::Builder::new()
            .name("trace-printer".into())
            .spawn(move || loop {
                match events.blocking_recv() {
                    Ok(event) => emit(&event, quiet, file.as_mut()),
                    Err(RecvError::Lagged(n)) => eprintln!("(trace: {n} events dropped)"),
                    Err(RecvError::Closed) => break,
                }
            })?;
        Ok(Self { thread })
    }

    /// Waits at most `timeout` for the printer to drain the closed channel; `false` if it did not.
    fn finish(self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while !self.thread.is_finished() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.thread.join().is_ok()
    }
}

fn emit(event: &TraceEvent, quiet: bool, file: Option<&mut BufWriter<File>>) {
    if !quiet {
        eprintln!("{}", event.summary());
    }
    if let Some(file) = file {
        if let Ok(mut line) = serde_json::to_string(event) {
            line.push('\n');
            let _ = file.write_all(line.as_bytes()).and_then(|()| file.flush());
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

#[cfg(test)]
mod tests {
    use super::*;
    use mcp_authlab_mock_idp::trace::Role;

    fn event(seq: u64) -> TraceEvent {
        TraceEvent {
            seq,
            timestamp_ms: 0,
            role: Role::McpServer,
            method: "POST".into(),
            path: "/mcp".into(),
            status: 401,
            completed: true,
            duration_ms: 1,
            request_headers: Default::default(),
            request_body: None,
            response_headers: Default::default(),
            response_body: None,
            raw: None,
            raw_response: None,
        }
    }

    fn seqs(path: &std::path::Path) -> Vec<u64> {
        std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<TraceEvent>(l).unwrap().seq)
            .collect()
    }

    #[test]
    fn printer_drains_what_is_queued_when_the_channel_closes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let (tx, rx) = broadcast::channel(64);
        // Queued before the printer even starts, and the sender gone: nothing may be lost.
        for seq in 1..=20 {
            tx.send(event(seq)).unwrap();
        }
        drop(tx);
        let printer = Printer::start(rx, true, Some(File::create(&path).unwrap())).unwrap();
        assert!(printer.finish(Duration::from_secs(5)));
        assert_eq!(seqs(&path), (1..=20).collect::<Vec<_>>());
    }

    #[test]
    fn printer_flushes_each_line_while_running() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trace.jsonl");
        let (tx, rx) = broadcast::channel(64);
        let printer = Printer::start(rx, true, Some(File::create(&path).unwrap())).unwrap();
        tx.send(event(7)).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while seqs(&path).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        assert_eq!(
            seqs(&path),
            vec![7],
            "the line is on disk while the printer runs"
        );
        assert!(!printer.finish(Duration::from_millis(50)), "still open");
        drop(tx);
    }
}
