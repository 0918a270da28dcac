"""The gateway service: request errors stop before any subgraph, plans are cached, hot swap."""


import pytest
from graphql import DocumentNode, Source

from gateway.federation import Supergraph
from gateway.limits import guard
from gateway.service import Gateway, GraphQLRequest, Outcome
from tests.gateway.conftest import CountingRouter, in_process_router, supergraph_sdl

NESTED = """query Nested($first: Int!) {
  topProducts(first: $first) { upc name reviews { body author { id username } } }
}"""


async def test_nested_query_spans_three_subgraphs(gateway: Gateway,
                                                  counting_router: CountingRouter) -> None:
    result = await gateway.execute(GraphQLRequest(NESTED, {"first": 2}))
    assert result.outcome is Outcome.EXECUTED
    assert result.response["data"]["topProducts"] == [
        {"upc": "p1", "name": "Table", "reviews": [
            {"body": "Love it", "author": {"id": "u1", "username": "ada"}},
            {"body": "Too big", "author": {"id": "u2", "username": "alan"}}]},
        {"upc": "p2", "name": "Couch", "reviews": []}]
    assert "errors" not in result.response
    assert {r.subgraph for r in counting_router.requests} == {"products", "reviews", "users"}


@pytest.mark.parametrize(
    ("request_", "outcome", "code"),
    [
        (GraphQLRequest(None), Outcome.BAD_REQUEST, "BAD_USER_INPUT"),
        (GraphQLRequest("{ topProducts { upc "), Outcome.PARSE_FAILED, "GRAPHQL_PARSE_FAILED"),
        (GraphQLRequest("{ topProducts { } }"), Outcome.PARSE_FAILED, "GRAPHQL_PARSE_FAILED"),
        (GraphQLRequest("{" + " reviewCount" * 50_001 + " }"), Outcome.TOO_COMPLEX,
         "QUERY_TOO_COMPLEX"),
        (GraphQLRequest("{ topProducts { sku } }"), Outcome.VALIDATION_FAILED,
         "GRAPHQL_VALIDATION_FAILED"),
        (GraphQLRequest("query A { reviewCount } query B { reviewCount }"),
         Outcome.OPERATION_NOT_FOUND, "BAD_USER_INPUT"),
        (GraphQLRequest("query A { reviewCount }", operation_name="C"),
         Outcome.OPERATION_NOT_FOUND, "BAD_USER_INPUT"),
        (GraphQLRequest(NESTED, {"first": "two"}), Outcome.VARIABLES_INVALID, "BAD_USER_INPUT"),
        (GraphQLRequest(NESTED), Outcome.VARIABLES_INVALID, "BAD_USER_INPUT"),
    ],
)
async def test_invalid_requests_never_reach_a_subgraph(
    gateway: Gateway, counting_router: CountingRouter, request_: GraphQLRequest,
    outcome: Outcome, code: str,
) -> None:
    result = await gateway.execute(request_)
    assert result.outcome is outcome
    assert "data" not in result.response
    assert [error["extensions"]["code"] for error in result.response["errors"]] == [code]
    assert counting_router.requests == []


async def test_errors_carry_locations(gateway: Gateway) -> None:
    result = await gateway.execute(GraphQLRequest("{\n  topProducts { sku } }"))
    [error] = result.response["errors"]
    assert error["locations"] == [{"line": 2, "column": 17}]
    assert "sku" in error["message"]


async def test_unknown_operation_names_the_known_ones(gateway: Gateway) -> None:
    result = await gateway.execute(GraphQLRequest("query A { reviewCount }", None, "C"))
    assert result.response["errors"][0]["message"] == (
        "unknown operation named 'C' (the document has: A)")


async def test_mutation_refused_when_not_allowed(gateway: Gateway,
                                                 counting_router: CountingRouter) -> None:
    request = GraphQLRequest('mutation { touch(upc: "p1") { name } }')
    refused = await gateway.execute(request, allow_mutations=False)
    assert refused.outcome is Outcome.MUTATION_NOT_ALLOWED
    assert counting_router.requests == []
    allowed = await gateway.execute(request)
    assert allowed.response == {"data": {"touch": {"name": "Table"}}}


async def test_plans_are_cached_per_normalized_operation_and_auth_shape(gateway: Gateway) -> None:
    cache = gateway.plan_cache
    await gateway.execute(GraphQLRequest(NESTED, {"first": 1}))
    spelled_differently = NESTED.replace(" ", "  ") + "\n# same operation\n"
    again = await gateway.execute(GraphQLRequest(spelled_differently, {"first": 3}))
    assert len(again.response["data"]["topProducts"]) == 3
    assert (cache.stats.misses, cache.stats.hits, len(cache)) == (1, 1, 1)
    await gateway.execute(GraphQLRequest(NESTED, {"first": 1}),
                          auth_shape=frozenset({"User.email"}))
    assert len(cache) == 2


async def test_plan_is_the_cached_one(gateway: Gateway) -> None:
    assert gateway.plan(NESTED) is gateway.plan(NESTED)
    assert "users" in gateway.plan(NESTED).to_text()


async def test_a_subgraph_past_the_deadline_gives_partial_data(
        counting_router: CountingRouter) -> None:
    gateway = Gateway(Supergraph.parse(supergraph_sdl()), counting_router, request_timeout=0.3)
    result = await gateway.execute(
        GraphQLRequest('{ slow(seconds: 2) user(id: "u1") { username } }'))
    assert result.outcome is Outcome.EXECUTED
    assert result.response["data"] == {"slow": None, "user": {"username": "ada"}}
    [error] = result.response["errors"]
    assert error["extensions"] == {"code": "GATEWAY_TIMEOUT", "serviceName": "products"}
    assert "deadline" in error["message"]


async def test_replace_supergraph_switches_schema_and_caches() -> None:
    without_users = supergraph_sdl().replace("username: String! @join__field(graph: USERS)",
                                             "")
    router = in_process_router()
    gateway = Gateway(Supergraph.parse(without_users), router)
    query = GraphQLRequest('{ user(id: "u1") { username } }')
    assert (await gateway.execute(query)).outcome is Outcome.VALIDATION_FAILED
    previous = gateway.replace_supergraph(Supergraph.parse(supergraph_sdl()))
    assert previous is router
    assert len(gateway.plan_cache) == 0
    assert (await gateway.execute(query)).response == {"data": {"user": {"username": "ada"}}}


async def test_query_texts_are_parsed_once_in_lru_order(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real_parse = guard.parse

    def counting_parse(source: Source, **options: object) -> DocumentNode:
        parsed.append(source.body)
        return real_parse(source, **options)

    gateway = Gateway(Supergraph.parse(supergraph_sdl()), in_process_router(),
                      document_cache_size=2)
    monkeypatch.setattr(guard, "parse", counting_parse)
    a, b, c = "{ reviewCount }", "{ topProducts { upc } }", "{ topProducts { name } }"
    for query in (a, a, b, a, c, a, b):
        assert (await gateway.execute(GraphQLRequest(query))).executed
    assert parsed == [a, b, c, b]
