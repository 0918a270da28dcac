"""Shared fixtures: one real FerretDB per test session, a fresh database per test.

The server is started by the same bootstrap as ``loopgate db start`` (built into the cache
directory on first use), in a temporary state directory on a free port, so a developer's
own embedded database is never touched. There is no mock of MongoDB anywhere.
"""

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.config import Settings
from gateway.embedded import server
from gateway.embedded.id_index import IdIndexKeeper
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo

pytest_plugins = ["tests.auth.fixtures"]


@pytest.fixture(scope="session", autouse=True)
def voucher_keys() -> Iterator[None]:
    """A key set of the test session's own, so no test writes a key file into the developer's
    state directory (subprocesses inherit it)."""
    from schema.marketing.codes import KEYS_ENV, new_key_set

    patch = pytest.MonkeyPatch()
    patch.setenv(KEYS_ENV, new_key_set())
    yield
    patch.undo()


@pytest.fixture(scope="session")
def cache_dir() -> Path:
    return Settings().cache_dir


@pytest.fixture(scope="session")
def ferretdb(tmp_path_factory: pytest.TempPathFactory, cache_dir: Path) -> Iterator[str]:
    """The URI of a FerretDB started for this test session (or LOOPGATE_TEST_MONGODB_URI)."""
    external = os.environ.get("LOOPGATE_TEST_MONGODB_URI")
    if external:
        yield external
        return
    state_dir = tmp_path_factory.mktemp("ferretdb-state")
    running = server.start(state_dir, cache_dir, port=server.free_port(),
                           progress=lambda line: print(line, flush=True))
    try:
        with IdIndexKeeper(running.data_dir):
            yield running.uri
    finally:
        server.stop(state_dir)


@pytest.fixture(scope="session")
async def mongo_client(ferretdb: str) -> AsyncIterator[Mongo]:
    """One client for the session; tests get their own database from :func:`mongo`."""
    mongo = Mongo.open(ferretdb, "loopgate_test")
    await mongo.ping()
    yield mongo
    await mongo.close()


@pytest.fixture
async def mongo(mongo_client: Mongo) -> AsyncIterator[Mongo]:
    """A fresh, empty database for one test, dropped afterwards."""
    name = f"t_{new_id('evt')[4:].lower()}"
    fresh = Mongo(client=mongo_client.client, db=mongo_client.client[name], uri=mongo_client.uri)
    yield fresh
    await mongo_client.client.drop_database(name)


@pytest.fixture
def db(mongo: Mongo) -> AsyncDatabase:
    return mongo.db
