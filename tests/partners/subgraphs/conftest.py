"""One server of partner subgraphs for the session (the first free port of 4741-4758);
loopback allowed as the operator would allow a network (LOOPGATE_ALLOW_NETWORKS), so plain
http is accepted."""

import socket
from collections.abc import AsyncIterator, Iterator

import pytest

from partners.urls import ALLOW_NETWORKS_ENV
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import sandbox_name
from tests.gateway.servers import serving
from tests.partners.subgraphs.partner_apps import APP

PORTS = range(4741, 4759)


def free_port_in_range() -> int:
    """A port of :data:`PORTS` nothing listens on now (another run of these tests may hold
    the first ones)."""
    for port in PORTS:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@pytest.fixture(scope="session")
def partner_server() -> Iterator[str]:
    with serving(APP, port=free_port_in_range()) as base:
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
