"""The stores subgraph's GraphQL types (contract section ``[stores]``)."""

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from enum import Enum
from typing import Any

import strawberry
from aiodataloader import DataLoader

from schema.kernel.context import SubgraphContext
from schema.kernel.entities import Partner
from schema.kernel.graphql_types import Address, FulfillmentType, GeoPoint, PageInfo, UserError
from schema.kernel.time import utcnow
from schema.stores.hours import is_open_at
from schema.stores.repository import get_stores

READ = [["stores:read"]]


def store_loader(context: SubgraphContext) -> DataLoader:
    """The request's loader of store documents by id (batched point reads)."""
    async def load(ids: list[str]) -> list[dict[str, Any] | None]:
        return await get_stores(context.db, ids)
    return context.loader("stores", lambda: DataLoader(load))


@strawberry.enum(description="Whether a store trades.")
class StoreStatus(Enum):
    OPEN = "OPEN"
    TEMPORARILY_CLOSED = "TEMPORARILY_CLOSED"
    CLOSED = "CLOSED"
    ARCHIVED = "ARCHIVED"


@strawberry.type(description='Regular hours: 1 = Monday; "HH:MM" local times; closes < opens '
                             "means past midnight.")
class OpeningHours:
    day_of_week: int
    opens: str
    closes: str


@strawberry.type(description="Hours for one date (holidays and exceptions), overriding "
                             "openingHours on that date.")
class SpecialHours:
    date: date
    closed: bool
    opens: str | None
    closes: str | None


@strawberry.federation.type(keys=["id"], description="A physical store of a merchant or chain.")
class Store:
    id: strawberry.ID
    merchant: Partner
    code: str = strawberry.field(description="The chain's own store code (what its ERP uses).")
    name: str
    address: Address
    location: GeoPoint
    phone: str | None
    time_zone: str = strawberry.field(
        description="IANA, e.g. Asia/Shanghai; opening hours are in this zone.")
    opening_hours: list[OpeningHours]
    special_hours: list[SpecialHours] = strawberry.field(
        description="Holidays and exceptions, overriding openingHours on that date.")
    services: list[FulfillmentType]
    delivery_radius_meters: int | None
    status: StoreStatus
    updated_at: datetime
    document: strawberry.Private[dict[str, Any]]

    @strawberry.field(description="Whether the store is open now, computed in its time zone.")
    def open_now(self) -> bool:
        return is_open_at(self.document, utcnow())

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> "Store":
        address = doc["address"]
        return cls(
            id=strawberry.ID(doc["_id"]), merchant=Partner(id=strawberry.ID(doc["partnerId"])),
            code=doc["code"], name=doc["name"],
            address=Address(line1=address["line1"], line2=address.get("line2"),
                            district=address.get("district"), city=address["city"],
                            province=address.get("province"),
                            postal_code=address.get("postalCode"), country=address["country"]),
            location=GeoPoint(lat=doc["location"]["lat"], lng=doc["location"]["lng"]),
            phone=doc.get("phone"), time_zone=doc["timeZone"],
            opening_hours=[OpeningHours(day_of_week=h["dayOfWeek"], opens=h["opens"],
                                        closes=h["closes"]) for h in doc["openingHours"]],
            special_hours=[SpecialHours(date=date.fromisoformat(s["date"]), closed=s["closed"],
                                        opens=s.get("opens"), closes=s.get("closes"))
                           for s in doc.get("specialHours") or []],
            services=[FulfillmentType(s) for s in doc["services"]],
            delivery_radius_meters=doc.get("deliveryRadiusMeters"),
            status=StoreStatus(doc["status"]), updated_at=doc["updatedAt"], document=doc)

    @classmethod
    async def resolve_reference(cls, info: strawberry.Info, id: strawberry.ID) -> "Store | None":
        context: SubgraphContext = info.context
        if context.principal is None:
            return None
        doc = await store_loader(context).load(str(id))
        return cls.from_document(doc) if doc else None


@strawberry.type(description="An edge of a store list.")
class StoreEdge:
    cursor: str
    node: Store


@strawberry.type(description="A page of stores.")
class StoreConnection:
    edges: list[StoreEdge]
    page_info: PageInfo
    count: strawberry.Private[Callable[[], Awaitable[int]]]

    @strawberry.field(description="How many stores the filter lists. Without filters other "
                                  "than merchantId it is a maintained count (one read). With "
                                  "city, service, status or codes it counts the matches among "
                                  "the list's first 2,000 stores (exact up to there), reading "
                                  "their list pages (up to 80 reads, about 100 ms): select it "
                                  "only when needed.")
    async def total_count(self) -> int:
        return await self.count()


@strawberry.type(description="The result of a store mutation.")
class StorePayload:
    store: Store | None
    user_errors: list[UserError]
