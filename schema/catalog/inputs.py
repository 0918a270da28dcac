"""Inputs of the catalog subgraph (contract section ``[catalog]``)."""

from datetime import datetime
from typing import Any

import strawberry

from schema.kernel.graphql_types import MoneyInput


@strawberry.input(description="Filters for a product list; all given filters must match.")
class ProductFilter:
    merchant_id: strawberry.ID | None = None
    category: str | None = None
    skus: list[str] | None = None


@strawberry.input(description="A product of the caller's, identified by its SKU.")
class ProductInput:
    sku: str
    barcode: str | None = None
    name: str
    category: str | None = None
    price: MoneyInput
    low_stock_threshold: int | None = None
    archived: bool | None = False

    def to_document(self) -> dict[str, Any]:
        return {"sku": self.sku, "barcode": self.barcode, "name": self.name,
                "category": self.category,
                "price": {"amount": self.price.amount, "currency": self.price.currency},
                "lowStockThreshold": self.low_stock_threshold, "archived": bool(self.archived)}


@strawberry.input(description="Products to create or update, by SKU.")
class UpsertProductsInput:
    items: list[ProductInput]
    idempotency_key: str


@strawberry.input(description="Exactly one of onHand (an absolute count) / delta (a movement); "
                              "expectedOnHand makes a delta compare-and-set. The item is "
                              "INVALID, and changes nothing, when a count, expectedOnHand or "
                              "the level a change would leave is outside 0 … 2,147,483,647 (a "
                              "delta below zero: send a count instead) or when occurredAt is "
                              "more than 5 minutes (LOOPGATE_SYNC_MAX_FUTURE_SECONDS) ahead of "
                              "the server clock.")
class InventoryItemInput:
    sku: str
    on_hand: int | None = None
    delta: int | None = None
    expected_on_hand: int | None = None
    occurred_at: datetime = strawberry.field(
        description="When the count or movement happened; orders the items of a SKU.")

    def to_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "onHand": self.on_hand, "delta": self.delta,
                "expectedOnHand": self.expected_on_hand, "occurredAt": self.occurred_at}


@strawberry.input(description="Exactly one of storeId / storeCode; up to 10,000 items, SKUs "
                              "unique within a batch.")
class SyncInventoryInput:
    store_id: strawberry.ID | None = None
    store_code: str | None = None
    items: list[InventoryItemInput]
    idempotency_key: str


@strawberry.input(description="A new list price for one SKU, as of occurredAt. INVALID, and "
                              "changes nothing, in another currency than the product's or "
                              "with an occurredAt more than 5 minutes ahead of the server "
                              "clock.")
class PriceItemInput:
    sku: str
    price: MoneyInput
    occurred_at: datetime


@strawberry.input(description="Prices to set; older than the stored price → STALE.")
class SyncPricesInput:
    items: list[PriceItemInput]
    idempotency_key: str
