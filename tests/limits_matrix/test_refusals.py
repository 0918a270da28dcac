"""Every limit and every malformed request, in one table: its code, its status, no subgraph.

Each row is one kind of bad input sent to the all-in-one app (``create_app`` over its own
database, with the default limits but for smaller ``body_bytes`` and ``document_bytes``: httpx
sends no query string over 64 KiB, and a document must fit in a body to be measured). A row
gives the HTTP status with the default media type (``application/graphql-response+json``) and
with the legacy ``application/json``, and the ``extensions.code`` of its error. Whatever the
kind, the request must never reach a subgraph: the app's router records every subgraph
request, and a control test checks that a good request does reach one, so an empty record
means something.

Only codes and statuses are asserted (and ``extensions.limit`` for limits), so the other
fields a response may carry (``extensions.cost``, messages) may change without touching this.
"""

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
import pytest

from gateway.limits import OperationLimits
from schema.kernel.errors import ErrorCode
from schema.kernel.mongo import Mongo
from tests.limits_matrix.counted import CountedPlatform, counted_platform

GOOD = "{ stores(first: 1) { totalCount } }"
LEGACY = "application/json"
STRICT = "application/graphql-response+json"


def _inventory_levels(levels: int) -> str:
    """``levels`` nested ``Store.inventory`` connections: 4 levels of depth each."""
    inner = "id"
    for _ in range(levels):
        inner = f"inventory {{ edges {{ node {{ store {{ {inner} }} }} }} }}"
    return f"{{ stores(first: 1) {{ edges {{ node {{ {inner} }} }} }} }}"


@dataclass(frozen=True)
class Refusal:
    """One kind of bad request and how it must be refused."""

    kind: str
    code: str
    status: int
    legacy_status: int
    """The status when the client accepts only ``application/json`` (spec: 200 once the
    request was well-formed GraphQL-over-HTTP; the transport-level refusals keep theirs)."""
    method: str = "POST"
    json: Any = None
    content: bytes | None = None
    params: Mapping[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    token: bool = True
    limit: str | None = None
    """``extensions.limit`` of a QUERY_TOO_COMPLEX refusal."""
    challenge: bool = False
    """A refused token: the answer carries ``WWW-Authenticate: Bearer …``."""
    chunked: bool = False
    """``content`` sent in chunks, without a Content-Length (counted while it streams in)."""


def _post(kind: str, code: str, status: int, body: Any, legacy: int | None = None,
          **options: Any) -> Refusal:
    return Refusal(kind, code, status, status if legacy is None else legacy, json=body,
                   **options)


def _limit(limit: str, query: str, **options: Any) -> Refusal:
    return _post(f"limit {limit}", "QUERY_TOO_COMPLEX", 400, {"query": query}, 200,
                 limit=limit, **options)


def _persisted(**fields: Any) -> dict[str, Any]:
    """An ``extensions`` object naming a persisted query nobody registered."""
    return {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64, **fields}}


_JSON_CT = {"content-type": "application/json"}
LIMITS = OperationLimits(body_bytes=60_000, document_bytes=30_000)

MATRIX = [
    # -- the HTTP request itself --------------------------------------------------------
    _post("body over body_bytes", "PAYLOAD_TOO_LARGE", 413,
          {"query": GOOD, "variables": {"pad": "x" * LIMITS.body_bytes}}),
    Refusal("chunked body over body_bytes", "PAYLOAD_TOO_LARGE", 413, 413,
            content=b'{"query": "' + b" " * LIMITS.body_bytes + b'"}', headers=_JSON_CT,
            chunked=True),
    Refusal("GET query string over body_bytes", "PAYLOAD_TOO_LARGE", 413, 413, method="GET",
            params={"query": GOOD + " " * LIMITS.body_bytes}),
    Refusal("body not JSON", "BAD_USER_INPUT", 400, 400, content=b'{"query": ',
            headers=_JSON_CT),
    Refusal("body JSON but not an object", "BAD_USER_INPUT", 400, 400,
            content=orjson.dumps([GOOD]), headers=_JSON_CT),
    Refusal("body not UTF-8", "BAD_USER_INPUT", 400, 400, content=b'{"query": "\xff\xfe"}',
            headers=_JSON_CT),
    Refusal("content type text/plain", "BAD_USER_INPUT", 415, 415,
            content=orjson.dumps({"query": GOOD}), headers={"content-type": "text/plain"}),
    Refusal("content type form", "BAD_USER_INPUT", 415, 415, content=b"query=%7B%7D",
            headers={"content-type": "application/x-www-form-urlencoded"}),
    Refusal("no content type", "BAD_USER_INPUT", 415, 415, content=orjson.dumps({"query": GOOD})),
    Refusal("charset not UTF-8", "BAD_USER_INPUT", 415, 415, content=orjson.dumps({"query": GOOD}),
            headers={"content-type": "application/json; charset=latin1"}),
    Refusal("Accept allows no GraphQL type", "BAD_USER_INPUT", 406, 406, json={"query": GOOD},
            headers={"accept": "text/xml"}),
    Refusal("POST asking for the GraphiQL page", "BAD_USER_INPUT", 406, 406,
            json={"query": GOOD}, headers={"accept": "text/html"}),
    Refusal("bearer token malformed", "UNAUTHENTICATED", 401, 401, json={"query": GOOD},
            headers={"authorization": "Bearer not-a-token"}, token=False, challenge=True),
    Refusal("bearer token tampered", "UNAUTHENTICATED", 401, 401, json={"query": GOOD},
            headers={"authorization": "Bearer eyJhbGciOiJSUzI1NiJ9.e30.AAAA"}, token=False,
            challenge=True),
    # -- the GraphQL-over-HTTP parameters -----------------------------------------------
    _post("no query", "BAD_USER_INPUT", 400, {"variables": {}}),
    _post("query not a string", "BAD_USER_INPUT", 400, {"query": 7}),
    _post("query empty", "BAD_USER_INPUT", 400, {"query": "   "}),
    _post("variables not an object", "BAD_USER_INPUT", 400, {"query": GOOD, "variables": [1]}),
    _post("operationName not a string", "BAD_USER_INPUT", 400,
          {"query": GOOD, "operationName": 3}),
    _post("extensions not an object", "BAD_USER_INPUT", 400,
          {"query": GOOD, "extensions": "apq"}),
    Refusal("GET variables not JSON", "BAD_USER_INPUT", 400, 400, method="GET",
            params={"query": GOOD, "variables": "{"}),
    Refusal("GET extensions not JSON", "BAD_USER_INPUT", 400, 400, method="GET",
            params={"query": GOOD, "extensions": "{"}),
    Refusal("GET mutation", "BAD_USER_INPUT", 405, 405, method="GET",
            params={"query": "mutation { __typename }"}),
    # -- persisted queries ------------------------------------------------------------------
    _post("persisted query of an unknown hash", "PERSISTED_QUERY_NOT_FOUND", 404,
          {"extensions": _persisted()}),
    Refusal("GET persisted query of an unknown hash", "PERSISTED_QUERY_NOT_FOUND", 404, 404,
            method="GET", params={"extensions": orjson.dumps(_persisted()).decode()}),
    _post("persisted query hash not the query's", "PERSISTED_QUERY_HASH_MISMATCH", 400,
          {"query": GOOD, "extensions": _persisted()}),
    _post("persisted query version 2", "PERSISTED_QUERY_NOT_SUPPORTED", 400,
          {"extensions": _persisted(version=2)}),
    _post("persistedQuery not an object", "PERSISTED_QUERY_NOT_SUPPORTED", 400,
          {"extensions": {"persistedQuery": "x"}}),
    _post("persistedQuery without a hash", "PERSISTED_QUERY_NOT_SUPPORTED", 400,
          {"extensions": {"persistedQuery": {"version": 1}}}),
    # -- the document ---------------------------------------------------------------------
    _post("parse error", "GRAPHQL_PARSE_FAILED", 400, {"query": "{ stores(first: "}, 200),
    _post("validation error", "GRAPHQL_VALIDATION_FAILED", 400,
          {"query": "{ stores { nope } }"}, 200),
    _post("unknown operation name", "BAD_USER_INPUT", 400,
          {"query": "query A { __typename }", "operationName": "B"}, 200),
    _post("several operations, no operationName", "BAD_USER_INPUT", 400,
          {"query": "query A { __typename } query B { __typename }"}, 200),
    # -- the variables ---------------------------------------------------------------------
    _post("variable of the wrong type", "BAD_USER_INPUT", 400,
          {"query": "query($n: Int) { stores(first: $n) { totalCount } }",
           "variables": {"n": "ten"}}, 200),
    _post("Int variable beyond 32 bits", "BAD_USER_INPUT", 400,
          {"query": "query($n: Int) { stores(first: $n) { totalCount } }",
           "variables": {"n": 2 ** 40}}, 200),
    _post("NoSQL operator as an ID", "BAD_USER_INPUT", 400,
          {"query": "query($id: ID!) { store(id: $id) { id } }",
           "variables": {"id": {"$gt": ""}}}, 200),
    _post("required variable missing", "BAD_USER_INPUT", 400,
          {"query": "query($id: ID!) { store(id: $id) { id } }"}, 200),
    # -- the operation limits (defaults) ---------------------------------------------------
    _limit("documentBytes", GOOD + " " * LIMITS.document_bytes),
    _limit("tokens", "{ " + "a " * 10_001 + "}"),
    _limit("depth", _inventory_levels(4)),
    _limit("aliases", "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"),
    _limit("rootFields", "{ " + "stores { totalCount } " * 21 + "}"),
    _limit("fragmentNesting", "{ ...F0 } " + " ".join(
        f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(150))
        + " fragment F150 on Query { __typename }"),
    _limit("cost", "{ inventoryChanges(first: 20000) { changes { onHand } } }"),
    _post("limit slicingArguments", "QUERY_TOO_COMPLEX", 400,
          {"query": "query($n: Int) { stores(first: $n) { totalCount } }",
           "variables": {"n": None}}, 200, limit="slicingArguments"),
    _post("introspection without a token", "UNAUTHENTICATED", 401,
          {"query": "{ __schema { queryType { name } } }"}, 200, token=False),
]


@pytest.fixture(scope="module")
async def platform(mongo_client: Mongo) -> AsyncIterator[CountedPlatform]:
    async with counted_platform(mongo_client, LIMITS) as served:
        yield served


async def _send(platform: CountedPlatform, row: Refusal, accept: str) -> httpx.Response:
    headers = {"accept": accept, **(platform.bearer if row.token else {}), **row.headers}
    if row.method == "GET":
        return await platform.http.get("/graphql", params=row.params, headers=headers)
    if row.json is not None:
        return await platform.http.post("/graphql", json=row.json, headers=headers)
    if row.chunked:
        return await platform.http.post("/graphql", content=_chunks(row.content or b""),
                                        headers=headers)
    return await platform.http.post("/graphql", content=row.content, headers=headers)


async def _chunks(content: bytes, size: int = 8192) -> AsyncIterator[bytes]:
    for start in range(0, len(content), size):
        yield content[start:start + size]


def _codes(reply: httpx.Response) -> list[str]:
    body = reply.json()
    assert "data" not in body, body
    return [error["extensions"]["code"] for error in body["errors"]]


async def test_a_good_request_reaches_a_subgraph(platform: CountedPlatform) -> None:
    """The control: the recording router does see subgraph calls."""
    before = len(platform.calls)
    reply = await platform.http.post("/graphql", json={"query": GOOD}, headers=platform.bearer)
    assert reply.status_code == 200, reply.text
    assert reply.json()["data"] == {"stores": {"totalCount": 0}}
    assert len(platform.calls) > before


@pytest.mark.parametrize("row", MATRIX, ids=[row.kind for row in MATRIX])
@pytest.mark.parametrize("accept", [STRICT, LEGACY])
async def test_refused_with_its_code_and_status_before_any_subgraph(
        platform: CountedPlatform, row: Refusal, accept: str) -> None:
    before = len(platform.calls)
    reply = await _send(platform, row, accept)
    expected = row.status if accept == STRICT else row.legacy_status
    assert reply.status_code == expected, reply.text[:500]
    media = LEGACY if accept == LEGACY or row.status == 406 else STRICT
    assert reply.headers["content-type"] == f"{media}; charset=utf-8"
    codes = _codes(reply)
    assert codes and set(codes) == {row.code}, reply.text[:500]
    if row.limit is not None:
        assert reply.json()["errors"][0]["extensions"]["limit"] == row.limit
    if row.status == 405:
        assert reply.headers["allow"] == "POST"
    if row.challenge:
        assert reply.headers["www-authenticate"].startswith("Bearer")
    assert len(platform.calls) == before, [call.subgraph for call in platform.calls[before:]]


COVERED_ELSEWHERE = {
    "RATE_LIMITED": "needs repeated or concurrent requests: tests/gateway/test_cost_bucket.py, "
                    "test_concurrency.py, test_fairness.py, test_shared_budget.py",
    "FORBIDDEN": "introspection turned off: tests/gateway/test_limits.py "
                 "(test_introspection_setting); field rights: the authorization tests",
    "OPERATION_NOT_SAFELISTED": "a safelist-only app: tests/persisted/test_safelist.py",
}
"""Refusal codes this table leaves to the tests named (they need another set-up)."""

NOT_REFUSALS = {
    "UNAUTHORIZED_FIELD_OR_TYPE",  # a field nulled in a partial answer, not a refusal
    "SUBREQUEST_HTTP_ERROR", "GATEWAY_TIMEOUT", "INTERNAL_SERVER_ERROR",  # after planning
    "SERVICE_UNAVAILABLE",  # shutting down: tests/observability/test_shutdown.py
    "CARD_CODE_INVALID",  # a resolver's business error
}


def test_every_error_code_is_in_the_matrix_or_placed_elsewhere() -> None:
    """A new error code must get a row here, or a line saying where it is tested."""
    in_matrix = {row.code for row in MATRIX}
    assert in_matrix.isdisjoint(COVERED_ELSEWHERE) and in_matrix.isdisjoint(NOT_REFUSALS)
    assert {str(code) for code in ErrorCode} == in_matrix | set(COVERED_ELSEWHERE) | NOT_REFUSALS
    assert {row.limit for row in MATRIX if row.limit} == {
        "documentBytes", "tokens", "depth", "aliases", "rootFields", "fragmentNesting", "cost",
        "slicingArguments"}
