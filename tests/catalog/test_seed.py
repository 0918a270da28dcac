"""Demo seed steps are deterministic and idempotent."""

from schema.catalog.seed import PRODUCTS_SEED, STOCK_SEED, product_documents
from schema.stores.repository import store_id_for_code
from schema.stores.seed import STORE_COUNT, STORES_SEED, demo_store_id


async def test_store_and_product_seeds_are_idempotent(db):
    ticks: list[int] = []
    for _ in range(2):
        await STORES_SEED.apply(db, ticks.append)
        await PRODUCTS_SEED.apply(db, ticks.append)
    assert await db["stores"].count_documents({}) == STORE_COUNT
    assert await db["products"].count_documents({}) == 500
    assert sum(ticks) == 2 * (STORE_COUNT + 500)
    first = await db["stores"].find_one({"_id": demo_store_id(0)})
    assert first["address"]["city"] in {"Shanghai", "Hangzhou"}
    assert await store_id_for_code(db, first["partnerId"], first["code"]) == first["_id"]
    cities = {d["address"]["city"] for d in await db["stores"].find({}, {"address": 1}).to_list()}
    assert cities == {"Shanghai", "Hangzhou"}
    assert STOCK_SEED.total == STORE_COUNT
    assert product_documents(3, "ptn_x") == product_documents(3, "ptn_x")
