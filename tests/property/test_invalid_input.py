"""Hostile and broken input against the served platform: a typed refusal, never a crash.

Random text as a query, valid operations with characters cut or inserted, variables of the
wrong types (NoSQL operators such as ``{"$gt": ""}``, integers past GraphQL's 32-bit ``Int``,
deeply nested JSON), documents nested thousands deep, and arbitrary bytes as a body. Each
answer must be GraphQL-shaped (:func:`tests.property.shape.graphql_shaped`) with a 200 or a
4xx; a refused request (4xx) must not have reached any subgraph.
"""

import json
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.limits_matrix.counted import CountedPlatform
from tests.property.shape import codes_of, graphql_shaped
from tests.property.strategies import bounded

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")

REQUEST_ERRORS = {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT",
                  "QUERY_TOO_COMPLEX", "PAYLOAD_TOO_LARGE"}

VALID = (
    "{ stores(first: 2) { totalCount edges { node { id name location { lat lng } } } } }",
    'query Nearby($near: GeoPointInput!) { nearbyStores(near: $near, first: 3) '
    '{ edges { distanceMeters node { id } } } }',
    "query P($first: Int) { products(first: $first) { edges { node { sku price { amount } } } } }",
    'query S($id: ID!) { store(id: $id) { id inventory(first: 5) { edges { node { onHand } } } } }',
    "{ viewer { clientId scopes partner { name } } }",
    'mutation Up($input: UpsertStoreInput!) { upsertStore(input: $input) '
    '{ store { id } userErrors { code field } } }',
)

TYPED = (
    ("query Q($n: Int) { stores(first: $n) { totalCount } }", "n"),
    ("query Q($id: ID!) { store(id: $id) { id } }", "id"),
    ("query Q($near: GeoPointInput!) { nearbyStores(near: $near) { edges { cursor } } }", "near"),
    ("query Q($f: StoreFilter) { stores(filter: $f, first: 1) { totalCount } }", "f"),
    ("query Q($skus: [String!]) { store(id: \"sto_1\") { inventory(skus: $skus) "
     "{ edges { cursor } } } }", "skus"),
    ("query Q($from: DateTime!, $to: DateTime!) { pointsSettlement(from: $from, to: $to) "
     "{ __typename } }", "from"),
    ("mutation M($input: UpsertStoreInput!) { upsertStore(input: $input) { store { id } } }",
     "input"),
)

_OPERATORS = st.sampled_from(["$gt", "$ne", "$where", "$regex", "$in", "$exists", "$expr",
                              "$function", "__proto__", "constructor"])
_SCALARS = st.one_of(
    st.none(), st.booleans(), st.text(max_size=30),
    st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.sampled_from([2 ** 31, -(2 ** 31) - 1, 2 ** 53 + 1, 2 ** 63, 10 ** 30]),
    st.floats(allow_nan=False, allow_infinity=False),
)
HOSTILE = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(_OPERATORS, st.text(max_size=8)), inner, max_size=4)),
    max_leaves=12,
)
"""JSON values a client could send as a variable: operator objects, out-of-range numbers."""


async def _post(platform: CountedPlatform, payload: Any) -> tuple[httpx.Response, bool]:
    """The reply, and whether it reached a subgraph."""
    before = len(platform.calls)
    reply = await platform.http.post("/graphql", json=payload, headers=platform.bearer)
    return reply, len(platform.calls) > before


def _answered(reply: httpx.Response, reached: bool, sent: object) -> dict[str, Any]:
    body = graphql_shaped(reply, sent)
    assert reply.status_code in (200, 400), (reply.status_code, body, str(sent)[:3000])
    if reply.status_code == 400:
        assert codes_of(body) <= REQUEST_ERRORS, (body, str(sent)[:3000])
        assert not reached, str(sent)[:3000]
    return body


@bounded(60)
@given(text=st.text(max_size=300))
async def test_random_text_as_a_query(platform: CountedPlatform, text: str) -> None:
    reply, reached = await _post(platform, {"query": text})
    _answered(reply, reached, text)


@st.composite
def _damaged(draw: st.DrawFn) -> str:
    """A valid operation with a slice cut out, a character put in, or a slice repeated."""
    query = draw(st.sampled_from(VALID))
    start = draw(st.integers(0, len(query) - 1))
    end = draw(st.integers(start, min(len(query), start + 20)))
    match draw(st.sampled_from(["cut", "insert", "repeat"])):
        case "cut":
            return query[:start] + query[end:]
        case "insert":
            return query[:start] + draw(st.characters()) + query[start:]
        case _:
            return query[:end] + query[start:end] * draw(st.integers(2, 50)) + query[end:]


@bounded(60)
@given(query=_damaged())
async def test_damaged_valid_operations(platform: CountedPlatform, query: str) -> None:
    reply, reached = await _post(platform, {"query": query})
    _answered(reply, reached, query)


@bounded(80)
@given(operation=st.sampled_from(TYPED), value=HOSTILE)
async def test_hostile_variables(platform: CountedPlatform, operation: tuple[str, str],
                                 value: Any) -> None:
    query, name = operation
    payload = {"query": query, "variables": {name: value}}
    reply, reached = await _post(platform, payload)
    _answered(reply, reached, payload)


@bounded(30)
@given(variables=HOSTILE)
async def test_hostile_variables_object_or_not(platform: CountedPlatform,
                                               variables: Any) -> None:
    """The whole ``variables`` member hostile: only a JSON object may pass the HTTP layer."""
    payload = {"query": TYPED[0][0], "variables": variables}
    reply, reached = await _post(platform, payload)
    body = _answered(reply, reached, payload)
    if variables is not None and not isinstance(variables, dict):
        assert reply.status_code == 400 and codes_of(body) == {"BAD_USER_INPUT"}, body


def _nested(kind: str, depth: int) -> bytes:
    """A request body whose document or variables nest ``depth`` deep, written as text (a
    JSON encoder would refuse the depth before the server saw it)."""
    variables = "null"
    if kind == "selection":
        query = "{ " + "stores { " * depth + "totalCount" + " }" * depth + " }"
    elif kind == "list literal":
        query = "{ stores(first: " + "[" * depth + "1" + "]" * depth + ") { totalCount } }"
    elif kind == "object literal":
        query = ("{ stores(filter: " + "{ near: " * depth + "1" + " }" * depth
                 + ", first: 1) { totalCount } }")
    elif kind == "fragment chain":
        fragments = " ".join(f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(depth))
        query = f"{{ ...F0 }} {fragments} fragment F{depth} on Query {{ __typename }}"
    else:
        query = "query Q($f: StoreFilter) { stores(filter: $f, first: 1) { totalCount } }"
        opening, closing = ("[", "]") if kind == "variable list" else ('{"$gt": ', "}")
        variables = '{"f": ' + opening * depth + '"x"' + closing * depth + "}"
    return f'{{"query": {json.dumps(query)}, "variables": {variables}}}'.encode()


async def _post_nested(platform: CountedPlatform, kind: str, depth: int) -> None:
    body = _nested(kind, depth)
    before = len(platform.calls)
    reply = await platform.http.post("/graphql", content=body, headers={
        **platform.bearer, "content-type": "application/json"})
    _answered(reply, len(platform.calls) > before, body[:3000])


@bounded(40)
@given(kind=st.sampled_from(["selection", "list literal", "object literal", "variable list",
                             "variable object"]),
       depth=st.one_of(st.integers(1, 64), st.integers(65, 1500), st.integers(1500, 5000)))
async def test_deep_nesting(platform: CountedPlatform, kind: str, depth: int) -> None:
    await _post_nested(platform, kind, depth)


@pytest.mark.parametrize("depth", [10, 300, 600, 1000, 1300])
async def test_a_chain_of_fragments_is_refused_not_a_crash(platform: CountedPlatform,
                                                           depth: int) -> None:
    """``{ ...F0 }`` with ``F0`` spreading ``F1`` … ``F{depth}``: at 1,300 the token limit
    refuses it (8 tokens a fragment); below that it must still be a request error, not a 500."""
    await _post_nested(platform, "fragment chain", depth)


@bounded(40)
@given(body=st.one_of(st.binary(max_size=200),
                      st.text(max_size=200).map(str.encode),
                      HOSTILE.map(lambda value: json.dumps(value).encode())))
async def test_arbitrary_bodies(platform: CountedPlatform, body: bytes) -> None:
    before = len(platform.calls)
    reply = await platform.http.post("/graphql", content=body, headers={
        **platform.bearer, "content-type": "application/json"})
    _answered(reply, len(platform.calls) > before, body)
