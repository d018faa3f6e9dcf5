#!/usr/bin/env bash
# Footprint benchmark of the desktop app, run by hand (not part of scripts/test.sh):
#   1. release build + .deb/.rpm (scripts/package.sh, ~11 min on 2 cores), and the empty Tauri
#      window of the same crate, dependencies, features and profile
#      (src-tauri/examples/empty_window.rs),
#   2. a sandbox data directory holding 1,000 campaigns (seeded through the server's HTTP API),
#   3. under Xvfb, alternately, RUNS launches of the empty window and of the app restoring that
#      sandbox session: time from exec to "engage: ui ready <stage> <ms>" (the app's own clock;
#      stages: first_screen, then campaigns when the list of 1,000 is shown; the empty window
#      prints first_screen when its page has painted) and PSS of the process and its children
#      (app + WebKitWebProcess + WebKitNetworkProcess, /proc/<pid>/smaps_rollup); medians,
#   4. the app's figures as ratios to the empty window's (as Tauri makes it, and with the
#      app's WebKitGTK setting), and the size of the .deb.
# Targets (issue 14): time to interactive (campaigns shown) <= 1.15x the empty window's,
# PSS <= 1.10x the empty window's, .deb <= 8 MB.
#   scripts/footprint-bench.sh            build, seed, measure
#   scripts/footprint-bench.sh --no-build measure the existing release builds
#   RUNS=5 scripts/footprint-bench.sh     launches of each (default 3)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# ---------------------------------------------------------------- inner part: under Xvfb + D-Bus
# --measure BINARY DATA_DIR STAGE: one launch; prints "result <ms to STAGE> <ms to first_screen> <PSS KiB>".
if [ "${1:-}" = "--measure" ]; then
  binary="$2"
  data_dir="$3"
  stage="$4"
  log="$(mktemp -p "$data_dir" launch-XXXXXX.log)"
  ENGAGE_DATA_DIR="$data_dir" "$binary" 2>"$log" &
  app=$!
  ready_ms=""
  for _ in $(seq 1 600); do
    if line="$(grep -m1 -o "engage: ui ready $stage [0-9]*" "$log")"; then
      ready_ms="${line##* }"
      break
    fi
    kill -0 "$app" 2>/dev/null || break
    sleep 0.05
  done
  if [ -z "$ready_ms" ]; then
    echo "error: $(basename "$binary") never printed 'engage: ui ready $stage'; its log:" >&2
    tail -30 "$log" >&2
    kill "$app" 2>/dev/null || true
    exit 1
  fi
  first_ms="$(grep -m1 -o 'engage: ui ready first_screen [0-9]*' "$log" | awk '{print $5}')"
  # Let the page (1,000 campaigns for the app) render and the web process settle.
  sleep 5

  descendants() {
    local pid=$1 child
    echo "$pid"
    for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
      descendants "$child"
    done
  }
  total=0
  for pid in $(descendants "$app"); do
    kb="$(awk '/^Pss:/ {print $2}' /proc/"$pid"/smaps_rollup 2>/dev/null || true)"
    name="$(cat /proc/"$pid"/comm 2>/dev/null || echo '?')"
    printf '    %-22s PSS %4d MB\n' "$name" $((${kb:-0} / 1024)) >&2
    total=$((total + ${kb:-0}))
  done
  kill "$app"
  wait "$app" 2>/dev/null || true
  echo "result $ready_ms ${first_ms:-0} $total"
  exit 0
fi

# --series: under Xvfb, RUNS launches of each, alternating; prints the medians and ratios.
# Three kinds of launch: the empty window as Tauri makes it (the issue's floor), the empty
# window with the app's WebKitGTK setting (WEBKIT_DISABLE_DMABUF_RENDERER=1, which the app sets
# for itself: the like-for-like floor, what the app's own code adds), and the app.
if [ "${1:-}" = "--series" ]; then
  empty_bin="$2"
  app_bin="$3"
  data_dir="$4"
  runs="${RUNS:-3}"
  median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
  : >"$data_dir/empty.results"
  : >"$data_dir/empty-same.results"
  : >"$data_dir/app.results"
  empty_dir="$(mktemp -d -p "$data_dir" empty-XXXXXX)"
  for run in $(seq 1 "$runs"); do
    echo "  run $run/$runs: empty window" >&2
    env -u WEBKIT_DISABLE_DMABUF_RENDERER "$0" --measure "$empty_bin" "$empty_dir" first_screen >>"$data_dir/empty.results"
    echo "  run $run/$runs: empty window, DMA-BUF renderer off as in the app" >&2
    WEBKIT_DISABLE_DMABUF_RENDERER=1 "$0" --measure "$empty_bin" "$empty_dir" first_screen >>"$data_dir/empty-same.results"
    echo "  run $run/$runs: app with 1,000 campaigns" >&2
    env -u WEBKIT_DISABLE_DMABUF_RENDERER "$0" --measure "$app_bin" "$data_dir" campaigns >>"$data_dir/app.results"
  done
  e_tti="$(awk '{print $2}' "$data_dir/empty.results" | median)"
  e_pss="$(awk '{print $4}' "$data_dir/empty.results" | median)"
  s_tti="$(awk '{print $2}' "$data_dir/empty-same.results" | median)"
  s_pss="$(awk '{print $4}' "$data_dir/empty-same.results" | median)"
  a_tti="$(awk '{print $2}' "$data_dir/app.results" | median)"
  a_first="$(awk '{print $3}' "$data_dir/app.results" | median)"
  a_pss="$(awk '{print $4}' "$data_dir/app.results" | median)"
  echo "empty window: first paint ${e_tti} ms, PSS $((${e_pss%.*} / 1024)) MB (medians of $runs; runs: $(awk '{printf "%s ms/%d MB  ", $2, $4/1024}' "$data_dir/empty.results"))"
  echo "empty window, DMA-BUF renderer off: first paint ${s_tti} ms, PSS $((${s_pss%.*} / 1024)) MB (runs: $(awk '{printf "%s ms/%d MB  ", $2, $4/1024}' "$data_dir/empty-same.results"))"
  echo "app (1,000 campaigns): first screen ${a_first} ms, campaigns shown ${a_tti} ms, PSS $((${a_pss%.*} / 1024)) MB (runs: $(awk '{printf "%s/%s ms/%d MB  ", $3, $2, $4/1024}' "$data_dir/app.results"))"
  awk -v a="$a_tti" -v f="$a_first" -v e="$e_tti" -v s="$s_tti" -v ap="$a_pss" -v ep="$e_pss" -v sp="$s_pss" 'BEGIN {
    printf "ratio time to interactive (campaigns shown / empty first paint): %.2f  (target <= 1.15)\n", a / e
    printf "ratio first screen / empty first paint: %.2f\n", f / e
    printf "ratio PSS app / empty window: %.2f  (target <= 1.10)\n", ap / ep
    printf "like for like (empty window with the DMA-BUF renderer off): time to interactive %.2f, PSS %.2f\n", a / s, ap / sp
  }'
  exit 0
fi

# ---------------------------------------------------------------- 1. release builds + bundles
if [ "${1:-}" != "--no-build" ]; then
  say "release build + bundles (scripts/package.sh)"
  scripts/package.sh
  say "the empty window, same crate, features and profile (examples/empty_window.rs)"
  # tauri build compiles with --features tauri/custom-protocol: the same here, so nothing is
  # compiled twice.
  cargo build --release -p engage-desktop --example empty_window --features tauri/custom-protocol
fi
for binary in "$target/release/engage-desktop" "$target/release/examples/empty_window"; do
  [ -x "$binary" ] || {
    echo "error: $binary is missing (run without --no-build)" >&2
    exit 1
  }
done
deb="$(ls -t "$target"/release/bundle/deb/*.deb 2>/dev/null | head -1 || true)"

# ---------------------------------------------------------------- 2. sandbox with 1,000 campaigns
# Release too: the engage-server library is already built in release as a part of the app.
cargo build --release -p engage-server --bin engage-server
server_bin="$target/release/engage-server"
data_dir="$(mktemp -d -t engage-footprint-XXXXXX)"
# ENGAGE_FOOTPRINT_KEEP=1 keeps the seeded data directory (and the app's log in it) for a look.
remove_data() { [ -n "${ENGAGE_FOOTPRINT_KEEP:-}" ] && echo "data kept in $data_dir" >&2 || rm -rf "$data_dir"; }
trap remove_data EXIT
# The layout of the app's sandbox (app_core::sandbox: engage_server::sandbox::start_sandbox on
# <data dir>/sandbox): data_dir/sandbox/sandbox.db with secret.key beside it.
mkdir -m 700 "$data_dir/sandbox"
db="sqlite://$data_dir/sandbox/sandbox.db?mode=rwc"
say "seeding a sandbox with the demo workspace and 1,000 campaigns ($data_dir)"
creds="$("$server_bin" demo --database-url "$db")"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
NO_COLOR=1 "$server_bin" serve --database-url "$db" --listen "127.0.0.1:$port" >"$data_dir/seed-server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null || true; remove_data' EXIT
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
say "launching the empty window and the app (sandbox with 1,000 campaigns) under Xvfb, ${RUNS:-3} times each"
xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- scripts/with-keyring.sh \
  "$0" --series "$target/release/examples/empty_window" "$target/release/engage-desktop" "$data_dir"

# ---------------------------------------------------------------- 4. bundle size
if [ -n "$deb" ]; then
  size="$(stat -c %s "$deb")"
  echo ".deb: $(basename "$deb") $((size / 1024)) KiB ($(awk "BEGIN {printf \"%.1f\", $size / 1048576}") MiB)"
else
  echo ".deb: none found under $target/release/bundle/deb"
fi
echo "targets: time to interactive <= 1.15x the empty window, PSS <= 1.10x the empty window, .deb <= 8 MB"
