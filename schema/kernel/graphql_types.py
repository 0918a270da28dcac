"""GraphQL types every platform subgraph shares (contract: the ``shared`` section).

Value types are ``@shareable`` so that several subgraphs may return them; inputs and enums are
identical everywhere, as composition requires. ``DateTime`` is ISO 8601 UTC with a ``Z``
suffix (DESIGN.md §5), so the Python ``datetime`` is mapped to our own scalar.

A value the ``DateTime`` scalar cannot parse fails with :class:`InvalidDateTime`, a
``ValueError`` carrying ``extensions.code = BAD_USER_INPUT``: graphql-core wraps a scalar's
exception into the GraphQL error it reports (for a variable: "Variable '$input' has invalid
value at .items[0].occurredAt: …"; for a literal, a validation error at the literal) and
adopts the wrapped exception's ``extensions``, so both ways of passing the value come back
with the code, through the gateway too.
"""

from datetime import datetime
from enum import Enum

import strawberry
from strawberry.schema.config import StrawberryConfig

from schema.kernel import money as kmoney
from schema.kernel.errors import ErrorCode
from schema.kernel.errors import UserError as KernelUserError
from schema.kernel.pagination import PageInfo as KernelPageInfo
from schema.kernel.time import parse_iso, to_iso


class InvalidDateTime(ValueError):
    """A DateTime input that is not an ISO 8601 instant (a BAD_USER_INPUT error)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"not an ISO 8601 instant ({reason}); send e.g. 2026-11-25T08:00:00Z")
        self.extensions = {"code": str(ErrorCode.BAD_USER_INPUT)}


def _parse_datetime(value: object) -> datetime:
    if not isinstance(value, str):
        raise InvalidDateTime("not a string")
    try:
        return parse_iso(value)
    except ValueError as exc:
        raise InvalidDateTime(str(exc)) from exc


DateTime = strawberry.scalar(
    name="DateTime",
    description="An instant, ISO 8601 in UTC (e.g. 2026-11-25T08:00:00.000Z).",
    serialize=to_iso, parse_value=_parse_datetime,
)


def schema_config() -> StrawberryConfig:
    """The configuration every platform subgraph schema is built with."""
    return StrawberryConfig(scalar_map={datetime: DateTime})


@strawberry.federation.type(shareable=True,
                            description="An amount of money in minor units (fen for CNY).")
class Money:
    amount: int = strawberry.field(description="Minor units of the currency.")
    currency: str = strawberry.field(description="ISO 4217 code, e.g. CNY.")

    @classmethod
    def of(cls, value: kmoney.Money) -> "Money":
        return cls(amount=value.amount, currency=value.currency)

    @classmethod
    def from_document(cls, document: dict[str, object]) -> "Money":
        return cls.of(kmoney.Money.from_document(document))


@strawberry.input(description="An amount of money in minor units.")
class MoneyInput:
    amount: int = strawberry.field(description="Minor units of the currency.")
    currency: str = strawberry.field(default="CNY", description="ISO 4217 code.")


@strawberry.federation.type(shareable=True, description="A WGS84 location in degrees.")
class GeoPoint:
    lat: float = strawberry.field(description="Latitude, -90..90.")
    lng: float = strawberry.field(description="Longitude, -180..180.")


@strawberry.input(description="A WGS84 location in degrees.")
class GeoPointInput:
    lat: float = strawberry.field(description="Latitude, -90..90.")
    lng: float = strawberry.field(description="Longitude, -180..180.")


@strawberry.federation.type(shareable=True, description="A postal address.")
class Address:
    line1: str
    line2: str | None = None
    district: str | None = None
    city: str = ""
    province: str | None = None
    postal_code: str | None = None
    country: str = "CN"


@strawberry.input(description="A postal address.")
class AddressInput:
    line1: str
    line2: str | None = None
    district: str | None = None
    city: str = strawberry.field(description="City name, e.g. Shanghai.")
    province: str | None = None
    postal_code: str | None = None
    country: str = strawberry.field(default="CN", description="ISO 3166-1 alpha-2 code.")


@strawberry.federation.type(shareable=True, description="Relay page information.")
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, info: KernelPageInfo) -> "PageInfo":
        return cls(has_next_page=info.has_next_page, has_previous_page=info.has_previous_page,
                   start_cursor=info.start_cursor, end_cursor=info.end_cursor)


@strawberry.federation.type(
    shareable=True,
    description="A business failure of a mutation. code: one of the documented values "
                "(INVALID NOT_FOUND FORBIDDEN CONFLICT IDEMPOTENCY_KEY_REUSED STORE_CLOSED "
                "NOT_COVERED OUT_OF_STOCK …); new codes may be added, so clients must handle "
                "unknown ones.")
class UserError:
    code: str
    field: list[str] | None
    message: str

    @classmethod
    def of(cls, error: KernelUserError) -> "UserError":
        return cls(code=str(error.code), field=list(error.field) if error.field else None,
                   message=error.message)


@strawberry.enum(description="Where an order or a deal purchase was made.")
class SalesChannel(Enum):
    APP = "APP"
    WECHAT = "WECHAT"
    DIANPING = "DIANPING"
    POS = "POS"
    PARTNER = "PARTNER"


@strawberry.enum(description="How an order is fulfilled; also the services a store offers.")
class FulfillmentType(Enum):
    PICKUP = "PICKUP"
    DELIVERY = "DELIVERY"
    DINE_IN = "DINE_IN"
