"""`make setup` installs compiled bytecode (Makefile, INSTALL --compile-bytecode).

Where PYTHONDONTWRITEBYTECODE is set, as on some CI runners, Python reads a
module's cached bytecode but never writes it: without the install's
compiled files every process of the suite (a dbt run, a Great Expectations
validation, a pytest worker) would compile dbt, Great Expectations and
pandas from source again, about 7 CPU s of each dbt run.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

#: modules every dbt run or validation imports, from the biggest packages
HEAVY_MODULES = (
    "dbt.cli.main",
    "dbt.adapters.duckdb.impl",
    "great_expectations.core",
    "pandas.core.frame",
    "scipy.optimize",
)


@pytest.mark.parametrize("name", HEAVY_MODULES)
def test_installed_packages_carry_their_bytecode(name: str) -> None:
    source = importlib.util.find_spec(name)
    assert source is not None and source.origin is not None, name
    if not source.origin.startswith(sys.prefix):
        pytest.skip(f"{name} is not installed in this environment's prefix ({sys.prefix})")
    cached = Path(importlib.util.cache_from_source(source.origin))
    assert cached.is_file(), f"{name}: no {cached} (install with --compile-bytecode: make setup)"
