//! The Hubbub desktop app: a thin Tauri shell that runs the hub in-process (the same `hubbub-server`
//! library as `hubbub serve`), shows the host dashboard, and opens other hubs in their own windows.
//!
//! It reads the same settings as `hubbub serve` (flags, `HUBBUB_*` variables, `--config FILE`), so a
//! test can start it on a free port with a throwaway data directory.

#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod embedded;
mod settings;

use clap::Parser;
use hubbub_server::cli::ServeArgs;
use tauri::Manager;

/// The app's command line: the settings of `hubbub serve`.
#[derive(Debug, Parser)]
#[command(name = "hubbub-desktop", version, about = "The Hubbub desktop app")]
struct Args {
    #[command(flatten)]
    serve: ServeArgs,
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HUBBUB_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut args = Args::parse();
    // The app and a headless hub on the same machine keep separate databases.
    let data_dir = args
        .serve
        .data_dir
        .clone()
        .unwrap_or_else(|| hubbub_server::config::default_data_dir().join("desktop"));
    args.serve.data_dir = Some(data_dir.clone());
    if args.serve.config.is_none() && settings::path(&data_dir).exists() {
        args.serve.config = Some(settings::path(&data_dir));
    }
    let mut config = match args.serve.resolve() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    // The app's own pages may use the hub with its cookie (the Origin check lets them through).
    config.allowed_origins.extend(["tauri://localhost".to_owned(), "http://tauri.localhost".to_owned()]);
    let hub = match embedded::Embedded::start(config) {
        Ok(hub) => hub,
        Err(e) => {
            eprintln!("error: cannot start the hub: {e:#}");
            std::process::exit(1);
        }
    };
    // Scripts and tests read the address the same way as from `hubbub serve`.
    println!("listening on http://{}", hub.bound);
    let app = tauri::Builder::default()
        .manage(hub)
        .invoke_handler(tauri::generate_handler![
            commands::dashboard,
            commands::set_name,
            commands::set_pin,
            commands::open_hub,
            commands::open_local,
            commands::open_console,
            commands::set_permissions,
        ])
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(e) => {
            eprintln!("error: cannot open the window: {e}");
            std::process::exit(1);
        }
    };
    app.run(|handle, event| {
        if let tauri::RunEvent::Exit = event {
            // Sockets close with 1001 after a flush, the store commits, mDNS says goodbye.
            handle.state::<embedded::Embedded>().stop();
        }
    });
}
