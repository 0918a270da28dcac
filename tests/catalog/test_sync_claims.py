"""A sync and the revision claims of its rows: a claim whose writer died is taken over, a
live one is waited for and then reported, and a sync too late to write writes nothing."""

from datetime import timedelta

from schema.catalog import sync_inventory
from schema.catalog.collections import INVENTORY, inventory_id
from schema.catalog.products import product_id_for
from schema.kernel import claims
from schema.kernel.claims import CLAIMS
from schema.kernel.time import utcnow
from tests.catalog.test_sync import A, at, levels, setup, sync


def _revision_claim(store_id: str, sku: str, revision: int) -> str:
    return f"{INVENTORY}:{inventory_id(store_id, product_id_for(A.partner_id, sku))}:{revision}"


async def test_a_dead_writers_claim_is_taken_over_and_a_live_one_is_not(db, monkeypatch):
    monkeypatch.setattr(sync_inventory, "RETRY_FOR_S", 0.3)
    store_id, _ = await setup(db)
    await sync(db, store_id, [{"sku": s, "onHand": 1, "occurredAt": at(1)} for s in "ABC"])
    now = utcnow()
    await db[CLAIMS].insert_many([
        {"_id": _revision_claim(store_id, "A", 2), "at": now - claims.CLAIM_LEASE * 2},
        {"_id": _revision_claim(store_id, "B", 2), "at": now},
    ])
    out = await sync(db, store_id, [{"sku": s, "onHand": 9, "occurredAt": at(2)} for s in "ABC"])
    assert (out["applied"], out["conflicts"]) == (2, 1)
    assert [p["sku"] for p in out["problems"]] == ["B"]
    assert await levels(db, store_id) == {"A": 9, "B": 1, "C": 9}


async def test_a_sync_too_late_to_write_its_claims_writes_nothing(db, monkeypatch):
    store_id, _ = await setup(db)
    await sync(db, store_id, [{"sku": s, "onHand": 1, "occurredAt": at(1)} for s in "ABC"])
    monkeypatch.setattr(sync_inventory, "RETRY_FOR_S", 0.3)
    monkeypatch.setattr(claims, "WRITE_WITHIN", timedelta(microseconds=-1))
    out = await sync(db, store_id, [{"sku": s, "delta": 2, "occurredAt": at(2)} for s in "ABC"])
    assert (out["applied"], out["conflicts"]) == (0, 3)
    assert await levels(db, store_id) == {"A": 1, "B": 1, "C": 1}
    left = await db[CLAIMS].count_documents({"_id": {"$in": [
        _revision_claim(store_id, s, 2) for s in "ABC"]}})
    assert left == 3   # left for takeover, not written
