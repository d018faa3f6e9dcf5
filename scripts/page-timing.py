#!/usr/bin/env python3
"""The page's start on its own clock, for the footprint work (README, "Desktop footprint").

Launches the app through tauri-driver (WebKitWebDriver) RUNS times on a data directory, waits
for the start to settle and prints, per launch, the navigation's HTML response, the first
contentful paint and the app's User Timing marks (`engage:*`, see ui/src/lib/startup.ts,
main.ts, App.svelte, screens/Campaigns.svelte, app.svelte.ts), in ms from navigation start.

  xvfb-run -a dbus-run-session -- scripts/with-keyring.sh \\
    scripts/page-timing.py target/release/engage-desktop <data dir> [RUNS]

The data directory is typically the footprint benchmark's, kept with ENGAGE_FOOTPRINT_KEEP=1
(a sandbox session with 1,000 campaigns). Needs tauri-driver and WebKitWebDriver (setup.sh).
"""
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

PAGE = """
const nav = performance.getEntriesByType('navigation')[0];
return JSON.stringify({
  html: Math.round(nav.responseEnd),
  fcp: (performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint') || {}).startTime,
  marks: performance.getEntriesByType('mark').map((m) => [m.name.replace('engage:', ''), Math.round(m.startTime)]),
  rows: document.querySelectorAll('[data-testid=campaign-row]').length,
});
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(port: int, method: str, path: str, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}", method=method, data=data,
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.load(answer)


def launch(binary: str, data_dir: str) -> dict:
    port = free_port()
    driver = subprocess.Popen(
        ["tauri-driver", "--port", str(port), "--native-port", str(free_port()),
         "--native-driver", "/usr/bin/WebKitWebDriver"],
        env=dict(os.environ, ENGAGE_DATA_DIR=data_dir),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                call(port, "GET", "/status")
                break
            except OSError:
                time.sleep(0.05)
        session = call(port, "POST", "/session", {"capabilities": {"alwaysMatch": {
            "browserName": "wry", "tauri:options": {"application": binary}}}})["value"]["sessionId"]
        time.sleep(4)  # the start settles: the list shown, the health badges read
        timing = json.loads(call(port, "POST", f"/session/{session}/execute/sync",
                                 {"script": PAGE, "args": []})["value"])
        call(port, "DELETE", f"/session/{session}")
        return timing
    finally:
        driver.terminate()
        driver.wait()


def main() -> None:
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    binary, data_dir = os.path.abspath(sys.argv[1]), sys.argv[2]
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    for _ in range(runs):
        t = launch(binary, data_dir)
        fcp = round(t["fcp"]) if t["fcp"] is not None else "-"
        marks = " ".join(f"{name}={ms}" for name, ms in t["marks"])
        print(f"html={t['html']} first-contentful-paint={fcp} {marks} (rows in the page: {t['rows']})")


if __name__ == "__main__":
    main()
