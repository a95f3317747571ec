"""The one patch Great Expectations needs to validate DuckDB through SQL.

Great Expectations 1.x (verified on the pinned 1.24.1) runs every metric query
of its SQL datasource inside `with engine.connect() as connection:` and
returns the cursor; for dialects it does not list in the private
`_PERSISTED_CONNECTION_DIALECTS` the connection is closed before the rows
are fetched. With duckdb-engine that yields no rows, so every expectation
errors (GX issues #10738 and #11579). Listing `duckdb` there makes GX keep
one connection per engine (a `StaticPool`), exactly as it does for SQLite:
the checks then run as SQL inside DuckDB instead of loading the marts into
pandas.

The patch is applied in-process by `apply()` (idempotent) and checked by
`assert_active()`; `retention/tests/test_validate.py` checks that a query
through the GX SQL datasource returns the real row count, so that a GX
upgrade that moves or renames the private tuple fails a test instead of
silently validating nothing.
"""

from __future__ import annotations

from importlib.metadata import version

from great_expectations.execution_engine import sqlalchemy_execution_engine as _engine

VERIFIED_GX_VERSION = "1.24.1"
DUCKDB_DIALECT = "duckdb"


class _DialectName(str):
    """A dialect name usable where GX expects a `GXSqlDialect` member.

    GX compares members with plain strings (`dialect_name in tuple`) and
    reads `.value` when matching connection strings; `GXSqlDialect` has no
    DuckDB member, so this string carries its own `.value`.
    """

    @property
    def value(self) -> str:
        return str(self)


def apply() -> None:
    """List DuckDB among the dialects whose connection GX keeps open."""
    dialects = getattr(_engine, "_PERSISTED_CONNECTION_DIALECTS", None)
    if dialects is None:
        raise RuntimeError(
            "great_expectations no longer has "
            "sqlalchemy_execution_engine._PERSISTED_CONNECTION_DIALECTS: the DuckDB patch "
            f"(verified on GX {VERIFIED_GX_VERSION}, installed {version('great_expectations')}) "
            "must be revisited"
        )
    if not is_active():
        _engine._PERSISTED_CONNECTION_DIALECTS = (*dialects, _DialectName(DUCKDB_DIALECT))


def is_active() -> bool:
    dialects = getattr(_engine, "_PERSISTED_CONNECTION_DIALECTS", ())
    return any(dialect == DUCKDB_DIALECT for dialect in dialects)


def assert_active() -> None:
    """Raise unless the patch is in place and GX would persist DuckDB connections."""
    if not is_active():
        raise RuntimeError("the GX DuckDB patch is not applied (call gx_patch.apply())")
    if not _engine._dialect_requires_persisted_connection(connection_string="duckdb:///x.duckdb"):
        raise RuntimeError(
            "GX ignores _PERSISTED_CONNECTION_DIALECTS for duckdb: the patch no longer works "
            f"on GX {version('great_expectations')} (verified on {VERIFIED_GX_VERSION})"
        )
