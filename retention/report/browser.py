"""Open the report in headless Chromium (Debian's `chromium` package).

`load` returns the DOM after scripts ran plus Chromium's log (console
messages and uncaught errors); `screenshot` writes a PNG. No network:
the report is a local file and the flags switch background traffic off.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--hide-scrollbars",
)


def find_chromium() -> str | None:
    for name in CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    return None


@dataclass(frozen=True)
class Page:
    dom: str
    log: str

    @property
    def console_errors(self) -> list[str]:
        """Uncaught errors and console.error lines from Chromium's log."""
        return [
            line
            for line in self.log.splitlines()
            if "CONSOLE" in line and ("Uncaught" in line or "Error" in line)
        ]


def _run(chromium: str, args: list[str], timeout: int) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryDirectory(prefix="report-chromium-") as profile:
        return subprocess.run(
            [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def load(chromium: str, html: Path, timeout: int = 120) -> Page:
    done = _run(
        chromium,
        ["--enable-logging=stderr", "--v=0", "--dump-dom", html.resolve().as_uri()],
        timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return Page(done.stdout, done.stderr)


def screenshot(
    chromium: str, html: Path, png: Path, width: int = 1200, height: int = 4200, timeout: int = 120
) -> Path:
    png.parent.mkdir(parents=True, exist_ok=True)
    done = _run(
        chromium,
        [
            f"--screenshot={png.resolve()}",
            f"--window-size={width},{height}",
            html.resolve().as_uri(),
        ],
        timeout,
    )
    if done.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium screenshot failed:\n{done.stderr[-3000:]}")
    return png
