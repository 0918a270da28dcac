"""Orders demo data: 300 QuickMart orders across every channel and most states, the active
ones holding their stock, seeded twice without change; a sandbox's three orders."""

from pymongo.asynchronous.database import AsyncDatabase

from partners.demo import demo_partner_id
from schema.catalog.collections import INVENTORY
from schema.catalog.seed import PRODUCTS_SEED, product_documents, sandbox_catalog_seed, stock_row
from schema.kernel.bulk import insert_missing
from schema.kernel.ids import new_id
from schema.orders.collections import ORDERS
from schema.orders.seed import ACTIVE, HISTORY, ORDERS_SEED, sandbox_order_id, sandbox_orders_seed
from schema.stores.seed import demo_store_id, sandbox_stores_seed, store_documents, write_stores

FIELDS = {"outbox": 0, "rev": 0, "eventSequence": 0}


async def test_demo_orders_across_channels_and_states(db: AsyncDatabase) -> None:
    quickmart = demo_partner_id("quickmart")
    await write_stores(db, store_documents(150, quickmart), lambda _n: None)
    await PRODUCTS_SEED.apply(db, lambda _n: None)
    products = product_documents(20, quickmart)
    await insert_missing(db[INVENTORY], [stock_row(demo_store_id(n), p, 10)
                                         for n in range(0, 150, 5) for p in products])

    await ORDERS_SEED.apply(db, lambda _n: None)
    once = await db[ORDERS].find({}, FIELDS).sort("_id", 1).to_list()
    await ORDERS_SEED.apply(db, lambda _n: None)

    assert await db[ORDERS].find({}, FIELDS).sort("_id", 1).to_list() == once
    assert len(once) == HISTORY + ACTIVE
    assert {o["channel"] for o in once} == {"APP", "WECHAT", "DIANPING", "POS", "PARTNER"}
    assert {o["status"] for o in once} == {"CREATED", "PAID", "ACCEPTED", "PREPARING", "READY",
                                           "COMPLETED", "CANCELED", "REFUNDED"}
    held = sum(line["quantity"] for o in once if o["status"] not in (
        "COMPLETED", "CANCELED", "REFUNDED") for line in o["lines"])
    rows = await db[INVENTORY].find({"reserved": {"$gt": 0}}).to_list()
    assert held > 0 and sum(r["reserved"] for r in rows) == held


async def test_each_sandbox_has_three_orders(db: AsyncDatabase) -> None:
    for partner in (new_id("ptn"), new_id("ptn")):   # one sandbox database, shared buckets
        await _sandbox_has_three_orders(db, partner)


async def _sandbox_has_three_orders(db: AsyncDatabase, partner: str) -> None:
    for step in (sandbox_stores_seed(partner), sandbox_catalog_seed(partner),
                 sandbox_orders_seed(partner)):
        await step.apply(db, lambda _n: None)
    found = await db[ORDERS].find({"merchantId": partner}).sort("_id", 1).to_list()
    by_id = {o["_id"]: o for o in found}
    assert by_id[sandbox_order_id(partner, 0)]["status"] == "CREATED"
    assert by_id[sandbox_order_id(partner, 1)]["status"] == "PAID"
    delivery = by_id[sandbox_order_id(partner, 2)]
    assert (delivery["status"], delivery["fulfillment"]["type"]) == ("PAID", "DELIVERY")
