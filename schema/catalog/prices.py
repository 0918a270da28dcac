"""``syncPrices``: list prices by SKU, with the same ordering rule as stock counts
(a price older than the stored one is STALE)."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog import products as product_repo
from schema.kernel.money import Money
from schema.kernel.time import as_utc

Document = dict[str, Any]
_ATTEMPTS = 4


def _problem(sku: str, status: str, message: str) -> Document:
    return {"sku": sku, "status": status, "onHand": None, "message": message}


async def sync_prices(db: AsyncDatabase, partner_id: str, items: list[Document]) -> Document:
    products = await product_repo.by_skus(db, partner_id, [i["sku"] for i in items])
    applied, problems = 0, []
    for item in items:
        product = products.get(item["sku"])
        if product is None:
            problems.append(_problem(item["sku"], "UNKNOWN_SKU", "no product with this SKU"))
            continue
        try:
            price = Money(item["price"]["amount"], item["price"]["currency"])
        except (TypeError, ValueError) as exc:
            problems.append(_problem(item["sku"], "INVALID", str(exc)))
            continue
        if price.amount < 0:
            problems.append(_problem(item["sku"], "INVALID", "a price must not be negative"))
            continue
        if await _set_if_newer(db, product, price.to_document(), item["occurredAt"]):
            applied += 1
        else:
            problems.append(_problem(item["sku"], "STALE", "older than the stored price"))
    stale = sum(1 for p in problems if p["status"] == "STALE")
    unknown = sum(1 for p in problems if p["status"] == "UNKNOWN_SKU")
    return {"applied": applied, "stale": stale, "unknownSku": unknown, "problems": problems,
            "userErrors": []}


async def _set_if_newer(db: AsyncDatabase, product: Document, price: Document, at: Any) -> bool:
    for _ in range(_ATTEMPTS):
        stored = product.get("priceAt")
        if stored is not None and at < as_utc(stored):
            return False
        if await product_repo.set_price(db, product, price, at):
            return True
        fresh = await product_repo.get_product(db, product["_id"])
        if fresh is None:
            return False
        product = fresh
    return False
