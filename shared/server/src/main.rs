//! The headless `hubbub` binary: parses the command line, binds, prints join URLs and a QR code, serves
//! (and advertises itself over mDNS) and prints a host link (`hubbub serve`, or `hubbub` alone);
//! `hubbub discover` lists the hubs on the LAN; `hubbub host-link` prints a new host link;
//! `hubbub backup`, `restore` and `export` look after the data; `hubbub completions` and `hubbub man`
//! print what a package installs.

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::Parser;
use hubbub_server::cli::{
    BackupArgs, Cli, Command, DiscoverArgs, ExportArgs, HostLinkArgs, RestoreArgs, ServeArgs,
};
use hubbub_server::config::LogFormat;
use hubbub_server::{Config, Hub, auth, discovery, lan};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        None => run_serve(cli.serve),
        Some(Command::Serve(args)) => run_serve(args),
        Some(Command::Discover(args)) => {
            init_logging(LogFormat::Text);
            runtime().and_then(|rt| rt.block_on(discover(args)))
        }
        Some(Command::HostLink(args)) => {
            init_logging(LogFormat::Text);
            host_link(&args)
        }
        Some(Command::Backup(args)) => backup(&args),
        Some(Command::Restore(args)) => restore(&args),
        Some(Command::Export(args)) => export(&args),
        Some(Command::Completions(args)) => print(&hubbub_server::cli::completions(args.shell)),
        Some(Command::Man) => {
            hubbub_server::cli::man_page().map_err(Into::into).and_then(|page| print(&page))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Log lines go to stderr, filtered by `HUBBUB_LOG` (`info` unless set), as text or JSON lines.
fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("HUBBUB_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.with_ansi(std::io::stderr().is_terminal()).init(),
        LogFormat::Json => builder.json().with_current_span(false).init(),
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Runtime::new().map_err(|e| anyhow::anyhow!("cannot start the runtime: {e}"))
}

/// `hubbub serve`, and `hubbub` alone: the settings file is `--config`, else the first of
/// [`hubbub_server::config::config_file_candidates`] that exists.
fn run_serve(mut args: ServeArgs) -> anyhow::Result<()> {
    if args.config.is_none() {
        args.config = hubbub_server::config::find_config_file();
    }
    let file = args.config.clone();
    let config = args.resolve()?;
    init_logging(config.log_format);
    if let Some(file) = file {
        tracing::info!(file = %file.display(), "settings file read");
    }
    runtime()?.block_on(serve(config))
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let bind = config.bind;
    // The store first: a second hub on the same data directory is refused with the running one's
    // pid and address, even when it would also have collided on the port.
    tracing::info!(data_dir = %config.data_dir.display(), "opening store");
    let hub = Hub::open(config).await.map_err(|e| anyhow::anyhow!("cannot open the store: {e}"))?;
    let listener =
        TcpListener::bind(bind).await.map_err(|e| anyhow::anyhow!("cannot listen on {bind}: {e}"))?;
    let bound = listener.local_addr()?;
    let signal = shutdown_signal();

    // The first stdout line is for scripts: `listening on http://ADDR:PORT`.
    println!("listening on http://{bound}");
    let urls = lan::join_urls(bound);
    println!("{} is up. Guests on your network can join at:", hub.info().name);
    for url in &urls {
        println!("  {url}");
    }
    if let Some(qr) = urls.first().and_then(|u| lan::qr_for_terminal(u)) {
        println!("{qr}");
    }
    // The host link: whoever opens it first becomes a host (it works once, for a day).
    let base = urls.first().cloned().unwrap_or_else(|| format!("http://{bound}/"));
    println!("Open this link yourself to run the hub as its host (it works once):");
    println!("host link: {}", auth::host_url(&base, &hub.moderation().mint_host_token()));

    let discovery = hub.start_discovery(bound);
    let shutdown = async move {
        signal.await;
        // Goodbye first, so other hubs drop this one while it closes its sockets.
        let _ = tokio::task::spawn_blocking(move || discovery.stop()).await;
    };
    hubbub_server::serve(listener, hub, shutdown).await?;
    Ok(())
}

fn print(bytes: &[u8]) -> anyhow::Result<()> {
    std::io::stdout().write_all(bytes)?;
    Ok(())
}

fn data_dir_or_default(given: Option<&std::path::Path>) -> std::path::PathBuf {
    given.map_or_else(hubbub_server::config::default_data_dir, std::path::Path::to_owned)
}

/// `hubbub backup FILE`: a consistent copy of the database, while the hub runs or not.
fn backup(args: &BackupArgs) -> anyhow::Result<()> {
    let data_dir = data_dir_or_default(args.data_dir.as_deref());
    let c = hubbub_server::store::backup(&data_dir, &args.file)
        .map_err(|e| anyhow::anyhow!("backup of {} failed: {e}", data_dir.display()))?;
    println!(
        "backed up {} to {}: {} users, {} rooms, {} messages",
        data_dir.display(),
        args.file.display(),
        c.users,
        c.rooms,
        c.messages
    );
    Ok(())
}

/// `hubbub restore FILE`: the backup becomes the database (no hub may run on the directory).
fn restore(args: &RestoreArgs) -> anyhow::Result<()> {
    let data_dir = data_dir_or_default(args.data_dir.as_deref());
    let (c, kept) = hubbub_server::store::restore(&data_dir, &args.file)
        .map_err(|e| anyhow::anyhow!("restore into {} failed: {e}", data_dir.display()))?;
    println!(
        "restored {} into {}: {} users, {} rooms, {} messages",
        args.file.display(),
        data_dir.display(),
        c.users,
        c.rooms,
        c.messages
    );
    if let Some(kept) = kept {
        println!("the database it replaced is kept as {}", kept.display());
    }
    Ok(())
}

/// `hubbub export`: rooms and messages as JSON files.
fn export(args: &ExportArgs) -> anyhow::Result<()> {
    let data_dir = data_dir_or_default(args.data_dir.as_deref());
    let s = hubbub_server::export::run(&data_dir, &args.out)?;
    println!(
        "exported {} rooms, {} messages and {} finished game{} into {}",
        s.rooms,
        s.messages,
        s.games,
        if s.games == 1 { "" } else { "s" },
        args.out.display()
    );
    Ok(())
}

/// `hubbub host-link`: a new host link for the hub of a data directory, with the running hub's LAN
/// address when one runs there.
fn host_link(args: &HostLinkArgs) -> anyhow::Result<()> {
    let data_dir = args.data_dir.clone().unwrap_or_else(hubbub_server::config::default_data_dir);
    let token = auth::mint_for_data_dir(&data_dir).map_err(anyhow::Error::msg)?;
    match hubbub_server::store::running_hub_address(&data_dir) {
        Some(addr) => {
            let base = lan::join_urls(addr).into_iter().next().unwrap_or_else(|| format!("http://{addr}/"));
            println!("{}", auth::host_url(&base, &token));
        }
        None => {
            println!("/?host={token}");
            eprintln!(
                "no hub is running on {} now: open this path on the hub's address once it runs",
                data_dir.display()
            );
        }
    }
    Ok(())
}

/// `hubbub discover`: browses for a while and prints the hubs found. Finding none is not an error.
async fn discover(args: DiscoverArgs) -> anyhow::Result<()> {
    let found = discovery::discover(std::time::Duration::from_secs(args.timeout_secs)).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&found.hubs)?);
    } else if !found.hubs.is_empty() {
        print!("{}", hubbub_server::cli::hubs_table(&found.hubs));
    }
    if found.hubs.is_empty() {
        let mut out: Box<dyn Write> =
            if args.json { Box::new(std::io::stderr()) } else { Box::new(std::io::stdout()) };
        writeln!(out, "no hubs found after {} s", args.timeout_secs)?;
        if let Some(error) = &found.mdns.error {
            writeln!(out, "  mDNS: {error}")?;
        }
        writeln!(out, "{}", hubbub_server::cli::DISCOVERY_HINTS)?;
    }
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled: a signal sent as soon as `listening on` is printed (a script, a test, a
/// service manager) already shuts the hub down cleanly instead of killing it.
fn shutdown_signal() -> impl Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let term = signal(SignalKind::terminate());
        let interrupt = signal(SignalKind::interrupt());
        async move {
            match (term, interrupt) {
                (Ok(mut term), Ok(mut interrupt)) => {
                    tokio::select! {
                        _ = term.recv() => {}
                        _ = interrupt.recv() => {}
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
