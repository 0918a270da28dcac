"""Misconfiguration gives one clear line and a non-zero exit, never a traceback."""

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest


def run_loopgate(*args: str, env: dict[str, str] | None = None,
                 timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
    )


def assert_one_line_failure(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert expected in result.stderr
    error_lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(error_lines) == 1, result.stderr


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_unreachable_mongodb_uri(tmp_path: Path) -> None:
    result = run_loopgate("serve", "--port", "0", env={
        "LOOPGATE_MONGODB_URI": "mongodb://127.0.0.1:1/", "LOOPGATE_MONGODB_TIMEOUT_MS": "300",
        "LOOPGATE_STATE_DIR": str(tmp_path)})
    assert_one_line_failure(result, "cannot reach MongoDB at mongodb://127.0.0.1:1/")


def test_malformed_mongodb_uri(tmp_path: Path) -> None:
    result = run_loopgate("seed", env={"LOOPGATE_MONGODB_URI": "mongodb://host:notaport/",
                                       "LOOPGATE_STATE_DIR": str(tmp_path)})
    assert_one_line_failure(result, "not a valid MongoDB URI")


def test_port_already_in_use(busy_port: int, ferretdb: str) -> None:
    result = run_loopgate("serve", "--port", str(busy_port),
                          env={"LOOPGATE_MONGODB_URI": ferretdb})
    assert_one_line_failure(result, f"cannot listen on 127.0.0.1:{busy_port}")


def test_db_status_reports_not_running(tmp_path: Path) -> None:
    result = run_loopgate("db", "status", env={"LOOPGATE_STATE_DIR": str(tmp_path)})
    assert result.returncode == 3
    assert "not running" in result.stdout


def test_seed_is_idempotent_and_skips_finished_steps(ferretdb: str) -> None:
    from pymongo import MongoClient

    from schema.kernel.ids import new_id

    db_name = f"seed_{new_id('evt')[4:].lower()}"
    env = {"LOOPGATE_MONGODB_URI": ferretdb, "LOOPGATE_DB": db_name,
           "LOOPGATE_DEMO_STOCK_STORES": "3"}
    first = run_loopgate("seed", env=env)
    assert first.returncode == 0, first.stderr
    with MongoClient(ferretdb) as client:
        db = client[db_name]
        before = list(db["partners"].find({}, {"updatedAt": 0}).sort("_id"))
        assert db["inventory"].count_documents({}) == 3 * 500
        again = run_loopgate("seed", env=env)
        forced = run_loopgate("seed", "--force", env=env)
        after = list(db["partners"].find({}, {"updatedAt": 0}).sort("_id"))
        assert db["inventory"].count_documents({}) == 3 * 500
        client.drop_database(db_name)
    assert again.returncode == 0 and forced.returncode == 0
    assert before == after and len(before) == 5
    for step in ("partners", "auth", "stores", "products", "stock"):
        assert step in first.stderr
        assert f"{step} (already in)" in again.stderr
        assert f"{step} (already in)" not in forced.stderr
