"""The Spark session of the `spark` target of profiles.yml, outside dbt.

dbt-spark's session method builds its SparkSession from the target's
server_side_parameters. Steps that run next to dbt (the CLV step, the
comparison) must see the same metastore and warehouse directory, so they
build their session from the same profile entry. In one process (the
`make test-spark` driver) getOrCreate() returns the session dbt created.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2
import yaml

from retention.dbt import PROJECT_ROOT

PROFILE = "retention"
TARGET = "spark"


def spark_parameters(profiles_dir: Path = PROJECT_ROOT) -> dict[str, str]:
    """server_side_parameters of the spark target, env_var() rendered."""

    def env_var(name: str, default: str | None = None) -> str:
        value = os.environ.get(name, default)
        if value is None:
            raise KeyError(f"environment variable {name} is not set")
        return value

    profiles: dict[str, Any] = yaml.safe_load((profiles_dir / "profiles.yml").read_text())
    raw = profiles[PROFILE]["outputs"][TARGET]["server_side_parameters"]
    environment = jinja2.Environment(autoescape=False)
    return {
        str(name): environment.from_string(str(value)).render(env_var=env_var)
        for name, value in raw.items()
    }


def spark_session():  # -> pyspark.sql.SparkSession
    """The session dbt-spark would build (or the one it already built)."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for name, value in spark_parameters().items():
        builder = builder.config(name, value)
    return builder.getOrCreate()
