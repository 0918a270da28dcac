"""Demo stores: QuickMart's 2,000 convenience stores over Shanghai and Hangzhou, and the
few stores each partner's sandbox starts with.

Every value derives from the store number (ids via ``stable_id``, positions from a seeded
generator), so seeding twice writes the same data; existing documents are left alone.
"""

import random
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from partners.demo import demo_partner_id
from schema.kernel.bulk import insert_missing
from schema.kernel.ids import stable_id
from schema.kernel.seeding import Advance, SeedStep
from schema.stores import geo, listing, placement
from schema.stores.placement import merge_directory
from schema.stores.repository import STORE_CODES, STORES, code_key

CHAIN = "quickmart"
STORE_COUNT = 2000
# city, province, centre, half-extent in degrees (about 25 km by 25 km around the centre)
CITIES: tuple[tuple[str, str, float, float, float], ...] = (
    ("Shanghai", "Shanghai", 31.2304, 121.4737, 0.22),
    ("Hangzhou", "Zhejiang", 30.2741, 120.1551, 0.18),
)
SANDBOX_STORE_COUNT = 5
# within about 1.5 km of People's Square: all in a default nearbyStores search from there
_SANDBOX_AREA = (("Shanghai", "Shanghai", 31.2304, 121.4737, 0.015),)
_SERVICES = (["DELIVERY", "PICKUP"], ["PICKUP"], ["DELIVERY", "DINE_IN", "PICKUP"])
_EPOCH = datetime(2026, 1, 1)


def store_code(number: int) -> str:
    return f"QM{number:05d}"


def demo_store_id(number: int, chain: str = CHAIN) -> str:
    return stable_id("sto", f"{chain}:{store_code(number)}")


def store_document(number: int, partner_id: str, rng: random.Random, chain: str = CHAIN,
                   cities: tuple[tuple[str, str, float, float, float], ...] = CITIES,
                   ) -> dict[str, Any]:
    """One deterministic demo store (also used by the benchmarks, with more stores)."""
    city, province, lat0, lng0, extent = cities[number % len(cities)]
    lat = round(lat0 + rng.uniform(-extent, extent), 6)
    lng = round(lng0 + rng.uniform(-extent, extent), 6)
    round_the_clock = number % 5 == 0
    hours = [{"dayOfWeek": d, "opens": "00:00" if round_the_clock else "07:00",
              "closes": "00:00" if round_the_clock else "23:00"} for d in range(1, 8)]
    return {
        "_id": stable_id("sto", f"{chain}:{store_code(number)}"), "partnerId": partner_id,
        "code": store_code(number), "name": f"QuickMart {city} #{number}",
        "address": {"line1": f"{number} Demo Road", "line2": None, "district": None,
                    "city": city, "province": province, "postalCode": None, "country": "CN"},
        "location": {"lat": lat, "lng": lng}, "phone": f"+86 400 800 {number:04d}",
        "timeZone": "Asia/Shanghai", "openingHours": hours,
        "specialHours": [{"date": "2027-02-06", "closed": True, "opens": None, "closes": None}],
        "services": _SERVICES[number % len(_SERVICES)], "deliveryRadiusMeters": 3000,
        "status": "OPEN", "h3": geo.cells_of(lat, lng), "createdAt": _EPOCH, "updatedAt": _EPOCH,
    }


def store_documents(count: int, partner_id: str, chain: str = CHAIN,
                    seed: int = 7) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [store_document(n, partner_id, rng, chain) for n in range(count)]


async def write_stores(db: AsyncDatabase, documents: list[dict[str, Any]],
                       advance: Callable[[int], None] = lambda _n: None) -> None:
    """Stores, their code lookups, list entries and geo buckets, in bulk."""
    await write_listed_stores(db, documents, advance)
    points = [(d["_id"], d["location"]["lat"], d["location"]["lng"]) for d in documents]
    by_collection: dict[str, list[dict[str, Any]]] = {}
    for bucket in geo.bucket_documents(points):
        by_collection.setdefault(geo.bucket_collection(bucket["_id"]), []).append(bucket)
    for collection, buckets in by_collection.items():
        await insert_missing(db[collection], buckets, chunk=1000)
    for directory in geo.directory_documents(points):
        await merge_directory(db, directory)


async def write_listed_stores(db: AsyncDatabase, documents: list[dict[str, Any]],
                              advance: Callable[[int], None] = lambda _n: None) -> None:
    """Stores, their code lookups and list entries, in bulk (no geo buckets: the listing
    benchmark needs none)."""
    for start in range(0, len(documents), 1000):
        part = documents[start:start + 1000]
        await insert_missing(db[STORES], part)
        await _list_new(db, part)
        advance(len(part))


async def _list_new(db: AsyncDatabase, documents: list[dict[str, Any]]) -> None:
    """Code lookups, with listing numbers, for the stores that have none yet, and their list
    entries (an earlier run's stores keep theirs; the numbers tried for them stay unused)."""
    by_partner: dict[str, list[dict[str, Any]]] = {}
    for document in documents:
        by_partner.setdefault(document["partnerId"], []).append(document)
    for partner_id, stores in by_partner.items():
        numbers = await listing.allocate(db, partner_id, len(stores))
        lookups = [{"_id": code_key(partner_id, d["code"]), "storeId": d["_id"], "listing": n}
                   for d, n in zip(stores, numbers, strict=True)]
        try:
            await db[STORE_CODES].insert_many(lookups, ordered=False)
            existed: set[int] = set()
        except BulkWriteError as exc:
            if any(e["code"] != 11000 for e in exc.details["writeErrors"]):
                raise
            existed = {e["index"] for e in exc.details["writeErrors"]}
        await listing.record(db, [(d, n) for i, (d, n) in enumerate(zip(stores, numbers,
                                                                         strict=True))
                                  if i not in existed])


async def _seed_stores(db: AsyncDatabase, advance: Advance) -> None:
    await write_stores(db, store_documents(STORE_COUNT, demo_partner_id(CHAIN)), advance)


def sandbox_store_code(number: int) -> str:
    return f"SANDBOX-{number + 1}"


def sandbox_store_id(partner_id: str, number: int) -> str:
    return stable_id("sto", f"sandbox:{partner_id}:{sandbox_store_code(number)}")


def sandbox_store_documents(partner_id: str) -> list[dict[str, Any]]:
    """A partner's sandbox stores: ``SANDBOX-1`` … around People's Square, Shanghai."""
    rng = random.Random(partner_id)
    return [{**store_document(n, partner_id, rng, cities=_SANDBOX_AREA),
             "_id": sandbox_store_id(partner_id, n), "code": sandbox_store_code(n),
             "name": f"Sandbox store {n + 1}"} for n in range(SANDBOX_STORE_COUNT)]


def sandbox_stores_seed(partner_id: str) -> SeedStep:
    """The step that writes ``partner_id``'s sandbox stores (into the sandbox database)."""

    async def seed(db: AsyncDatabase, advance: Advance) -> None:
        documents = sandbox_store_documents(partner_id)
        await write_stores(db, documents, advance)
        for document in documents:   # buckets another sandbox partner's stores already made
            await placement.enter(db, {**document, "rev": 0})

    return SeedStep(f"sandbox-stores:{partner_id}", SANDBOX_STORE_COUNT, seed)


STORES_SEED = SeedStep("stores", STORE_COUNT, _seed_stores)
