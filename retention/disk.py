"""Free disk space before work that writes a lot: `make build` and `make bench`.

A build replaces most of the warehouse's tables (the old blocks are freed
only once the new ones are written) and spills sorts and joins to
DUCKDB_TEMP_DIRECTORY beyond DUCKDB_MEMORY_LIMIT. On a nearly full disk it
slows down long before it fails: a 10M-order one-day change took 147 s
instead of about 100 s with 16 GB free (BENCHMARKS.md), with no error.
"""

from __future__ import annotations

import shutil
from pathlib import Path

GB = 1024**3

#: a build may need this many times the warehouse's size free on its disk
#: (the replaced tables, then the published copy and the spills)
WAREHOUSE_SIZE_FACTOR = 2


def free_bytes(path: Path) -> int:
    """Free space on the disk holding ``path`` (or its nearest existing parent)."""
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    return shutil.disk_usage(existing).free


def low_disk_warning(where: Path, free: int, needed: int, reason: str) -> str | None:
    """A warning when ``free`` bytes are fewer than ``needed``, else None."""
    if free >= needed:
        return None
    return (
        f"WARNING: {free / GB:.1f} GB free on the disk of {where}, under the "
        f"{needed / GB:.1f} GB {reason}: DuckDB's writes and spills may slow down, "
        "or fail with 'No space left on device'. Free some space, or set "
        "DUCKDB_TEMP_DIRECTORY to a folder on another disk."
    )


def build_disk_warning(warehouse: Path, free: int) -> str | None:
    """The warning `make build` prints before dbt runs, if any.

    A new warehouse (no file yet) is not checked: its size is not known.
    """
    if not warehouse.exists():
        return None
    needed = WAREHOUSE_SIZE_FACTOR * warehouse.stat().st_size
    reason = f"a build may need ({WAREHOUSE_SIZE_FACTOR} times the warehouse)"
    return low_disk_warning(warehouse.parent, free, needed, reason)
