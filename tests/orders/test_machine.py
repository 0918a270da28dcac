"""Every (status, target, actor) on both kinds of fulfilment: only the issue's moves by the
issue's actors apply, each stamped in history; everything else is ILLEGAL_TRANSITION and
changes nothing. Through the API, roles come from the token: another store's app, another
member and another courier do not even see the order."""

import asyncio

from schema.kernel.ids import new_id
from schema.orders.collections import ORDERS
from schema.orders.machine import STATUSES, Actor
from schema.orders.transitions import transition
from tests.orders.helpers import (
    MOVE,
    app,
    data,
    move,
    order_input,
    place,
    stock,
    world,
)

S, C, K, P, Y = (Actor.STORE_STAFF, Actor.CUSTOMER, Actor.COURIER, Actor.PARTNER,
                 Actor.SYSTEM)
CANCELERS = {C, S, P, Y}
# The table, written out independently of schema.orders.machine.
LEGAL = {
    ("CREATED", "PAID"): {Y, S}, ("PAID", "ACCEPTED"): {S}, ("ACCEPTED", "PREPARING"): {S},
    ("PREPARING", "READY", "PICKUP"): {S},
    ("PREPARING", "OUT_FOR_DELIVERY", "DELIVERY"): {S, K},
    ("READY", "COMPLETED"): {S}, ("OUT_FOR_DELIVERY", "COMPLETED"): {K},
    ("CREATED", "CANCELED"): CANCELERS, ("PAID", "CANCELED"): CANCELERS,
    ("ACCEPTED", "CANCELED"): CANCELERS, ("CANCELED", "REFUNDED"): {Y},
    ("COMPLETED", "REFUNDED"): {S},
}


def legal(current: str, target: str, kind: str) -> set[Actor]:
    return LEGAL.get((current, target), LEGAL.get((current, target, kind), set()))


async def test_every_move_and_actor(db) -> None:
    merchant = new_id("ptn")
    base = {"merchantId": merchant, "channel": "APP", "lines": [], "storeIds": [],
            "placedBy": {"partnerId": merchant, "clientId": "x"}, "paymentIds": [],
            "total": {"amount": 0, "currency": "CNY"}, "history": []}
    checked = applied = 0
    for kind in ("PICKUP", "DELIVERY"):
        order_id = new_id("ord")
        await db[ORDERS].insert_one({**base, "_id": order_id, "status": "CREATED",
                                     "fulfillment": {"type": kind}})
        for current in STATUSES:
            for target in STATUSES:
                for actor in Actor:
                    await db[ORDERS].update_one({"_id": order_id}, {"$set": {
                        "status": current, "history": []}})
                    out = await transition(db, order_id, target, frozenset((actor,)), "n",
                                           new_id("opn"))
                    doc = await db[ORDERS].find_one({"_id": order_id})
                    checked += 1
                    if actor in legal(current, target, kind):
                        applied += 1
                        assert out["userErrors"] == [], (kind, current, target, actor)
                        assert doc["history"][0]["status"] == target
                        assert doc["history"][0]["actor"] == str(actor)
                    else:
                        assert out["userErrors"][0]["code"] == "ILLEGAL_TRANSITION", (
                            kind, current, target, actor)
                        assert doc["status"] == current and doc["history"] == []
    assert checked == 2 * 9 * 9 * 5
    assert applied == 2 * 20 + 1 + 2   # 20 common moves, READY (pickup), OUT_FOR_DELIVERY (2)


async def test_roles_come_from_the_token(db) -> None:
    w = await world(db, {"a": (31.23, 121.48), "b": (31.24, 121.48)}, {"tea": 100})
    await stock(db, w, "a", {"tea": 10})
    pickup = {"type": "PICKUP", "storeId": w.stores["a"]}
    member = new_id("mem")
    out = await place(db, w.owner, order_input(w, {"tea": 1}, pickup))
    order_id = out["order"]["id"]
    staff_a = app(w.merchant, stores=frozenset((w.stores["a"],)))
    staff_b = app(w.merchant, stores=frozenset((w.stores["b"],)))
    stranger = app(new_id("ptn"))
    someone = app(new_id("ptn"), member=member)
    for outsider in (staff_b, stranger, someone):
        refused = await move(db, outsider, order_id, "PAID")
        assert refused["userErrors"][0]["code"] == "NOT_FOUND"
    paid = await move(db, staff_a, order_id, "PAID", note="cash")
    assert paid["order"]["history"][-1] == {"status": "PAID", "actor": "STORE_STAFF",
                                            "note": "paid offline"}
    courier = app(w.merchant, courier="rider-1")
    assert (await move(db, courier, order_id, "ACCEPTED"))["userErrors"][0]["code"] == \
        "NOT_FOUND"


async def test_concurrent_moves_apply_once(db) -> None:
    w = await world(db, {"a": (31.23, 121.48)}, {"tea": 100})
    await stock(db, w, "a", {"tea": 10})
    out = await place(db, w.owner, order_input(w, {"tea": 1},
                                               {"type": "PICKUP", "storeId": w.stores["a"]}))
    order_id = out["order"]["id"]
    await move(db, w.owner, order_id, "PAID")
    inputs = [{"orderId": order_id, "to": "ACCEPTED", "idempotencyKey": new_id("evt")}
              for _ in range(10)]
    results = await asyncio.gather(*(data(db, MOVE, w.owner, input=i) for i in inputs))
    codes = sorted(r["transitionOrder"]["userErrors"][0]["code"]
                   if r["transitionOrder"]["userErrors"] else "OK" for r in results)
    assert codes == ["ILLEGAL_TRANSITION"] * 9 + ["OK"]
    doc = await db[ORDERS].find_one({"_id": order_id})
    assert [h["status"] for h in doc["history"]] == ["CREATED", "PAID", "ACCEPTED"]


async def test_a_partner_places_through_its_channel_and_may_cancel(db) -> None:
    w = await world(db, {"a": (31.23, 121.48)}, {"tea": 100})
    await stock(db, w, "a", {"tea": 10})
    partner = app(new_id("ptn"))
    pickup = {"type": "PICKUP", "storeId": w.stores["a"]}
    refused = await place(db, partner, order_input(w, {"tea": 1}, pickup, channel="APP"))
    assert refused["userErrors"][0]["code"] == "FORBIDDEN"
    order = (await place(db, partner, order_input(w, {"tea": 1}, pickup,
                                                  channel="PARTNER")))["order"]
    assert order["history"][0]["actor"] == "PARTNER"
    assert (await move(db, partner, order["id"], "PAID"))["userErrors"][0]["code"] == \
        "ILLEGAL_TRANSITION"
    canceled = await move(db, partner, order["id"], "CANCELED")
    assert canceled["order"]["history"][-1]["actor"] == "PARTNER"
    assert (await move(db, app(new_id("ptn")), order["id"], "CANCELED"))["userErrors"][0][
        "code"] == "NOT_FOUND"
