"""The catalog subgraph's GraphQL types (contract section ``[catalog]``)."""

from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry
from aiodataloader import DataLoader
from strawberry.federation.schema_directives import Cost, ListSize

from schema.catalog import products as product_repo
from schema.kernel.context import SubgraphContext
from schema.kernel.entities import Partner
from schema.kernel.graphql_types import GeoPointInput, Money, PageInfo, UserError

AVAILABILITY_COST = 13
"""``@cost`` of each store ``Product.availability`` may list: measured on the embedded FerretDB
with the demo data, a 50 km search ran about 130 database commands per product (the work
grows with the stores in the radius). A list field's weight counts per element, so at the
default ``first: 10`` one product's availability is priced at that 130."""

if TYPE_CHECKING:
    from schema.catalog.levels import StoreAvailability

CATALOG_READ = [["catalog:read"]]
INVENTORY_READ = [["inventory:read"]]


def product_loader(context: SubgraphContext) -> DataLoader:
    async def load(ids: list[str]) -> list[dict[str, Any] | None]:
        return await product_repo.get_products(context.db, ids)
    return context.loader("products", lambda: DataLoader(load))


@strawberry.federation.type(keys=["id"], description="A product of a merchant's catalogue.")
class Product:
    id: strawberry.ID
    merchant: Partner
    sku: str
    barcode: str | None
    name: str
    category: str | None
    price: Money = strawberry.field(description="One price online and offline.")
    low_stock_threshold: int | None
    archived: bool
    document: strawberry.Private[dict[str, Any]]

    @strawberry.federation.field(
        requires_scopes=CATALOG_READ,
        directives=[Cost(weight=AVAILABILITY_COST), ListSize(slicing_arguments=["first"])],
        description="Stores near a point with this product available, nearest first. "
                    "Costly: it looks at every store within the radius.")
    async def availability(
        self, info: strawberry.Info, near: GeoPointInput, radius_meters: int | None = 3000,
        first: int | None = 10,
    ) -> list[Annotated["StoreAvailability", strawberry.lazy("schema.catalog.levels")]]:
        from schema.catalog.levels import availability  # the module imports Product

        return await availability(info.context, self.document, near, radius_meters, first)

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> "Product":
        return cls(id=strawberry.ID(doc["_id"]),
                   merchant=Partner(id=strawberry.ID(doc["partnerId"])),
                   sku=doc["sku"], barcode=doc.get("barcode"), name=doc["name"],
                   category=doc.get("category"), price=Money.from_document(doc["price"]),
                   low_stock_threshold=doc.get("lowStockThreshold"),
                   archived=bool(doc.get("archived")), document=doc)

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info,
                                id: strawberry.ID) -> "Product | None":
        if info.context.principal is None:
            return None
        doc = await product_loader(info.context).load(str(id))
        return cls.from_document(doc) if doc else None


@strawberry.enum(description="What happened to one sync item.")
class InventoryItemStatus(Enum):
    APPLIED = "APPLIED"
    STALE = "STALE"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    INVALID = "INVALID"
    CONFLICT = "CONFLICT"


@strawberry.type(description="One sync item that was not applied, and why.")
class InventoryItemResult:
    sku: str
    status: InventoryItemStatus
    on_hand: int | None
    message: str | None

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> "InventoryItemResult":
        return cls(sku=value["sku"], status=InventoryItemStatus(value["status"]),
                   on_hand=value.get("onHand"), message=value.get("message"))


def user_errors(values: list[dict[str, Any]]) -> list[UserError]:
    return [UserError(code=e["code"], field=e.get("field"), message=e["message"]) for e in values]


@strawberry.type(description="An edge of a product list.")
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type(description="A page of products.")
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo


@strawberry.type(description="The result of upsertProducts.")
class UpsertProductsPayload:
    products: list[Product]
    user_errors: list[UserError]


@strawberry.type(description="The result of syncInventory: counts per status and every item "
                             "that was not applied.")
class SyncInventoryPayload:
    applied: int
    stale: int
    unknown_sku: int
    invalid: int
    conflicts: int
    problems: list[InventoryItemResult] = strawberry.field(
        description="Every item that was not APPLIED.")
    user_errors: list[UserError] = strawberry.field(
        description="Batch-level refusals only; then nothing is written.")

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> "SyncInventoryPayload":
        return cls(applied=value["applied"], stale=value["stale"],
                   unknown_sku=value["unknownSku"], invalid=value["invalid"],
                   conflicts=value["conflicts"],
                   problems=[InventoryItemResult.from_dict(p) for p in value["problems"]],
                   user_errors=user_errors(value["userErrors"]))


@strawberry.type(description="The result of syncPrices: counts per status (they add up to the "
                             "items) and every item that was not applied.")
class SyncPricesPayload:
    applied: int
    stale: int
    unknown_sku: int
    invalid: int = strawberry.field(
        description="Items refused on their own: a negative amount or bad currency code, a "
                    "currency other than the product's, or an occurredAt too far in the "
                    "future. They change nothing.")
    problems: list[InventoryItemResult] = strawberry.field(
        description="Every item that was not APPLIED.")
    user_errors: list[UserError] = strawberry.field(
        description="Batch-level refusals only; then nothing is written.")

    @classmethod
    def from_dict(cls, value: dict[str, Any]) -> "SyncPricesPayload":
        return cls(applied=value["applied"], stale=value["stale"],
                   unknown_sku=value["unknownSku"], invalid=value.get("invalid", 0),
                   problems=[InventoryItemResult.from_dict(p) for p in value["problems"]],
                   user_errors=user_errors(value["userErrors"]))
