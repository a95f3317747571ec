"""Every model and every column that exists in the warehouse is documented in YAML."""

from __future__ import annotations

import json

from retention.tests.conftest import Warehouse

LAYERS = ("raw", "staging", "intermediate", "marts")


def test_every_model_and_column_is_documented(sample_warehouse: Warehouse) -> None:
    manifest = json.loads((sample_warehouse.target_path / "manifest.json").read_text())
    documented = {
        (node["schema"], node["name"]): node
        for node in manifest["nodes"].values()
        if node["resource_type"] in ("model", "seed")
    }
    built = sample_warehouse.query(
        f"""
        select table_schema, table_name, column_name
        from information_schema.columns
        where table_schema in {LAYERS}
        order by 1, 2, ordinal_position
        """
    )
    problems = []
    for schema, table, column in built:
        node = documented.get((schema, table))
        if node is None or not node["description"].strip():
            problems.append(f"{schema}.{table}: model not documented")
            continue
        described = node["columns"].get(column, {}).get("description", "").strip()
        if not described:
            problems.append(f"{schema}.{table}.{column}: column not documented")
    assert not sorted(set(problems)), "\n".join(sorted(set(problems)))


def test_marts_enforce_contracts(sample_warehouse: Warehouse) -> None:
    manifest = json.loads((sample_warehouse.target_path / "manifest.json").read_text())
    marts = [
        node
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
    ]
    assert marts
    unenforced = [node["name"] for node in marts if not node["contract"]["enforced"]]
    assert not unenforced


def test_the_sample_build_runs_every_unit_test(sample_warehouse: Warehouse) -> None:
    """The tests' other builds leave dbt's unit tests out (hermetic.py): the
    sample's build must run and pass every one of them."""
    manifest = json.loads((sample_warehouse.target_path / "manifest.json").read_text())
    results = json.loads((sample_warehouse.target_path / "run_results.json").read_text())
    defined = set(manifest["unit_tests"])
    passed = {r["unique_id"] for r in results["results"] if r["status"] == "pass"}
    assert len(defined) >= 10, "the project's unit tests are gone from the manifest"
    assert defined <= passed, f"unit tests not run or not passed: {sorted(defined - passed)}"


def test_mart_not_null_constraints_are_in_the_warehouse(sample_warehouse: Warehouse) -> None:
    """The marts' `not_null` constraints are the only null checks of their
    columns (no not_null data test repeats them, DECISIONLOG.md): every one
    is a NOT NULL of the built table, the incremental fct_orders included."""
    manifest = json.loads((sample_warehouse.target_path / "manifest.json").read_text())
    declared = {
        (node["name"], column["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["schema"] == "marts"
        for column in node["columns"].values()
        if any(c["type"] == "not_null" for c in column.get("constraints", []))
    }
    assert ("fct_orders", "order_id") in declared and len(declared) > 100
    enforced = set(
        sample_warehouse.query(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'marts' and is_nullable = 'NO'"
        )
    )
    assert not declared - enforced, sorted(declared - enforced)
    redundant = [
        node["name"]
        for node in manifest["nodes"].values()
        if (node.get("test_metadata") or {}).get("name") == "not_null"
        and (manifest["nodes"][node["attached_node"]]["name"], node["column_name"]) in declared
    ]
    assert not redundant, f"not_null tests that repeat a constraint: {redundant}"
