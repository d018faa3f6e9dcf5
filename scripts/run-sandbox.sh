#!/usr/bin/env bash
# Builds the UI and the desktop app (debug) and launches it. In the window, click
# "Try the sandbox on this computer": the app starts its own Engage server on 127.0.0.1
# with a demo workspace and signs you in.
#   README: scripts/setup.sh run && scripts/run-sandbox.sh
# Extra arguments are passed to the app. ENGAGE_DATA_DIR=/some/dir starts from a clean slate.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "error: no graphical display (DISPLAY / WAYLAND_DISPLAY are unset)." >&2
  echo "Run this from a desktop session, or under a virtual one: xvfb-run -a scripts/run-sandbox.sh" >&2
  exit 1
fi

say "building the UI (npm --prefix ui run build)"
npm --prefix ui run build

# The tauri feature custom-protocol is always on in src-tauri/Cargo.toml: the UI in ui/dist is
# embedded in the binary, so this is the same build the tests use (no rebuild between them).
say "building the desktop app (cargo build -p engage-desktop)"
cargo build -p engage-desktop

say "launching Engage: click \"Try the sandbox on this computer\""
exec "${CARGO_TARGET_DIR:-$root/target}/debug/engage-desktop" "$@"
