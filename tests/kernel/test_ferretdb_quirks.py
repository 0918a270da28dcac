"""FerretDB v1.24.2 behaviours Loopgate works around, pinned one test each.

Each test asserts the odd behaviour itself, so when a FerretDB upgrade fixes one, its test
fails and says which workaround can go:

- pushdown only for ``{_id: value}``: hot paths are ``_id`` point reads (DESIGN.md §8);
- an update command of 100 statements wedges the server: ``schema/kernel/bulk.py`` chunks
  and budgets update statements;
- a failed update statement aborts its command and the reply has no counts:
  ``bulk_write_chunked`` replays or sends updates one per command;
- updates are not atomic: ``schema/kernel/claims.py`` arbitrates shared documents.

They run only against FerretDB (``buildInfo`` has ``ferretdbVersion``); the 100-statement
test starts its own server, since the one it wedges cannot be used again.
"""

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymongo
import pytest
from pymongo import MongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ExecutionTimeout, NetworkTimeout

from gateway.embedded import server

POOL_SIZE = 100  # SetMaxOpenConns in backends/sqlite/metadata/pool/opendb.go


@pytest.fixture
async def ferret(db: AsyncDatabase) -> AsyncDatabase:
    """The test database, when the server is FerretDB; other servers skip these tests."""
    info = await db.client.admin.command("buildInfo")
    if "ferretdbVersion" not in info:
        pytest.skip(f"server is not FerretDB (version {info.get('version')})")
    return db


async def _pushdown(db: AsyncDatabase, query: dict[str, Any]) -> bool:
    reply = await db.command("explain", {"find": "docs", "filter": query})
    return reply["filterPushdown"]


async def test_filter_pushdown_only_for_a_one_key_id_filter(ferret: AsyncDatabase) -> None:
    await ferret["docs"].insert_many([{"_id": f"d{i}", "rev": 1} for i in range(3)])
    assert await _pushdown(ferret, {"_id": "d1"}) is True
    assert await _pushdown(ferret, {"_id": "d1", "rev": 1}) is False
    assert await _pushdown(ferret, {"_id": {"$in": ["d1", "d2"]}}) is False
    assert await _pushdown(ferret, {"rev": 1}) is False


@pytest.fixture
def own_ferretdb(tmp_path: Path, cache_dir: Path) -> Iterator[server.RunningDb]:
    """A FerretDB of this test's own, killed afterwards (a wedged one ignores SIGTERM)."""
    state = tmp_path / "state"
    running = server.start(state, cache_dir, port=server.free_port())
    try:
        yield running
    finally:
        os.kill(running.pid, signal.SIGKILL)
        server.stop(state)


def _update_command(count: int) -> dict[str, Any]:
    return {"update": "docs", "ordered": False,
            "updates": [{"q": {"_id": f"d{i}"}, "u": {"$inc": {"n": 1}}} for i in range(count)]}


def test_update_command_of_100_statements_wedges_the_server(
        own_ferretdb: server.RunningDb) -> None:
    with MongoClient(own_ferretdb.uri, directConnection=True, socketTimeoutMS=10_000) as client:
        docs = client["wedge"]["docs"]
        docs.insert_many([{"_id": f"d{i}", "n": 0} for i in range(POOL_SIZE)])
        reply = client["wedge"].command(_update_command(POOL_SIZE - 1))
        assert reply["nModified"] == POOL_SIZE - 1
    with MongoClient(own_ferretdb.uri, directConnection=True) as client:
        with pytest.raises(NetworkTimeout), pymongo.timeout(2.0):
            client["wedge"].command(_update_command(POOL_SIZE))
        # nor does a read get a connection any more (FerretDB honours a find's maxTimeMS)
        with pytest.raises((NetworkTimeout, ExecutionTimeout)), pymongo.timeout(1.0):
            client["wedge"]["docs"].find_one({"_id": "d0"})


async def test_failed_update_statement_leaves_no_counts_in_the_reply(
        ferret: AsyncDatabase) -> None:
    await ferret["docs"].insert_many([{"_id": f"d{i}", "n": 0, "s": "text"} for i in range(3)])
    reply = await ferret.command({"update": "docs", "ordered": False, "updates": [
        {"q": {"_id": "d0"}, "u": {"$inc": {"n": 1}}},
        {"q": {"_id": "d1"}, "u": {"$inc": {"s": 1}}},  # $inc on a string fails
        {"q": {"_id": "d2"}, "u": {"$inc": {"n": 1}}},
    ]})
    assert set(reply) == {"ok", "writeErrors"}  # no n, no nModified: PyMongo's KeyError
    # the failing statement is reported as index 0, and the unordered command stopped there
    assert [(e["index"], e["code"]) for e in reply["writeErrors"]] == [(0, 14)]
    counts = {d["_id"]: d["n"] async for d in ferret["docs"].find({}, {"n": 1})}
    assert counts == {"d0": 1, "d1": 0, "d2": 0}


async def test_concurrent_increments_of_one_document_lose_updates(
        ferret: AsyncDatabase) -> None:
    docs = ferret["docs"]
    await docs.insert_one({"_id": "hot", "n": 0})
    totals = []
    for _ in range(5):
        await docs.update_one({"_id": "hot"}, {"$set": {"n": 0}})
        await asyncio.gather(*(docs.update_one({"_id": "hot"}, {"$inc": {"n": 1}})
                               for _ in range(20)))
        stored = await docs.find_one({"_id": "hot"})
        assert stored is not None
        totals.append(stored["n"])
    assert min(totals) < 20, totals
