"""The cost budget per app (Shopify's model): a bucket of cost points refilled every second,
spent before an operation runs, reported in ``extensions.cost`` of every response, and a 429
with ``Retry-After`` (no subgraph called) when it is empty. The in-memory bucket of a gateway
without a database, on a clock the tests move."""

import functools
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import strawberry
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.federation.schema_directives import Cost

from gateway.authorization.wiring import PRINCIPAL
from gateway.compose import SubgraphSource, compose_supergraph
from gateway.federation import Supergraph
from gateway.http.app import graphql_route
from gateway.http.endpoint import GraphQLEndpoint
from gateway.limits import OperationLimits
from gateway.limits.budget import AppLimits
from gateway.limits.caller import Caller
from gateway.persisted import PersistedOperationError
from gateway.service import Gateway, GraphQLRequest
from gateway.transports import InProcessTransport, TransportRouter
from schema.kernel.errors import ErrorCode
from schema.kernel.principal import Principal


@dataclass
class Calls:
    count: int = 0


@strawberry.type
class Item:
    name: str


@strawberry.type
class Query:
    @strawberry.field
    def items(self, first: int = 10) -> list[Item] | None:
        """At most three items, whatever is asked for; none at all for ``first: 0``."""
        return [Item(name=f"item {n}") for n in range(min(first, 3))] if first else None

    @strawberry.federation.field(directives=[Cost(weight=4)])
    def priced(self, info: strawberry.Info) -> int:
        calls: Calls = info.context
        calls.count += 1
        return calls.count

    @strawberry.field
    def free(self) -> str:
        return "free"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def touch(self) -> bool:
        return True


SCHEMA = strawberry.federation.Schema(query=Query, mutation=Mutation)


@functools.cache
def supergraph() -> Supergraph:
    result = compose_supergraph([SubgraphSource(name="priced", sdl=SCHEMA.as_str(),
                                                url="in-process://priced")])
    assert result.supergraph_sdl is not None, result.errors
    return Supergraph.parse(result.supergraph_sdl)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def by_app_header(request: Request, _context: Any) -> Caller:
    return Caller(f"client:{request.headers.get('x-app', 'A')}", authenticated=True)


class Served:
    """An endpoint over the ``priced`` subgraph with a small bucket on a test clock."""

    def __init__(self, persisted: Any = None, **limits: Any) -> None:
        self.calls = Calls()
        self.clock = Clock()
        self.states: list[dict[str, Any]] = []
        settings = OperationLimits(**{"cost": 10, "cost_bucket": {"size": 10,
                                                                  "restore_rate": 2},
                                      **limits})
        router = TransportRouter({"priced": InProcessTransport(SCHEMA._schema,
                                                               lambda _ctx: self.calls)})
        self.endpoint = GraphQLEndpoint(
            Gateway(supergraph(), router, limits=settings), caller_for=by_app_header,
            context_for=_principal_from_header,
            persisted=None if persisted is None else lambda _context: persisted,
            limits=AppLimits.in_memory(settings, clock=self.clock))
        app = Starlette(routes=[graphql_route(self.endpoint)])
        self.http = httpx.AsyncClient(transport=httpx.ASGITransport(self._keep_state(app)),
                                      base_url="http://gateway")

    def _keep_state(self, app: ASGIApp) -> ASGIApp:
        """A middleware reading ``request.state`` as the metrics middleware does."""
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            await app(scope, receive, send)
            state: MutableMapping[str, Any] = scope.get("state", {})
            self.states.append({k: state.get(k) for k in (
                "graphql_operation", "graphql_outcome", "graphql_error_codes")})
        return middleware

    async def post(self, query: str | None, app: str = "A", **body: Any) -> httpx.Response:
        return await self.http.post("/graphql", json={"query": query, **body},
                                    headers={"x-app": app})


async def _principal_from_header(request: Request) -> dict[str, Any]:
    client_id = request.headers.get("x-app", "A")
    return {PRINCIPAL: Principal(client_id=client_id, partner_id="ptn_1", scopes=frozenset())}


def _cost(response: httpx.Response) -> dict[str, Any]:
    return response.json()["extensions"]["cost"]


async def test_the_cost_is_taken_before_running_and_the_bucket_refills() -> None:
    served = Served()
    first = await served.post("query Priced { priced }")
    second = await served.post("{ priced }")
    assert first.status_code == second.status_code == 200
    assert first.json()["data"] == {"priced": 1}
    assert _cost(first) == {"requestedQueryCost": 4, "actualQueryCost": 4,
                            "throttleStatus": {"maximumAvailable": 10,
                                               "currentlyAvailable": 6, "restoreRate": 2}}
    assert _cost(second)["throttleStatus"]["currentlyAvailable"] == 2
    served.clock.now += 0.5
    assert _cost(await served.post("{ free }"))["throttleStatus"]["currentlyAvailable"] == 3
    served.clock.now += 0.5
    third = await served.post("{ priced }")
    assert third.status_code == 200 and third.json()["data"] == {"priced": 3}
    assert _cost(third)["throttleStatus"]["currentlyAvailable"] == 0
    served.clock.now += 3600  # the bucket fills up to its size, no further
    assert _cost(await served.post("{ priced }"))["throttleStatus"]["currentlyAvailable"] == 6


async def test_an_empty_bucket_answers_429_with_retry_after_and_calls_no_subgraph() -> None:
    served = Served()
    for _ in range(2):
        assert (await served.post("{ priced }")).status_code == 200
    refused = await served.post("query Priced { priced }")
    assert served.calls.count == 2
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"  # 2 points lacking at 2 a second
    body = refused.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"] == {"code": "RATE_LIMITED", "retryAfter": 1}
    assert "costs 4, 2 is left of 10" in body["errors"][0]["message"]
    assert body["extensions"]["cost"] == {
        "requestedQueryCost": 4, "actualQueryCost": None,  # it did not run
        "throttleStatus": {"maximumAvailable": 10, "currentlyAvailable": 2, "restoreRate": 2}}
    assert served.states[-1] == {"graphql_operation": "Priced",
                                 "graphql_outcome": "rate_limited",
                                 "graphql_error_codes": ["RATE_LIMITED"]}
    served.clock.now += 0.9
    still = await served.post("{ priced }")
    assert still.status_code == 429 and served.calls.count == 2
    served.clock.now += 0.1
    assert (await served.post("{ priced }")).status_code == 200


async def test_what_the_estimate_overstated_is_refunded_after_the_operation() -> None:
    """``items(first: 10)`` is estimated at 10 (ten objects) but returns three: the actual
    cost is 3 and 7 go back to the bucket at once; aliases, fragments and nulls count what
    really came back."""
    served = Served()
    answer = await served.post("{ items(first: 10) { name } }")
    assert answer.json()["data"]["items"] == [{"name": f"item {n}"} for n in range(3)]
    assert _cost(answer) == {"requestedQueryCost": 10, "actualQueryCost": 3,
                             "throttleStatus": {"maximumAvailable": 10,
                                                "currentlyAvailable": 7, "restoreRate": 2}}
    mixed = await served.post("query Mixed { a: items(first: 2) { ... on Item { name } } "
                              "b: items(first: 0) { name } ...More } "
                              "fragment More on Query { c: items(first: 5) { n: name } }")
    assert mixed.json()["data"]["b"] is None
    assert _cost(mixed)["requestedQueryCost"] == 2 + 0 + 5
    assert _cost(mixed)["actualQueryCost"] == 2 + 0 + 3
    assert _cost(mixed)["throttleStatus"]["currentlyAvailable"] == 2
    assert served.states[-1]["graphql_operation"] == "Mixed"
    served.clock.now += 10
    touched = await served.post("mutation { touch }")
    assert _cost(touched)["requestedQueryCost"] == _cost(touched)["actualQueryCost"] == 10


async def test_retry_after_grows_with_what_is_missing() -> None:
    served = Served(cost_bucket={"size": 10, "restore_rate": 0.5})
    for _ in range(2):
        await served.post("{ priced }")
    refused = await served.post("{ priced }")
    assert refused.headers["retry-after"] == "4"  # 2 points at half a point a second
    assert refused.json()["errors"][0]["extensions"]["retryAfter"] == 4


async def test_each_app_has_its_own_bucket_and_an_app_may_have_a_bigger_one() -> None:
    served = Served(cost=10, app_cost_buckets={"big": {"size": 40, "restore_rate": 1}})
    for _ in range(2):
        await served.post("{ priced }", app="A")
    assert (await served.post("{ priced }", app="A")).status_code == 429
    other = await served.post("{ priced }", app="B")
    assert other.status_code == 200
    assert _cost(other)["throttleStatus"]["currentlyAvailable"] == 6
    big = [await served.post("{ priced }", app="big") for _ in range(10)]
    assert [b.status_code for b in big] == [200] * 10 and all(
        _cost(b)["throttleStatus"]["maximumAvailable"] == 40 for b in big)
    assert (await served.post("{ priced }", app="big")).status_code == 429


async def test_every_response_carries_the_cost_extension() -> None:
    served = Served()
    parse = await served.post("{ priced")
    invalid = await served.post("{ nothing }")
    too_costly = await served.post("{ a: priced b: priced c: priced }")
    free = await served.post("{ free }")
    get_mutation = await served.http.get("/graphql", params={"query": "mutation { touch }"},
                                         headers={"x-app": "A"})
    for response, requested in ((parse, None), (invalid, None), (too_costly, 12),
                                (free, 0), (get_mutation, None)):
        assert _cost(response)["requestedQueryCost"] == requested, response.text
        assert _cost(response)["throttleStatus"]["currentlyAvailable"] == 10
    assert too_costly.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert served.calls.count == 0
    assert served.states[1] == {"graphql_operation": None,
                                "graphql_outcome": "validation_failed",
                                "graphql_error_codes": ["GRAPHQL_VALIDATION_FAILED"]}


def test_a_bucket_smaller_than_the_cost_ceiling_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError, match="below the cost ceiling"):
        OperationLimits(cost=100, cost_bucket={"size": 50, "restore_rate": 5})
    with pytest.raises(ValidationError, match=r"app_cost_buckets\.app_x"):
        OperationLimits(app_cost_buckets={"app_x": {"size": 50, "restore_rate": 5}})
    assert OperationLimits(cost=50_000).bucket_of("app_x").size == 100_000


class FakePersisted:
    """H5's API: ``resolve(request, *, client_id, sandbox)`` returns the request with its text
    or raises PersistedOperationError."""

    def __init__(self) -> None:
        self.seen: list[str | None] = []

    async def resolve(self, request: GraphQLRequest, *, client_id: str | None,
                      sandbox: bool | None = None) -> GraphQLRequest:
        self.seen.append(client_id)
        if request.query is not None:
            return request
        if (request.extensions or {}).get("persistedQuery", {}).get("id") == "known":
            return GraphQLRequest("{ priced }", request.variables, request.operation_name,
                                  request.extensions)
        raise PersistedOperationError(ErrorCode.PERSISTED_QUERY_NOT_FOUND,
                                      "PersistedQueryNotFound", 404,
                                      {"Cache-Control": "private, no-cache"})


async def test_persisted_operations_are_resolved_before_any_limit_or_subgraph() -> None:
    persisted = FakePersisted()
    served = Served(persisted=persisted)
    known = await served.post(None, extensions={"persistedQuery": {"id": "known"}})
    unknown = await served.post(None, app="B", extensions={"persistedQuery": {"id": "nope"}})
    assert known.status_code == 200 and known.json()["data"] == {"priced": 1}
    assert _cost(known)["requestedQueryCost"] == 4
    assert unknown.status_code == 404
    assert unknown.headers["cache-control"] == "private, no-cache"
    assert unknown.json()["errors"] == [{"message": "PersistedQueryNotFound",
                                         "extensions": {"code": "PERSISTED_QUERY_NOT_FOUND"}}]
    assert _cost(unknown) == {"requestedQueryCost": None, "actualQueryCost": None,
                              "throttleStatus": {"maximumAvailable": 10,
                                                 "currentlyAvailable": 10, "restoreRate": 2}}
    assert persisted.seen == ["A", "B"]
    assert served.calls.count == 1
    assert served.states[-1] == {"graphql_operation": None, "graphql_outcome": "rejected",
                                 "graphql_error_codes": ["PERSISTED_QUERY_NOT_FOUND"]}


async def test_without_persisted_operations_a_query_less_request_is_refused() -> None:
    served = Served()
    answer = await served.post(None, extensions={"persistedQuery": {"version": 1,
                                                                    "sha256Hash": "ab"}})
    assert answer.status_code == 400
    assert answer.json()["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_SUPPORTED"
    assert served.calls.count == 0


async def test_the_actual_cost_follows_each_runs_data_and_variables() -> None:
    """An operation without variables reuses its cost walk (kept with the parsed document);
    one with variables counts each run with its own."""
    served = Served()
    for _ in range(2):
        again = await served.post("{ items(first: 2) { name } }")
        assert _cost(again)["actualQueryCost"] == 2
    served.clock.now += 10
    query = "query($n: Int) { items(first: $n) { name } }"
    actual = [_cost(await served.post(query, variables={"n": n}))["actualQueryCost"]
              for n in (1, 3)]
    assert actual == [1, 3]
