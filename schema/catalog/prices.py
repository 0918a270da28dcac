"""``syncPrices``: list prices by SKU, with the same ordering rule as stock counts
(a price older than the stored one is STALE).

An item is INVALID, and changes nothing, when its price is not a valid amount (negative, bad
currency code), when its ``occurredAt`` is too far in the future (:mod:`schema.catalog.clock`)
or when it is in another currency than the product's: a product has one price, and a
currency is changed through ``upsertProducts``. Every item gets exactly one status, so the
counts add up to the items.
"""

import asyncio
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.catalog import products as product_repo
from schema.catalog.clock import future_problem, max_future
from schema.catalog.stock import ItemStatus
from schema.kernel.money import Money
from schema.kernel.time import utcnow

Document = dict[str, Any]
_PARALLEL = 16


def _problem(sku: str, status: ItemStatus, message: str) -> Document:
    return {"sku": sku, "status": status.value, "onHand": None, "message": message}


def _price(item: Document) -> Money | str:
    """The item's price, or why it is not one."""
    try:
        price = Money(item["price"]["amount"], item["price"]["currency"])
    except (TypeError, ValueError) as exc:
        return str(exc)
    return "a price must not be negative" if price.amount < 0 else price


def currency_problem(sku: str, given: str, products: str) -> str:
    return (f"the price is in {given} but product {sku} is priced in {products}; send the "
            f"price in {products} (a product's currency changes through upsertProducts)")


async def sync_prices(db: AsyncDatabase, partner_id: str, items: list[Document]) -> Document:
    products = await product_repo.by_skus(db, partner_id, [i["sku"] for i in items])
    now, allowance = utcnow(), max_future()
    problems: list[Document] = []
    valid: list[tuple[str, Document, Money]] = []
    for item in items:
        sku, product, price = item["sku"], products.get(item["sku"]), _price(item)
        if product is None:
            problems.append(_problem(sku, ItemStatus.UNKNOWN_SKU, "no product with this SKU"))
        elif isinstance(price, str):
            problems.append(_problem(sku, ItemStatus.INVALID, price))
        elif too_late := future_problem(item["occurredAt"], now, allowance):
            problems.append(_problem(sku, ItemStatus.INVALID, too_late))
        elif price.currency != product["price"]["currency"]:
            problems.append(_problem(sku, ItemStatus.INVALID, currency_problem(
                sku, price.currency, product["price"]["currency"])))
        else:
            valid.append((product["_id"], item, price))
    gate = asyncio.Semaphore(_PARALLEL)

    async def apply(product_id: str, item: Document,
                    price: Money) -> tuple[ItemStatus, str | None]:
        async with gate:
            return await product_repo.set_price(db, product_id, price.to_document(),
                                                item["occurredAt"])

    outcomes = await asyncio.gather(*(apply(*v) for v in valid))
    for (_, item, price), (status, currency) in zip(valid, outcomes, strict=True):
        if status is ItemStatus.STALE:
            problems.append(_problem(item["sku"], status, "older than the stored price"))
        elif status is ItemStatus.INVALID:
            problems.append(_problem(item["sku"], status, currency_problem(
                item["sku"], price.currency, currency or "")))

    def count(status: ItemStatus) -> int:
        return sum(1 for p in problems if p["status"] == status.value)

    return {"applied": sum(1 for status, _ in outcomes if status is ItemStatus.APPLIED),
            "stale": count(ItemStatus.STALE), "unknownSku": count(ItemStatus.UNKNOWN_SKU),
            "invalid": count(ItemStatus.INVALID), "problems": problems, "userErrors": []}
