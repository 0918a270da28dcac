"""Stock as the graph shows it: ``InventoryLevel``, ``Store.inventory`` (owner only) and
``Product.availability`` (public counts near a point)."""

from datetime import datetime
from typing import Any

import strawberry
from strawberry.federation.schema_directives import ListSize

from schema.catalog import products as product_repo
from schema.catalog.collections import INVENTORY, inventory_id
from schema.catalog.read import available
from schema.catalog.stocked import stocked_products
from schema.catalog.types import INVENTORY_READ, Product, product_loader
from schema.kernel.context import SubgraphContext
from schema.kernel.errors import ErrorCode, graphql_error
from schema.kernel.graphql_types import GeoPointInput, PageInfo
from schema.kernel.pagination import after_key, check_first, encode_cursor
from schema.kernel.reads import get_many
from schema.stores import read as stores

_AVAILABILITY_CHUNK = 50


@strawberry.federation.type(keys=["id"], description="A physical store of a merchant or chain.")
class Store:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Store":
        return cls(id=id)

    @strawberry.federation.field(requires_scopes=INVENTORY_READ,
                                 directives=[ListSize(slicing_arguments=["first"],
                                                      sized_fields=["edges"])],
                                 description="Stock levels; the store's owner only "
                                             "(inventory:read).")
    async def inventory(self, info: strawberry.Info, skus: list[str] | None = None,
                        first: int | None = 50,
                        after: str | None = None) -> "InventoryLevelConnection | None":
        context: SubgraphContext = info.context
        principal = context.require("inventory:read")
        size = check_first(first)
        store = await stores.get_store(context.db, str(self.id))
        if store is None:
            return None
        if not principal.owns(store["partnerId"]):
            raise graphql_error("inventory levels are visible to the store's owner only",
                                ErrorCode.FORBIDDEN)
        return await _inventory_page(context, store, skus, size, after)


@strawberry.type(description="A store's stock of one product. countedAt: occurredAt of the "
                             "latest absolute count. available: onHand - reserved, 0 when a "
                             "count left fewer units than orders hold.")
class InventoryLevel:
    store: Store
    on_hand: int
    reserved: int
    available: int
    counted_at: datetime | None
    updated_at: datetime
    product_id: strawberry.Private[str]

    @strawberry.field
    async def product(self, info: strawberry.Info) -> Product:
        doc = await product_loader(info.context).load(self.product_id)
        return Product.from_document(doc)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "InventoryLevel":
        reserved = row.get("reserved", 0)
        return cls(store=Store(id=strawberry.ID(row["storeId"])), on_hand=row["onHand"],
                   reserved=reserved, available=max(0, row["onHand"] - reserved),
                   counted_at=row.get("countedAt"), updated_at=row["updatedAt"],
                   product_id=row["productId"])


@strawberry.type(description="An edge of an inventory list.")
class InventoryLevelEdge:
    cursor: str
    node: InventoryLevel


@strawberry.type(description="A page of inventory levels.")
class InventoryLevelConnection:
    edges: list[InventoryLevelEdge]
    page_info: PageInfo


@strawberry.type(description="Units of a product available at a store, and how far it is.")
class StoreAvailability:
    store: Store
    distance_meters: int
    available: int


async def _inventory_page(context: SubgraphContext, store: dict[str, Any],
                          skus: list[str] | None, size: int,
                          after: str | None) -> InventoryLevelConnection:
    """The store's levels in product-id order: the merchant's products, then point reads of
    the rows the store stocks (the inventory collection is huge, and on FerretDB a filter
    other than an ``_id`` hit is a full scan)."""
    start = last = after_key(after, lambda key: isinstance(key, str))
    filters = {"merchantId": store["partnerId"], "skus": skus}
    rows: list[dict[str, Any]] = []
    stocked = await stocked_products(context.db, store["_id"])
    more = True
    while more and len(rows) <= size:
        batch = await product_repo.list_products(context.db, filters, size * 2, last)
        more = len(batch) > size * 2
        batch = batch[: size * 2]
        if not batch:
            break
        last = batch[-1]["_id"]
        found = await get_many(context.db[INVENTORY], [
            inventory_id(store["_id"], p["_id"]) for p in batch if p["_id"] in stocked])
        rows += [r for r in found if r is not None]
    visible = rows[:size]
    edges = [InventoryLevelEdge(cursor=encode_cursor(r["productId"]),
                                node=InventoryLevel.from_row(r)) for r in visible]
    return InventoryLevelConnection(edges=edges, page_info=PageInfo(
        has_next_page=len(rows) > size, has_previous_page=start is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None))


async def availability(context: SubgraphContext, product: dict[str, Any], near: GeoPointInput,
                       radius: int | None, first: int | None) -> list[StoreAvailability]:
    """The merchant's stores near ``near`` with the product available, nearest first (only
    its own stores are checked: rows elsewhere cannot exist)."""
    context.require("catalog:read")
    lat, lng = stores.check_point(near.lat, near.lng, "near")
    size = check_first(first, default=10)
    candidates = await stores.stores_within(context.db, lat, lng, stores.check_radius(radius))
    found: list[StoreAvailability] = []
    for start in range(0, len(candidates), _AVAILABILITY_CHUNK):
        chunk = candidates[start:start + _AVAILABILITY_CHUNK]
        docs = await stores.get_stores(context.db, [s for _, s in chunk])
        own = [(d, doc) for (d, _), doc in zip(chunk, docs, strict=True)
               if doc and doc["partnerId"] == product["partnerId"]
               and doc["status"] in stores.VISIBLE_STATUSES]
        counts = await available(context.db, [doc["_id"] for _, doc in own], product["_id"])
        found += [StoreAvailability(store=Store(id=strawberry.ID(doc["_id"])),
                                    distance_meters=distance, available=count)
                  for (distance, doc), count in zip(own, counts, strict=True) if count > 0]
        if len(found) >= size:
            break
    return found[:size]
