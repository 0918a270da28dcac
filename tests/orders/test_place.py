"""placeOrder on the real FerretDB: prices from the catalogue, routing to the nearest store
with stock (or a split over two), the stock held, duplicate external ids, and every bad input
refused with a typed error and nothing reserved."""

import asyncio

import pytest

from schema.catalog.reservations import available_at
from schema.kernel.ids import new_id
from tests.orders.helpers import (
    app,
    delivery,
    order_input,
    place,
    run,
    stock,
    world,
)
from tests.stores.helpers import data as store_data

# Three stores on a line east of the customer, ~1 km apart.
HOME = (31.2300, 121.4700)
STORES = {"near": (31.2300, 121.4800), "mid": (31.2300, 121.4900),
          "far": (31.2300, 121.5000)}


async def levels(db, w, sku: str) -> list[int]:
    return await available_at(db, [w.stores[s] for s in STORES], w.products[sku])


async def test_delivery_goes_to_the_nearest_store_with_every_line(db) -> None:
    w = await world(db, STORES, {"tea": 1200, "bun": 350}, radius=5000)
    await stock(db, w, "near", {"tea": 5, "bun": 0})
    await stock(db, w, "mid", {"tea": 5, "bun": 5})
    await stock(db, w, "far", {"tea": 5, "bun": 5})
    out = await place(db, w.owner, order_input(w, {"tea": 2, "bun": 3}, delivery(*HOME)))
    assert out["userErrors"] == []
    order = out["order"]
    assert [s["id"] for s in order["fulfillment"]["stores"]] == [w.stores["mid"]]
    assert order["total"] == {"amount": 2 * 1200 + 3 * 350, "currency": "CNY"}
    assert {line["store"]["id"] for line in order["lines"]} == {w.stores["mid"]}
    assert await levels(db, w, "tea") == [5, 3, 5]
    assert await levels(db, w, "bun") == [0, 2, 5]
    assert order["status"] == "CREATED"


async def test_split_over_two_stores_when_none_has_all(db) -> None:
    w = await world(db, STORES, {"tea": 1200, "bun": 350}, radius=5000)
    await stock(db, w, "near", {"tea": 5, "bun": 0})
    await stock(db, w, "mid", {"tea": 0, "bun": 0})
    await stock(db, w, "far", {"tea": 0, "bun": 5})
    out = await place(db, w.owner, order_input(w, {"tea": 1, "bun": 1}, delivery(*HOME)))
    assert out["userErrors"] == []
    by_product = {line["product"]["id"]: line["store"]["id"] for line in out["order"]["lines"]}
    assert by_product == {w.products["tea"]: w.stores["near"],
                          w.products["bun"]: w.stores["far"]}
    assert {s["id"] for s in out["order"]["fulfillment"]["stores"]} == {
        w.stores["near"], w.stores["far"]}


async def test_prices_come_from_the_catalogue_at_placing_time(db) -> None:
    w = await world(db, {"near": STORES["near"]}, {"tea": 999})
    await stock(db, w, "near", {"tea": 3})
    out = await place(db, w.owner, order_input(
        w, {"tea": 2}, {"type": "PICKUP", "storeId": w.stores["near"]}, channel="POS"))
    assert out["order"]["lines"][0]["unitPrice"]["amount"] == 999
    assert out["order"]["total"]["amount"] == 1998


async def test_duplicate_external_id_per_merchant_and_channel(db) -> None:
    w = await world(db, {"near": STORES["near"]}, {"tea": 100})
    await stock(db, w, "near", {"tea": 10})
    pickup = {"type": "PICKUP", "storeId": w.stores["near"]}
    results = await asyncio.gather(*(place(db, w.owner, order_input(
        w, {"tea": 1}, pickup, channel="WECHAT", externalId="wx-1")) for _ in range(5)))
    codes = sorted(r["userErrors"][0]["code"] if r["userErrors"] else "OK" for r in results)
    assert codes == ["DUPLICATE_EXTERNAL_ID"] * 4 + ["OK"]
    other_channel = await place(db, w.owner, order_input(
        w, {"tea": 1}, pickup, channel="DIANPING", externalId="wx-1"))
    assert other_channel["userErrors"] == []
    assert await available_at(db, [w.stores["near"]], w.products["tea"]) == [8]


async def _closed(db, w, store: str) -> None:
    from schema.stores.schema import schema as stores_schema

    await store_data(stores_schema, db, """mutation($input: SetStoreStatusInput!) {
      setStoreStatus(input: $input) { userErrors { code } } }""", w.owner,
                     input={"storeId": w.stores[store], "status": "TEMPORARILY_CLOSED"})


BAD = [
    ("empty", lambda w: {"lines": []}, "INVALID", ["input", "lines"]),
    ("zero", lambda w: {"lines": [{"productId": w.products["tea"], "quantity": 0}]},
     "INVALID", ["input", "lines", "0", "quantity"]),
    ("negative", lambda w: {"lines": [{"productId": w.products["tea"], "quantity": -2}]},
     "INVALID", ["input", "lines", "0", "quantity"]),
    ("too many", lambda w: {"lines": [{"productId": w.products["tea"], "quantity": 1}] * 101},
     "INVALID", ["input", "lines"]),
    ("unknown product", lambda w: {"lines": [{"productId": new_id("prd"), "quantity": 1}]},
     "NOT_FOUND", ["input", "lines", "0", "productId"]),
    ("unknown store", lambda w: {"fulfillment": {"type": "PICKUP", "storeId": new_id("sto")}},
     "NOT_FOUND", ["input", "fulfillment", "storeId"]),
    ("outside coverage", lambda w: {"fulfillment": delivery(31.40, 121.70)},
     "NOT_COVERED", ["input", "fulfillment", "location"]),
    ("delivery without address", lambda w: {"fulfillment": {
        "type": "DELIVERY", "location": {"lat": HOME[0], "lng": HOME[1]}}},
     "INVALID", ["input", "fulfillment"]),
    ("pickup without store", lambda w: {"fulfillment": {"type": "PICKUP"}},
     "INVALID", ["input", "fulfillment", "storeId"]),
    ("more than stocked", lambda w: {"lines": [{"productId": w.products["tea"],
                                                "quantity": 50}]},
     "OUT_OF_STOCK", ["input", "lines"]),
]


@pytest.mark.parametrize(("name", "change", "code", "field"), BAD, ids=[b[0] for b in BAD])
async def test_bad_input_is_a_typed_error_and_reserves_nothing(db, name, change, code,
                                                                field) -> None:
    w = await world(db, {"near": STORES["near"], "shut": STORES["mid"]}, {"tea": 100})
    await stock(db, w, "near", {"tea": 10})
    base = order_input(w, {"tea": 1}, delivery(*HOME))
    out = await place(db, w.owner, {**base, **change(w)})
    assert out["order"] is None
    assert out["userErrors"][0]["code"] == code, out
    assert out["userErrors"][0]["field"] == field
    assert await available_at(db, [w.stores["near"]], w.products["tea"]) == [10]


async def test_another_merchants_product_and_a_closed_pickup_store(db) -> None:
    w = await world(db, {"near": STORES["near"], "shut": STORES["mid"]}, {"tea": 100})
    other = await world(db, {"x": STORES["far"]}, {"tea": 100})
    await stock(db, w, "near", {"tea": 10})
    await stock(db, w, "shut", {"tea": 10})
    await stock(db, other, "x", {"tea": 10})
    foreign = order_input(w, {"tea": 1}, delivery(*HOME))
    foreign["lines"] = [{"productId": other.products["tea"], "quantity": 1}]
    out = await place(db, w.owner, foreign)
    assert out["userErrors"][0]["code"] == "NOT_FOUND"
    await _closed(db, w, "shut")
    out = await place(db, w.owner, order_input(w, {"tea": 1},
                                               {"type": "PICKUP", "storeId": w.stores["shut"]}))
    assert out["userErrors"][0]["code"] == "STORE_CLOSED"
    assert await available_at(db, [w.stores["shut"]], w.products["tea"]) == [10]
    assert await available_at(db, [other.stores["x"]], other.products["tea"]) == [10]


async def test_a_member_token_orders_only_for_its_member(db) -> None:
    w = await world(db, {"near": STORES["near"]}, {"tea": 100})
    await stock(db, w, "near", {"tea": 10})
    token = app(w.merchant, member=new_id("mem"))
    out = await place(db, token, order_input(w, {"tea": 1}, delivery(*HOME),
                                             memberId=new_id("mem")))
    assert out["userErrors"][0]["code"] == "FORBIDDEN"
    result = await run(db, "query($id: ID!) { order(id: $id) { id } }", token, id="bad")
    assert result.errors[0].extensions["code"] == "BAD_USER_INPUT"
