"""``after: ""`` means the start on every connection and feed, exactly like ``after: null``
(one rule, :func:`schema.kernel.pagination.after_key`); a cursor that is not a cursor is still
a BAD_USER_INPUT error on ``after`` everywhere."""

import pytest

from schema.catalog.schema import schema as catalog
from schema.maps.schema import schema as maps
from schema.stores.schema import schema as stores
from tests.catalog.test_sync import A, at, setup, sync
from tests.stores.helpers import run

CONNECTIONS = [
    (catalog, """query($after: String) { products(first: 2, after: $after) {
       edges { cursor } pageInfo { hasPreviousPage } } }"""),
    (catalog, """query($after: String, $rep: [_Any!]!) { _entities(representations: $rep) {
       ... on Store { inventory(first: 2, after: $after) {
         edges { cursor } pageInfo { hasPreviousPage } } } } }"""),
    (stores, """query($after: String) { stores(first: 2, after: $after) {
       edges { cursor } pageInfo { hasPreviousPage } } }"""),
    (maps, """query($after: String) { nearbyStores(near: {lat: 31.2, lng: 121.4}, first: 2,
       after: $after) { edges { cursor } pageInfo { hasPreviousPage } } }"""),
    (catalog, """query($after: String) { inventoryChanges(first: 2, after: $after) {
       cursor hasMore changes { onHand } } }"""),
    (catalog, """query($after: String, $store: ID) { inventoryChanges(storeId: $store, first: 2,
       after: $after) { cursor hasMore changes { onHand } } }"""),
]


def connection(data: dict) -> dict:
    """The one connection or feed in a response."""
    value = next(iter(data.values()))
    while isinstance(value, list) or ("edges" not in value and "changes" not in value):
        value = value[0] if isinstance(value, list) else next(iter(value.values()))
    return value


@pytest.mark.parametrize(("subgraph", "query"), CONNECTIONS)
async def test_an_empty_after_is_the_start(db, subgraph, query):
    store_id, _ = await setup(db)
    await sync(db, store_id, [{"sku": s, "onHand": 1, "occurredAt": at(1)} for s in "ABC"])

    def variables() -> dict:   # fresh each time: _entities consumes its representations
        return {"rep": [{"__typename": "Store", "id": store_id}], "store": store_id}

    from_null = await run(subgraph, db, query, A, after=None, **variables())
    from_empty = await run(subgraph, db, query, A, after="", **variables())
    assert from_null.errors is None and from_empty.errors is None, from_empty.errors
    assert from_empty.data == from_null.data
    page = connection(from_empty.data)
    assert page.get("edges") or page.get("changes")   # the first page, not nothing
    assert page.get("pageInfo", {}).get("hasPreviousPage") is not True
    broken = await run(subgraph, db, query, A, after="not a cursor!", **variables())
    [error] = broken.errors
    assert (error.extensions["code"], error.extensions["argument"]) == ("BAD_USER_INPUT", "after")
