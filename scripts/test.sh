#!/usr/bin/env bash
# Runs Hubbub's whole test suite on a fresh Debian machine, installing what it needs first:
# Debian's chromium (when missing and running as root), the npm packages of ui/ and tests/e2e/.
# Steps: formatting and lints, Rust unit and black-box tests (real hub process, real sockets, real
# SQLite file), every benchmark scenario at a smoke size, then the browser end-to-end tests
# (headless Chromium against a real hub).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
step() { printf '\n==> %s\n' "$*"; }

step "system packages"
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "chromium is missing: install it (Debian: sudo apt-get install chromium) and run again" >&2
    exit 1
  fi
fi
chromium --version

step "npm packages"
for dir in ui tests/e2e; do
  if [ ! -d "$dir/node_modules" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
done

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust tests"
cargo build --locked -p hubbub-server -p hubbub-bench
rust_log=$(mktemp)
trap 'rm -f "$rust_log"' EXIT
if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --locked --no-fail-fast 2>&1 | tee "$rust_log"
  rust_passed=$(grep -Eo '[0-9]+ passed' "$rust_log" | tail -n 1 | grep -Eo '[0-9]+')
else
  cargo test --workspace --locked 2>&1 | tee "$rust_log"
  rust_passed=$(grep -Eo 'ok\. [0-9]+ passed' "$rust_log" | awk '{ n += $2 } END { print n + 0 }')
fi

step "benchmark harness, smoke size (checks counts and exactly-once, not speed)"
"$target_dir/debug/hubbub-bench" --hub "$target_dir/debug/hubbub" all --size smoke

step "browser end-to-end tests"
e2e_log=$(mktemp)
trap 'rm -f "$rust_log" "$e2e_log"' EXIT
HUBBUB_BIN="$target_dir/debug/hubbub" node --test --test-reporter=spec tests/e2e/ 2>&1 | tee "$e2e_log"
e2e_passed=$(grep -Eo '^ℹ pass [0-9]+' "$e2e_log" | grep -Eo '[0-9]+')

echo
echo "all suites: $((rust_passed + e2e_passed)) passed, 0 failed"
