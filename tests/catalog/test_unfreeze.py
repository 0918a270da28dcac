"""Releasing SKUs frozen by a far-future timestamp stored before such input was refused."""

from datetime import timedelta

import pytest

from schema.catalog.clock import MAX_FUTURE_ENV
from schema.catalog.collections import INVENTORY, PRODUCTS
from schema.catalog.schema import schema
from schema.catalog.unfreeze import unfreeze
from schema.kernel.time import as_utc, to_iso, utcnow
from tests.catalog.test_sync import A, B, setup, sync
from tests.stores.helpers import data, make_store

PRICES = """mutation($input: SyncPricesInput!) { syncPrices(input: $input) {
  applied stale invalid } }"""
STORE_FEED = """query($store: ID!) { inventoryChanges(storeId: $store, first: 100) {
  changes { countedAt product { sku } } hasMore } }"""


def from_now(**delta: float) -> str:
    return to_iso(utcnow() + timedelta(**delta))


async def price(db, sku: str, amount: int, occurred_at: str, who=A) -> dict:
    out = await data(schema, db, PRICES, who, input={
        "items": [{"sku": sku, "price": {"amount": amount}, "occurredAt": occurred_at}],
        "idempotencyKey": f"{sku}{amount}{occurred_at}"})
    return out["syncPrices"]


async def freeze(db, monkeypatch: pytest.MonkeyPatch, store_id: str, skus: tuple[str, ...]):
    """What an ERP clock 300 days fast did before occurredAt was bounded."""
    monkeypatch.setenv(MAX_FUTURE_ENV, str(366 * 24 * 3600))
    far = from_now(days=300)
    counted = await sync(db, store_id, [{"sku": s, "onHand": 5, "occurredAt": far} for s in skus])
    assert counted["applied"] == len(skus)
    moved = await sync(db, store_id, [{"sku": s, "delta": 2, "occurredAt": from_now(days=301)}
                                      for s in skus])
    assert moved["applied"] == len(skus)
    for sku in skus:
        assert (await price(db, sku, 999, far))["applied"] == 1
    monkeypatch.delenv(MAX_FUTURE_ENV)


async def test_unfreeze_lets_the_next_count_and_price_apply(db, monkeypatch):
    store_id, ids = await setup(db, skus=("A", "B", "C"))
    await freeze(db, monkeypatch, store_id, ("A", "B"))
    assert (await sync(db, store_id, [{"sku": "A", "onHand": 1,
                                       "occurredAt": from_now()}]))["stale"] == 1
    assert (await price(db, "A", 100, from_now()))["stale"] == 1

    done = await unfreeze(db, A.partner_id, store_id=store_id)
    assert sorted(r["sku"] for r in done.rows) == ["A", "B"]   # C was never frozen
    assert sorted(done.products) == sorted([ids["A"], ids["B"]])
    for row in await db[INVENTORY].find({"sku": {"$in": ["A", "B"]}}).to_list():
        assert as_utc(row["countedAt"]) == done.at
        assert [as_utc(m["at"]) for m in row["moves"]] == [done.at]
        assert row["onHand"] == 7 and row["rev"] == 3   # a new revision, same level

    later = from_now(seconds=1)
    assert (await sync(db, store_id, [{"sku": "A", "onHand": 1, "occurredAt": later}]))[
        "applied"] == 1
    assert (await price(db, "A", 100, later))["applied"] == 1
    product = await db[PRODUCTS].find_one({"_id": ids["A"]})
    assert product["price"]["amount"] == 100
    again = await unfreeze(db, A.partner_id)
    assert (again.rows, again.products) == ([], [])   # nothing left in the future


async def test_unfreeze_is_scoped_to_the_partner_store_and_sku(db, monkeypatch):
    store_id, _ = await setup(db, skus=("A", "B"))
    other_store = await make_store(db, A, "S2", 31.3, 121.5)
    theirs, _ = await setup(db, owner=B, skus=("A",))
    await freeze(db, monkeypatch, store_id, ("A", "B"))
    monkeypatch.setenv(MAX_FUTURE_ENV, str(366 * 24 * 3600))
    assert (await sync(db, other_store, [{"sku": "A", "onHand": 1,
                                          "occurredAt": from_now(days=10)}]))["applied"] == 1
    assert (await sync(db, theirs, [{"sku": "A", "onHand": 1, "occurredAt": from_now(days=10)}],
                       who=B))["applied"] == 1
    monkeypatch.delenv(MAX_FUTURE_ENV)

    one = await unfreeze(db, A.partner_id, store_id=store_id, sku="B")
    assert [(r["storeId"], r["sku"]) for r in one.rows] == [(store_id, "B")]
    everywhere = await unfreeze(db, A.partner_id, sku="A")
    assert sorted(r["storeId"] for r in everywhere.rows) == sorted([store_id, other_store])
    frozen_b = await db[INVENTORY].find_one({"partnerId": B.partner_id})
    assert as_utc(frozen_b["countedAt"]) > utcnow() + timedelta(days=9)   # B's untouched


async def test_released_rows_appear_in_the_store_feed(db, monkeypatch):
    store_id, _ = await setup(db, skus=("A",))
    await freeze(db, monkeypatch, store_id, ("A",))
    done = await unfreeze(db, A.partner_id, store_id=store_id)
    out = await data(schema, db, STORE_FEED, A, store=store_id)
    changes = out["inventoryChanges"]["changes"]
    assert changes == [{"countedAt": to_iso(done.at), "product": {"sku": "A"}}]


async def test_a_movement_far_ahead_no_longer_haunts_later_counts(db, monkeypatch):
    """A delta stored with a future time is replayed onto every count before that time."""
    store_id, _ = await setup(db, skus=("A",))
    await sync(db, store_id, [{"sku": "A", "onHand": 5, "occurredAt": from_now()}])
    monkeypatch.setenv(MAX_FUTURE_ENV, str(366 * 24 * 3600))
    await sync(db, store_id, [{"sku": "A", "delta": 2, "occurredAt": from_now(days=10)}])
    monkeypatch.delenv(MAX_FUTURE_ENV)
    await sync(db, store_id, [{"sku": "A", "onHand": 1, "occurredAt": from_now(seconds=1)}])
    assert (await db[INVENTORY].find_one({"sku": "A"}))["onHand"] == 3   # 1 + the future 2

    done = await unfreeze(db, A.partner_id)
    assert [r["sku"] for r in done.rows] == ["A"]
    await sync(db, store_id, [{"sku": "A", "onHand": 1, "occurredAt": from_now(seconds=2)}])
    assert (await db[INVENTORY].find_one({"sku": "A"}))["onHand"] == 1
