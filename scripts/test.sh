#!/usr/bin/env bash
# Runs Hubbub's whole test suite on a fresh Debian machine, installing what it needs first: Debian's
# chromium, WebKitGTK, WebKitWebDriver, Xvfb, iproute2, curl and python3-venv (when missing and
# running as root), tauri-driver from crates.io, the npm packages of ui/ and tests/e2e/, and
# schemathesis from PyPI (into a virtual environment under ~/.cache/hubbub).
# Steps: the web client's unit tests (Vitest), formatting and lints, Rust unit and black-box tests (a
# real hub, in-process or the binary; real sockets, real SQLite file, network namespaces for discovery
# when root), every benchmark scenario at a smoke size, the REST API fuzzed from its own OpenAPI
# document, then the browser end-to-end tests (headless Chromium against a real hub) and the desktop
# app's test (the Tauri app under Xvfb through tauri-driver, with a Chromium guest).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
step() { printf '\n==> %s\n' "$*"; }

step "system packages"
# Each command or pkg-config module, and the Debian package that brings it.
needed=(
  "command:chromium:chromium"
  "command:Xvfb:xvfb"
  "command:WebKitWebDriver:webkit2gtk-driver"
  "command:ip:iproute2"
  "command:curl:curl"
  "python:venv:python3-venv"
  "pkg:webkit2gtk-4.1:libwebkit2gtk-4.1-dev"
  "pkg:gtk+-3.0:libgtk-3-dev"
  "pkg:librsvg-2.0:librsvg2-dev"
)
missing=()
for entry in "${needed[@]}"; do
  IFS=: read -r kind name package <<<"$entry"
  if [ "$kind" = command ]; then
    command -v "$name" >/dev/null 2>&1 || missing+=("$package")
  elif [ "$kind" = python ]; then
    python3 -c "import $name, ensurepip" >/dev/null 2>&1 || missing+=("$package")
  else
    pkg-config --exists "$name" 2>/dev/null || missing+=("$package")
  fi
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pkg-config "${missing[@]}" >/dev/null
  else
    echo "missing Debian packages: ${missing[*]} (sudo apt-get install ${missing[*]}), then run again" >&2
    exit 1
  fi
fi
chromium --version
tauri_driver=${TAURI_DRIVER:-$HOME/.cargo/bin/tauri-driver}
if [ ! -x "$tauri_driver" ]; then
  cargo install tauri-driver --locked
fi

step "npm packages"
for dir in ui tests/e2e; do
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
done

step "web client unit tests"
ui_log=$(mktemp)
trap 'rm -f "$ui_log"' EXIT
(cd ui && npx vitest run) 2>&1 | tee "$ui_log"
# Vitest colours its summary even into a pipe: strip that before counting.
ui_passed=$(sed 's/\x1b\[[0-9;]*m//g' "$ui_log" | grep -Eo 'Tests +[0-9]+ passed' | grep -Eo '[0-9]+')

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests"
# The binaries the bench and browser tests run, built together with the tests: one feature set for
# both (the tests turn on tokio's test clock), so nothing is compiled twice.
cargo build --locked --workspace --bins --tests
rust_log=$(mktemp)
trap 'rm -f "$ui_log" "$rust_log"' EXIT
# Tests that run the binary take this one rather than building it again with other features.
export HUBBUB_BIN="$target_dir/debug/hubbub"
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast 2>&1 | tee "$rust_log"
  rust_passed=$(grep -Eo '[0-9]+ passed' "$rust_log" | tail -n 1 | grep -Eo '[0-9]+')
else
  cargo test --workspace --locked 2>&1 | tee "$rust_log"
  rust_passed=$(grep -Eo 'ok\. [0-9]+ passed' "$rust_log" | awk '{ n += $2 } END { print n + 0 }')
fi

step "benchmark harness, smoke size (checks counts and exactly-once, not speed)"
"$target_dir/debug/hubbub-bench" --hub "$target_dir/debug/hubbub" all --size smoke
# The one-core mode (hub on core 0, load on core 1), where the machine has two cores to give.
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  "$target_dir/debug/hubbub-bench" --hub "$target_dir/debug/hubbub" --pin --auth bearer \
    fanout --subscribers 50 --rate 100 --seconds 2 --publishers 1 --room ephemeral
fi

step "REST API fuzzing from its OpenAPI document (schemathesis, from PyPI into ~/.cache)"
HUBBUB_BIN="$target_dir/debug/hubbub" ./scripts/api-fuzz.sh

step "browser and desktop end-to-end tests"
e2e_log=$(mktemp)
trap 'rm -f "$ui_log" "$rust_log" "$e2e_log"' EXIT
HUBBUB_BIN="$target_dir/debug/hubbub" HUBBUB_DESKTOP_BIN="$target_dir/debug/hubbub-desktop" \
  TAURI_DRIVER="$tauri_driver" HUBBUB_REQUIRE_DESKTOP=1 node --test --test-reporter=spec tests/e2e/ 2>&1 | tee "$e2e_log"
e2e_passed=$(grep -Eo '^ℹ pass [0-9]+' "$e2e_log" | grep -Eo '[0-9]+')

echo
echo "all suites: $((ui_passed + rust_passed + e2e_passed)) passed, 0 failed"
