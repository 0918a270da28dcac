"""Transports: the same subgraph fetches over in-process and HTTP, then each one's failures."""

import asyncio
import re

import aiohttp
import pytest
from graphql import parse

from gateway.transports import (
    HttpTransport,
    InProcessTransport,
    SubgraphRequest,
    SubgraphUnavailable,
    TransportRouter,
    http_session,
)
from tests.gateway.servers import free_port
from tests.gateway.subgraphs import SCHEMAS, viewer_context


def fetch(subgraph: str, query: str, variables: dict | None = None,
          operation_name: str | None = None, context: dict | None = None) -> SubgraphRequest:
    return SubgraphRequest(subgraph, query, parse(query), variables or {}, operation_name,
                           context or {})


ENTITIES = """query Entities($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on User { id username } }
}"""


async def test_root_field(router: TransportRouter) -> None:
    response = await router.fetch(fetch("products", "{ topProducts(first: 2) { upc name } }"))
    assert response == {"data": {"topProducts": [{"upc": "p1", "name": "Table"},
                                                 {"upc": "p2", "name": "Couch"}]}}


async def test_entities_with_variables_and_operation_name(router: TransportRouter) -> None:
    representations = [{"__typename": "User", "id": "u2"}, {"__typename": "User", "id": "u9"}]
    response = await router.fetch(fetch("users", ENTITIES, {"representations": representations},
                                        "Entities"))
    assert response["data"] == {"_entities": [{"id": "u2", "username": "alan"}, None]}


async def test_field_error_keeps_partial_data_with_path(router: TransportRouter) -> None:
    response = await router.fetch(fetch("users", '{ user(id: "u1") { username failing } }'))
    assert response["data"] == {"user": {"username": "ada", "failing": None}}
    [error] = response["errors"]
    assert error["message"] == "failing field of u1"
    assert error["path"] == ["user", "failing"]


async def test_async_resolvers_are_awaited(router: TransportRouter) -> None:
    response = await router.fetch(fetch("products", "{ slow(seconds: 0.01) }"))
    assert response == {"data": {"slow": "done"}}


async def test_unknown_subgraph_is_unavailable(router: TransportRouter) -> None:
    with pytest.raises(SubgraphUnavailable, match="'inventory' unavailable: no transport"):
        await router.fetch(fetch("inventory", "{ __typename }"))


async def test_probe_succeeds_for_live_subgraphs(router: TransportRouter) -> None:
    for name in SCHEMAS:
        await router.probe(name)


async def test_in_process_builds_subgraph_context_from_gateway_context() -> None:
    transport = InProcessTransport(SCHEMAS["users"]._schema, viewer_context)
    response = await transport.execute(fetch("users", '{ user(id: "u1") { viewer } }',
                                             context={"viewer": "grace"}))
    assert response == {"data": {"user": {"viewer": "grace"}}}


async def test_in_process_rejects_a_document_invalid_for_the_subgraph() -> None:
    transport = InProcessTransport(SCHEMAS["users"]._schema)
    response = await transport.execute(fetch("users", "{ topProducts { upc } }"))
    assert response["data"] is None
    assert "Cannot query field 'topProducts'" in response["errors"][0]["message"]


async def test_http_posts_orjson_body_with_extra_headers(subgraph_base_url: str,
                                                         session: aiohttp.ClientSession) -> None:
    transport = HttpTransport("echo", f"{subgraph_base_url}/echo", session=session,
                              headers_for=lambda request: {"loopgate-context": request.subgraph})
    response = await transport.execute(fetch("echo", "query Q($a: Int) { x(a: $a) }", {"a": 1},
                                             "Q"))
    echoed = response["data"]
    assert echoed["body"] == {"query": "query Q($a: Int) { x(a: $a) }", "variables": {"a": 1},
                              "operationName": "Q"}
    assert echoed["headers"]["loopgate-context"] == "echo"
    assert echoed["headers"]["content-type"] == "application/json"
    assert "br" in echoed["headers"]["accept-encoding"]
    assert "gzip" in echoed["headers"]["accept-encoding"]


@pytest.mark.parametrize(("route", "encoding"), [("brotli", "br"), ("gzip", "gzip")])
async def test_http_decodes_compressed_responses(subgraph_base_url: str,
                                                 session: aiohttp.ClientSession,
                                                 route: str, encoding: str) -> None:
    transport = HttpTransport(route, f"{subgraph_base_url}/{route}", session=session)
    response = await transport.execute(fetch(route, "{ compressed }"))
    assert response == {"data": {"compressed": encoding}}


async def test_http_accepts_a_graphql_body_on_4xx(subgraph_base_url: str,
                                                  session: aiohttp.ClientSession) -> None:
    transport = HttpTransport("strict", f"{subgraph_base_url}/graphql-400", session=session)
    response = await transport.execute(fetch("strict", "{ x }"))
    assert response == {"errors": [{"message": "bad operation"}]}


async def test_http_non_graphql_replies_are_unavailable(subgraph_base_url: str,
                                                        session: aiohttp.ClientSession) -> None:
    not_json = HttpTransport("html", f"{subgraph_base_url}/not-json", session=session)
    with pytest.raises(SubgraphUnavailable, match="invalid JSON in response"):
        await not_json.execute(fetch("html", "{ x }"))
    missing = HttpTransport("missing", f"{subgraph_base_url}/nowhere", session=session)
    with pytest.raises(SubgraphUnavailable, match="HTTP 404 Not Found from"):
        await missing.execute(fetch("missing", "{ x }"))


async def test_http_connection_refused_is_unavailable() -> None:
    transport = HttpTransport("down", f"http://127.0.0.1:{free_port()}/graphql")
    try:
        with pytest.raises(SubgraphUnavailable, match=re.escape(
                "subgraph 'down' unavailable: cannot connect to http://127.0.0.1")):
            await transport.execute(fetch("down", "{ x }"))
    finally:
        await transport.close()


async def test_http_timeout_is_unavailable_and_quick(subgraph_base_url: str) -> None:
    async with http_session(timeout=0.2) as impatient:
        transport = HttpTransport("products", f"{subgraph_base_url}/products", session=impatient)
        started = asyncio.get_running_loop().time()
        with pytest.raises(SubgraphUnavailable, match="timed out"):
            await transport.execute(fetch("products", "{ slow(seconds: 2) }"))
        assert asyncio.get_running_loop().time() - started < 1.5
