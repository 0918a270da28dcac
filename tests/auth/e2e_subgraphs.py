"""Three small Strawberry subgraphs with guarded fields, for the end-to-end auth tests.

``stores`` and ``catalog`` run in-process; ``membership`` is served over HTTP behind
:class:`auth.middleware.RequireContextToken`, and reads the caller from the principal the
gateway vouches for in the ``Loopgate-Context`` header.
"""

from typing import Any

import strawberry
from strawberry.asgi import GraphQL
from strawberry.federation import Schema
from strawberry.types import Info

from schema.kernel.principal import Principal


@strawberry.federation.type(keys=["id"])
class Store:
    id: strawberry.ID
    name: str
    phone: str | None = strawberry.federation.field(requires_scopes=[["stores:read"]])


@strawberry.type
class StoresQuery:
    @strawberry.field
    def stores(self) -> list[Store]:
        return [Store(id=strawberry.ID("sto_1"), name="North", phone="110"),
                Store(id=strawberry.ID("sto_2"), name="South", phone="120")]


STORES = Schema(query=StoresQuery)


@strawberry.type
class InventoryLevel:
    sku: str
    on_hand: int


@strawberry.federation.type(name="Store", keys=["id"])
class StoreInventory:
    id: strawberry.ID

    @strawberry.federation.field(requires_scopes=[["inventory:read"], ["platform:admin"]])
    def inventory(self) -> list[InventoryLevel] | None:
        return [InventoryLevel(sku=f"{self.id}-A", on_hand=3)]

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "StoreInventory":
        return cls(id=id)


@strawberry.type
class CatalogQuery:
    @strawberry.field
    def sku_count(self) -> int:
        return 2


CATALOG = Schema(query=CatalogQuery, types=[StoreInventory])


@strawberry.federation.type(keys=["id"])
class Member:
    id: strawberry.ID
    display_name: str
    points_balance: int | None = strawberry.federation.field(requires_scopes=[["points:read"]])


@strawberry.type
class MembershipQuery:
    @strawberry.federation.field(authenticated=True)
    def me(self, info: Info) -> Member | None:
        principal: Principal | None = info.context["principal"]
        if principal is None:
            return None
        return Member(id=strawberry.ID(principal.member_id or principal.client_id),
                      display_name="Mia", points_balance=42)


MEMBERSHIP = Schema(query=MembershipQuery)


class MembershipApp(GraphQL):
    """The membership subgraph over HTTP: its context is the principal the gateway signed."""

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        return {"principal": request.state.principal}
