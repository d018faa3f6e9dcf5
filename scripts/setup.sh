#!/usr/bin/env bash
# Installs what is missing to run (default) or to test Engage on Debian 12 / Ubuntu 22.04+.
#   scripts/setup.sh run    system libraries to build and run the desktop app, npm packages
#   scripts/setup.sh test   the above + Xvfb, xclip, WebKitWebDriver, dbus, gnome-keyring,
#                           secret-tool and tauri-driver (for the end-to-end suite), and
#                           Schemathesis from PyPI in target/venv-schemathesis (API fuzzing)
# Idempotent: a second run installs nothing and takes a second or two.
set -euo pipefail

mode="${1:-run}"
case "$mode" in
  run | test) ;;
  *)
    echo "usage: scripts/setup.sh [run|test]" >&2
    exit 2
    ;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# ---------------------------------------------------------------- prerequisites we don't install
command -v cargo >/dev/null || die "the Rust toolchain is missing: install it from https://rustup.rs and re-run"
command -v node >/dev/null || die "Node.js 20 or newer is missing: install it (e.g. from https://nodejs.org) and re-run"
command -v npm >/dev/null || die "npm is missing: it comes with Node.js 20"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$node_major" -ge 20 ] || die "Node.js $node_major found, Engage needs Node.js 20 or newer"

# ---------------------------------------------------------------- system packages (apt)
run_packages=(
  build-essential pkg-config curl file ca-certificates libssl-dev
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev librsvg2-dev
  libayatana-appindicator3-dev libxdo-dev
)
test_packages=(
  xvfb xauth xclip webkit2gtk-driver dbus dbus-x11 gnome-keyring libsecret-tools sqlite3 postgresql
  python3 python3-venv
)
packages=("${run_packages[@]}")
if [ "$mode" = test ]; then
  packages+=("${test_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || die "apt-get not found; install these packages by hand: ${missing[*]}"
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || die "not root and sudo is missing; install as root: ${missing[*]}"
    sudo=(sudo)
  fi
  say "installing system packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  say "system packages: all present"
fi

# ---------------------------------------------------------------- npm packages of the UI
# `npm ci` wipes and reinstalls node_modules; skip it when the lock file has not changed since.
stamp="ui/node_modules/.engage-lock-stamp"
if [ -f "$stamp" ] && cmp -s ui/package-lock.json "$stamp"; then
  say "npm packages: up to date"
else
  say "installing npm packages (npm ci --prefix ui)"
  npm ci --prefix ui --no-audit --no-fund
  cp ui/package-lock.json "$stamp"
fi

# ---------------------------------------------------------------- rustfmt, clippy (tests only)
if [ "$mode" = test ]; then
  for component in rustfmt clippy; do
    tool="cargo-${component/rustfmt/fmt}"
    if ! cargo "${tool#cargo-}" --version >/dev/null 2>&1; then
      command -v rustup >/dev/null || die "$tool is missing and rustup is not available to add it"
      say "adding the Rust component $component"
      rustup component add "$component"
    fi
  done
fi

# ---------------------------------------------------------------- tauri-driver (tests only)
if [ "$mode" = test ]; then
  cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
  if command -v tauri-driver >/dev/null || [ -x "$cargo_bin/tauri-driver" ]; then
    say "tauri-driver: present"
  else
    say "installing tauri-driver (cargo install tauri-driver --locked, about a minute)"
    cargo install tauri-driver --locked
  fi
fi

# ---------------------------------------------------------------- Schemathesis (tests only)
# The OpenAPI fuzzer of scripts/fuzz-api.sh, pinned, in a virtual environment of its own.
if [ "$mode" = test ]; then
  schemathesis_version="4.32.5"
  venv="$root/target/venv-schemathesis"
  if "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$schemathesis_version\$"; then
    say "schemathesis $schemathesis_version: present"
  else
    say "installing schemathesis $schemathesis_version from PyPI into $venv"
    rm -rf "$venv"
    /usr/bin/env python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
  fi
fi

say "setup ($mode) done"
