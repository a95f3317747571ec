"""Run dbt for this project from Python (tests, build, benchmarks).

dbt runs in a subprocess with the project root as working directory, so a
run sees exactly what `dbt build` in a terminal sees; the environment decides
which raw data and which DuckDB file it uses.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class DbtResult:
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def target_path() -> Path:
    """dbt's target folder: DBT_TARGET_PATH, else target/ in the project."""
    return Path(os.environ.get("DBT_TARGET_PATH", PROJECT_ROOT / "target"))


def dbt_executable() -> str:
    """The dbt next to the running interpreter (the project's .venv)."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def dbt_env(
    raw_data_dir: Path | str | None = None,
    warehouse_path: Path | str | None = None,
    target_path: Path | str | None = None,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for a dbt run; unset arguments keep the caller's values."""
    env = dict(os.environ)
    env["DBT_PROFILES_DIR"] = str(PROJECT_ROOT)
    env.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    env.setdefault("DBT_USE_COLORS", "false")
    if raw_data_dir is not None:
        env["RAW_DATA_DIR"] = str(Path(raw_data_dir).resolve())
    if warehouse_path is not None:
        env["WAREHOUSE_PATH"] = str(Path(warehouse_path).resolve())
    if target_path is not None:
        env["DBT_TARGET_PATH"] = str(Path(target_path).resolve())
    if extra:
        env.update(extra)
    return env


def dbt_arguments(args: Sequence[str], vars: Mapping[str, object] | None = None) -> list[str]:
    """dbt's command-line arguments: `args`, then `--vars` as JSON when given."""
    if not vars:
        return list(args)
    return [*args, "--vars", json.dumps(dict(vars), default=str)]


def run_dbt(
    args: Sequence[str],
    *,
    vars: Mapping[str, object] | None = None,
    env: Mapping[str, str] | None = None,
    echo: bool = False,
) -> DbtResult:
    """Run `dbt <args>` in the project root; returns code and combined output."""
    command = [dbt_executable(), *dbt_arguments(args, vars)]
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=dict(env) if env is not None else dbt_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if echo:
            sys.stdout.write(line)
            sys.stdout.flush()
    return DbtResult(process.wait(), "".join(lines))
