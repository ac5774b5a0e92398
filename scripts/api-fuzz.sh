#!/usr/bin/env bash
# Fuzzes the REST API from its own OpenAPI document (GET /api/openapi.json) with schemathesis:
# starts a hub on a free loopback port with a fresh data directory, joins as its host through the
# host link it prints, then runs every route with that host's session and the admin routes with the
# admin token. Fails on any 5xx, any answer the document does not describe (status, content type,
# body schema, headers), a schema-violating request accepted, or a route that ignores its auth.
# Usage: HUBBUB_BIN=target/debug/hubbub scripts/api-fuzz.sh [extra schemathesis options]
set -euo pipefail
hub_bin=${HUBBUB_BIN:?set HUBBUB_BIN to the hubbub binary}
version=4.32.5
venv=${HUBBUB_FUZZ_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/hubbub/schemathesis-$version}
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

work=$(mktemp -d)
hub_pid=
cleanup() {
  if [ -n "$hub_pid" ]; then kill "$hub_pid" 2>/dev/null || true; wait "$hub_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
admin_token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
"$hub_bin" serve --bind 127.0.0.1:0 --data-dir "$work/data" --no-discovery --admin-token "$admin_token" \
  >"$work/hub.log" 2>&1 &
hub_pid=$!
for _ in $(seq 100); do
  grep -q '^host link: ' "$work/hub.log" && break
  sleep 0.1
done
base=$(grep -o '^listening on http://127\.0\.0\.1:[0-9]*' "$work/hub.log" | head -n 1 | cut -d' ' -f3)
host_token=$(grep -o '^host link: .*' "$work/hub.log" | head -n 1 | sed 's/.*?host=//')
if [ -z "$base" ] || [ -z "$host_token" ]; then
  echo "the hub did not start:" >&2
  cat "$work/hub.log" >&2
  exit 1
fi
session=$(curl -sf -X POST "$base/api/join" -H 'Content-Type: application/json' -H "Origin: $base" \
  -d "{\"display_name\":\"Fuzzing host\",\"host_token\":\"$host_token\"}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["session"])')

# positive_data_acceptance is left out: the document gives each field's type, but a name's length,
# a URL's form or a name already taken are the hub's rules, and it refuses those with a 4xx.
run() {
  # From the scratch directory: schemathesis keeps its state in the working directory.
  (cd "$work" && "$venv/bin/schemathesis" run "$base/api/openapi.json" --checks all \
    --exclude-checks positive_data_acceptance --max-examples "${HUBBUB_FUZZ_EXAMPLES:-20}" \
    --workers 1 --seed "${HUBBUB_FUZZ_SEED:-1}" --no-color "$@")
}
echo "== every route but the admin ones, as the host (logout left out: it would end the session)"
run -H "Authorization: Bearer $session" --exclude-path /api/logout --exclude-path-regex '^/api/admin/' "${@}"
echo "== the admin routes, with the admin token"
run -H "Authorization: Bearer $admin_token" --include-path-regex '^/api/admin/' "${@}"
if grep -q 'panicked' "$work/hub.log"; then
  echo "the hub panicked during the run:" >&2
  grep -A5 'panicked' "$work/hub.log" >&2
  exit 1
fi
