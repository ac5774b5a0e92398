#!/usr/bin/env bash
# Builds the desktop app as a Debian package (release build; needs the packages listed in the
# README's Install section) and prints where it is and how big it is.
set -euo pipefail
cd "$(dirname "$0")/.."
target_dir=${CARGO_TARGET_DIR:-$(pwd)/target}
# `npm ci` refuses this lockfile: it lacks the CLI's binaries for other platforms, which the registry
# mirror does not list; `npm install` takes what this platform needs.
(cd src-tauri && npm install --no-audit --no-fund)
# The root package is not a default member (a plain `cargo build` needs no GTK), so name it.
# Symbols stripped: the package carries no debug info (the release profile keeps line tables).
CARGO_PROFILE_RELEASE_STRIP=symbols src-tauri/node_modules/.bin/tauri build --bundles deb -- -p hubbub-desktop
deb=$(ls -t "$target_dir"/release/bundle/deb/*.deb | head -n 1)
echo "built $deb: $(du -h "$deb" | cut -f1) ($(stat -c %s "$deb") bytes)"
