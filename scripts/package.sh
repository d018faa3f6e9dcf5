#!/usr/bin/env bash
# Builds the Linux installers of the desktop app here, in release: the .deb and the .rpm of
# "Engage" (version from the workspace Cargo.toml, which tauri.conf.json must match), then
# checks the .deb (scripts/check-package.sh). About 11 min on 2 cores from a clean target dir.
#   scripts/package.sh              build + check
#   scripts/package.sh --build-only build (scripts/test.sh runs it beside the e2e suite)
#   scripts/package.sh --no-build   check the packages already built
# Update signatures (.sig) are made by the release workflow only, where the private key is a
# secret (TAURI_SIGNING_PRIVATE_KEY); here they are switched off. AppImage is left out: its
# bundler downloads AppRun from the internet.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

version="$(sed -n '/^\[workspace.package\]/,/^\[/ s/^version = "\(.*\)"/\1/p' Cargo.toml)"
conf_version="$(node -p 'require("./tauri.conf.json").version')"
if [ "$version" != "$conf_version" ]; then
  echo "error: Cargo.toml says $version, tauri.conf.json says $conf_version: make them equal" >&2
  exit 1
fi

if [ "${1:-}" != "--no-build" ]; then
  scripts/setup.sh run
  say "release build + .deb/.rpm of Engage $version (tauri build --bundles deb,rpm)"
  # The Tauri config lives at the repo root, with a symlink in src-tauri (docs/ARCHITECTURE.md);
  # absolute paths, so it does not matter in which directory npx runs the CLI.
  TAURI_APP_PATH="$root/src-tauri" TAURI_FRONTEND_PATH="$root/ui" \
    npx --prefix ui tauri build --bundles deb,rpm \
    --config '{"bundle":{"createUpdaterArtifacts":false}}'
fi
[ "${1:-}" != "--build-only" ] || exit 0

deb="$target/release/bundle/deb/Engage_${version}_amd64.deb"
rpm="$(ls "$target"/release/bundle/rpm/Engage-"$version"-*.rpm 2>/dev/null | head -1 || true)"
[ -f "$deb" ] || { echo "error: $deb was not built" >&2; exit 1; }
# Tauri's bundler compresses the .deb's files with gzip; xz (read by dpkg since Debian 6 and
# every Ubuntu in support) makes the package about a third smaller. Repacked in place: the
# same files and modes, owned by root.
if ! grep -qx 'data.tar.xz' <<<"$(ar t "$deb")"; then
  say "repacking $(basename "$deb") with xz"
  repack="$(mktemp -d)"
  dpkg-deb -R "$deb" "$repack/root"
  dpkg-deb -Zxz -z9 --root-owner-group -b "$repack/root" "$deb" >/dev/null
  rm -rf "$repack"
fi
[ -n "$rpm" ] || { echo "error: no Engage-$version-*.rpm under $target/release/bundle/rpm" >&2; exit 1; }
scripts/check-package.sh "$deb" "$version"
# The .rpm: the same binary, desktop entry and icon, its name and version, WebKitGTK required.
rpm_files="$(rpm -qpl "$rpm" 2>/dev/null)"
for path in /usr/bin/engage-desktop /usr/share/applications/Engage.desktop \
  /usr/share/icons/hicolor/128x128/apps/engage-desktop.png; do
  grep -qx "$path" <<<"$rpm_files" || { echo "package check failed: $(basename "$rpm") lacks $path" >&2; exit 1; }
done
[ "$(rpm -qp --queryformat '%{NAME} %{VERSION}' "$rpm" 2>/dev/null)" = "engage $version" ] ||
  { echo "package check failed: $(basename "$rpm") is not engage $version" >&2; exit 1; }
grep -q webkit2gtk <<<"$(rpm -qp --requires "$rpm" 2>/dev/null)" ||
  { echo "package check failed: $(basename "$rpm") does not require WebKitGTK" >&2; exit 1; }
echo "rpm check passed: $(basename "$rpm") $(($(stat -c %s "$rpm") / 1024)) KiB"
