"""What a caller sees of orders: visibility (:mod:`schema.orders.access`) applied to the
lists and point reads, and pages built from them."""

from datetime import datetime
from typing import Any

import strawberry

from schema.kernel.context import SubgraphContext
from schema.kernel.errors import ErrorCode, bad_user_input, graphql_error
from schema.kernel.graphql_types import GeoPoint, PageInfo
from schema.kernel.pagination import check_first, decode_cursor, encode_cursor
from schema.kernel.principal import Principal
from schema.kernel.time import parse_iso, to_iso
from schema.maps.delivery import DEFAULT_RATES
from schema.maps.routing import plan_route
from schema.orders import listing
from schema.orders.access import courier_of, may_see
from schema.orders.documents import get_order
from schema.orders.types import (
    CourierAssignment,
    CourierRoute,
    Order,
    OrderConnection,
    OrderEdge,
    RouteStop,
)
from schema.payments.read import get_payment
from schema.stores.read import distance_meters, get_store

Document = dict[str, Any]


def _page(rows: list[Document], first: int, after: str | None, cursor) -> OrderConnection:
    edges = [OrderEdge(cursor=cursor(d), node=Order.of(d)) for d in rows[:first]]
    return OrderConnection(edges=edges, page_info=PageInfo(
        has_next_page=len(rows) > first, has_previous_page=after is not None,
        start_cursor=edges[0].cursor if edges else None,
        end_cursor=edges[-1].cursor if edges else None))


def _change_cursor(doc: Document) -> str:
    return encode_cursor([to_iso(doc["updatedAt"]), doc["_id"]])


def _change_after(after: str | None) -> tuple[datetime, str] | None:
    key = decode_cursor(after)
    if key is None:
        return None
    try:
        at, order_id = key
        return parse_iso(at), str(order_id)
    except (TypeError, ValueError) as exc:
        raise bad_user_input("invalid cursor", argument="after") from exc


def _reader(context: SubgraphContext) -> Principal:
    return context.require("orders:read")


async def visible_order(context: SubgraphContext, order_id: str) -> Order | None:
    principal = _reader(context)
    doc = await get_order(context.db, order_id)
    return Order.of(doc) if doc and may_see(principal, doc) else None


async def payment_order(context: SubgraphContext, payment_id: str) -> Order | None:
    """``Payment.order``: the order a payment names (payments' own read function)."""
    payment = await get_payment(context.db, payment_id)
    if payment is None or not payment.get("orderId"):
        return None
    return await visible_order(context, payment["orderId"])


def _merchant_lister(principal: Principal) -> str:
    if principal.member_id is not None or courier_of(principal) is not None:
        raise graphql_error("orders are listed by a merchant's apps; a member uses "
                            "Member.orders, a courier courierAssignment", ErrorCode.FORBIDDEN)
    return principal.require_partner()


async def merchant_orders(context: SubgraphContext, query: listing.ChangeQuery, first: int | None,
                          after: str | None) -> OrderConnection:
    size = check_first(first, default=50)
    rows = await listing.by_last_change(context.db, query, _change_after(after), size)
    return _page(rows, size, after, _change_cursor)


async def caller_orders(context: SubgraphContext, store_id: str | None,
                        statuses: list[str] | None, channel: str | None,
                        updated_after: datetime | None, first: int | None,
                        after: str | None) -> OrderConnection:
    """``orders(filter)``: the caller's merchant's orders; a store-bound app sees only its
    stores' (and naming another store is FORBIDDEN)."""
    principal = _reader(context)
    merchant = _merchant_lister(principal)
    if store_id is not None and not principal.may_act_at(store_id):
        raise graphql_error("this app may not see that store's orders", ErrorCode.FORBIDDEN)
    stores = ([store_id] if store_id is not None
              else sorted(principal.store_ids) if principal.is_store_bound else None)
    return await merchant_orders(context, listing.ChangeQuery(
        merchant, stores, statuses, channel, updated_after), first, after)


async def store_orders(context: SubgraphContext, store_id: str, statuses: list[str] | None,
                       first: int | None, after: str | None) -> OrderConnection | None:
    """``Store.orders``: for the store's own merchant's apps (bound to it, if bound)."""
    principal = _reader(context)
    store = await get_store(context.db, store_id)
    if (store is None or principal.member_id is not None or courier_of(principal) is not None
            or not principal.owns(store["partnerId"]) or not principal.may_act_at(store_id)):
        return None
    return await merchant_orders(context, listing.ChangeQuery(
        store["partnerId"], [store_id], statuses), first, after)


async def member_orders(context: SubgraphContext, member_id: str, first: int | None,
                        after: str | None) -> OrderConnection | None:
    principal = _reader(context)
    if principal.member_id is not None:
        if principal.member_id != member_id:
            return None
        merchant = None
    elif principal.is_admin:
        merchant = None
    else:
        merchant = principal.require_partner()
    size = check_first(first)
    before = decode_cursor(after)
    if before is not None and not isinstance(before, str):
        raise bad_user_input("invalid cursor", argument="after")
    rows = await listing.member_orders(context.db, member_id, merchant, before, size)
    return _page(rows, size, after, lambda d: encode_cursor(d["_id"]))


async def courier_assignment(context: SubgraphContext, courier_id: str) -> CourierAssignment:
    """A courier's open orders and the route over their drops from the serving store (the
    first order's first store; maps' nearest neighbour + 2-opt)."""
    principal = _reader(context)
    own = courier_of(principal)
    if own is not None and own != courier_id:
        raise graphql_error("a courier's app sees only its own assignment",
                            ErrorCode.FORBIDDEN)
    if principal.member_id is not None:
        raise graphql_error("a member's token has no courier assignments", ErrorCode.FORBIDDEN)
    partner = principal.require_partner()
    rows = [d for d in await listing.courier_orders(context.db, courier_id)
            if d["merchantId"] == partner or d.get("courierBy") == partner]
    return CourierAssignment(courier_id=strawberry.ID(courier_id),
                             orders=[Order.of(d) for d in rows],
                             route=await _route(context, rows))


async def _route(context: SubgraphContext, rows: list[Document]) -> CourierRoute:
    drops = [d for d in rows if d["fulfillment"].get("location")]
    if not drops:
        return CourierRoute(stops=[], total_distance_meters=0, eta_minutes=0)
    store = await get_store(context.db, drops[0]["storeIds"][0])
    origin = ((store["location"]["lat"], store["location"]["lng"]) if store else
              (drops[0]["fulfillment"]["location"]["lat"],
               drops[0]["fulfillment"]["location"]["lng"]))
    points = [(d["fulfillment"]["location"]["lat"], d["fulfillment"]["location"]["lng"])
              for d in drops]
    here, travelled, stops = origin, 0, []
    for sequence, index in enumerate(plan_route(origin, points), start=1):
        leg = distance_meters(here[0], here[1], *points[index])
        travelled += leg
        here = points[index]
        stops.append(RouteStop(id=strawberry.ID(drops[index]["_id"]), sequence=sequence,
                               location=GeoPoint(lat=here[0], lng=here[1]),
                               leg_distance_meters=leg,
                               arrival_eta_minutes=DEFAULT_RATES.eta_minutes(travelled)))
    return CourierRoute(stops=stops, total_distance_meters=travelled,
                        eta_minutes=stops[-1].arrival_eta_minutes)
