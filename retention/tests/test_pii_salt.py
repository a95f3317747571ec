"""The e-mail hash salt: PII_HASH_SALT, or the public constant for the
bundled sample and the fixtures only; anything else stops the build."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import duckdb
import pytest

from retention.dbt import PROJECT_ROOT, dbt_env
from retention.pii import PUBLIC_SALT, MissingSaltError, is_public_data, pii_hash_salt
from retention.tests.conftest import DATA_DIR
from retention.tests.dbt_runs import run_dbt

EMAIL = "alice.example@mail.test"  # customer C1 of data/tiny, trimmed and lower-cased


def _run_raw_customers(tmp_path: Path, raw: Path, salt: str | None) -> tuple[int, str, Path]:
    warehouse = tmp_path / "salt.duckdb"
    env = dbt_env(raw_data_dir=raw, warehouse_path=warehouse, target_path=tmp_path / "target")
    env.pop("PII_HASH_SALT", None)
    if salt is not None:
        env["PII_HASH_SALT"] = salt
    result = run_dbt(["run", "--select", "raw_customers"], env=env)
    return result.returncode, result.output, warehouse


def _hash_of_c1(warehouse: Path) -> str:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select email_hash from raw.raw_customers where customer_id = 'C1'"
        ).fetchone()[0]


def _expected(salt: str) -> str:
    return hashlib.sha256((salt + EMAIL).encode()).hexdigest()


@pytest.fixture
def private_raw(tmp_path: Path) -> Path:
    raw = tmp_path / "shop_export"
    shutil.copytree(DATA_DIR / "tiny", raw)
    return raw


def test_other_data_without_salt_fails_with_instructions(tmp_path: Path, private_raw: Path) -> None:
    code, output, _ = _run_raw_customers(tmp_path, private_raw, salt=None)
    assert code != 0
    assert "PII_HASH_SALT is not set" in output
    assert "export PII_HASH_SALT=" in output


def test_other_data_with_salt_hashes_with_it(tmp_path: Path, private_raw: Path) -> None:
    salt = "a-private-salt-with-'quote"
    code, output, warehouse = _run_raw_customers(tmp_path, private_raw, salt=salt)
    assert code == 0, output[-3000:]
    assert _hash_of_c1(warehouse) == _expected(salt)


def test_fixtures_without_salt_use_the_public_constant(tmp_path: Path) -> None:
    code, output, warehouse = _run_raw_customers(tmp_path, DATA_DIR / "tiny", salt=None)
    assert code == 0, output[-3000:]
    assert _hash_of_c1(warehouse) == _expected(PUBLIC_SALT)


def test_python_rule_matches(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("PII_HASH_SALT", raising=False)
    assert is_public_data("data/sample") and is_public_data("./data/sample/")
    assert is_public_data(PROJECT_ROOT / "data" / "sample")
    assert is_public_data(DATA_DIR / "tiny")
    assert not is_public_data(tmp_path / "shop_export")
    assert pii_hash_salt(DATA_DIR / "tiny") == PUBLIC_SALT
    with pytest.raises(MissingSaltError, match="PII_HASH_SALT"):
        pii_hash_salt(tmp_path / "shop_export")
    monkeypatch.setenv("PII_HASH_SALT", "mine")
    assert pii_hash_salt(tmp_path / "shop_export") == "mine"
