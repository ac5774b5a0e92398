//! The headless `hubbub` binary: parses the command line, binds, prints join URLs and a QR code, serves.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use hubbub_server::cli::{Cli, Command, ServeArgs};
use hubbub_server::{Hub, discovery, lan};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_env("HUBBUB_LOG").unwrap_or_else(|_| EnvFilter::new("info")))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let cli = Cli::parse();
    // Every connection is a file descriptor; take all the kernel allows (the soft limit is often 1024).
    match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => tracing::debug!(limit = n, "open file limit"),
        Err(e) => tracing::warn!(error = %e, "could not raise the open file limit"),
    }
    let args = match cli.command {
        Some(Command::Serve(args)) => args,
        None => ServeArgs::default(),
    };
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let config = args.resolve()?;
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", config.bind))?;
    let bound = listener.local_addr()?;
    let discovery = config.discovery;
    tracing::info!(data_dir = %config.data_dir.display(), "opening store");
    let hub = Hub::open(config).await.map_err(|e| anyhow::anyhow!("cannot open the store: {e}"))?;

    // The first stdout line is for scripts: `listening on http://ADDR:PORT`.
    println!("listening on http://{bound}");
    let urls = lan::join_urls(bound);
    println!("{} is up. Guests on your network can join at:", hub.info.name);
    for url in &urls {
        println!("  {url}");
    }
    if let Some(qr) = urls.first().and_then(|u| lan::qr_for_terminal(u)) {
        println!("{qr}");
    }

    let advertiser = if discovery {
        match discovery::advertise(&hub.info, bound.port()) {
            Ok(a) => Some(a),
            Err(e) => {
                tracing::warn!(error = %e, "mDNS advertising failed; guests can still join by URL");
                None
            }
        }
    } else {
        None
    };
    hubbub_server::serve(listener, hub, shutdown_signal()).await?;
    if let Some(a) = advertiser {
        a.stop();
    }
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
}
