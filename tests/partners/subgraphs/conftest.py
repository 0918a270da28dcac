"""One server of partner subgraphs for the session (on a free port);
loopback allowed as the operator would allow a network (LOOPGATE_ALLOW_NETWORKS), so plain
http is accepted."""

from collections.abc import AsyncIterator, Iterator

import pytest

from partners.urls import ALLOW_NETWORKS_ENV
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import sandbox_name
from tests.gateway.servers import serving
from tests.partners.subgraphs.partner_apps import APP


@pytest.fixture(scope="session")
def partner_server() -> Iterator[str]:
    with serving(APP) as base:
        yield base


@pytest.fixture
def base(partner_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv(ALLOW_NETWORKS_ENV, "127.0.0.0/8")
    return partner_server


@pytest.fixture(autouse=True)
async def drop_sandbox(mongo: Mongo) -> AsyncIterator[None]:
    """The test database's sandbox twin is dropped with it."""
    yield
    await mongo.client.drop_database(sandbox_name(mongo.db.name))
