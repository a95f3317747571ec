"""The e-mail hash salt for Python code, by the rule of the dbt macro
`pii_hash_salt()` (macros/staging/cleaning.sql): PII_HASH_SALT, or the public
constant for the bundled sample and the test fixtures only."""

from __future__ import annotations

import os
from pathlib import Path

PUBLIC_SALT = "retention-warehouse"
ENV_VAR = "PII_HASH_SALT"


class MissingSaltError(RuntimeError):
    pass


def is_public_data(raw_data_dir: Path | str) -> bool:
    """data/sample (bundled) or a folder of retention/tests/data (fixtures)."""
    raw = str(raw_data_dir).rstrip("/")
    normalised = raw[2:] if raw.startswith("./") else raw
    return (
        normalised == "data/sample"
        or normalised.endswith("/data/sample")
        or "retention/tests/data/" in normalised + "/"
    )


def pii_hash_salt(raw_data_dir: Path | str) -> str:
    salt = os.environ.get(ENV_VAR, "")
    if salt:
        return salt
    if is_public_data(raw_data_dir):
        return PUBLIC_SALT
    raise MissingSaltError(
        f"{ENV_VAR} is not set, and {raw_data_dir} is not the bundled sample: "
        "set your own secret salt (README, Configuration)"
    )
