"""The kernel's database access, against the real FerretDB."""

import pytest
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.indexes import IndexSpec, ensure_indexes
from schema.kernel.mongo import DatabaseUnavailable, Mongo, redact_uri


async def test_round_trip_keeps_utc_datetimes(db: AsyncDatabase) -> None:
    from schema.kernel.time import utcnow

    now = utcnow()
    await db["things"].insert_one({"_id": "a", "at": now})
    stored = await db["things"].find_one({"_id": "a"})
    assert stored is not None and stored["at"] == now and stored["at"].tzinfo is not None


async def test_ensure_indexes_is_idempotent_and_enforces_uniqueness(db: AsyncDatabase) -> None:
    specs = [IndexSpec.on("products", "partnerId", "sku", unique=True)]
    first = await ensure_indexes(db, specs)
    second = await ensure_indexes(db, specs)
    assert first == second == ["products.partnerId_1_sku_1"]
    names = {ix["name"] async for ix in await db["products"].list_indexes()}
    assert "partnerId_1_sku_1" in names
    await db["products"].insert_one({"_id": "p1", "partnerId": "ptn_a", "sku": "S1"})
    with pytest.raises(DuplicateKeyError):
        await db["products"].insert_one({"_id": "p2", "partnerId": "ptn_a", "sku": "S1"})


async def test_fresh_database_per_test_is_empty(db: AsyncDatabase) -> None:
    assert await db.list_collection_names() == []


async def test_unreachable_server_gives_one_readable_line() -> None:
    mongo = Mongo.open("mongodb://127.0.0.1:1/", "x", timeout_ms=300)
    try:
        with pytest.raises(DatabaseUnavailable, match=r"cannot reach MongoDB at mongodb://127\.0\.0\.1:1/"):
            await mongo.ping()
    finally:
        await mongo.close()


@pytest.mark.parametrize("uri", ["http://example", "mongodb://host:notaport/", "mongodb://"])
def test_malformed_uri_is_refused_at_open(uri: str) -> None:
    with pytest.raises(DatabaseUnavailable, match="not a valid MongoDB URI"):
        Mongo.open(uri, "x")


def test_passwords_never_reach_messages() -> None:
    assert redact_uri("mongodb://app:s3cret@db:27017/x") == "mongodb://app:***@db:27017/x"
    assert redact_uri("mongodb://db:27017/") == "mongodb://db:27017/"
