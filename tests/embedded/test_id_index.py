"""The ``_id`` lookup index workaround for FerretDB v1.24.2 (SQLite).

The first test pins the FerretDB behaviour itself: its pushed-down ``{_id: value}`` query
scans the table even though a unique ``_id`` index exists. If a FerretDB upgrade fixes that,
the test fails and :mod:`gateway.embedded.id_index` can go.
"""

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from gateway.embedded import server
from gateway.embedded.id_index import INDEX_SUFFIX, IdIndexKeeper, index_id_lookups


@pytest.fixture(scope="module")
def private_db(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[
        server.RunningDb]:
    """A FerretDB of this module's own: no keeper runs against it unless a test starts one."""
    state = tmp_path_factory.mktemp("id-index-state")
    running = server.start(state, cache_dir, port=server.free_port())
    try:
        yield running
    finally:
        server.stop(state)


def _table_of(data_dir: Path, database: str, collection: str) -> str:
    with contextlib.closing(sqlite3.connect(data_dir / f"{database}.sqlite")) as connection:
        row = connection.execute("SELECT table_name FROM _ferretdb_collections WHERE name = ?",
                                 (collection,)).fetchone()
    return str(row[0])


def _plan_of_id_lookup(data_dir: Path, database: str, table: str) -> str:
    """SQLite's plan for the exact statement FerretDB sends for ``find({_id: value})``."""
    with contextlib.closing(sqlite3.connect(data_dir / f"{database}.sqlite")) as connection:
        rows = connection.execute(
            f'EXPLAIN QUERY PLAN SELECT _ferretdb_sjson FROM "{table}" '
            "WHERE _ferretdb_sjson->'$._id' = ?", ('"k1"',)).fetchall()
    return " ".join(str(row[-1]) for row in rows)


def test_ferretdb_scans_the_table_for_id_lookups_without_the_workaround(
        private_db: server.RunningDb) -> None:
    with MongoClient(private_db.uri, directConnection=True) as client:
        client["pin"]["docs"].insert_many([{"_id": f"k{i}"} for i in range(10)])
    table = _table_of(private_db.data_dir, "pin", "docs")
    assert _plan_of_id_lookup(private_db.data_dir, "pin", table).startswith("SCAN")


def test_one_pass_indexes_every_collection_once_and_lookups_use_it(
        private_db: server.RunningDb) -> None:
    with MongoClient(private_db.uri, directConnection=True) as client:
        docs = client["pass"]["docs"]
        docs.insert_many([{"_id": f"k{i}", "n": i} for i in range(50)])
        client["pass"]["other"].insert_one({"_id": "x"})
        created = index_id_lookups(private_db.data_dir)
        tables = {_table_of(private_db.data_dir, "pass", c) for c in ("docs", "other")}
        assert {t + INDEX_SUFFIX for t in tables} <= set(created)
        assert index_id_lookups(private_db.data_dir) == []
        for table in tables:
            plan = _plan_of_id_lookup(private_db.data_dir, "pass", table)
            assert f"USING INDEX {table}{INDEX_SUFFIX}" in plan

        assert docs.find_one({"_id": "k7"}) == {"_id": "k7", "n": 7}
        assert docs.find_one({"_id": "missing"}) is None
        assert docs.update_one({"_id": "k8"}, {"$inc": {"n": 100}}).modified_count == 1
        assert docs.find_one({"_id": "k8"}) == {"_id": "k8", "n": 108}
        assert docs.delete_one({"_id": "k9"}).deleted_count == 1
        assert docs.count_documents({}) == 49
        assert [i["name"] for i in docs.list_indexes()] == ["_id_"]

        client["pass"].drop_collection("docs")
        docs.insert_one({"_id": "again"})
        assert docs.find_one({"_id": "again"}) == {"_id": "again"}


def test_keeper_indexes_collections_created_while_it_runs(
        private_db: server.RunningDb) -> None:
    with IdIndexKeeper(private_db.data_dir, interval=0.05), \
            MongoClient(private_db.uri, directConnection=True) as client:
        client["later"]["docs"].insert_one({"_id": "k1"})
        table = _table_of(private_db.data_dir, "later", "docs")
        deadline = time.monotonic() + 10
        while "USING INDEX" not in _plan_of_id_lookup(private_db.data_dir, "later", table):
            assert time.monotonic() < deadline, "the keeper never indexed the new collection"
            time.sleep(0.05)
    assert _plan_of_id_lookup(private_db.data_dir, "later", table).endswith(
        f"USING INDEX {table}{INDEX_SUFFIX} (<expr>=?)")


def test_missing_or_foreign_files_are_skipped(tmp_path: Path) -> None:
    (tmp_path / "broken.sqlite").write_bytes(b"not a database")
    sqlite3.connect(tmp_path / "plain.sqlite").close()
    assert index_id_lookups(tmp_path) == []
    assert index_id_lookups(tmp_path / "absent") == []
