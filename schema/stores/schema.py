"""The stores subgraph: ``Store @key(id)``, store lists and merchant-scoped store changes."""

import asyncio

import strawberry
from strawberry.federation.schema_directives import ListSize

from schema.kernel.claims import sweep_claims
from schema.kernel.context import SubgraphContext, make_context
from schema.kernel.errors import bad_user_input, id_argument
from schema.kernel.events import INDEXES as EVENT_INDEXES
from schema.kernel.events import relay_outboxes, sweep_events
from schema.kernel.graphql_types import PageInfo, UserError, schema_config
from schema.kernel.pagination import check_first, decode_cursor, encode_cursor
from schema.kernel.subgraph import Subgraph
from schema.stores import repository
from schema.stores.inputs import SetStoreStatusInput, StoreFilter, UpsertStoreInput
from schema.stores.types import READ, Store, StoreConnection, StoreEdge, StorePayload, store_loader
from schema.stores.validation import store_errors

WRITE = [["stores:write"]]


def parse_store_id(value: object, argument: str = "id") -> str:
    """A store id argument, or BAD_USER_INPUT."""
    return id_argument(value, "sto", argument)


def _after_number(after: str | None, scope: str) -> int:
    """The listing number a cursor points after; cursors belong to one listing (the whole
    catalogue or one merchant's)."""
    if not after:   # null and "" are the start, on every connection (schema.kernel.pagination)
        return 0
    key = decode_cursor(after)
    if not (isinstance(key, list) and len(key) == 2 and key[0] == scope
            and isinstance(key[1], int) and not isinstance(key[1], bool) and key[1] >= 0):
        raise bad_user_input("invalid cursor: not one of this store list's", argument="after")
    return key[1]


def _filters(filter: StoreFilter | None) -> dict[str, object]:
    filters = filter.to_dict() if filter else {}
    if filters.get("merchantId") is not None:
        filters["merchantId"] = id_argument(filters["merchantId"], "ptn", "filter")
    return filters


@strawberry.type
class Query:
    @strawberry.federation.field(requires_scopes=READ, description="A store by id.")
    async def store(self, info: strawberry.Info, id: strawberry.ID) -> Store | None:
        context: SubgraphContext = info.context
        context.require("stores:read")
        doc = await store_loader(context).load(parse_store_id(id))
        return Store.from_document(doc) if doc else None

    @strawberry.federation.field(
        requires_scopes=READ, directives=[ListSize(slicing_arguments=["first"],
                                                   sized_fields=["edges"])],
        description="Stores of every partner (the open catalogue) or of one merchant, oldest "
                    "first; archived stores only when filtered by that status. first: at most "
                    "100. The work is proportional to the page: without filters other than "
                    "merchantId, a few point reads. Other filters are tested on the stores in "
                    "list order, at most 2,000 a call; when that many were read before the "
                    "page filled, the page is shorter (possibly empty) with hasNextPage true, "
                    "and endCursor continues after the stores already read.")
    async def stores(self, info: strawberry.Info, filter: StoreFilter | None = None,
                     first: int | None = 20, after: str | None = None) -> StoreConnection:
        context: SubgraphContext = info.context
        context.require("stores:read")
        size = check_first(first)
        filters = _filters(filter)
        scope = repository.scope_of(filters)
        after_number = _after_number(after, scope)
        # A maintained count is one read: start it beside the page instead of after it.
        total = (asyncio.ensure_future(repository.count_stores(context.db, filters))
                 if repository.counted(filters) else None)
        found = await repository.list_stores(context.db, filters, size, after_number)
        edges = [StoreEdge(cursor=encode_cursor([scope, n]), node=Store.from_document(doc))
                 for n, doc in found.stores]
        end = encode_cursor([scope, found.position]) if edges or found.has_next else None
        page_info = PageInfo(has_next_page=found.has_next, has_previous_page=bool(after),
                             start_cursor=edges[0].cursor if edges else None, end_cursor=end)
        return StoreConnection(edges=edges, page_info=page_info,
                               count=lambda: total or repository.count_stores(context.db,
                                                                               filters))


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

# The relay moves store.updated events out of store outboxes; the listing repair re-copies
# stores whose writers died before copying them into their lists; claims come from writes.
SUBGRAPH = Subgraph(name="stores", schema=schema,
                    indexes=repository.INDEXES + EVENT_INDEXES,
                    make_context=make_context,
                    jobs=(relay_outboxes, repository.repair_listing),
                    sweeps=(sweep_claims, sweep_events))
