"""Local dates from per-day UTC offsets equal one time-zone conversion per row.

The staging models take a row's store-local date from a table of UTC
offsets per (zone, UTC day) (macros utc_day_offsets, local_date_from_offsets)
instead of converting every row with ICU (utc_to_local_date). Both are
compiled by dbt (target lint, no warehouse) and run here on DuckDB over
every quarter hour of 2024 (and the microsecond before each) in zones with
DST changes at both ends of the day, half- and quarter-hour offsets, a
30-minute DST shift, negative DST, a two-hour DST shift and a skipped
calendar day, plus sentinel timestamps and nulls.
"""

from __future__ import annotations

import json
import os

import duckdb
import pytest

from retention.dbt import dbt_env
from retention.tests.dbt_runs import run_dbt

ZONES = (
    "Pacific/Auckland",  # UTC+13 in summer: local midnight is UTC midday
    "America/Los_Angeles",
    "Asia/Kolkata",  # +05:30
    "Asia/Kathmandu",  # +05:45
    "Australia/Lord_Howe",  # +10:30 / +11:00: a 30-minute DST shift
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/St_Johns",  # -03:30 / -02:30
    "Europe/Berlin",
    "Europe/Dublin",  # negative DST in the tz database
    "Antarctica/Troll",  # +00:00 / +02:00: a two-hour DST shift
    "Africa/Casablanca",  # DST suspended during Ramadan: two changes a month apart
    "Pacific/Apia",  # skipped 30 December 2011
    "America/Sao_Paulo",  # DST until 2019
    "UTC",
)

# {{ }} is dbt's: the query the test compiles, over a relation `instants` (ts, timezone)
QUERY = """
with local_day_offsets as (
    {{ utc_day_offsets('(select timezone, cast(ts as date) as utc_day from zone_days_source)') }}
)
select
    instants.ts,
    instants.timezone,
    {{ utc_to_local_date('instants.ts', 'instants.timezone') }} as expected,
    {{ local_date_from_offsets('instants.ts', 'instants.timezone', 'local_day_offsets') }}
        as actual,
    local_day_offsets.utc_offset is null and instants.timezone is not null as converted_alone
from instants
left join local_day_offsets
    on {{ utc_day_offsets_join('instants.ts', 'instants.timezone', 'local_day_offsets') }}
"""


@pytest.fixture(scope="module")
def compiled_query(tmp_path_factory: pytest.TempPathFactory) -> str:
    target = tmp_path_factory.mktemp("target")
    env = dbt_env(target_path=target, extra={"DBT_TARGET": "lint"})
    env.setdefault("PII_HASH_SALT", os.environ.get("PII_HASH_SALT", "test-local-dates"))
    result = run_dbt(["compile", "-q", "--output", "json", "--inline", QUERY], env=env)
    assert result.ok, result.output[-3000:]
    return json.loads(result.output[result.output.index("{") :])["compiled"]


def _instants(con: duckdb.DuckDBPyConnection) -> None:
    zones = ", ".join(f"('{zone}')" for zone in ZONES)
    con.execute(f"create table zones as select * from (values {zones}) as zones(timezone)")
    # every quarter hour of 2024, and of days around the Apia date-line
    # jump (2011), a Casablanca Ramadan suspension (2019), a Sao Paulo change (2018)
    ranges = [
        ("2024-01-01", "2025-01-01"),
        ("2011-12-28", "2012-01-02"),
        ("2019-05-01", "2019-06-15"),
        ("2018-10-30", "2018-11-06"),
    ]
    con.execute(
        "create table grid as "
        + " union all ".join(
            f"select unnest(generate_series(timestamp '{start}', timestamp '{end}', "
            "interval 15 minute)) as ts"
            for start, end in ranges
        )
    )
    con.execute(
        """
        create table instants as
        select grid.ts, zones.timezone from grid cross join zones
        union all
        select grid.ts - interval 1 microsecond, zones.timezone from grid cross join zones
        union all
        select ts, timezone from (values
            (timestamp '1900-01-01 00:00:00', 'Pacific/Auckland'),
            (timestamp '1989-12-31 23:59:59', 'Asia/Kolkata'),
            (timestamp '2099-12-31 23:59:59.999999', 'America/Los_Angeles'),
            (timestamp '2024-03-10 12:00:00', null),
            (null, 'Europe/Berlin'),
            (null, null)
        ) as edges(ts, timezone)
        """
    )


def _mismatches(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[int, int, list[tuple]]:
    con.execute(f"create or replace table compared as {sql}")
    (rows,) = con.execute("select count(*) from compared").fetchone()
    (alone,) = con.execute("select count(*) from compared where converted_alone").fetchone()
    wrong = con.execute(
        "select ts, timezone, expected, actual from compared "
        "where expected is distinct from actual order by timezone, ts limit 10"
    ).fetchall()
    assert rows > 1_000_000
    return rows, alone, wrong


def test_offsets_give_every_row_its_converted_local_date(compiled_query: str) -> None:
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        _instants(con)
        con.execute("create view zone_days_source as select * from instants")
        rows, alone, wrong = _mismatches(con, compiled_query)
        assert wrong == []
        # the change days fell back to a conversion per row (two a year in a
        # DST zone), the other days did not
        assert 0 < alone < rows / 50


def test_rows_of_days_missing_from_the_offsets_are_converted_alone(compiled_query: str) -> None:
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        _instants(con)
        # offsets known for odd days of the month only
        con.execute("create view zone_days_source as select * from instants where day(ts) % 2 = 1")
        rows, alone, wrong = _mismatches(con, compiled_query)
        assert wrong == []
        assert alone > rows / 3
