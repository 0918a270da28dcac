"""``placeOrder`` (issue 14, points 1 to 3): checks, routing, stock held, the order written.

Runs as the operation its idempotency key is bound to; the order's id is derived from it
(``stable_id("ord", op)``), so a retry finds the same order. Everything that can refuse is
checked before any stock is held. Then, in order:

1. the expiry entry (:mod:`schema.orders.expiry`) with the lines and their stores, before
   the stock is held: a process dying after the hold leaves an entry the sweep releases, and
   a retry reuses its routing instead of holding stock twice elsewhere;
2. the external id's lookup document (a unique ``_id`` per merchant, channel and id: the
   loser of two concurrent orders with one external id gets DUPLICATE_EXTERNAL_ID);
3. the stock, all lines or none, through the catalogue's ``reserve``; a shortage (another
   order got there first) re-routes a delivery up to :data:`ROUTE_ATTEMPTS` times, then
   OUT_OF_STOCK, giving back the external id;
4. the order, with its ``order.created`` event, in one claimed write. The event is the
   merchant's; when another partner's app placed the order, that partner gets a copy
   (``alsoFor``, DESIGN.md §7), as it does of the order's later events
   (:func:`schema.orders.documents.status_event`): it sees the whole order anyway
   (:mod:`schema.orders.access`).
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.catalog.products import get_products
from schema.catalog.reservations import Line, Shortage, reserve
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.events import append_event
from schema.kernel.ids import stable_id
from schema.kernel.principal import Principal
from schema.kernel.time import to_iso, utcnow
from schema.membership.members import get_member
from schema.orders import expiry
from schema.orders.collections import EXTERNAL_IDS
from schema.orders.documents import RESOURCE, get_order, write
from schema.orders.routing import Unroutable, route
from schema.orders.stores import delivery_candidates, serves
from schema.stores.read import get_store

Document = dict[str, Any]
Result = dict[str, Any]
MAX_LINES = 100
MAX_QUANTITY = 999
ROUTE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PlaceRequest:
    """``PlaceOrderInput``, its ids already well-formed."""

    merchant_id: str
    channel: str
    external_id: str | None
    member_id: str | None
    lines: list[tuple[str, int]]
    fulfillment: str
    store_id: str | None = None
    location: tuple[float, float] | None = None
    address: Document | None = None
    extra: Document = field(default_factory=dict)
    """Seeds only: fields set on the new order (a past ``createdAt``)."""


class _Refusal(Exception):
    def __init__(self, code: UserErrorCode, message: str, *path: str) -> None:
        super().__init__(message)
        self.error = UserError(code, message, ("input", *path))


def result(order_id: str | None, *errors: UserError) -> Result:
    return {"orderId": order_id, "userErrors": [e.to_dict() for e in errors]}


def shape_problems(request: PlaceRequest) -> list[UserError]:
    """What is wrong with the request on its face (nothing read yet)."""
    problems: list[UserError] = []
    if not 1 <= len(request.lines) <= MAX_LINES:
        problems.append(UserError(UserErrorCode.INVALID, f"an order has 1 to {MAX_LINES} "
                                  "lines", ("input", "lines")))
    for index, (_, quantity) in enumerate(request.lines):
        if not 1 <= quantity <= MAX_QUANTITY:
            problems.append(UserError(UserErrorCode.INVALID, f"quantity must be 1 to "
                                      f"{MAX_QUANTITY}", ("input", "lines", str(index),
                                                          "quantity")))
    if request.external_id is not None and not 1 <= len(request.external_id) <= 200:
        problems.append(UserError(UserErrorCode.INVALID, "externalId must be 1 to 200 "
                                  "characters", ("input", "externalId")))
    where = ("input", "fulfillment")
    if request.fulfillment == "DELIVERY":
        if request.location is None or request.address is None:
            problems.append(UserError(UserErrorCode.INVALID, "a delivery needs both the "
                                      "address and its location (there is no geocoding)",
                                      where))
    elif request.store_id is None:
        problems.append(UserError(UserErrorCode.INVALID, f"a {request.fulfillment} order "
                                  "names its store (storeId)", (*where, "storeId")))
    return problems


def _needs(request: PlaceRequest) -> dict[str, int]:
    """Quantity per product: repeated products are one line."""
    needs: dict[str, int] = {}
    for product_id, quantity in request.lines:
        needs[product_id] = needs.get(product_id, 0) + quantity
    return needs


async def _priced(db: AsyncDatabase, request: PlaceRequest,
                  needs: dict[str, int]) -> dict[str, Document]:
    """Each product's price now; another merchant's product is NOT_FOUND like a missing one."""
    ids = list(needs)
    found = await get_products(db, ids)
    prices: dict[str, Document] = {}
    for product_id, product in zip(ids, found, strict=True):
        index = str(next(i for i, (p, _) in enumerate(request.lines) if p == product_id))
        if product is None or product["partnerId"] != request.merchant_id:
            raise _Refusal(UserErrorCode.NOT_FOUND, "no such product of this merchant",
                           "lines", index, "productId")
        if product.get("archived"):
            raise _Refusal(UserErrorCode.INVALID, "the product is archived", "lines", index,
                           "productId")
        prices[product_id] = product["price"]
    if len({p["currency"] for p in prices.values()}) > 1:
        raise _Refusal(UserErrorCode.CURRENCY_MISMATCH, "the products are priced in "
                       "different currencies", "lines")
    return prices


async def _check_caller(db: AsyncDatabase, principal: Principal, request: PlaceRequest) -> None:
    if principal.member_id is not None and request.member_id != principal.member_id:
        raise _Refusal(UserErrorCode.FORBIDDEN, "a member's token orders only for that "
                       "member", "memberId")
    if not principal.owns(request.merchant_id) and request.channel != "PARTNER":
        raise _Refusal(UserErrorCode.FORBIDDEN, "another partner places a merchant's orders "
                       "through the PARTNER channel", "channel")
    if request.member_id is not None and await get_member(db, request.member_id) is None:
        raise _Refusal(UserErrorCode.NOT_FOUND, "no such member", "memberId")


async def _store_for(db: AsyncDatabase, principal: Principal, request: PlaceRequest,
                     now: datetime) -> str:
    """The chosen store of a PICKUP or DINE_IN order: the merchant's, open, offering it."""
    assert request.store_id is not None
    store = await get_store(db, request.store_id)
    if store is None or store["partnerId"] != request.merchant_id:
        raise _Refusal(UserErrorCode.NOT_FOUND, "no such store of this merchant",
                       "fulfillment", "storeId")
    if principal.owns(request.merchant_id) and not principal.may_act_at(store["_id"]):
        raise _Refusal(UserErrorCode.FORBIDDEN, "this app may not act at that store",
                       "fulfillment", "storeId")
    if not serves(store, request.merchant_id, request.fulfillment, now):
        raise _Refusal(UserErrorCode.STORE_CLOSED, f"the store is closed or does not offer "
                       f"{request.fulfillment} now", "fulfillment", "storeId")
    return store["_id"]


async def _routed(db: AsyncDatabase, request: PlaceRequest, needs: dict[str, int],
                  now: datetime, pickup_store: str | None) -> dict[str, str]:
    if pickup_store is not None:
        return {product_id: pickup_store for product_id in needs}
    assert request.location is not None
    candidates = await delivery_candidates(db, request.merchant_id, *request.location, needs,
                                           now)
    routed = route(candidates, needs)
    if routed is Unroutable.NOT_COVERED:
        raise _Refusal(UserErrorCode.NOT_COVERED, "no open store of this merchant delivers "
                       "to that location", "fulfillment", "location")
    if routed is Unroutable.OUT_OF_STOCK:
        raise _Refusal(UserErrorCode.OUT_OF_STOCK, "no store (or pair of stores) delivering "
                       "there has every line available", "lines")
    assert isinstance(routed, dict)
    return routed


def _lines(needs: dict[str, int], routed: dict[str, str]) -> list[Line]:
    return [Line(store_id=routed[p], product_id=p, quantity=q) for p, q in needs.items()]


async def _hold(db: AsyncDatabase, order_id: str, request: PlaceRequest, needs: dict[str, int],
                now: datetime, pickup_store: str | None) -> list[Line]:
    """Route and reserve (re-routing a delivery after a shortage), recording the lines in
    the expiry entry before each hold."""
    pending = await expiry.get_entry(db, order_id)
    if pending is not None:
        lines = [Line(**line) for line in pending["lines"]]
        await reserve(db, order_id, lines)
        return lines
    for attempt in range(ROUTE_ATTEMPTS):
        lines = _lines(needs, await _routed(db, request, needs, now, pickup_store))
        await expiry.open_entry(db, order_id, request.merchant_id, lines, now, attempt)
        try:
            await reserve(db, order_id, lines)
            return lines
        except Shortage as shortage:
            await expiry.drop_entry(db, order_id)
            if pickup_store is not None or attempt == ROUTE_ATTEMPTS - 1:
                index = next(i for i, (p, _) in enumerate(request.lines)
                             if p == shortage.line.product_id)
                raise _Refusal(UserErrorCode.OUT_OF_STOCK, f"only {shortage.available} "
                               "available", "lines", str(index), "quantity") from shortage
    raise AssertionError("unreachable")


def external_key(merchant_id: str, channel: str, external_id: str) -> str:
    return f"oext:{merchant_id}:{channel}:{external_id}"


async def _claim_external(db: AsyncDatabase, request: PlaceRequest, order_id: str) -> None:
    if request.external_id is None:
        return
    key = external_key(request.merchant_id, request.channel, request.external_id)
    try:
        await db[EXTERNAL_IDS].insert_one({"_id": key, "orderId": order_id})
    except DuplicateKeyError:
        found = await db[EXTERNAL_IDS].find_one({"_id": key})
        if found is None or found["orderId"] != order_id:
            raise _Refusal(UserErrorCode.DUPLICATE_EXTERNAL_ID, "this merchant already has "
                           "an order with that external id on that channel",
                           "externalId") from None


async def _release_external(db: AsyncDatabase, request: PlaceRequest, order_id: str) -> None:
    if request.external_id is not None:
        await db[EXTERNAL_IDS].delete_one({
            "_id": external_key(request.merchant_id, request.channel, request.external_id),
            "orderId": order_id})


def _document(order_id: str, principal: Principal, request: PlaceRequest,
              prices: dict[str, Document], lines: list[Line], operation_id: str,
              now: datetime) -> Document:
    store_ids = list(dict.fromkeys(line.store_id for line in lines))
    order_lines = [{"productId": line.product_id, "quantity": line.quantity,
                    "unitPrice": prices[line.product_id], "storeId": line.store_id}
                   for line in lines]
    currency = next(iter(prices.values()))["currency"]
    total = {"amount": sum(p["unitPrice"]["amount"] * p["quantity"] for p in order_lines),
             "currency": currency}
    location = ({"lat": request.location[0], "lng": request.location[1]}
                if request.location else None)
    data = {"orderId": order_id, "channel": request.channel, "status": "CREATED",
            "externalId": request.external_id, "total": total, "storeIds": store_ids,
            "createdAt": to_iso(now)}
    return {"merchantId": request.merchant_id, "channel": request.channel,
            "externalId": request.external_id, "memberId": request.member_id,
            "placedBy": {"partnerId": principal.partner_id, "clientId": principal.client_id},
            "lines": order_lines,
            "fulfillment": {"type": request.fulfillment, "address": request.address,
                            "location": location},
            "storeIds": store_ids, "courierId": None, "status": "CREATED",
            "history": [{"status": "CREATED", "at": now, "actor": _placer(principal, request),
                         "note": None}],
            "total": total, "paymentIds": [], "operationId": operation_id,
            "createdAt": now, "updatedAt": now, **request.extra,
            **append_event(None, "order.created", request.merchant_id, RESOURCE, order_id,
                           data, now, also_for=[principal.partner_id])}


def _placer(principal: Principal, request: PlaceRequest) -> str:
    if principal.member_id is not None:
        return "CUSTOMER"
    return "STORE_STAFF" if principal.owns(request.merchant_id) else "PARTNER"


async def place_order(db: AsyncDatabase, principal: Principal, request: PlaceRequest,
                      operation_id: str) -> Result:
    """Run ``placeOrder`` as operation ``operation_id``."""
    order_id = stable_id("ord", operation_id)
    if await get_order(db, order_id) is not None:
        return result(order_id)
    problems = shape_problems(request)
    if problems:
        return result(None, *problems)
    now = utcnow()
    try:
        await _check_caller(db, principal, request)
        needs = _needs(request)
        prices = await _priced(db, request, needs)
        pickup = (await _store_for(db, principal, request, now)
                  if request.fulfillment != "DELIVERY" else None)
        await _claim_external(db, request, order_id)
        try:
            lines = await _hold(db, order_id, request, needs, now, pickup)
        except _Refusal:
            await _release_external(db, request, order_id)
            raise
    except _Refusal as refusal:
        return result(None, refusal.error)
    document = _document(order_id, principal, request, prices, lines, operation_id, utcnow())
    await write(db, request.merchant_id, order_id,
                lambda current: None if current is not None else {**document,
                                                                  "updatedAt": utcnow()})
    await expiry.mark_placed(db, order_id)
    return result(order_id)
