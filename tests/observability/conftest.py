"""Fixtures of the observability tests: a flaky subgraph over real HTTP, a pooled session."""

from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest

from gateway.transports import http_session
from tests.observability.servers import FlakySubgraph, serving


@pytest.fixture(scope="session")
def _flaky_server() -> Iterator[tuple[FlakySubgraph, str]]:
    subgraph = FlakySubgraph()
    with serving(subgraph.app) as base_url:
        yield subgraph, f"{base_url}/graphql"


@pytest.fixture
def flaky(_flaky_server: tuple[FlakySubgraph, str]) -> FlakySubgraph:
    """The subgraph, its script and call log empty for this test."""
    subgraph = _flaky_server[0]
    subgraph.script.clear()
    subgraph.calls.clear()
    subgraph.queries.clear()
    return subgraph


@pytest.fixture
def flaky_url(_flaky_server: tuple[FlakySubgraph, str]) -> str:
    return _flaky_server[1]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with http_session(timeout=5.0) as pooled:
        yield pooled
