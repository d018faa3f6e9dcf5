#!/usr/bin/env bash
# Runs every check of the project, as CI does (.ci/run calls exactly this):
#   formatting, the UI type check and unit tests, clippy with -D warnings, every Rust test
#   (which also regenerates the TypeScript bindings and fails if the committed ones are stale),
#   the API fuzzer (Schemathesis against the OpenAPI document of a real server), and the
#   end-to-end suite that drives the real app window under a virtual display.
# Installs what is missing first (scripts/setup.sh test).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

started=$SECONDS
step() { printf '\n\033[1m==> [%4ss] %s\033[0m\n' "$((SECONDS - started))" "$*" >&2; }

step "setup: install what is missing"
scripts/setup.sh test
# tauri-driver installed by cargo lives here; make sure the e2e harness finds it.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

step "the release workflow: actionlint .github/workflows/*.yml (it cannot run here)"
target/venv-actionlint/bin/actionlint .github/workflows/*.yml

step "cargo fmt --all --check"
cargo fmt --all --check

step "UI: type check (svelte-check) and unit tests (vitest)"
npm --prefix ui run check
npm --prefix ui test

step "UI: build into ui/dist (embedded in the desktop app)"
npm --prefix ui run build

step "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

# --workspace everywhere below: one feature set, so the e2e step links what this one built.
# Under a private D-Bus with an unlocked keyring, so keyring tests use a real Secret Service.
step "cargo test --workspace (regenerates the ts-rs bindings)"
# (The fault tests of several instances run in their own step below, printing their counts.)
dbus-run-session -- scripts/with-keyring.sh cargo test --workspace -- --skip faults::

step "the API suite again, on PostgreSQL (a cluster the tests start themselves)"
ENGAGE_TEST_BACKEND=postgres cargo test --workspace --test api

step "fault tests: three serve processes on one PostgreSQL (kill -9, PostgreSQL restart), with their counts"
cargo test --workspace --test cluster -- --nocapture

step "TypeScript bindings are up to date"
stale="$(git status --porcelain -- ui/src/lib/bindings)"
if [ -n "$stale" ]; then
  echo "error: the committed TypeScript bindings are stale; cargo test regenerated:" >&2
  echo "$stale" >&2
  echo "commit the files under ui/src/lib/bindings" >&2
  exit 1
fi

step "build the binaries the end-to-end suite launches (engage-desktop, engage-server)"
# The feature the test build turned on (engage-server's dev-dependency on itself enables
# its test-only routes): naming it keeps one feature set, so nothing is compiled twice.
cargo build --workspace --bins --features engage-server/test-routes

# The release build of the installers is the longest step (~13 min from a clean target dir)
# and needs nothing from the ones below, which leave part of the two cores idle (they wait on
# the window, the fuzzer's HTTP round trips): it runs beside them, at the lowest priority, and
# is checked at the end. Those steps run binaries already built, so no cargo command waits
# for the build directory the release build holds.
step "the end-to-end suite's test binary (run directly below)"
e2e_bin="$(cargo test --workspace --test e2e --no-run --message-format=json |
  python3 -c 'import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "e2e" and m.get("executable"):
        print(m["executable"])')"
[ -x "$e2e_bin" ] || { echo "error: no e2e test binary was built" >&2; exit 1; }

step "Linux installers: the release build starts in the background (log: target/package-build.log)"
package_log="${CARGO_TARGET_DIR:-target}/package-build.log"
setsid nice -n 19 scripts/package.sh --build-only >"$package_log" 2>&1 &
package_pid=$!
# A failure below stops the background build too.
trap 'kill -- -"$package_pid" 2>/dev/null || true' EXIT

step "API fuzzing: Schemathesis against /openapi.json of a real engage-server (scripts/fuzz-api.sh)"
ENGAGE_FUZZ_SERVER="${CARGO_TARGET_DIR:-target}/debug/engage-server" scripts/fuzz-api.sh

step "end-to-end suite: the real window under Xvfb, a real keyring on a private D-Bus"
# (In tests/, as cargo runs it.)
(cd tests && ENGAGE_E2E=1 xvfb-run -a -s "-screen 0 1280x800x24" \
  dbus-run-session -- ../scripts/with-keyring.sh "$e2e_bin" --test-threads=1)

step "Linux installers: the release build finishes, then the .deb and .rpm are checked (scripts/package.sh)"
if ! wait "$package_pid"; then
  echo "error: the release build of the installers failed; its log:" >&2
  tail -n 60 "$package_log" >&2
  exit 1
fi
trap - EXIT
tail -n 3 "$package_log"
scripts/package.sh --no-build

step "all checks passed in $((SECONDS - started)) s (screenshots: target/e2e-screenshots/)"
