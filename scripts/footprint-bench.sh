#!/usr/bin/env bash
# Footprint benchmark of the desktop app, run by hand (not part of scripts/test.sh):
#   1. release build + .deb/.rpm (tauri build --bundles deb,rpm; ~11 min on 2 cores),
#   2. a sandbox data directory holding 1,000 campaigns (seeded through the server's HTTP API),
#   3. the release binary launched under Xvfb, restoring that sandbox session: time from exec
#      to "engage: ui ready <ms>" (printed by the app when its first screen is interactive),
#      and PSS of the app + WebKitWebProcess + WebKitNetworkProcess (/proc/<pid>/smaps_rollup),
#   4. the size of the .deb.
# Targets (issue 4): interactive within 500 ms, at most 300 MB PSS in all, .deb at most 8 MB.
#   scripts/footprint-bench.sh            build, seed, measure
#   scripts/footprint-bench.sh --no-build measure the existing release build
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# ---------------------------------------------------------------- inner part: under Xvfb + D-Bus
if [ "${1:-}" = "--measure" ]; then
  data_dir="$2"
  log="$data_dir/app.log"
  start_ns=$(date +%s%N)
  ENGAGE_DATA_DIR="$data_dir" "$target/release/engage-desktop" 2>"$log" &
  app=$!
  ready_ms=""
  for _ in $(seq 1 600); do
    if line="$(grep -m1 -o 'engage: ui ready [0-9]*' "$log")"; then
      ready_ns=$(date +%s%N)
      ready_ms="${line##* }"
      break
    fi
    kill -0 "$app" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$ready_ms" ]; then
    echo "error: the app never printed 'engage: ui ready'; its log:" >&2
    tail -30 "$log" >&2
    kill "$app" 2>/dev/null || true
    exit 1
  fi
  # Let the campaign list (1,000 rows) render and the web process settle before measuring.
  sleep 5

  descendants() {
    local pid=$1 child
    echo "$pid"
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
      descendants "$child"
    done
  }
  pss_kb() { awk '/^Pss:/ {print $2}' /proc/"$1"/smaps_rollup 2>/dev/null || echo 0; }
  total=0
  report=""
  for pid in $(descendants "$app"); do
    name="$(cat /proc/"$pid"/comm 2>/dev/null || echo '?')"
    kb="$(pss_kb "$pid")"
    [ -n "$kb" ] || kb=0
    total=$((total + kb))
    report+="$(printf '  %-22s pid %-7s PSS %6d MB' "$name" "$pid" $((kb / 1024)))"$'\n'
  done
  kill "$app"
  wait "$app" 2>/dev/null || true

  echo "time to interactive: ${ready_ms} ms (app's own clock), $(((ready_ns - start_ns) / 1000000)) ms (exec to line seen by this script)"
  printf '%s' "$report"
  echo "PSS in all: $((total / 1024)) MB"
  exit 0
fi

# ---------------------------------------------------------------- 1. release build + bundles
if [ "${1:-}" != "--no-build" ]; then
  scripts/setup.sh run
  say "release build + bundles (tauri build --bundles deb,rpm)"
  # The Tauri config lives at the repo root, with a symlink in src-tauri (see TOOLCHAIN.md);
  # absolute paths, so it does not matter in which directory npx runs the CLI.
  TAURI_APP_PATH="$root/src-tauri" TAURI_FRONTEND_PATH="$root/ui" \
    npx --prefix ui tauri build --bundles deb,rpm
fi
[ -x "$target/release/engage-desktop" ] || {
  echo "error: $target/release/engage-desktop is missing (run without --no-build)" >&2
  exit 1
}
deb="$(ls -t "$target"/release/bundle/deb/*.deb 2>/dev/null | head -1 || true)"

# ---------------------------------------------------------------- 2. sandbox with 1,000 campaigns
# Release too: the engage-server library is already built in release as a part of the app.
cargo build --release -p engage-server --bin engage-server
server_bin="$target/release/engage-server"
data_dir="$(mktemp -d -t engage-footprint-XXXXXX)"
trap 'rm -rf "$data_dir"' EXIT
# The layout of the embedded sandbox (engage_server::sandbox::start_sandbox):
# data_dir/sandbox.db with data_dir/secret.key beside it.
db="sqlite://$data_dir/sandbox.db?mode=rwc"
say "seeding a sandbox with the demo workspace and 1,000 campaigns ($data_dir)"
creds="$("$server_bin" demo --database-url "$db")"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
NO_COLOR=1 "$server_bin" serve --database-url "$db" --listen "127.0.0.1:$port" >"$data_dir/seed-server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; rm -rf "$data_dir"' EXIT
for _ in $(seq 1 200); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.05
done
CREDS="$creds" BASE="http://127.0.0.1:$port" node --input-type=module -e '
const base = process.env.BASE;
const { user } = JSON.parse(process.env.CREDS);
const call = async (method, path, token, body) => {
  const res = await fetch(base + path, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: "Bearer " + token } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
};
const { access_token: token } = await call("POST", "/v1/auth/login", null, { email: user.email, password: user.password });
const senders = await call("GET", "/v1/senders", token);
const templates = await call("GET", "/v1/templates", token);
const list = (x) => (Array.isArray(x) ? x : x.items ?? x.data);
const sender = list(senders)[0], template = list(templates)[0];
let next = 0;
const worker = async () => {
  while (next < 1000) {
    const n = ++next;
    await call("POST", "/v1/campaigns", token, {
      name: `Campanha recorrente ${String(n).padStart(4, "0")}`, type: "recurrent",
      sender_id: sender.id, template_id: template.id,
    });
  }
};
await Promise.all(Array.from({ length: 8 }, worker));
const all = list(await call("GET", "/v1/campaigns?type=recurrent", token));
console.error(`seeded: ${all.length} campaigns listed by the server`);
'
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
email="$(CREDS="$creds" node -p 'JSON.parse(process.env.CREDS).user.email')"
# The app restores the last session on launch: in sandbox mode it starts the sandbox again.
printf '{"language":"en","last_session":{"mode":"sandbox","server_url":"http://127.0.0.1:8787","email":"%s"}}\n' \
  "$email" >"$data_dir/settings.json"

# ---------------------------------------------------------------- 3. launch under Xvfb, measure
say "launching the release build under Xvfb (sandbox with 1,000 campaigns)"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- scripts/with-keyring.sh \
  "$0" --measure "$data_dir"

# ---------------------------------------------------------------- 4. bundle size
if [ -n "$deb" ]; then
  size="$(stat -c %s "$deb")"
  echo ".deb: $(basename "$deb") $((size / 1024)) KiB ($(awk "BEGIN {printf \"%.1f\", $size / 1048576}") MiB)"
else
  echo ".deb: none found under $target/release/bundle/deb"
fi
echo "targets: interactive <= 500 ms, PSS in all <= 300 MB, .deb <= 8 MB"
