"""Generated operations against the served platform: always a GraphQL-shaped answer.

Valid queries and mutations (every root field, generated arguments) run through the whole
app with a partner's token; invalid ones (wrong argument types, unknown fields) must be
refused as a request error before any subgraph is called.
"""

import httpx
import hypothesis_graphql as hg
import pytest
from hypothesis import given

from tests.limits_matrix.counted import CountedPlatform
from tests.property.shape import codes_of, graphql_shaped
from tests.property.strategies import bounded, operations

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
"""Hypothesis warns when it formats a generated document of hundreds of kilobytes; the
suite's ``error`` filter would turn that note into a failure of a passing example."""

REFUSED_BEFORE_RUNNING = {"GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "QUERY_TOO_COMPLEX"}


@bounded(60)
@given(query=operations("query", hg.Mode.POSITIVE))
async def test_valid_queries(platform: CountedPlatform, query: str) -> None:
    reply = await platform.http.post("/graphql", json={"query": query}, headers=platform.bearer)
    _executed_or_too_complex(reply, query)


@bounded(40)
@given(mutation=operations("mutation", hg.Mode.POSITIVE))
async def test_valid_mutations(platform: CountedPlatform, mutation: str) -> None:
    reply = await platform.http.post("/graphql", json={"query": mutation},
                                     headers=platform.bearer)
    _executed_or_too_complex(reply, mutation)


@bounded(60)
@given(query=operations("query", hg.Mode.NEGATIVE))
async def test_invalid_queries(platform: CountedPlatform, query: str) -> None:
    await _refused(platform, query)


@bounded(40)
@given(mutation=operations("mutation", hg.Mode.NEGATIVE))
async def test_invalid_mutations(platform: CountedPlatform, mutation: str) -> None:
    await _refused(platform, mutation)


def _executed_or_too_complex(reply: httpx.Response, document: str) -> None:
    """A valid document runs (200 with data), unless it is over a limit (400)."""
    body = graphql_shaped(reply, document)
    if reply.status_code == 400:
        assert codes_of(body) == {"QUERY_TOO_COMPLEX"}, (body, document[:3000])
    else:
        assert reply.status_code == 200, (body, document[:3000])
        assert "data" in body, (body, document[:3000])


async def _refused(platform: CountedPlatform, document: str) -> None:
    before = len(platform.calls)
    reply = await platform.http.post("/graphql", json={"query": document},
                                     headers=platform.bearer)
    body = graphql_shaped(reply, document)
    assert reply.status_code == 400, (body, document[:3000])
    assert codes_of(body) <= REFUSED_BEFORE_RUNNING, (body, document[:3000])
    assert len(platform.calls) == before, document[:3000]
