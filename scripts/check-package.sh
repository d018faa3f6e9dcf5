#!/usr/bin/env bash
# Checks a built .deb of the desktop app as a person's system would see it after installing:
# unpacks it into a scratch root (dpkg -x, nothing is installed) and fails unless it holds
#   - the binary /usr/bin/engage-desktop (an executable ELF file),
#   - the desktop entry (Name=Engage, Exec=engage-desktop, its icon, the Office category),
#   - the app icon in the sizes of tauri.conf.json (PNG files under hicolor),
#   - the control fields: package version, description, the libraries it depends on,
#   - a size of at most 8 MB.
#   scripts/check-package.sh path/to/Engage_X.Y.Z_amd64.deb X.Y.Z
set -euo pipefail

deb="$1"
version="$2"
fail() {
  echo "package check failed: $*" >&2
  exit 1
}
scratch="$(mktemp -d -t engage-deb-XXXXXX)"
trap 'rm -rf "$scratch"' EXIT
dpkg -x "$deb" "$scratch"
field() { dpkg-deb -f "$deb" "$1"; }

bin="$scratch/usr/bin/engage-desktop"
[ -x "$bin" ] || fail "no executable usr/bin/engage-desktop"
# Under pipefail, `cmd | grep -q` fails when grep exits at its first match and cmd then
# dies of SIGPIPE: every check below captures the output first and greps the capture.
grep -q '^ELF 64-bit LSB' <<<"$(file -b "$bin")" || fail "usr/bin/engage-desktop is not an ELF binary: $(file -b "$bin")"

entry="$scratch/usr/share/applications/Engage.desktop"
[ -f "$entry" ] || fail "no desktop entry usr/share/applications/Engage.desktop (found: $(ls "$scratch/usr/share/applications" 2>/dev/null))"
for line in 'Name=Engage' 'Exec=engage-desktop' 'Icon=engage-desktop' 'Type=Application' 'Comment=Recurrent WhatsApp campaigns'; do
  grep -qx "$line" "$entry" || fail "desktop entry lacks '$line':$(printf '\n%s' "$(cat "$entry")")"
done
grep -q '^Categories=.*Office;' "$entry" || fail "desktop entry is not in the Office category (bundle.category Business)"

for size in 32x32 64x64 128x128 256x256@2; do
  icon="$scratch/usr/share/icons/hicolor/$size/apps/engage-desktop.png"
  [ -f "$icon" ] || fail "no $size icon (usr/share/icons/hicolor/$size/apps/engage-desktop.png)"
  grep -q '^PNG image data' <<<"$(file -b "$icon")" || fail "$size icon is not a PNG"
done

[ "$(field Package)" = engage ] || fail "package name is '$(field Package)', expected engage"
[ "$(field Version)" = "$version" ] || fail "package version is '$(field Version)', expected $version"
grep -q 'Recurrent WhatsApp campaigns' <<<"$(field Description)" || fail "description is '$(field Description)'"
depends="$(field Depends)"
for library in libwebkit2gtk-4.1-0 libgtk-3-0; do
  grep -q "\\b$library\\b" <<<"$depends" || fail "Depends ('$depends') lacks $library"
done
# Every shared library the binary links against is one a declared dependency brings
# (or part of the base system): the WebKitGTK and GTK sonames.
headers="$(objdump -p "$bin")"
for soname in libwebkit2gtk-4.1.so.0 libgtk-3.so.0; do
  grep -q "NEEDED *$soname" <<<"$headers" || fail "the binary does not link $soname (Depends and binary disagree)"
done

size="$(stat -c %s "$deb")"
[ "$size" -le 8000000 ] || fail ".deb is $size bytes, above the 8 MB target"
echo "package check passed: $(basename "$deb") $((size / 1024)) KiB; Depends: $depends"
