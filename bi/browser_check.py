"""`make test-bi`, browser half: serve the app, open every page in headless
Chromium (Debian package `chromium`) through the DevTools protocol, and
fail unless each page shows its charts drawn with data (SVG marks) and no
error: no Streamlit exception or error box, no JavaScript exception or
console error.

python -m bi.browser_check [--file PATH]   (default: BI_WAREHOUSE_PATH)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from bi.data import dashboard_file
from retention.report.browser import FLAGS as CHROMIUM_FLAGS
from retention.report.browser import find_chromium

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# page url path -> charts it must draw
PAGES = {"cohorts": 2, "industry": 2, "clv": 2, "segments": 2}
# one JSON snapshot of the page: charts and the marks drawn in each
PROBE = """
(() => {
  const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
  return JSON.stringify({
    running: !!document.querySelector('[data-testid="stStatusWidget"]'),
    title: (document.querySelector('h1') || {}).textContent || null,
    charts: charts.map(c => c.querySelectorAll('svg .role-mark > *').length),
    exceptions: [...document.querySelectorAll('[data-testid="stException"]')]
      .map(e => e.textContent.slice(0, 300)),
    errors: [...document.querySelectorAll('[data-testid="stAlertContentError"]')]
      .map(e => e.textContent.slice(0, 300)),
  });
})()
"""


@dataclass
class PageResult:
    page: str
    title: str | None = None
    marks: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_http(url: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


class DevTools:
    """Minimal Chrome DevTools protocol client over one page's websocket."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.socket.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")


def _expected_probe(url: str, base: str, page: str) -> bool:
    """Streamlit's frontend first looks for its server under the page's path
    (`/<page>/_stcore/health`, `.../host-config`), gets 404 and falls back to
    the root: those two 404s are its base-path probe, not an error."""
    return url in (f"{base}/{page}/_stcore/health", f"{base}/{page}/_stcore/host-config")


def _browser_problems(events: list[dict[str, Any]], base: str, page: str) -> list[str]:
    problems = []
    for event in events:
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            text = details.get("exception", {}).get("description") or details.get("text")
            problems.append(f"JavaScript exception: {str(text)[:300]}")
        elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
            text = " ".join(
                str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", [])
            )
            problems.append(f"console error: {text[:300]}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            if "404" in entry.get("text", "") and _expected_probe(entry.get("url", ""), base, page):
                continue
            problems.append(
                f"browser log error: {entry.get('text', '')[:200]} {entry.get('url', '')}"
            )
    return problems


def check_page(tools: DevTools, base: str, page: str, charts: int, timeout: float) -> PageResult:
    result = PageResult(page)
    tools.events.clear()
    tools.call("Page.navigate", url=f"{base}/{page}")
    deadline = time.monotonic() + timeout
    snapshot: dict[str, Any] = {}
    while time.monotonic() < deadline:
        time.sleep(1.0)
        raw = tools.evaluate(PROBE)
        snapshot = json.loads(raw) if raw else {}
        drawn = snapshot.get("charts", [])
        if snapshot.get("exceptions") or snapshot.get("errors"):
            break
        if not snapshot.get("running") and len(drawn) >= charts and all(drawn):
            time.sleep(1.0)  # let late console errors arrive
            tools.evaluate("1")
            break
    result.title = snapshot.get("title")
    result.marks = snapshot.get("charts", [])
    result.problems += [f"Streamlit exception: {text}" for text in snapshot.get("exceptions", [])]
    result.problems += [f"error box: {text}" for text in snapshot.get("errors", [])]
    if len(result.marks) != charts:
        result.problems.append(f"{len(result.marks)} charts on the page, expected {charts}")
    if not all(result.marks):
        result.problems.append(f"a chart drew no mark (marks per chart: {result.marks})")
    result.problems += _browser_problems(tools.events, base, page)
    return result


def run(file: Path, timeout: float = 90) -> list[PageResult]:
    chromium = find_chromium()
    if chromium is None:
        raise SystemExit("chromium not found: apt-get install chromium (Debian package)")
    app_port, debug_port = _free_port(), _free_port()
    env = dict(os.environ, BI_DASHBOARD_DB=str(file))
    env.pop("BROWSER", None)
    server = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(PROJECT_ROOT / "bi" / "app.py"),
            "--server.headless", "true", "--server.port", str(app_port),
            "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
            "--server.fileWatcherType", "none",
        ],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    profile = tempfile.mkdtemp(prefix="bi-chromium-")
    browser = None
    try:
        base = f"http://127.0.0.1:{app_port}"
        _wait_http(f"{base}/_stcore/health", 60)
        browser = subprocess.Popen(
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
             f"--remote-debugging-port={debug_port}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_http(f"http://127.0.0.1:{debug_port}/json/version", 60)
        with urllib.request.urlopen(f"http://127.0.0.1:{debug_port}/json/list", timeout=10) as r:
            targets = [t for t in json.load(r) if t.get("type") == "page"]
        with connect(targets[0]["webSocketDebuggerUrl"], max_size=None) as socket:
            tools = DevTools(socket)
            for method in ("Page.enable", "Runtime.enable", "Log.enable"):
                tools.call(method)
            return [check_page(tools, base, page, n, timeout) for page, n in PAGES.items()]
    finally:
        if browser is not None:
            browser.terminate()
            browser.wait(timeout=30)
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(profile, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=None, help="DuckDB file the app opens")
    args = parser.parse_args(argv)
    file = args.file or dashboard_file()
    if not file.exists():
        print(f"{file} does not exist: run `make build` first", file=sys.stderr)
        return 2
    results = run(file.resolve())
    failed = False
    for result in results:
        status = "FAIL" if result.problems else "ok"
        print(f"{status:4}  /{result.page:9} {result.title!r}: marks per chart {result.marks}")
        for problem in result.problems:
            print(f"        {problem}")
        failed = failed or bool(result.problems)
    failures = sum(bool(r.problems) for r in results)
    print(f"{len(results) - failures} passed, {failures} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
