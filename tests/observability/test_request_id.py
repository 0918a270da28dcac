"""Request ids: taken from the caller when safe, made otherwise, returned, logged, and sent to
HTTP subgraphs; in-process subgraphs see them in their log records."""

import logging

import aiohttp
import pytest
import strawberry
from graphql import parse

from gateway.observability.request_id import REQUEST_ID, RequestIdFilter, accepted_request_id
from gateway.transports import InProcessTransport, SubgraphRequest
from gateway.transports.router import TransportRouter
from tests.observability.apps import QUERY, client, gateway_app
from tests.observability.servers import FlakySubgraph


@pytest.mark.parametrize("offered", [b"", b"x" * 129, b"has space", b"semi;colon",
                                     "caf\u00e9".encode(), b"a\r\nInjected: 1"])
def test_unsafe_or_missing_ids_are_replaced(offered: bytes) -> None:
    made = accepted_request_id(offered or None)
    assert made != offered.decode("latin-1") and len(made) == 32


def test_a_safe_id_is_kept() -> None:
    assert accepted_request_id(b"req-42_a.b:c") == "req-42_a.b:c"


async def test_the_callers_id_reaches_the_response_and_the_subgraph(
        flaky: FlakySubgraph, flaky_url: str, session: aiohttp.ClientSession) -> None:
    app = gateway_app(flaky_url, session,
                      headers_for=lambda _request: {"Authorization": "Bearer t"})
    async with client(app) as http:
        reply = await http.post("/graphql", json=QUERY, headers={"X-Request-Id": "abc-123"})
        made = await http.post("/graphql", json=QUERY, headers={"X-Request-Id": "bad id"})
    assert reply.json()["data"] == {"hello": "ok"}
    assert reply.headers["x-request-id"] == "abc-123"
    assert flaky.calls[0]["x-request-id"] == "abc-123"
    assert flaky.calls[0]["authorization"] == "Bearer t"   # the caller's headers_for still runs
    assert made.headers["x-request-id"] not in ("", "bad id")
    assert flaky.calls[1]["x-request-id"] == made.headers["x-request-id"]


async def test_no_id_is_sent_outside_a_request(flaky: FlakySubgraph, flaky_url: str,
                                               session: aiohttp.ClientSession) -> None:
    router = TransportRouter.over_http(
        [type("S", (), {"name": "flaky", "url": flaky_url})()], session)
    await router.fetch(SubgraphRequest("flaky", "{ hello }", parse("{ hello }"), {}))
    assert "x-request-id" not in flaky.calls[0]


async def test_in_process_subgraphs_log_with_the_request_id(
        caplog: pytest.LogCaptureFixture) -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self) -> str:
            logging.getLogger("tests.inprocess").warning("resolving hello")
            return "hi"

    schema = strawberry.Schema(Query)
    router = TransportRouter({"local": InProcessTransport(schema._schema)})
    caplog.handler.addFilter(RequestIdFilter())
    token = REQUEST_ID.set("req-in-process")
    try:
        await router.fetch(SubgraphRequest("local", "{ hello }", parse("{ hello }"), {}))
    finally:
        REQUEST_ID.reset(token)
    record = next(r for r in caplog.records if r.getMessage() == "resolving hello")
    assert record.request_id == "req-in-process"
