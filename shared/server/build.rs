//! Chooses the web client the hub embeds, and builds it when that is the source tree's `ui/`:
//!
//! - `HUBBUB_UI_DIST=DIR`: a client built beforehand (a directory with `index.html`, such as a
//!   copy of `ui/dist`), embedded as it is; npm never runs. For packagers, cross builds and
//!   machines without Node.js.
//! - `HUBBUB_SKIP_UI_BUILD=1`, or no `ui/` beside the crate: `ui/dist` when it was built, else a
//!   placeholder page, made in `OUT_DIR`.
//! - Otherwise: `ui/` is built into `ui/dist` (npm) when that is missing or older than its
//!   sources, so a plain `cargo run` serves a working client.
//!
//! The chosen directory reaches `web.rs` as `HUBBUB_UI_DIR` (rust-embed reads it when compiling;
//! a debug build reads its files from there at run time).

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
            "cannot run npm ({e}): building the web client needs Node.js 20+ and npm. Install them, set \
             HUBBUB_UI_DIST to a built client, or set HUBBUB_SKIP_UI_BUILD=1 to build the hub without it."
        ),
    }
}

fn embed(dir: &Path) {
    println!("cargo:rustc-env=HUBBUB_UI_DIR={}", dir.display());
}

/// A one-page client saying the real one is missing, in `OUT_DIR`.
fn placeholder() -> PathBuf {
    let dir = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("ui-placeholder");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("index.html"),
        format!("<!doctype html><title>Hubbub</title><p>{PLACEHOLDER}</p>"),
    )
    .unwrap();
    dir
}

fn main() {
    println!("cargo:rerun-if-env-changed=HUBBUB_UI_DIST");
    println!("cargo:rerun-if-env-changed=HUBBUB_SKIP_UI_BUILD");
    if let Some(given) = std::env::var_os("HUBBUB_UI_DIST") {
        let dist = std::fs::canonicalize(&given)
            .unwrap_or_else(|e| panic!("HUBBUB_UI_DIST={}: {e}", PathBuf::from(&given).display()));
        assert!(
            dist.join("index.html").is_file(),
            "HUBBUB_UI_DIST={} has no index.html: give the directory `npm run build` wrote (ui/dist)",
            dist.display()
        );
        println!("cargo:rerun-if-changed={}", dist.display());
        embed(&dist);
        return;
    }

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
    let built = || {
        let index = std::fs::read_to_string(dist.join("index.html")).unwrap_or_default();
        if index.is_empty() || index.contains(PLACEHOLDER) { None } else { newest(&dist.join("index.html")) }
    };

    if std::env::var_os("HUBBUB_SKIP_UI_BUILD").is_some() || !ui.join("package.json").exists() {
        match built() {
            Some(_) => embed(&std::fs::canonicalize(&dist).unwrap_or(dist)),
            None => embed(&placeholder()),
        }
        return;
    }
    let source = sources.iter().filter_map(|s| newest(&ui.join(s))).max();
    let fresh = built();
    if fresh.is_none() || fresh < source {
        // npm records what it installed in node_modules/.package-lock.json: older than the lock
        // file means a dependency was added or changed since.
        let installed = newest(&ui.join("node_modules/.package-lock.json"));
        if installed.is_none() || installed < newest(&ui.join("package-lock.json")) {
            npm(&ui, &["ci", "--no-audit", "--no-fund"]);
        }
        npm(&ui, &["run", "build"]);
    }
    embed(&std::fs::canonicalize(&dist).unwrap_or(dist));
}
