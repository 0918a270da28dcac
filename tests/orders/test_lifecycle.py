"""An order's life on the real FerretDB: the last units under 100 concurrent orders, unpaid
expiry, payment by createPayment(orderId) moving it to PAID, cancel after payment refunding
it, completion taking the stock and earning points, refund reversing them; the lists under
their watermark; the courier's assignment and route."""

import asyncio
from datetime import timedelta

from schema.catalog.collections import INVENTORY, inventory_id
from schema.catalog.reservations import Line, available_at, reserve
from schema.kernel.events import relay_outboxes
from schema.kernel.ids import new_id
from schema.kernel.time import to_iso, utcnow
from schema.membership.earn_rules import set_rule
from schema.orders.expiry import open_entry, sweep_unpaid
from schema.orders.feed import writing
from schema.payments.notifications import apply_outcome
from schema.payments.providers import LIVE_ENV
from schema.payments.read import get_payment
from tests.orders.helpers import (
    ASSIGN,
    CANCEL,
    app,
    data,
    delivery,
    move,
    order_input,
    place,
    stock,
    world,
)
from tests.payments.helpers import balances, member_with, pay, portion, request

HOME = (31.2300, 121.4700)
NEAR = {"a": (31.2300, 121.4800)}


async def test_hundred_orders_for_the_last_ten_units(db) -> None:
    w = await world(db, NEAR, {"tea": 100}, radius=5000)
    await stock(db, w, "a", {"tea": 10})
    results = await asyncio.gather(*(place(db, w.owner, order_input(
        w, {"tea": 1}, delivery(*HOME))) for _ in range(100)))
    won = [r for r in results if r["userErrors"] == []]
    lost = [r["userErrors"][0]["code"] for r in results if r["userErrors"]]
    assert len(won) == 10
    assert set(lost) == {"OUT_OF_STOCK"}
    row = await db[INVENTORY].find_one({"_id": inventory_id(w.stores["a"], w.products["tea"])})
    assert (row["onHand"], row["reserved"]) == (10, 10)
    assert await available_at(db, [w.stores["a"]], w.products["tea"]) == [0]


async def test_an_expired_unpaid_order_gives_its_stock_back(db) -> None:
    w = await world(db, NEAR, {"tea": 100}, radius=5000)
    await stock(db, w, "a", {"tea": 4})
    unpaid = (await place(db, w.owner, order_input(w, {"tea": 3}, delivery(*HOME))))["order"]
    paid = (await place(db, w.owner, order_input(w, {"tea": 1}, delivery(*HOME))))["order"]
    await move(db, w.owner, paid["id"], "PAID")
    assert await available_at(db, [w.stores["a"]], w.products["tea"]) == [0]
    assert await sweep_unpaid(db) == 0
    await sweep_unpaid(db, utcnow() + timedelta(minutes=16))
    assert await available_at(db, [w.stores["a"]], w.products["tea"]) == [3]
    order = await db["orders"].find_one({"_id": unpaid["id"]})
    assert order["status"] == "CANCELED"
    assert order["history"][-1]["actor"] == "SYSTEM"
    assert (await db["orders"].find_one({"_id": paid["id"]}))["status"] == "PAID"


async def test_paid_by_payment_then_canceled_is_refunded_and_restocked(db) -> None:
    w = await world(db, NEAR, {"tea": 1500}, radius=5000)
    await stock(db, w, "a", {"tea": 5})
    member = await member_with(db, w.merchant, stored_value=10_000)
    order = (await place(db, w.owner, order_input(w, {"tea": 2}, delivery(*HOME),
                                                  memberId=member)))["order"]
    wrong = await pay(db, new_id("ptn"), request(None, portion("STORED_VALUE", 3000),
                                                member=member, order=order["id"]))
    assert wrong["userErrors"][0]["code"] == "NOT_FOUND"
    paid = await pay(db, w.merchant, request(None, portion("STORED_VALUE", 3000),
                                             member=member, order=order["id"]))
    assert paid["userErrors"] == []
    doc = await db["orders"].find_one({"_id": order["id"]})
    assert doc["status"] == "PAID" and doc["paymentIds"] == [paid["paymentId"]]
    assert doc["history"][-1]["actor"] == "SYSTEM"
    assert await balances(db, member) == (0, 7000)
    out = await data(db, CANCEL, app(w.merchant, member=member), input={
        "orderId": order["id"], "idempotencyKey": "c1", "reason": "changed my mind"})
    assert out["cancelOrder"]["userErrors"] == []
    doc = await db["orders"].find_one({"_id": order["id"]})
    assert [h["status"] for h in doc["history"]] == ["CREATED", "PAID", "CANCELED", "REFUNDED"]
    assert (await get_payment(db, paid["paymentId"]))["amountRefunded"] == 3000
    assert await balances(db, member) == (0, 10_000)
    assert await available_at(db, [w.stores["a"]], w.products["tea"]) == [5]


async def test_completion_takes_the_stock_and_earns_points_refund_reverses(db) -> None:
    w = await world(db, NEAR, {"tea": 1500}, radius=5000)
    await stock(db, w, "a", {"tea": 5})
    await set_rule(db, w.merchant, 1, 5, "CNY")
    member = await member_with(db, w.merchant)
    order = (await place(db, w.owner, order_input(w, {"tea": 2}, delivery(*HOME),
                                                  memberId=member)))["order"]
    courier = app(w.merchant, courier="rider-7")
    for to in ("PAID", "ACCEPTED"):
        assert (await move(db, w.owner, order["id"], to))["userErrors"] == []
    assigned = await data(db, ASSIGN, w.owner, input={"orderId": order["id"],
                                                      "courierId": "rider-7"})
    assert assigned["assignCourier"]["order"]["fulfillment"]["courierId"] == "rider-7"
    route = await data(db, """query { courierAssignment(courierId: "rider-7") {
      orders { id } route { stops { id sequence } totalDistanceMeters } } }""", courier)
    assignment = route["courierAssignment"]
    assert [o["id"] for o in assignment["orders"]] == [order["id"]]
    assert assignment["route"]["stops"] == [{"id": order["id"], "sequence": 1}]
    assert 900 < assignment["route"]["totalDistanceMeters"] < 1000
    assert (await move(db, w.owner, order["id"], "PREPARING"))["userErrors"] == []
    assert (await move(db, courier, order["id"], "OUT_FOR_DELIVERY"))["userErrors"] == []
    refused = await move(db, w.owner, order["id"], "COMPLETED")
    assert refused["userErrors"][0]["code"] == "ILLEGAL_TRANSITION"
    assert (await move(db, courier, order["id"], "COMPLETED"))["userErrors"] == []
    row = await db[INVENTORY].find_one({"_id": inventory_id(w.stores["a"], w.products["tea"])})
    assert (row["onHand"], row["reserved"]) == (3, 0)
    assert await balances(db, member) == (30, 0)
    assert (await move(db, w.owner, order["id"], "REFUNDED"))["userErrors"] == []
    assert await balances(db, member) == (0, 0)
    await relay_outboxes(db)
    topics = [e["topic"] async for e in db["events"].find(
        {"resource.id": order["id"]}).sort("sequence", 1)]
    assert topics == ["order.created"] + ["order.status_changed"] * 6


async def test_lists_never_serve_past_a_write_in_flight(db) -> None:
    w = await world(db, NEAR, {"tea": 100}, radius=5000)
    await stock(db, w, "a", {"tea": 50})
    member = await member_with(db, w.merchant)
    first = (await place(db, w.owner, order_input(w, {"tea": 1}, delivery(*HOME),
                                                  memberId=member)))["order"]
    query = """query($f: OrderFilter) { orders(filter: $f) { edges { node { id updatedAt } } } }"""
    async with writing(db, w.merchant):
        late = (await place(db, w.owner, order_input(w, {"tea": 1}, delivery(*HOME))))["order"]
        seen = await data(db, query, w.owner, f=None)
        assert [e["node"]["id"] for e in seen["orders"]["edges"]] == [first["id"]]
    since = seen["orders"]["edges"][-1]["node"]["updatedAt"]
    polled = await data(db, query, w.owner, f={"updatedAfter": since})
    assert [e["node"]["id"] for e in polled["orders"]["edges"]] == [late["id"]]
    await move(db, w.owner, first["id"], "PAID")
    after = await data(db, query, w.owner, f={"updatedAfter": to_iso(utcnow() - timedelta(
        seconds=30)), "statuses": ["PAID"]})
    assert [e["node"]["id"] for e in after["orders"]["edges"]] == [first["id"]]
    board = await data(db, """query($rep: [_Any!]!) { _entities(representations: $rep) {
      ... on Store { orders { edges { node { id } } } } } }""", w.owner,
                       rep=[{"__typename": "Store", "id": w.stores["a"]}])
    assert [e["node"]["id"] for e in board["_entities"][0]["orders"]["edges"]] == [
        late["id"], first["id"]]
    mine = """query($rep: [_Any!]!) { _entities(representations: $rep) {
      ... on Member { orders { edges { node { id } } } } } }"""
    own = await data(db, mine, app(new_id("ptn"), member=member),
                     rep=[{"__typename": "Member", "id": member}])
    assert [e["node"]["id"] for e in own["_entities"][0]["orders"]["edges"]] == [first["id"]]
    other = await data(db, mine, app(new_id("ptn")), rep=[{"__typename": "Member", "id": member}])
    assert other["_entities"][0]["orders"]["edges"] == []


async def test_a_placement_that_died_after_holding_gives_the_stock_back(db) -> None:
    w = await world(db, NEAR, {"tea": 100}, radius=5000)
    await stock(db, w, "a", {"tea": 5})
    lost = new_id("ord")
    lines = [Line(w.stores["a"], w.products["tea"], 2)]
    await open_entry(db, lost, w.merchant, lines, utcnow(), 0)
    await reserve(db, lost, lines)
    assert await available_at(db, [w.stores["a"]], w.products["tea"]) == [3]
    assert await sweep_unpaid(db, utcnow() + timedelta(minutes=16)) == 1
    assert await available_at(db, [w.stores["a"]], w.products["tea"]) == [5]


async def test_an_order_payment_must_match_the_order(db) -> None:
    w = await world(db, NEAR, {"tea": 1500}, radius=5000)
    await stock(db, w, "a", {"tea": 5})
    member = await member_with(db, w.merchant, stored_value=10_000)
    order = (await place(db, w.owner, order_input(w, {"tea": 1}, delivery(*HOME),
                                                  memberId=member)))["order"]
    wrong_amount = await pay(db, w.merchant, request(1000, portion("STORED_VALUE", 1000),
                                                     member=member, order=order["id"]))
    assert wrong_amount["userErrors"][0]["field"] == ["input", "amount"]
    deal = await pay(db, w.merchant, request(None, portion("STORED_VALUE", 1500),
                                             member=member, order=order["id"],
                                             purpose="DEAL"))
    assert deal["userErrors"][0]["field"] == ["input", "purpose"]
    await move(db, w.owner, order["id"], "PAID")
    late = await pay(db, w.merchant, request(None, portion("STORED_VALUE", 1500),
                                             member=member, order=order["id"]))
    assert late["userErrors"][0]["code"] == "INVALID"
    assert await balances(db, member) == (0, 10_000)


async def test_a_payment_for_an_order_the_till_already_paid_is_refunded(db, monkeypatch) -> None:
    monkeypatch.setenv(LIVE_ENV, "1")
    w = await world(db, NEAR, {"tea": 1500}, radius=5000)
    await stock(db, w, "a", {"tea": 5})
    order = (await place(db, w.owner, order_input(w, {"tea": 1}, delivery(*HOME))))["order"]
    made = await pay(db, w.merchant, request(None, portion("EXTERNAL", 1500),
                                             order=order["id"]))
    assert made["userErrors"] == []
    await move(db, w.owner, order["id"], "PAID")
    await apply_outcome(db, await get_payment(db, made["paymentId"]), "SUCCEEDED")
    payment = await get_payment(db, made["paymentId"])
    assert payment["status"] == "SUCCEEDED" and payment["amountRefunded"] == 1500
    doc = await db["orders"].find_one({"_id": order["id"]})
    assert [h["status"] for h in doc["history"]] == ["CREATED", "PAID"]
