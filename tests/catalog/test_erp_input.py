"""ERP input that cannot hurt reads: levels kept within a GraphQL Int, no delta below zero, no
occurredAt far ahead of the server clock, prices in the product's currency. Each refused item
is INVALID, changes nothing, and the reads that broke before (inventoryChanges,
Product.availability) keep answering."""

from datetime import timedelta

import pytest

from schema.catalog.clock import MAX_FUTURE_ENV
from schema.catalog.collections import INVENTORY, PRODUCTS
from schema.catalog.schema import schema
from schema.kernel.time import to_iso, utcnow
from tests.catalog.test_sync import FEED, A, at, setup, sync
from tests.stores.helpers import data, run

MAX = 2_147_483_647
PRICES = """mutation($input: SyncPricesInput!) { syncPrices(input: $input) {
  applied stale unknownSku invalid problems { sku status message } userErrors { code } } }"""
READS = """query($id: ID!) { inventoryChanges(first: 1000) { hasMore changes { onHand } }
  product(id: $id) { price { amount currency }
    availability(near: {lat: 31.2, lng: 121.4}, radiusMeters: 50000) { available } } }"""


def from_now(**delta: float) -> str:
    return to_iso(utcnow() + timedelta(**delta))


async def snapshot(db) -> list[dict]:
    return await db[INVENTORY].find({}, {"outbox": 0}).sort("_id", 1).to_list()


async def reads_still_work(db, product_id: str) -> dict:
    result = await run(schema, db, READS, A, id=product_id)
    assert result.errors is None, result.errors
    return result.data


def problem(result: dict, sku: str) -> dict:
    [found] = [p for p in result["problems"] if p["sku"] == sku]
    return found


async def test_levels_outside_an_int_or_below_zero_are_invalid_and_change_nothing(db):
    store_id, ids = await setup(db, skus=("TOP", "LOW", "CAS", "CNT"))
    first = await sync(db, store_id, [{"sku": "TOP", "onHand": MAX, "occurredAt": at(1)},
                                      {"sku": "LOW", "onHand": 3, "occurredAt": at(1)},
                                      {"sku": "CAS", "onHand": 3, "occurredAt": at(1)},
                                      {"sku": "CNT", "onHand": 5, "occurredAt": at(1)}])
    assert first["applied"] == 4
    assert (await sync(db, store_id, [{"sku": "CNT", "delta": -5, "occurredAt": at(9)}]))[
        "applied"] == 1
    before = await snapshot(db)
    refused = await sync(db, store_id, [
        {"sku": "TOP", "delta": 1, "occurredAt": at(5)},
        {"sku": "LOW", "delta": -100_000, "occurredAt": at(5)},
        {"sku": "CAS", "delta": -1, "expectedOnHand": -1, "occurredAt": at(5)},
        # a count older than the applied -5: replaying it would leave onHand at -4
        {"sku": "CNT", "onHand": 1, "occurredAt": at(2)}])
    assert (refused["applied"], refused["invalid"]) == (0, 4)
    assert {p["status"] for p in refused["problems"]} == {"INVALID"}
    assert f"past {MAX:,}" in problem(refused, "TOP")["message"]
    low = problem(refused, "LOW")["message"]
    assert "from 3 to -99,997" in low and "send a count (onHand) instead" in low
    assert "expectedOnHand must be in 0 … 2,147,483,647" in problem(refused, "CAS")["message"]
    assert "leave onHand at -4" in problem(refused, "CNT")["message"]
    negative = await sync(db, store_id, [{"sku": "LOW", "onHand": -1, "occurredAt": at(6)}])
    assert negative["invalid"] == 1 and "onHand must be in" in negative["problems"][0]["message"]
    assert await snapshot(db) == before   # nothing written, not even a revision
    reads = await reads_still_work(db, ids["TOP"])
    assert sorted(c["onHand"] for c in reads["inventoryChanges"]["changes"]) == [0, 3, 3, MAX]
    assert reads["product"]["availability"] == [{"available": MAX}]


async def test_an_occurred_at_too_far_ahead_is_invalid_and_does_not_freeze_the_sku(db):
    store_id, ids = await setup(db, skus=("A", "B"))
    before = await snapshot(db)
    ahead = await sync(db, store_id, [
        {"sku": "A", "onHand": 7, "occurredAt": from_now(minutes=6)},
        {"sku": "B", "delta": 2, "occurredAt": "9999-12-31T23:59:59Z"}])
    assert (ahead["applied"], ahead["invalid"]) == (0, 2)
    message = problem(ahead, "A")["message"]
    assert "more than 5 minutes ahead of the server clock" in message and "ERP's clock" in message
    assert await snapshot(db) == before
    skewed = await sync(db, store_id, [{"sku": "A", "onHand": 7,
                                        "occurredAt": from_now(minutes=4)}])
    assert skewed["applied"] == 1   # within the allowance
    now = await sync(db, store_id, [{"sku": "B", "onHand": 1, "occurredAt": from_now()}])
    assert now["applied"] == 1      # B was never frozen by the refused item
    assert (await reads_still_work(db, ids["A"]))["product"]["availability"] == [{"available": 7}]


async def test_the_allowance_is_configurable(db, monkeypatch: pytest.MonkeyPatch):
    store_id, _ = await setup(db, skus=("A",))
    monkeypatch.setenv(MAX_FUTURE_ENV, "60")
    result = await sync(db, store_id, [{"sku": "A", "onHand": 1,
                                        "occurredAt": from_now(minutes=2)}])
    assert result["invalid"] == 1 and "more than 1 minute ahead" in result["problems"][0]["message"]
    monkeypatch.setenv(MAX_FUTURE_ENV, "600")
    assert (await sync(db, store_id, [{"sku": "A", "onHand": 1,
                                       "occurredAt": from_now(minutes=2)}]))["applied"] == 1


async def test_prices_in_another_currency_or_from_the_future_are_invalid(db):
    _, ids = await setup(db, skus=("A", "B", "C", "D"))
    before = await db[PRODUCTS].find({}).sort("_id", 1).to_list()
    items = [{"sku": "A", "price": {"amount": 100, "currency": "USD"}, "occurredAt": at(1)},
             {"sku": "B", "price": {"amount": 90}, "occurredAt": from_now(hours=24)},
             {"sku": "C", "price": {"amount": -1}, "occurredAt": at(1)},
             {"sku": "D", "price": {"amount": 120}, "occurredAt": at(1)},
             {"sku": "NOPE", "price": {"amount": 1}, "occurredAt": at(1)}]
    out = (await data(schema, db, PRICES, A, input={"items": items,
                                                    "idempotencyKey": "p"}))["syncPrices"]
    counts = (out["applied"], out["stale"], out["unknownSku"], out["invalid"])
    assert counts == (1, 0, 1, 3) and sum(counts) == len(items)
    usd = problem(out, "A")["message"]
    assert "USD" in usd and "CNY" in usd
    assert "ahead of the server clock" in problem(out, "B")["message"]
    after = {p["sku"]: p for p in await db[PRODUCTS].find({}).to_list()}
    assert after["D"]["price"] == {"amount": 120, "currency": "CNY"}
    unchanged = {p["sku"]: p for p in before if p["sku"] != "D"}
    assert {sku: after[sku] for sku in unchanged} == unchanged   # INVALID items wrote nothing
    stale = (await data(schema, db, PRICES, A, input={"items": [
        {"sku": "D", "price": {"amount": 1}, "occurredAt": at(0)}],
        "idempotencyKey": "p2"}))["syncPrices"]
    assert (stale["applied"], stale["stale"], stale["invalid"]) == (0, 1, 0)
    await reads_still_work(db, ids["A"])


async def test_a_currency_changed_concurrently_is_caught_under_the_claim(db):
    """The currency is checked again on the document the price write would replace."""
    from schema.catalog.products import set_price
    from schema.catalog.stock import ItemStatus

    _, ids = await setup(db, skus=("A",))
    await db[PRODUCTS].update_one({"_id": ids["A"]},
                                  {"$set": {"price": {"amount": 5, "currency": "HKD"}}})
    outcome = await set_price(db, ids["A"], {"amount": 7, "currency": "CNY"}, utcnow())
    assert outcome == (ItemStatus.INVALID, "HKD")
    assert (await db[PRODUCTS].find_one({"_id": ids["A"]}))["price"]["amount"] == 5


async def test_feed_reads_still_work_after_refused_items(db):
    store_id, _ = await setup(db, skus=("A",))
    await sync(db, store_id, [{"sku": "A", "onHand": MAX, "occurredAt": at(1)}])
    await sync(db, store_id, [{"sku": "A", "delta": 1, "occurredAt": at(2)}])
    result = await run(schema, db, FEED, A, after=None, first=10)
    assert result.errors is None
    assert [c["onHand"] for c in result.data["inventoryChanges"]["changes"]] == [MAX]
