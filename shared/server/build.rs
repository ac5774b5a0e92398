//! Builds the web client (`ui/` -> `ui/dist`) when it is missing or older than its sources, so that a
//! plain `cargo run` serves a working UI. Set `HUBBUB_SKIP_UI_BUILD=1` to embed whatever is there
//! (a placeholder page if nothing is).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

const PLACEHOLDER: &str = "This hub was built without its web client.";

fn newest(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_dir() {
        std::fs::read_dir(path).ok()?.flatten().filter_map(|e| newest(&e.path())).max()
    } else {
        meta.modified().ok()
    }
}

fn npm(ui: &Path, args: &[&str]) {
    let status = Command::new("npm").args(args).current_dir(ui).status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("`npm {}` in ui/ failed ({s}); see its output above", args.join(" ")),
        Err(e) => panic!(
            "cannot run npm ({e}): building the web client needs Node.js 20+ and npm. Install them, or set \
             HUBBUB_SKIP_UI_BUILD=1 to build the hub without its web client."
        ),
    }
}

fn main() {
    let ui = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap()).join("../../ui");
    let dist = ui.join("dist");
    let sources = [
        "src",
        "index.html",
        "package.json",
        "package-lock.json",
        "vite.config.ts",
        "svelte.config.js",
        "tsconfig.json",
    ];
    for s in sources {
        println!("cargo:rerun-if-changed={}", ui.join(s).display());
    }
    println!("cargo:rerun-if-changed={}", dist.join("index.html").display());
    println!("cargo:rerun-if-env-changed=HUBBUB_SKIP_UI_BUILD");

    if std::env::var_os("HUBBUB_SKIP_UI_BUILD").is_some() || !ui.join("package.json").exists() {
        if !dist.join("index.html").exists() {
            std::fs::create_dir_all(&dist).unwrap();
            std::fs::write(
                dist.join("index.html"),
                format!("<!doctype html><title>Hubbub</title><p>{PLACEHOLDER}</p>"),
            )
            .unwrap();
        }
        return;
    }
    let index = std::fs::read_to_string(dist.join("index.html")).unwrap_or_default();
    let built = if index.contains(PLACEHOLDER) { None } else { newest(&dist.join("index.html")) };
    let source = sources.iter().filter_map(|s| newest(&ui.join(s))).max();
    if built.is_some() && built >= source {
        return;
    }
    // npm records what it installed in node_modules/.package-lock.json: older than the lock file
    // means a dependency was added or changed since.
    let installed = newest(&ui.join("node_modules/.package-lock.json"));
    if installed.is_none() || installed < newest(&ui.join("package-lock.json")) {
        npm(&ui, &["ci", "--no-audit", "--no-fund"]);
    }
    npm(&ui, &["run", "build"]);
}
