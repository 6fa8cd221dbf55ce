#!/usr/bin/python3
"""Loads mqbridge's console in headless Chromium and checks what a person would see.

Drives Chromium over the DevTools protocol (Debian's `chromium` and `python3-websocket`): opens the page,
waits until the live updates show the rules named with --rule, a non-zero outflow rate and at least
--min-online online clients, tries the "try a message" form when --try-topic is given, then saves a
screenshot. Prints one line `console check: {...}` with what it saw; exits 0 when every check passed,
1 otherwise (the line says which failed).

    /usr/bin/python3 tools/python/console_check.py --url http://127.0.0.1:8080/ \\
        --rule telemetry --min-online 1 --try-topic sensors/room1/temp --screenshot console.png
"""

import argparse
import base64
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

import websocket  # python3-websocket

OBSERVE = """JSON.stringify({
  updates: Number(document.body.dataset.updates || 0),
  live: document.getElementById('live').textContent,
  rules: [...document.querySelectorAll('#rules tbody tr')].map(r => r.dataset.rule),
  outflowRate: parseFloat(document.getElementById('rate-outflow').textContent.replace(/,/g, '')) || 0,
  online: parseInt(document.getElementById('online-count').textContent, 10) || 0,
  statusEvents: document.querySelectorAll('#status-events li').length,
  peers: document.querySelectorAll('#peers tbody tr').length,
  tryResult: (document.getElementById('try-result').dataset.result || null),
})"""


class DevTools:
    """One page target of a Chromium started here, spoken to over its DevTools WebSocket."""

    def __init__(self, chromium, width, height):
        self.profile = tempfile.mkdtemp(prefix="mqbridge-console-chromium-")
        self.process = subprocess.Popen(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
             "--remote-debugging-port=0", "--user-data-dir=" + self.profile, "--window-size=%d,%d" % (width, height),
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
        port = self._devtools_port(deadline=time.time() + 30)
        page = next(t for t in self._targets(port) if t["type"] == "page")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.next_id = 0

    def _devtools_port(self, deadline):
        # Chromium writes the port it chose to DevToolsActivePort in its profile.
        path = os.path.join(self.profile, "DevToolsActivePort")
        while time.time() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("chromium exited (%s): %s" % (self.process.returncode, self.process.stderr.read()[-2000:]))
            if os.path.exists(path):
                with open(path) as handle:
                    first = handle.readline().strip()
                if first:
                    return int(first)
            time.sleep(0.1)
        raise RuntimeError("chromium did not open its DevTools port within 30 s")

    @staticmethod
    def _targets(port):
        for _ in range(50):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/json/list" % port, timeout=5) as response:
                    targets = json.load(response)
                if any(t["type"] == "page" for t in targets):
                    return targets
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("chromium has no page target")

    def call(self, method, **params):
        self.next_id += 1
        call_id = self.next_id
        self.socket.send(json.dumps({"id": call_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == call_id:
                if "error" in message:
                    raise RuntimeError("%s: %s" % (method, message["error"]))
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError("page script failed: %s" % result["exceptionDetails"])
        return result["result"].get("value")

    def close(self):
        try:
            self.socket.close()
        except Exception:
            pass
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(self.process.pid, signal.SIGKILL)
        shutil.rmtree(self.profile, ignore_errors=True)


def failures(seen, args):
    problems = []
    if seen["updates"] < 4:
        problems.append("fewer than 4 live updates")
    missing = [rule for rule in args.rule if rule not in seen["rules"]]
    if missing:
        problems.append("rules not shown: " + ", ".join(missing))
    if seen["outflowRate"] <= 0:
        problems.append("outflow rate is 0")
    if seen["online"] < args.min_online:
        problems.append("online clients %d < %d" % (seen["online"], args.min_online))
    if args.try_topic and seen["tryResult"] != "translated":
        problems.append("the form's result is %r, not 'translated'" % seen["tryResult"])
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True, help="the console's URL (with ?token=… when api.token is set)")
    parser.add_argument("--rule", action="append", default=[], help="a rule ID the page must list (repeatable)")
    parser.add_argument("--min-online", type=int, default=1, help="online clients the page must show (default 1)")
    parser.add_argument("--try-topic", help="an MQTT topic to put through the 'try a message' form")
    parser.add_argument("--screenshot", help="where to save a PNG of the page")
    parser.add_argument("--timeout", type=float, default=60, help="seconds to wait for the checks (default 60)")
    parser.add_argument("--watch", type=float, default=0, help="keep the page open at least this many seconds (default 0)")
    parser.add_argument("--chromium", default=shutil.which("chromium") or "/usr/bin/chromium")
    args = parser.parse_args()

    browser = DevTools(args.chromium, 1400, 1700)
    try:
        browser.call("Page.enable")
        browser.call("Page.navigate", url=args.url)
        opened = time.time()
        deadline = opened + max(args.timeout, args.watch)
        tried = False
        seen = {}
        while time.time() < deadline:
            time.sleep(0.5)
            seen = json.loads(browser.evaluate(OBSERVE) or "{}") if browser.evaluate("!!document.getElementById('live')") else {}
            if not seen:
                continue
            if args.try_topic and not tried and seen["updates"] >= 1:
                tried = True
                browser.evaluate(
                    "document.getElementById('try-topic').value = %s;"
                    "document.getElementById('try-payload').value = '{\"celsius\":20}';"
                    "document.getElementById('try').requestSubmit(); true" % json.dumps(args.try_topic))
            if not failures(seen, args) and time.time() >= opened + args.watch:
                break
        problems = failures(seen, args) if seen else ["the page never loaded"]
        if args.screenshot:
            shot = browser.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
            with open(args.screenshot, "wb") as handle:
                handle.write(base64.b64decode(shot["data"]))
        seen["problems"] = problems
        print("console check: " + json.dumps(seen, sort_keys=True), flush=True)
        return 0 if not problems else 1
    finally:
        browser.close()


if __name__ == "__main__":
    sys.exit(main())
