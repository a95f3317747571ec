"""Run a command and measure its wall time and peak memory (like /usr/bin/time -v).

Peak memory is the largest of (a) the largest sum of RSS over the live
process tree, polled every 0.1 s (catches concurrent children), (b) the
largest high-water mark (``VmHWM`` of /proc/PID/status, Linux) a poll read
of any process of the tree: it only grows, so a spike shorter than the poll
interval still shows in the first poll after it, and can be placed in time
(``hwm_timeline``), and (c) the kernel's maximum resident set size of the
child and its waited-for descendants (``wait4``), *only when it exceeds
this process's own high-water mark*.

Why (c) is guarded: Linux records the high-water mark of the memory a
process gives up when it calls exec. A child spawned with fork or vfork
gives up a copy of (or the very) address space of the process that
started it, so its ``ru_maxrss`` is at least the launcher's RSS at the
spawn. The bench process holds DuckDB's memory after bringing a 50M-order
raw folder to a state (benchmarks/daily.py), and every step it launched
then reported that size: a dbt build whose own high-water mark stayed at
3.2 GB showed 12.99 GB (BENCHMARKS.md "Memory"). A ``ru_maxrss`` above the
launcher's mark cannot have been inherited: it is the child's.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

from retention.dbt import PROJECT_ROOT


@dataclass(frozen=True)
class Measured:
    command: tuple[str, ...]
    returncode: int
    seconds: float
    peak_rss_bytes: int
    output: str
    #: user + system CPU time of the process and its waited-for descendants
    cpu_seconds: float = 0.0
    #: (epoch seconds, RSS of the live process tree in bytes), one sample per poll
    rss_timeline: tuple[tuple[float, int], ...] = ()
    #: (epoch seconds, the child's own high-water mark VmHWM in bytes), one sample per poll
    hwm_timeline: tuple[tuple[float, int], ...] = ()

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def peak_rss_gb(self) -> float:
        return self.peak_rss_bytes / 1024**3

    @property
    def sampled_peak_gb(self) -> float | None:
        """The largest process-tree RSS a poll saw (None without samples)."""
        return max(rss for _, rss in self.rss_timeline) / 1024**3 if self.rss_timeline else None


def high_water_mark(pid: int) -> int | None:
    """VmHWM of process `pid` in bytes (None where /proc does not give it)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _tree_rss(process: psutil.Process) -> tuple[int, dict[int, int]]:
    """The summed RSS of `process` and its descendants, and each one's VmHWM by pid."""
    total = 0
    marks: dict[int, int] = {}
    try:
        members = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0, marks
    for member in members:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            continue
        mark = high_water_mark(member.pid)
        if mark is not None:
            marks[member.pid] = mark
    return total, marks


def run_measured(
    command: Sequence[str],
    env: Mapping[str, str] | None = None,
    cwd: Path = PROJECT_ROOT,
    echo: bool = False,
) -> Measured:
    """Run ``command``; output (stdout + stderr) is captured in a temporary file."""
    # what a child's ru_maxrss may have inherited from this process (docstring)
    launcher_mark = high_water_mark(os.getpid()) or 0
    with tempfile.TemporaryFile(mode="w+") as log:
        start = time.perf_counter()
        process = subprocess.Popen(
            list(command),
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        peak = 0
        timeline: list[tuple[float, int]] = []
        hwm_timeline: list[tuple[float, int]] = []
        done = threading.Event()

        def poll() -> None:
            nonlocal peak
            try:
                watched = psutil.Process(process.pid)
            except psutil.Error:
                return
            while not done.is_set():
                rss, marks = _tree_rss(watched)
                now = time.time()
                timeline.append((now, rss))
                if process.pid in marks:
                    hwm_timeline.append((now, marks[process.pid]))
                peak = max(peak, rss, *marks.values())
                done.wait(0.1)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        done.set()
        poller.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    if echo:
        print(output, end="")
    waited_peak = int(usage.ru_maxrss) * 1024  # Linux: kilobytes
    if waited_peak > launcher_mark:
        peak = max(peak, waited_peak)
    cpu = usage.ru_utime + usage.ru_stime
    return Measured(
        tuple(command),
        process.returncode,
        seconds,
        peak,
        output,
        cpu,
        tuple(timeline),
        tuple(hwm_timeline),
    )
