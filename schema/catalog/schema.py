"""The catalog subgraph: products, stock levels, ERP inventory and price sync, change feed."""

from typing import Any

import strawberry
from strawberry.federation.schema_directives import Cost, ListSize

from schema.catalog import products as product_repo
from schema.catalog.collections import INDEXES, INVENTORY
from schema.catalog.feed import read_changes
from schema.catalog.inputs import (
    ProductFilter,
    SyncInventoryInput,
    SyncPricesInput,
    UpsertProductsInput,
)
from schema.catalog.levels import InventoryLevel, Store, StoreAvailability
from schema.catalog.prices import sync_prices
from schema.catalog.subscriptions import Subscription
from schema.catalog.sync_inventory import batch_problem, refusal, sync_inventory
from schema.catalog.types import (
    CATALOG_READ,
    INVENTORY_READ,
    Product,
    ProductConnection,
    ProductEdge,
    SyncInventoryPayload,
    SyncPricesPayload,
    UpsertProductsPayload,
    product_loader,
    user_errors,
)
from schema.catalog.validation import product_errors, resolve_store
from schema.kernel.claims import sweep_claims
from schema.kernel.context import SubgraphContext, make_context
from schema.kernel.errors import (
    ErrorCode,
    UserError,
    graphql_error,
    id_argument,
)
from schema.kernel.events import INDEXES as EVENT_INDEXES
from schema.kernel.events import relay_outboxes, sweep_events
from schema.kernel.graphql_types import PageInfo, schema_config
from schema.kernel.idempotency import INDEXES as IDEMPOTENCY_INDEXES
from schema.kernel.idempotency import Refused, run_once, sweep_expired
from schema.kernel.pagination import after_key, build_page, check_first, encode_cursor
from schema.kernel.reads import get_many
from schema.kernel.subgraph import Subgraph
from schema.kernel.time import to_iso
from schema.stores import read as stores

FEED_MAX = 1000


@strawberry.type(description="Inventory changes after a cursor; never skips a change, even "
                             "when writes commit out of order.")
class InventoryChangeFeed:
    changes: list[InventoryLevel]
    cursor: str
    has_more: bool


@strawberry.type
class Query:
    @strawberry.federation.field(requires_scopes=CATALOG_READ, description="A product by id.")
    async def product(self, info: strawberry.Info, id: strawberry.ID) -> Product | None:
        context: SubgraphContext = info.context
        context.require("catalog:read")
        doc = await product_loader(context).load(id_argument(id, "prd", "id"))
        return Product.from_document(doc) if doc else None

    @strawberry.federation.field(requires_scopes=CATALOG_READ,
                                 directives=[ListSize(slicing_arguments=["first"],
                                                      sized_fields=["edges"])],
                                 description="Products of every partner; first: at most 100.")
    async def products(self, info: strawberry.Info, filter: ProductFilter | None = None,
                       first: int | None = 20, after: str | None = None) -> ProductConnection:
        context: SubgraphContext = info.context
        context.require("catalog:read")
        size = check_first(first)
        last = after_key(after, lambda key: isinstance(key, str))
        filters: dict[str, Any] = {}
        if filter is not None:
            filters = {"merchantId": str(filter.merchant_id) if filter.merchant_id else None,
                       "category": filter.category, "skus": filter.skus}
        rows = await product_repo.list_products(context.db, filters, size, last)
        page = build_page(rows, size, after_given=last is not None,
                          cursor_key=lambda d: d["_id"], to_node=Product.from_document)
        return ProductConnection(
            edges=[ProductEdge(cursor=e.cursor, node=e.node) for e in page.edges],
            page_info=PageInfo.of(page.page_info))

    @strawberry.federation.field(
        requires_scopes=INVENTORY_READ,
        directives=[ListSize(slicing_arguments=["first"], sized_fields=["changes"])],
        description="The caller's inventory changes after a cursor (bulk feed: first up to "
                    "1000), oldest first; each change is the row's current level. With "
                    "storeId, that store's changes only (its own feed: a cursor of one feed "
                    "is refused by the other); a page is empty only when nothing more is "
                    "safe to serve yet (hasMore: false). after: null or \"\" is the start.")
    async def inventory_changes(self, info: strawberry.Info, store_id: strawberry.ID | None = None,
                                after: str | None = None,
                                first: int | None = 500) -> InventoryChangeFeed:
        context: SubgraphContext = info.context
        partner_id = context.require("inventory:read").require_partner()
        size = check_first(first, default=500, maximum=FEED_MAX)
        if store_id is None:
            position = after_key(after, _is_position) or 0
            entries, cursor, more = await read_changes(context.db, partner_id, position, size)
            next_cursor = encode_cursor(cursor)
        else:
            only = id_argument(store_id, "sto", "storeId")
            store = await stores.get_store(context.db, only)
            if store is None or store["partnerId"] != partner_id:
                raise graphql_error("not one of your stores", ErrorCode.FORBIDDEN)
            key = after_key(after, lambda k: isinstance(k, list) and len(k) == 2
                            and k[0] == only and _is_position(k[1]))
            entries, cursor, more = await read_changes(context.db, only, key[1] if key else 0,
                                                       size, until_found=True)
            next_cursor = encode_cursor([only, cursor])
        rows = await get_many(context.db[INVENTORY], list(dict.fromkeys(e["rowId"]
                                                                         for e in entries)))
        return InventoryChangeFeed(changes=[InventoryLevel.from_row(r) for r in rows if r],
                                   cursor=next_cursor, has_more=more)


def _is_position(key: object) -> bool:
    return isinstance(key, int) and not isinstance(key, bool) and key >= 0


def _refused_payload(error: UserError) -> dict[str, Any]:
    return {"applied": 0, "stale": 0, "unknownSku": 0, "invalid": 0, "conflicts": 0,
            "problems": [], "userErrors": [error.to_dict()]}


def _body(items: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        return to_iso(value) if hasattr(value, "isoformat") and hasattr(value, "tzinfo") else value
    return {**extra, "items": [{k: plain(v) for k, v in i.items()} for i in items]}


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        requires_scopes=[["catalog:write"]],
        description="Create or update the caller's products by SKU (idempotent by key).")
    async def upsert_products(self, info: strawberry.Info,
                              input: UpsertProductsInput) -> UpsertProductsPayload:
        context: SubgraphContext = info.context
        partner_id = context.require("catalog:write").require_partner()
        items = [i.to_document() for i in input.items]

        async def run(_operation: str) -> dict[str, Any]:
            errors = product_errors(items)
            if errors:
                raise Refused({"productIds": [], "userErrors": [e.to_dict() for e in errors]})
            ids = await product_repo.upsert_products(context.db, partner_id, items)
            return {"productIds": ids, "userErrors": []}

        result = await run_once(context.db, partner_id, "upsertProducts", input.idempotency_key,
                                _body(items), run,
                                lambda e: {"productIds": [], "userErrors": [e.to_dict()]})
        docs = await product_repo.get_products(context.db, result["productIds"])
        return UpsertProductsPayload(products=[Product.from_document(d) for d in docs if d],
                                     user_errors=user_errors(result["userErrors"]))

    @strawberry.federation.mutation(
        requires_scopes=[["inventory:write"]], directives=[Cost(weight=100)],
        description="Push stock counts and movements for one of the caller's stores (up to "
                    "10,000 items, out-of-order safe, idempotent by key).")
    async def sync_inventory(self, info: strawberry.Info,
                             input: SyncInventoryInput) -> SyncInventoryPayload:
        context: SubgraphContext = info.context
        partner_id = context.require("inventory:write").require_partner()
        items = [i.to_dict() for i in input.items]
        early = batch_problem(items)
        if early is not None:
            return SyncInventoryPayload.from_dict(early)

        async def run(_operation: str) -> dict[str, Any]:
            store_id, problem = await resolve_store(context.db, partner_id, input.store_id,
                                                    input.store_code)
            if problem is not None:
                raise Refused(problem)
            return await sync_inventory(context.db, partner_id, store_id, items)

        body = _body(items, storeId=input.store_id, storeCode=input.store_code)
        result = await run_once(context.db, partner_id, "syncInventory", input.idempotency_key,
                                body, run, _refused_payload)
        return SyncInventoryPayload.from_dict(result)

    @strawberry.federation.mutation(
        requires_scopes=[["catalog:write"]],
        description="Set list prices by SKU; a price older than the stored one is STALE.")
    async def sync_prices(self, info: strawberry.Info,
                          input: SyncPricesInput) -> SyncPricesPayload:
        context: SubgraphContext = info.context
        partner_id = context.require("catalog:write").require_partner()
        items = [{"sku": i.sku, "price": {"amount": i.price.amount, "currency": i.price.currency},
                  "occurredAt": i.occurred_at} for i in input.items]
        early = batch_problem(items)
        if early is not None:
            return SyncPricesPayload.from_dict(early)

        async def run(_operation: str) -> dict[str, Any]:
            return await sync_prices(context.db, partner_id, items)

        result = await run_once(context.db, partner_id, "syncPrices", input.idempotency_key,
                                _body(items), run, _refused_payload)
        return SyncPricesPayload.from_dict(result)


schema = strawberry.federation.Schema(
    query=Query, mutation=Mutation, subscription=Subscription,
    types=[Store, Product, StoreAvailability],
    config=schema_config())

SUBGRAPH = Subgraph(name="catalog", schema=schema,
                    indexes=INDEXES + EVENT_INDEXES + IDEMPOTENCY_INDEXES,
                    make_context=make_context,
                    jobs=(relay_outboxes,), sweeps=(sweep_expired, sweep_claims, sweep_events))

__all__ = ["SUBGRAPH", "refusal", "schema"]
