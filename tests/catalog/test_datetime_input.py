"""An unparsable DateTime is a BAD_USER_INPUT error naming its place in the input, whether it
comes in a variable or as a literal, on the subgraph and through the gateway; nothing runs."""

import pytest

from schema.catalog.schema import schema
from tests.e2e.conftest import GraphQL, Platform, graphql, platform  # noqa: F401 (fixtures)
from tests.stores.helpers import partner, run

PRICES_VARIABLE = """mutation($input: SyncPricesInput!) { syncPrices(input: $input) {
  applied } }"""
PRICES_LITERAL = """mutation { syncPrices(input: {idempotencyKey: "k", items: [
  {sku: "A", price: {amount: 1}, occurredAt: "2026-11-25T08:00:00Z"},
  {sku: "B", price: {amount: 1}, occurredAt: "%s"}]}) { applied } }"""
INVENTORY_VARIABLE = """mutation($at: DateTime!) { syncInventory(input: {storeCode: "S1",
  idempotencyKey: "k", items: [{sku: "A", onHand: 1, occurredAt: $at}]}) { applied } }"""
BAD = ["yesterday", "2026-13-45T99:00:00Z", "2026-11-25T08:00:00"]   # the last has no zone


def items(bad: str) -> dict:
    return {"idempotencyKey": "k", "items": [
        {"sku": "A", "price": {"amount": 1}, "occurredAt": "2026-11-25T08:00:00Z"},
        {"sku": "B", "price": {"amount": 1}, "occurredAt": bad}]}


@pytest.mark.parametrize("bad", BAD)
async def test_the_subgraph_gives_the_code_for_a_variable_and_a_literal(db, bad):
    who = partner("ptn_01JAAAAAAAAAAAAAAAAAAAAAAA")
    by_variable = await run(schema, db, PRICES_VARIABLE, who, input=items(bad))
    by_literal = await run(schema, db, PRICES_LITERAL % bad, who)
    for result in (by_variable, by_literal):
        assert result.data is None
        [error] = result.errors
        assert error.extensions["code"] == "BAD_USER_INPUT"
        assert "not an ISO 8601 instant" in error.message
    assert ".items[1].occurredAt" in by_variable.errors[0].message


@pytest.mark.parametrize("bad", BAD)
async def test_through_the_gateway_the_error_has_its_code_and_field(
        platform: Platform, graphql: GraphQL, bad: str) -> None:  # noqa: F811
    token = await platform.partner("Clock Mart", "catalog:write inventory:write")
    by_variable = await graphql(PRICES_VARIABLE, {"input": items(bad)}, token=token)
    by_literal = await graphql(PRICES_LITERAL % bad, token=token)
    single = await graphql(INVENTORY_VARIABLE, {"at": bad}, token=token)
    second = ["input", "items", "1", "occurredAt"]
    expected = [(by_variable, {"variable": "input", "field": second}),
                (by_literal, {"argument": "input", "field": second}),
                (single, {"variable": "at", "field": ["at"]})]
    for body, place in expected:
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "serviceName": "catalog",
                                       **place}
    assert "Argument 'input' has invalid value at .items[1].occurredAt" in (
        by_literal["errors"][0]["message"])
    for operation in ("syncPrices", "syncInventory"):   # no resolver ran
        key = f"idem:{token.partner_id}:{operation}:k"
        assert await platform.mongo.db["idempotency_keys"].find_one({"_id": key}) is None
