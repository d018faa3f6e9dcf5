#!/usr/bin/env bash
# Runs a command with a real, unlocked Secret Service (gnome-keyring-daemon) on the current
# D-Bus session bus, e.g.:  dbus-run-session -- scripts/with-keyring.sh cargo test ...
# The keyring lives in a throwaway home directory and the daemon is ended by its PID.
set -euo pipefail

[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || {
  echo "error: no D-Bus session bus; run this under dbus-run-session" >&2
  exit 1
}

keyring_home="$(mktemp -d)"
# The login keyring is created and unlocked with the password read from stdin.
printf 'engage-e2e' | HOME="$keyring_home" gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null &
keyring_pid=$!
cleanup() {
  kill "$keyring_pid" 2>/dev/null || true
  wait "$keyring_pid" 2>/dev/null || true
  rm -rf "$keyring_home"
}
trap cleanup EXIT

has_owner() {
  dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep 'boolean true' >/dev/null
}
for _ in $(seq 1 100); do
  has_owner && break
  kill -0 "$keyring_pid" 2>/dev/null || {
    echo "error: gnome-keyring-daemon exited before taking org.freedesktop.secrets" >&2
    exit 1
  }
  sleep 0.1
done
has_owner || {
  echo "error: gnome-keyring-daemon did not take org.freedesktop.secrets within 10 s" >&2
  exit 1
}

"$@"
