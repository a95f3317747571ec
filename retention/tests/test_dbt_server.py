"""The tests' dbt fork server (dbt_server.py): a test dbt run waiting for the
server stops waiting, with the reason, when the server is gone."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from retention.tests import dbt_server


def test_a_run_stops_waiting_when_the_server_exited_before_listening(tmp_path: Path) -> None:
    # a "server" that exits at once and is not reaped (a zombie, as the real
    # server is for the xdist workers, which are not its parent)
    server = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        time.sleep(0.5)
        started = time.monotonic()
        with pytest.raises(RuntimeError, match=rf"fork server \({server.pid}\) exited before"):
            dbt_server.wait_until_ready(tmp_path / "dbt.sock", server.pid, timeout=60)
        assert time.monotonic() - started < 5
    finally:
        server.wait()


def test_a_run_waits_while_the_server_prepares(tmp_path: Path) -> None:
    server = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with pytest.raises(RuntimeError, match="did not create"):
            dbt_server.wait_until_ready(tmp_path / "dbt.sock", server.pid, timeout=1)
    finally:
        server.kill()
        server.wait()
