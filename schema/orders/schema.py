"""The orders subgraph (contract section ``[orders]``; issue 14): one order system for every
channel, routed to the nearest store with stock, extending ``Store`` and ``Member`` with
their orders.

Mutations that hold stock or move an order run under the caller's idempotency key
(:func:`schema.kernel.idempotency.run_once`), bound to an operation id before anything
moves; business refusals are results kept with the key. Importing this module registers the
ORDER payment outcome handler (:mod:`schema.orders.paid`).
"""

from typing import Any

import strawberry

from schema.kernel.claims import sweep_claims
from schema.kernel.context import SubgraphContext, make_context
from schema.kernel.errors import UserError, UserErrorCode, bad_user_input, id_argument
from schema.kernel.events import INDEXES as EVENT_INDEXES
from schema.kernel.events import relay_outboxes, sweep_events
from schema.kernel.graphql_types import UserError as UserErrorType
from schema.kernel.graphql_types import schema_config
from schema.kernel.idempotency import INDEXES as IDEMPOTENCY_INDEXES
from schema.kernel.idempotency import run_once, sweep_expired
from schema.kernel.principal import Principal, is_courier_id
from schema.kernel.subgraph import Subgraph
from schema.orders import assign, paid, place, transitions, views
from schema.orders.access import roles
from schema.orders.collections import INDEXES
from schema.orders.documents import get_order
from schema.orders.expiry import sweep_unpaid
from schema.orders.feed import sweep_leases
from schema.orders.followups import sweep_due
from schema.orders.inputs import (
    AssignCourierInput,
    CancelOrderInput,
    OrderFilter,
    PlaceOrderInput,
    TransitionOrderInput,
)
from schema.orders.subscriptions import Subscription
from schema.orders.types import (
    CourierAssignment,
    MemberRef,
    Order,
    OrderConnection,
    OrderPayload,
    StoreRef,
)
from schema.stores.read import check_point

Result = dict[str, Any]
MAX_KEY = 200
READ = [["orders:read"]]
WRITE = [["orders:write"]]
assert paid.on_order_payment is not None   # imported for its registration


def _one(code: UserErrorCode, message: str, *field: str) -> list[UserErrorType]:
    return [UserErrorType.of(UserError(code, message, ("input", *field)))]


def _key_problem(key: str) -> list[UserErrorType] | None:
    if 0 < len(key) <= MAX_KEY:
        return None
    return _one(UserErrorCode.INVALID, f"idempotencyKey must be 1 to {MAX_KEY} characters",
                "idempotencyKey")


def _refusal(error: UserError) -> Result:
    return {"orderId": None, "userErrors": [error.to_dict()]}


async def _payload(context: SubgraphContext, result: Result) -> OrderPayload:
    doc = await get_order(context.db, result["orderId"]) if result.get("orderId") else None
    return OrderPayload(order=Order.of(doc) if doc else None, user_errors=[
        UserErrorType(code=e["code"], field=e["field"], message=e["message"])
        for e in result["userErrors"]])


def _request(principal: Principal, input: PlaceOrderInput) -> place.PlaceRequest:
    where = input.fulfillment
    location = (check_point(where.location.lat, where.location.lng, "fulfillment.location")
                if where.location is not None else None)
    address = None
    if where.address is not None:
        a = where.address
        address = {"line1": a.line1, "line2": a.line2, "district": a.district, "city": a.city,
                   "province": a.province, "postalCode": a.postal_code, "country": a.country}
    member = (id_argument(input.member_id, "mem", "memberId") if input.member_id
              else principal.member_id)
    return place.PlaceRequest(
        merchant_id=id_argument(input.merchant_id, "ptn", "merchantId"),
        channel=input.channel.value, external_id=input.external_id, member_id=member,
        lines=[(id_argument(line.product_id, "prd", "lines.productId"), line.quantity)
               for line in input.lines],
        fulfillment=where.type.value,
        store_id=id_argument(where.store_id, "sto", "fulfillment.storeId")
        if where.store_id else None,
        location=location, address=address)


async def _move(context: SubgraphContext, order_id: str, target: str, note: str | None,
                key: str, operation: str) -> OrderPayload:
    principal = context.require("orders:write")
    early = _key_problem(key)
    if early:
        return OrderPayload(order=None, user_errors=early)
    if note is not None and len(note) > 500:
        return OrderPayload(order=None, user_errors=_one(UserErrorCode.INVALID,
                                                         "at most 500 characters", "note"))
    order = await get_order(context.db, order_id)
    found = roles(principal, order) if order else frozenset()
    if order is None or not found:
        return OrderPayload(order=None, user_errors=_one(UserErrorCode.NOT_FOUND,
                                                         "no such order", "orderId"))

    async def run(operation_id: str) -> Result:
        return await transitions.transition(context.db, order_id, target, found, note,
                                            operation_id)

    partner = principal.partner_id or principal.client_id
    result = await run_once(context.db, partner, operation, key,
                            {"orderId": order_id, "to": target, "note": note}, run, _refusal)
    return await _payload(context, result)


@strawberry.type
class Query:
    @strawberry.federation.field(
        requires_scopes=READ,
        description="The caller's merchant's orders, oldest change first (a store-bound app: "
                    "its stores' only). Never skips an order whose change commits late, so a "
                    "POS can poll with updatedAfter (or the cursor). first: at most 100.")
    async def orders(self, info: strawberry.Info, filter: OrderFilter | None = None,
                     first: int | None = 50, after: str | None = None) -> OrderConnection:
        f = filter or OrderFilter()
        return await views.caller_orders(
            info.context, id_argument(f.store_id, "sto", "filter.storeId") if f.store_id
            else None, [s.value for s in f.statuses] if f.statuses else None,
            f.channel.value if f.channel else None, f.updated_after, first, after)

    @strawberry.federation.field(requires_scopes=READ, description="An order: for its "
                                 "merchant, the serving stores' apps, the member, the placing "
                                 "app and its courier (others: null).")
    async def order(self, info: strawberry.Info, id: strawberry.ID) -> Order | None:
        return await views.visible_order(info.context, id_argument(id, "ord", "id"))

    @strawberry.federation.field(requires_scopes=READ, description="A courier's open orders "
                                 "(the caller's merchant's, or assigned by the caller) and the "
                                 "route over their drops from the serving store.")
    async def courier_assignment(self, info: strawberry.Info,
                                 courier_id: strawberry.ID) -> CourierAssignment:
        if not is_courier_id(courier_id):
            raise bad_user_input("courierId is 1 to 64 letters, digits, '_' or '-'",
                                 argument="courierId")
        return await views.courier_assignment(info.context, str(courier_id))


@strawberry.type
class Mutation:
    @strawberry.federation.mutation(
        requires_scopes=WRITE,
        description="Place an order from any channel: prices from the catalogue, stock held at "
                    "once (all lines or none), a DELIVERY routed to the nearest open store "
                    "covering the address with every line (or the best two). Unpaid orders "
                    "lapse after 15 minutes. Idempotent by key.")
    async def place_order(self, info: strawberry.Info, input: PlaceOrderInput) -> OrderPayload:
        context: SubgraphContext = info.context
        principal = context.require("orders:write")
        partner = principal.require_partner()
        early = _key_problem(input.idempotency_key)
        if early:
            return OrderPayload(order=None, user_errors=early)
        request = _request(principal, input)
        body = {"merchantId": request.merchant_id, "channel": request.channel,
                "externalId": request.external_id, "memberId": request.member_id,
                "lines": request.lines, "fulfillment": request.fulfillment,
                "storeId": request.store_id, "location": request.location,
                "address": request.address}

        async def run(operation_id: str) -> Result:
            return await place.place_order(context.db, principal, request, operation_id)

        result = await run_once(context.db, partner, "placeOrder", input.idempotency_key, body,
                                run, _refusal)
        return await _payload(context, result)

    @strawberry.federation.mutation(
        requires_scopes=WRITE,
        description="Move an order: only legal moves by the right actor (else "
                    "ILLEGAL_TRANSITION); STORE_STAFF marking PAID is 'paid offline'. "
                    "Idempotent by key.")
    async def transition_order(self, info: strawberry.Info,
                               input: TransitionOrderInput) -> OrderPayload:
        return await _move(info.context, id_argument(input.order_id, "ord", "orderId"),
                           input.to.value, input.note, input.idempotency_key,
                           "transitionOrder")

    @strawberry.federation.mutation(
        requires_scopes=WRITE,
        description="Cancel an order before preparation (customer, store, placing partner); "
                    "its stock goes back and a paid order is refunded. Idempotent by key.")
    async def cancel_order(self, info: strawberry.Info, input: CancelOrderInput) -> OrderPayload:
        return await _move(info.context, id_argument(input.order_id, "ord", "orderId"),
                           "CANCELED", input.reason, input.idempotency_key, "cancelOrder")

    @strawberry.federation.mutation(
        requires_scopes=WRITE,
        description="Give a paid delivery order, not yet out for delivery, to a courier.")
    async def assign_courier(self, info: strawberry.Info,
                             input: AssignCourierInput) -> OrderPayload:
        context: SubgraphContext = info.context
        principal = context.require("orders:write")
        result = await assign.assign_courier(
            context.db, principal, id_argument(input.order_id, "ord", "orderId"),
            str(input.courier_id))
        return await _payload(context, result)


schema = strawberry.federation.Schema(query=Query, mutation=Mutation, subscription=Subscription,
                                      types=[MemberRef, StoreRef], config=schema_config())

SUBGRAPH = Subgraph(name="orders", schema=schema,
                    indexes=INDEXES + EVENT_INDEXES + IDEMPOTENCY_INDEXES,
                    make_context=make_context, jobs=(relay_outboxes,),
                    sweeps=(sweep_unpaid, sweep_due, sweep_leases, sweep_expired,
                            sweep_claims, sweep_events))
