"""Geo bucket entries carry the store revision that placed them: an older move never
overwrites or removes a newer one (the ordering of concurrent moves of one store)."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.stores import geo, placement

STORE = "sto_01JPLACEMENTAAAAAAAAAAAAAA"


def store_at(lat: float, lng: float, revision: int) -> dict[str, Any]:
    return {"_id": STORE, "location": {"lat": lat, "lng": lng}, "rev": revision,
            "h3": geo.cells_of(lat, lng)}


async def entries(db: AsyncDatabase, bucket: str) -> list[dict[str, Any]]:
    found = await db[geo.bucket_collection(bucket)].find_one({"_id": bucket})
    return [e for e in (found or {}).get("s", []) if e["i"] == STORE]


async def test_an_older_move_does_not_overwrite_a_newer_entry(db):
    newer, older = store_at(31.2000, 121.4000, 5), store_at(31.2003, 121.4003, 3)
    shared = placement.bucket_ids(newer["h3"]) & placement.bucket_ids(older["h3"])
    assert shared
    await placement.enter(db, newer)
    await placement.enter(db, older)
    for bucket in shared:
        assert [(e["a"], e["r"]) for e in await entries(db, bucket)] == [(31.2, 5)]


async def test_a_newer_move_replaces_an_older_entry(db):
    older, newer = store_at(31.2000, 121.4000, 3), store_at(31.2003, 121.4003, 5)
    await placement.enter(db, older)
    await placement.enter(db, newer)
    for bucket in placement.bucket_ids(newer["h3"]):
        assert [(e["a"], e["r"]) for e in await entries(db, bucket)] == [(31.2003, 5)]


async def test_drop_removes_only_entries_older_than_the_bound(db):
    store = store_at(31.2, 121.4, 5)
    buckets = placement.bucket_ids(store["h3"])
    await placement.enter(db, store)
    await placement.drop(db, STORE, buckets, below=5)
    assert [[e["r"] for e in await entries(db, b)] for b in buckets] == [[5]] * len(buckets)
    await placement.drop(db, STORE, buckets, below=6)
    assert [await entries(db, b) for b in buckets] == [[]] * len(buckets)
