"""``syncPrices``: list prices by SKU, with the same ordering rule as stock counts
(a price older than the stored one is STALE)."""

import asyncio
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog import products as product_repo
from schema.kernel.money import Money

Document = dict[str, Any]
_PARALLEL = 16


def _problem(sku: str, status: str, message: str) -> Document:
    return {"sku": sku, "status": status, "onHand": None, "message": message}


def _price(item: Document) -> Money | str:
    """The item's price, or why it is not one."""
    try:
        price = Money(item["price"]["amount"], item["price"]["currency"])
    except (TypeError, ValueError) as exc:
        return str(exc)
    return "a price must not be negative" if price.amount < 0 else price


async def sync_prices(db: AsyncDatabase, partner_id: str, items: list[Document]) -> Document:
    products = await product_repo.by_skus(db, partner_id, [i["sku"] for i in items])
    problems: list[Document] = []
    valid: list[tuple[str, Document, Money]] = []
    for item in items:
        product = products.get(item["sku"])
        price = _price(item)
        if product is None:
            problems.append(_problem(item["sku"], "UNKNOWN_SKU", "no product with this SKU"))
        elif isinstance(price, str):
            problems.append(_problem(item["sku"], "INVALID", price))
        else:
            valid.append((product["_id"], item, price))
    gate = asyncio.Semaphore(_PARALLEL)

    async def apply(product_id: str, item: Document, price: Money) -> bool:
        async with gate:
            return await product_repo.set_price(db, product_id, price.to_document(),
                                                item["occurredAt"])

    outcomes = await asyncio.gather(*(apply(*v) for v in valid))
    problems += [_problem(item["sku"], "STALE", "older than the stored price")
                 for (_, item, _), applied in zip(valid, outcomes, strict=True) if not applied]
    stale = sum(1 for p in problems if p["status"] == "STALE")
    unknown = sum(1 for p in problems if p["status"] == "UNKNOWN_SKU")
    return {"applied": sum(outcomes), "stale": stale, "unknownSku": unknown,
            "problems": problems, "userErrors": []}
