"""The stores subgraph: ``Store @key(id)``, store lists and merchant-scoped store changes."""

import strawberry

from schema.kernel.claims import sweep_claims
from schema.kernel.context import SubgraphContext, make_context
from schema.kernel.errors import bad_user_input, id_argument
from schema.kernel.events import relay_outboxes
from schema.kernel.graphql_types import PageInfo, UserError, schema_config
from schema.kernel.pagination import build_page, check_first, decode_cursor
from schema.kernel.subgraph import Subgraph
from schema.stores import repository
from schema.stores.inputs import SetStoreStatusInput, StoreFilter, UpsertStoreInput
from schema.stores.types import READ, Store, StoreConnection, StoreEdge, StorePayload, store_loader
from schema.stores.validation import store_errors

WRITE = [["stores:write"]]


def parse_store_id(value: object, argument: str = "id") -> str:
    """A store id argument, or BAD_USER_INPUT."""
    return id_argument(value, "sto", argument)


def _after_id(after: str | None) -> str | None:
    if after is None:
        return None
    key = decode_cursor(after)
    if not isinstance(key, str):
        raise bad_user_input("invalid cursor", argument="after")
    return key


@strawberry.type
class Query:
    @strawberry.federation.field(requires_scopes=READ, description="A store by id.")
    async def store(self, info: strawberry.Info, id: strawberry.ID) -> Store | None:
        context: SubgraphContext = info.context
        context.require("stores:read")
        doc = await store_loader(context).load(parse_store_id(id))
        return Store.from_document(doc) if doc else None

    @strawberry.federation.field(
        requires_scopes=READ,
        description="Stores of every partner (the open catalogue), by id; archived stores "
                    "only when filtered by that status. first: at most 100.")
    async def stores(self, info: strawberry.Info, filter: StoreFilter | None = None,
                     first: int | None = 20, after: str | None = None) -> StoreConnection:
        context: SubgraphContext = info.context
        context.require("stores:read")
        size = check_first(first)
        filters = filter.to_dict() if filter else {}
        if filters.get("merchantId") is not None:
            filters["merchantId"] = str(filters["merchantId"])
        rows, total = await repository.list_stores(context.db, filters, size, _after_id(after))
        page = build_page(rows, size, after_given=after is not None,
                          cursor_key=lambda d: d["_id"], to_node=Store.from_document)
        return StoreConnection(edges=[StoreEdge(cursor=e.cursor, node=e.node) for e in page.edges],
                               page_info=PageInfo.of(page.page_info), total_count=total)


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        requires_scopes=WRITE,
        description="Create or update one of the caller's stores, identified by its code.")
    async def upsert_store(self, info: strawberry.Info, input: UpsertStoreInput) -> StorePayload:
        context: SubgraphContext = info.context
        principal = context.require("stores:write")
        fields = input.to_document()
        errors = store_errors(fields)
        if errors:
            return StorePayload(store=None, user_errors=[UserError.of(e) for e in errors])
        doc = await repository.upsert_store(context.db, principal, fields)
        return StorePayload(store=Store.from_document(doc), user_errors=[])

    @strawberry.federation.mutation(
        requires_scopes=WRITE,
        description="Open, close or archive one of the caller's stores.")
    async def set_store_status(self, info: strawberry.Info,
                               input: SetStoreStatusInput) -> StorePayload:
        context: SubgraphContext = info.context
        principal = context.require("stores:write")
        doc, errors = await repository.set_status(
            context.db, principal, parse_store_id(input.store_id, "storeId"), input.status.value)
        return StorePayload(store=Store.from_document(doc) if doc else None,
                            user_errors=[UserError.of(e) for e in errors])


schema = strawberry.federation.Schema(query=Query, mutation=Mutation, types=[Store],
                                      config=schema_config())

# The relay moves store.updated events out of store outboxes; claims come from store writes.
SUBGRAPH = Subgraph(name="stores", schema=schema, indexes=repository.INDEXES,
                    make_context=make_context, jobs=(relay_outboxes,),
                    sweeps=(sweep_claims,))
