"""Inputs of the stores subgraph (contract section ``[stores]``)."""

from datetime import date
from typing import Any

import strawberry

from schema.kernel.graphql_types import AddressInput, FulfillmentType, GeoPointInput
from schema.stores.types import StoreStatus


@strawberry.input(description="Filters for a store list; all given filters must match.")
class StoreFilter:
    merchant_id: strawberry.ID | None = None
    city: str | None = None
    service: FulfillmentType | None = None
    status: StoreStatus | None = None
    codes: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"merchantId": self.merchant_id, "city": self.city,
                "service": self.service.value if self.service else None,
                "status": self.status.value if self.status else None, "codes": self.codes}


@strawberry.input(description='Regular hours for one weekday: 1 = Monday; "HH:MM".')
class OpeningHoursInput:
    day_of_week: int
    opens: str
    closes: str


@strawberry.input(description="Hours for one date, overriding the regular hours.")
class SpecialHoursInput:
    date: date
    closed: bool
    opens: str | None = None
    closes: str | None = None


@strawberry.input(description="A store of the caller's, identified by its code.")
class UpsertStoreInput:
    code: str
    name: str
    address: AddressInput
    location: GeoPointInput
    phone: str | None = None
    time_zone: str = "Asia/Shanghai"
    opening_hours: list[OpeningHoursInput]
    special_hours: list[SpecialHoursInput] | None = None
    services: list[FulfillmentType]
    delivery_radius_meters: int | None = None

    def to_document(self) -> dict[str, Any]:
        """The store fields as stored (camelCase, plain values)."""
        a = self.address
        return {
            "code": self.code, "name": self.name, "phone": self.phone, "timeZone": self.time_zone,
            "address": {"line1": a.line1, "line2": a.line2, "district": a.district,
                        "city": a.city, "province": a.province, "postalCode": a.postal_code,
                        "country": a.country},
            "location": {"lat": self.location.lat, "lng": self.location.lng},
            "openingHours": [{"dayOfWeek": h.day_of_week, "opens": h.opens, "closes": h.closes}
                             for h in self.opening_hours],
            "specialHours": [{"date": s.date.isoformat(), "closed": s.closed, "opens": s.opens,
                              "closes": s.closes} for s in self.special_hours or []],
            "services": sorted({s.value for s in self.services}),
            "deliveryRadiusMeters": self.delivery_radius_meters,
        }


@strawberry.input(description="A new status for one of the caller's stores.")
class SetStoreStatusInput:
    store_id: strawberry.ID
    status: StoreStatus
