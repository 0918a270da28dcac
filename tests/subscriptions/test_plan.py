"""Planning a subscription as Apollo Router does, and the checks before its stream starts
(no database: these refusals happen before any subgraph)."""

import pytest
from graphql import parse

from gateway.federation import QueryPlanner, Supergraph
from gateway.federation.errors import PlanningError
from gateway.federation.plan import Fetch, Flatten, Sequence
from gateway.limits import OperationLimits
from gateway.platform import compose_platform
from gateway.service import Gateway, GraphQLRequest
from gateway.subscriptions.errors import Refused
from gateway.subscriptions.prepare import prepare, root_fetch
from gateway.subscriptions.slots import SubscriptionSlots
from gateway.transports import TransportRouter

SUBSCRIPTION = """subscription Board($s: ID) { orderStatusChanged(storeId: $s) {
  id status merchant { name } lines { product { name } } } }"""


@pytest.fixture(scope="module")
def supergraph() -> Supergraph:
    return Supergraph.parse(compose_platform())


def test_the_root_field_is_a_subscription_fetch_and_the_rest_entity_queries(
        supergraph: Supergraph) -> None:
    plan = QueryPlanner(supergraph).plan(parse(SUBSCRIPTION), "Board", subscription=True)
    assert plan.operation_kind == "subscription"
    assert isinstance(plan.node, Sequence)
    root = root_fetch(plan)
    assert root is plan.node.nodes[0]
    assert (root.subgraph, root.operation.split()[0]) == ("orders", "subscription")
    entity_fetches = [node.node for node in plan.node.nodes[1].nodes]  # type: ignore[union-attr]
    assert {f.subgraph for f in entity_fetches} == {"partners", "catalog"}
    assert all(isinstance(n, Fetch) and n.operation.startswith("query")
               for n in entity_fetches)
    assert all(isinstance(n, Flatten) for n in plan.node.nodes[1].nodes)  # type: ignore[union-attr]


def test_request_response_callers_cannot_plan_a_subscription(supergraph: Supergraph) -> None:
    with pytest.raises(PlanningError, match="POST /graphql/stream"):
        QueryPlanner(supergraph).plan(parse(SUBSCRIPTION), "Board")


def test_a_subscription_from_a_subgraph_not_in_process_is_refused(
        supergraph: Supergraph) -> None:
    gateway = Gateway(supergraph, TransportRouter({}))
    with pytest.raises(Refused) as refused:
        prepare(gateway, GraphQLRequest(SUBSCRIPTION, {"s": "sto_1"}, "Board"), None)
    assert refused.value.code == "BAD_USER_INPUT"
    assert "subgraph 'orders'" in refused.value.errors[0]["message"]


def test_operation_limits_apply_on_subscribe(supergraph: Supergraph) -> None:
    gateway = Gateway(supergraph, TransportRouter({}), limits=OperationLimits(cost=2))
    with pytest.raises(Refused) as refused:
        prepare(gateway, GraphQLRequest(SUBSCRIPTION, {}, "Board"), None)
    assert refused.value.code == "QUERY_TOO_COMPLEX"
    assert refused.value.errors[0]["extensions"]["limit"] == "cost"
    deep = Gateway(supergraph, TransportRouter({}), limits=OperationLimits(depth=2))
    with pytest.raises(Refused) as refused:
        prepare(deep, GraphQLRequest(SUBSCRIPTION, {}, "Board"), None)
    assert refused.value.errors[0]["extensions"]["limit"] == "depth"


@pytest.mark.parametrize(("query", "variables", "code"), [
    ("", None, "BAD_USER_INPUT"),
    ("subscription {", None, "GRAPHQL_PARSE_FAILED"),
    ("subscription { orderStatusChanged { nope } }", None, "GRAPHQL_VALIDATION_FAILED"),
    ("query { __typename }", None, "BAD_USER_INPUT"),
    ("subscription($s: ID) { orderStatusChanged(storeId: $s) { id } }", {"s": [1]},
     "BAD_USER_INPUT"),
    ("subscription A { orderStatusChanged { id } } subscription B { inventoryLow(storeId: "
     "\"x\") { onHand } }", None, "BAD_USER_INPUT"),
])
def test_malformed_subscriptions(supergraph: Supergraph, query: str,
                                 variables: dict | None, code: str) -> None:
    with pytest.raises(Refused) as refused:
        prepare(Gateway(supergraph, TransportRouter({})), GraphQLRequest(query, variables),
                None)
    assert refused.value.code == code


def test_slots_are_per_app_and_given_back_once() -> None:
    slots = SubscriptionSlots(per_app=2)
    first, _ = slots.take("client:a"), slots.take("client:a")
    with pytest.raises(Refused) as refused:
        slots.take("client:a")
    assert (refused.value.code, refused.value.status, refused.value.retry_after) == (
        "RATE_LIMITED", 429, 5)
    slots.take("client:b")
    first()
    first()
    assert slots.open("client:a") == 1
    slots.take("client:a")
