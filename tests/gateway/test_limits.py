"""Operation limits: each one refuses before any subgraph is called, with its coded error.

The platform graph runs in-process on a real (empty) database behind a router that records
every subgraph request, so "refused before any subgraph" is what the router saw, not a mock.
"""

import functools
from typing import Any

import httpx
import pytest
from graphql import get_introspection_query, parse
from graphql.execution.values import get_variable_values

from gateway.authorization.wiring import PRINCIPAL
from gateway.compose import SubgraphSource, compose_supergraph
from gateway.federation import Supergraph
from gateway.http.app import create_gateway_app
from gateway.limits import OperationLimits, fragments_of, measure
from gateway.limits.caller import Caller
from gateway.limits.cost import CostModel
from gateway.limits.directives import DemandDirectives
from gateway.limits.errors import LimitExceeded
from gateway.platform import compose_platform, platform_router
from gateway.service import Gateway, GraphQLRequest, Outcome
from schema.catalog.types import AVAILABILITY_COST
from schema.kernel.mongo import Mongo
from schema.kernel.principal import Principal
from schema.kernel.sandbox import Databases
from schema.maps.schema import NEARBY_COST
from tests.gateway.conftest import CountingRouter

PARTNER = Principal(client_id="app_limits", partner_id="ptn_limits",
                    scopes=frozenset({"stores:read", "catalog:read", "inventory:read",
                                      "inventory:write"}))


@functools.cache
def platform_supergraph() -> Supergraph:
    return Supergraph.parse(compose_platform())


def platform_gateway(mongo: Mongo, limits: OperationLimits | None = None,
                     ) -> tuple[Gateway, CountingRouter]:
    """The platform graph in-process on ``mongo``, through a recording router."""
    router = CountingRouter(platform_router(Databases.live_only(mongo.db)))
    return Gateway(platform_supergraph(), router, limits=limits), router


def refusal(result: Any) -> dict[str, Any]:
    [error] = result.response["errors"]
    assert result.outcome is Outcome.TOO_COMPLEX, result.response
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    return error["extensions"]


def aliased_stores(count: int) -> str:
    """The issue's abusive query: ``count`` aliases of ``stores(first: 100)``, indented."""
    page = "  page{:03d}: stores(first: 100) {{\n    edges {{\n      node {{\n        id\n" \
           "      }}\n    }}\n  }}\n"
    return "{\n" + "".join(page.format(i) for i in range(count)) + "}"


def nested_inventory(levels: int) -> str:
    """``levels`` nested ``Store.inventory`` connections, as in the issue."""
    query = "id"
    for _ in range(levels):
        query = f"inventory {{ edges {{ node {{ store {{ {query} }} }} }} }}"
    return f'{{ store(id: "sto_01JAAAAAAAAAAAAAAAAAAAAAAA") {{ {query} }} }}'


async def run(gateway: Gateway, query: str, variables: dict[str, Any] | None = None,
              principal: Principal | None = PARTNER, authenticated: bool = True) -> Any:
    return await gateway.execute(GraphQLRequest(query, variables), {PRINCIPAL: principal},
                                 authenticated=authenticated)


async def test_the_issues_100_aliases_of_stores_are_refused_before_any_subgraph(
        mongo: Mongo) -> None:
    gateway, router = platform_gateway(mongo)
    query = aliased_stores(100)
    assert 7_500 < len(query) < 9_000
    assert refusal(await run(gateway, query)) == {
        "code": "QUERY_TOO_COMPLEX", "limit": "aliases", "value": 100, "maximum": 30}
    assert router.requests == []


async def test_without_the_alias_and_root_limits_the_cost_still_refuses_them(
        mongo: Mongo) -> None:
    gateway, router = platform_gateway(mongo, OperationLimits(aliases=1000, root_fields=1000))
    # each alias: the connection (1) and 100 edges of (edge 1 + node 1)
    assert refusal(await run(gateway, aliased_stores(100))) == {
        "code": "QUERY_TOO_COMPLEX", "limit": "cost", "value": 100 * 201, "maximum": 10_000}
    assert router.requests == []


async def test_30_nested_store_inventory_levels_are_refused_by_depth_then_by_cost(
        mongo: Mongo) -> None:
    gateway, router = platform_gateway(mongo)
    limits = refusal(await run(gateway, nested_inventory(30)))
    assert (limits["limit"], limits["value"], limits["maximum"]) == ("depth", 122, 15)
    deep_allowed, deep_router = platform_gateway(mongo, OperationLimits(depth=1000))
    limits = refusal(await run(deep_allowed, nested_inventory(30)))
    assert limits["limit"] == "cost"
    assert limits["value"] > 50 ** 30
    assert router.requests == deep_router.requests == []


@pytest.mark.parametrize(
    ("limits", "query", "limit", "value"),
    [
        (OperationLimits(document_bytes=200), "{ stores { totalCount } }" + " " * 200,
         "documentBytes", 225),
        (OperationLimits(document_bytes=30), '{ store(id: "sto_é") { id } }' + "€" * 3,
         "documentBytes", 39),
        (OperationLimits(tokens=8), "{ stores { edges { node { id } } } }", "tokens", 12),
        (OperationLimits(depth=3), "{ stores { edges { node { id } } } }", "depth", 4),
        (OperationLimits(aliases=1), "{ a: stores { totalCount } b: stores { c: totalCount } }",
         "aliases", 3),
        (OperationLimits(root_fields=2), "{ a: stores { totalCount } b: stores { totalCount } "
                                         "store(id: \"sto_1\") { id } __typename }",
         "rootFields", 3),
        (OperationLimits(cost=40), "{ stores(first: 20) { edges { node { id } } } }", "cost",
         41),
    ],
)
async def test_each_limit_refuses_with_its_name_value_and_maximum(
        mongo: Mongo, limits: OperationLimits, query: str, limit: str, value: int) -> None:
    gateway, router = platform_gateway(mongo, limits)
    found = refusal(await run(gateway, query))
    maximum = {"documentBytes": limits.document_bytes, "tokens": limits.tokens,
               "depth": limits.depth, "aliases": limits.aliases,
               "rootFields": limits.root_fields, "cost": limits.cost}[limit]
    assert found == {"code": "QUERY_TOO_COMPLEX", "limit": limit, "value": value,
                     "maximum": maximum}
    assert router.requests == []


async def test_fragments_count_where_they_are_spread_and_a_fragment_bomb_is_refused(
        mongo: Mongo) -> None:
    gateway, router = platform_gateway(mongo)
    levels = ["fragment F0 on Store { a: id }"]
    levels += [f"fragment F{i} on Store {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, 40)]
    bomb = '{ store(id: "sto_1") { ...F39 } } ' + " ".join(levels)
    found = refusal(await run(gateway, bomb))
    assert (found["limit"], found["value"]) == ("aliases", 2 ** 39)
    assert router.requests == []


async def test_cost_is_computed_with_the_variables(mongo: Mongo) -> None:
    gateway, router = platform_gateway(mongo)
    query = "query Feed($n: Int) { inventoryChanges(first: $n) { changes { onHand } cursor } }"
    within = await run(gateway, query, {"n": 1000})
    assert within.outcome is Outcome.EXECUTED
    assert len(router.requests) == 1
    assert refusal(await run(gateway, query, {"n": 20_000}))["value"] == 1 + 20_000
    assert len(router.requests) == 1


async def test_a_variable_free_cost_is_decided_once_per_document(
        mongo: Mongo, monkeypatch: pytest.MonkeyPatch) -> None:
    gateway, _router = platform_gateway(mongo, OperationLimits(cost=40))
    estimates: list[int] = []
    real = CostModel.estimate

    def counting(self: CostModel, *args: Any) -> int:
        estimates.append(1)
        return real(self, *args)

    monkeypatch.setattr(CostModel, "estimate", counting)
    for _ in range(3):
        refusal(await run(gateway, "{ stores(first: 20) { edges { node { id } } } }"))
        await run(gateway, "{ stores(first: 2) { edges { node { id } } } }")
    assert len(estimates) == 2


async def test_introspection_is_for_authenticated_callers_by_default(mongo: Mongo) -> None:
    gateway, router = platform_gateway(mongo)
    anonymous = await run(gateway, "{ __schema { queryType { name } } }", principal=None,
                          authenticated=False)
    assert anonymous.outcome is Outcome.UNAUTHENTICATED
    assert anonymous.response["errors"][0]["extensions"] == {"code": "UNAUTHENTICATED"}
    assert "access token" in anonymous.response["errors"][0]["message"]
    typename = await run(gateway, "{ __typename }", principal=None, authenticated=False)
    assert typename.response == {"data": {"__typename": "Query"}}
    full = await run(gateway, get_introspection_query(descriptions=True))
    assert full.outcome is Outcome.EXECUTED
    assert "errors" not in full.response
    assert router.requests == []


@pytest.mark.parametrize(("mode", "anonymous", "authenticated"),
                         [("on", "EXECUTED", "EXECUTED"), ("off", "FORBIDDEN", "FORBIDDEN"),
                          ("authenticated", "UNAUTHENTICATED", "EXECUTED")])
async def test_introspection_setting(mongo: Mongo, mode: str, anonymous: str,
                                     authenticated: str) -> None:
    gateway, _router = platform_gateway(mongo, OperationLimits(introspection=mode))
    query = '{ __type(name: "Store") { name } }'
    outcomes = [(await run(gateway, query, principal=who, authenticated=who is not None)).outcome
                for who in (None, PARTNER)]
    assert [o.name for o in outcomes] == [anonymous, authenticated]


async def test_over_http_a_refusal_is_400_and_anonymous_introspection_401(mongo: Mongo) -> None:
    gateway, router = platform_gateway(mongo)
    app = create_gateway_app(gateway, caller_for=lambda request, _context: _anonymous())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://gateway") as client:
        complex_ = await client.post("/graphql", json={"query": aliased_stores(40)})
        introspect = await client.post("/graphql",
                                       json={"query": "{ __schema { types { name } } }"})
        legacy = await client.post("/graphql", json={"query": aliased_stores(40)},
                                   headers={"accept": "application/json"})
    assert complex_.status_code == 400
    assert complex_.json()["errors"][0]["extensions"]["limit"] == "aliases"
    assert introspect.status_code == 401
    assert legacy.status_code == 200
    assert router.requests == []


def _anonymous() -> Caller:
    return Caller("address:192.0.2.1", authenticated=False)


async def test_the_http_body_limit_is_the_body_bytes_setting(mongo: Mongo) -> None:
    gateway, _router = platform_gateway(mongo, OperationLimits(body_bytes=500))
    app = create_gateway_app(gateway)
    body = {"query": "{ __typename }", "variables": {"pad": "x" * 600}}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                 base_url="http://gateway") as client:
        answer = await client.post("/graphql", json=body)
    assert answer.status_code == 413
    assert answer.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"


# -- the cost model against @cost/@listSize, composed by gateway.compose -------------------

_COSTED = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.11",
                    import: ["@key", "@cost", "@listSize"])
type Query {
  things(first: Int = 20, after: String): ThingConnection!
    @listSize(slicingArguments: ["first"], sizedFields: ["edges"])
  search(first: Int, last: Int): [Thing!]! @listSize(slicingArguments: ["first", "last"])
  guess: [Thing!]! @listSize(assumedSize: 7)
  heavy: Thing @cost(weight: 50)
}
type Mutation { load(items: [ItemInput!]! @cost(weight: 2)): Int }
input ItemInput { sku: String! }
type ThingConnection { edges: [ThingEdge!]! }
type ThingEdge { node: Thing! }
type Thing @key(fields: "id") { id: ID! children(first: Int): [Thing!]! price: Money }
type Money @cost(weight: 3) { amount: Int! }
"""


@functools.cache
def costed_supergraph() -> Supergraph:
    result = compose_supergraph([SubgraphSource(name="things", sdl=_COSTED,
                                                url="http://things.example/graphql")])
    assert result.supergraph_sdl is not None, result.errors
    return Supergraph.parse(result.supergraph_sdl)


def cost_of(query: str, variables: dict[str, Any] | None = None,
            supergraph: Supergraph | None = None) -> int:
    """The cost of ``query`` under ``supergraph`` (default: the costed one above)."""
    supergraph = supergraph or costed_supergraph()
    document = parse(query)
    [operation] = [d for d in document.definitions if hasattr(d, "operation")]
    coerced = get_variable_values(supergraph.api_schema, operation.variable_definitions or (),
                                  variables or {})
    assert not isinstance(coerced, list), coerced
    model = CostModel(supergraph.api_schema, DemandDirectives.read(supergraph.schema), 10)
    return model.estimate(operation, fragments_of(document), coerced)


@pytest.mark.parametrize(
    ("query", "variables", "cost"),
    [
        ("{ things { edges { node { id } } } }", None, 1 + 20 * 2),          # argument default
        ("query($n: Int) { things(first: $n) { edges { node { id } } } }", {"n": 5}, 1 + 5 * 2),
        ("{ search(first: 4) { id price { amount } } }", None, 4 * (1 + 3)),  # @cost on a type
        ("{ guess { id } }", None, 7),                                         # assumedSize
        ("{ heavy { id } }", None, 50),                                        # @cost on a field
        ("{ heavy { children { id } } }", None, 50 + 10),                      # default size
        ("{ things(first: 2) { edges { node { children(first: 3) { id } } } } }", None,
         1 + 2 * (1 + 1 + 3)),                                                 # implicit first
        ("{ things(first: 2) { edges { ...N } } } fragment N on ThingEdge { node { id } }",
         None, 1 + 2 * 2),
        ("mutation($items: [ItemInput!]!) { load(items: $items) }",
         {"items": [{"sku": "a"}, {"sku": "b"}, {"sku": "c"}]}, 10 + 2 * 3),  # @cost argument
    ],
)
def test_cost_model(query: str, variables: dict[str, Any] | None, cost: int) -> None:
    assert cost_of(query, variables) == cost


def test_require_one_slicing_argument() -> None:
    with pytest.raises(LimitExceeded) as refused:
        cost_of("{ search(first: 2, last: 3) { id } }")
    assert (refused.value.limit, refused.value.value) == ("slicingArguments", 2)
    assert "Query.search" in refused.value.message


def test_the_platform_supergraph_keeps_the_subgraphs_cost_directives() -> None:
    directives = DemandDirectives.read(platform_supergraph().schema)
    assert directives.list_sizes[("Query", "stores")].sized_fields == ("edges",)
    assert directives.list_sizes[("Query", "inventoryChanges")].sized_fields == ("changes",)
    assert directives.list_sizes[("Store", "inventory")].slicing_arguments == ("first",)
    assert directives.list_sizes[("Product", "availability")].slicing_arguments == ("first",)
    assert directives.field_weights[("Query", "nearbyStores")] == NEARBY_COST
    assert directives.field_weights[("Product", "availability")] == AVAILABILITY_COST
    assert directives.field_weights[("Mutation", "syncInventory")] == 100


def test_measure_reads_shape_from_syntax() -> None:
    document = parse("query Q { a: stores { edges { ...E } } } "
                     "fragment E on StoreEdge { b: node { id } }")
    [operation] = [d for d in document.definitions if hasattr(d, "operation")]
    shape = measure(operation, fragments_of(document))
    assert (shape.depth, shape.aliases, shape.root_fields, shape.introspection) == (
        4, 2, 1, False)
