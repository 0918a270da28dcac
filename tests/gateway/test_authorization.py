"""Field authorization through the gateway: pruned before planning, nulls and errors after."""

from pathlib import Path

import pytest

from gateway.federation import Supergraph
from gateway.service import Gateway, GraphQLRequest
from gateway.transports import InProcessTransport, TransportRouter
from schema.kernel.principal import Principal
from tests.gateway.conftest import CountingRouter
from tests.gateway.guarded import SCHEMA

SUPERGRAPH = Path(__file__).with_name("supergraph_guarded.graphql")
QUERY = "{ account { name email } secret }"


@pytest.fixture
def router() -> CountingRouter:
    return CountingRouter(TransportRouter({"accounts": InProcessTransport(SCHEMA._schema)}))


@pytest.fixture
def gateway(router: CountingRouter) -> Gateway:
    return Gateway(Supergraph.parse(SUPERGRAPH.read_text()), router)


async def ask(gateway: Gateway, principal: Principal | None) -> dict:
    shape = gateway.authorization.shape(principal)
    result = await gateway.execute(GraphQLRequest(QUERY), auth_shape=shape)
    return result.response


async def test_anonymous_callers_get_nulls_and_errors(gateway: Gateway,
                                                      router: CountingRouter) -> None:
    response = await ask(gateway, None)
    assert response["data"] == {"account": {"name": "Ada", "email": None}, "secret": None}
    assert sorted((tuple(e["path"]), e["extensions"]["code"]) for e in response["errors"]) == [
        (("account", "email"), "UNAUTHORIZED_FIELD_OR_TYPE"),
        (("secret",), "UNAUTHORIZED_FIELD_OR_TYPE")]
    [fetch] = router.requests
    assert "email" not in fetch.query
    assert "secret" not in fetch.query


async def test_callers_with_the_rights_see_everything(gateway: Gateway) -> None:
    response = await ask(gateway, Principal("app_1", frozenset({"members:read"})))
    assert response == {"data": {"account": {"name": "Ada", "email": "ada@example.com"},
                                 "secret": "hush"}}


async def test_plans_are_shared_by_callers_with_the_same_shape(gateway: Gateway) -> None:
    await ask(gateway, Principal("app_1", frozenset()))
    await ask(gateway, Principal("app_2", frozenset({"orders:read"})))
    await ask(gateway, Principal("app_3", frozenset({"members:read"})))
    assert len(gateway.plan_cache) == 2
    assert gateway.plan_cache.stats.hits == 1


async def test_no_shape_means_a_trusted_caller(gateway: Gateway) -> None:
    result = await gateway.execute(GraphQLRequest(QUERY))
    assert result.response["data"]["account"]["email"] == "ada@example.com"


async def test_a_guarded_field_skipped_by_a_variable_gets_no_error(gateway: Gateway) -> None:
    query = "query($withSecret: Boolean!) { account { name } secret @include(if: $withSecret) }"
    shape = gateway.authorization.shape(None)
    skipped = await gateway.execute(GraphQLRequest(query, {"withSecret": False}),
                                    auth_shape=shape)
    included = await gateway.execute(GraphQLRequest(query, {"withSecret": True}),
                                     auth_shape=shape)
    assert skipped.response == {"data": {"account": {"name": "Ada"}}}
    assert [e["path"] for e in included.response["errors"]] == [["secret"]]
    assert included.response["data"]["secret"] is None
