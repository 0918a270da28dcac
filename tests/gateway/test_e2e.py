"""Federation through the whole gateway, the same behaviour over in-process and HTTP subgraphs."""

from gateway.federation import Supergraph
from gateway.service import Gateway, GraphQLRequest
from gateway.transports import HttpTransport, TransportRouter
from tests.gateway.conftest import CountingRouter, supergraph_sdl
from tests.gateway.servers import free_port


async def run(gateway: Gateway, query: str, variables: dict | None = None) -> dict:
    result = await gateway.execute(GraphQLRequest(query, variables))
    assert result.executed, result.response
    return result.response


async def test_aliases_fragments_directives_and_typename(gateway: Gateway) -> None:
    query = """query Q($first: Int!, $withReviews: Boolean!) {
      best: topProducts(first: $first) {
        ...Card
        reviews @include(if: $withReviews) { who: author { name: username } }
      }
    }
    fragment Card on Product { kind: __typename upc }"""
    with_reviews = await run(gateway, query, {"first": 1, "withReviews": True})
    assert with_reviews == {"data": {"best": [{"kind": "Product", "upc": "p1", "reviews": [
        {"who": {"name": "ada"}}, {"who": {"name": "alan"}}]}]}}
    without = await run(gateway, query, {"first": 1, "withReviews": False})
    assert without == {"data": {"best": [{"kind": "Product", "upc": "p1"}]}}


async def test_subgraph_field_errors_come_back_at_the_client_path(gateway: Gateway) -> None:
    response = await run(gateway, "{ topProducts(first: 1) { reviews { author { failing } } } }")
    assert response["data"] == {"topProducts": [{"reviews": [{"author": {"failing": None}},
                                                             {"author": {"failing": None}}]}]}
    assert [(e["message"], e["path"]) for e in response["errors"]] == [
        ("failing field of u1", ["topProducts", 0, "reviews", 0, "author", "failing"]),
        ("failing field of u2", ["topProducts", 0, "reviews", 1, "author", "failing"])]


async def test_unavailable_subgraph_gives_partial_data(router: TransportRouter) -> None:
    down = HttpTransport("users", f"http://127.0.0.1:{free_port()}/graphql")
    gateway = Gateway(Supergraph.parse(supergraph_sdl()), router.with_transports({"users": down}))
    try:
        response = await run(gateway, '{ topProducts(first: 1) { name } user(id: "u1") { id } }')
    finally:
        await down.close()
    assert response["data"] == {"topProducts": [{"name": "Table"}], "user": None}
    [error] = response["errors"]
    assert "subgraph 'users' unavailable" in error["message"]


async def test_introspection_is_answered_by_the_gateway(gateway: Gateway,
                                                        counting_router: CountingRouter) -> None:
    response = await run(gateway, '{ __schema { queryType { name } } __type(name: "User") '
                                  "{ fields { name } } }")
    assert response["data"]["__schema"] == {"queryType": {"name": "Query"}}
    assert {f["name"] for f in response["data"]["__type"]["fields"]} == {
        "id", "username", "failing", "viewer"}
    assert counting_router.requests == []

