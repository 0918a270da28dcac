"""``purchaseDeal``: hold the stock, then one DEAL payment for the deal's merchant.

Runs as the operation its idempotency key is bound to (:func:`run_once`), and names
everything after it: the payment (``payments.create`` derives its id from the operation id)
and the purchase document, whose ``_id`` is that payment id, so the payment's outcome
handler (:mod:`schema.marketing.issue`) finds what was bought. Steps, each repeatable by a
retry with the same key:

1. the purchase document (state RESERVING);
2. the stock: a named add of ``-quantity`` with floor 0 on the deal's stock counter
   (:class:`schema.kernel.counters.Counter`), so however many buyers race, the vouchers
   sold never exceed the stock limit; refused → SOLD_OUT and DEAL_SOLD_OUT;
3. state RESERVED, then the payment (:func:`schema.payments.create.create_payment`): a
   balance-only payment succeeds at once and its outcome issues the vouchers before this
   returns; an EXTERNAL one waits for the provider's notification. A payment refused before
   it was made gives the stock back here; one that failed, through its outcome.
"""

from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.money import Money
from schema.kernel.principal import Principal
from schema.kernel.time import utcnow
from schema.marketing.collections import PURCHASES
from schema.marketing.deals import STOCK, get_deal, on_sale
from schema.marketing.issue import BUYER, release, set_state
from schema.membership.members import get_member
from schema.payments import create
from schema.payments.portions import PortionRequest
from schema.payments.read import get_payment

Document = dict[str, Any]
Result = dict[str, Any]
MAX_QUANTITY = 20


@dataclass(frozen=True, slots=True)
class PurchaseRequest:
    """``PurchaseDealInput``, its ids already well-formed."""

    deal_id: str
    member_id: str
    quantity: int
    channel: str
    portions: list[PortionRequest]
    demo_codes: tuple[str, ...] = ()
    """Seeds only: the codes the vouchers get (a sandbox's known demo code), else random."""


def result(payment_id: str | None, voucher_ids: list[str], *errors: UserError) -> Result:
    return {"paymentId": payment_id, "voucherIds": voucher_ids,
            "userErrors": [e.to_dict() for e in errors]}


def quantity_problem(quantity: int) -> UserError | None:
    if 1 <= quantity <= MAX_QUANTITY:
        return None
    return UserError(UserErrorCode.INVALID, f"quantity must be 1 to {MAX_QUANTITY}",
                     ("input", "quantity"))


def _refused(code: UserErrorCode, message: str, *field: str) -> Result:
    return result(None, [], UserError(code, message, ("input", *field)))


async def _check(db: AsyncDatabase, principal: Principal, request: PurchaseRequest,
                 deal: Document | None) -> Result | None:
    """Why the purchase cannot start (nothing written yet)."""
    if deal is None:
        return _refused(UserErrorCode.NOT_FOUND, "no such deal", "dealId")
    if not on_sale(deal, utcnow()):
        return _refused(UserErrorCode.INVALID, "the deal is not on sale", "dealId")
    if principal.member_id not in (None, request.member_id):
        return _refused(UserErrorCode.FORBIDDEN, "a member's token buys only for that member",
                        "memberId")
    if principal.member_id is None and not principal.owns(deal["partnerId"]):
        return _refused(UserErrorCode.FORBIDDEN, "buy for a member with the member's own "
                        "(delegated) token; only the deal's merchant sells without one",
                        "memberId")
    if await get_member(db, request.member_id) is None:
        return _refused(UserErrorCode.NOT_FOUND, "no such member", "memberId")
    return None


async def _start(db: AsyncDatabase, principal: Principal, request: PurchaseRequest,
                 payment_id: str, operation_id: str) -> Document | Result:
    deal = await get_deal(db, request.deal_id)
    refused = await _check(db, principal, request, deal)
    if refused is not None:
        return refused
    assert deal is not None
    now = utcnow()
    purchase = {"_id": payment_id, "operationId": operation_id, "dealId": deal["_id"],
                "partnerId": deal["partnerId"], "campaignId": deal["campaignId"],
                "memberId": request.member_id, "clientId": principal.client_id,
                BUYER: principal.partner_id,
                "quantity": request.quantity, "channel": request.channel,
                "price": deal["price"], "limited": deal["stockLimit"] is not None,
                "state": "RESERVING", "voucherIds": [], "createdAt": now, "updatedAt": now}
    if request.demo_codes:
        purchase["demoCodes"] = list(request.demo_codes)
    try:
        await db[PURCHASES].insert_one(purchase)
    except DuplicateKeyError:
        found = await db[PURCHASES].find_one({"_id": payment_id})
        assert found is not None
        return found
    return purchase


async def _reserve(db: AsyncDatabase, purchase: Document) -> Document:
    """Hold the stock (state RESERVED) or refuse it (SOLD_OUT)."""
    if purchase["state"] != "RESERVING":
        return purchase
    held = not purchase["limited"] or await STOCK.add(
        db, purchase["dealId"], -purchase["quantity"], floor=0,
        op=f"reserve:{purchase['_id']}") is not None
    await set_state(db, purchase["_id"], "RESERVED" if held else "SOLD_OUT",
                    only_from=frozenset(("RESERVING",)))
    found = await db[PURCHASES].find_one({"_id": purchase["_id"]})
    assert found is not None
    return found


async def purchase_deal(db: AsyncDatabase, principal: Principal, request: PurchaseRequest,
                        operation_id: str) -> Result:
    """Run ``purchaseDeal`` as operation ``operation_id``."""
    payment_id = create.payment_id_for(operation_id)
    purchase = await db[PURCHASES].find_one({"_id": payment_id})
    if purchase is None:
        started = await _start(db, principal, request, payment_id, operation_id)
        if "userErrors" in started:
            return started
        purchase = started
    purchase = await _reserve(db, purchase)
    if purchase["state"] == "SOLD_OUT":
        return _refused(UserErrorCode.DEAL_SOLD_OUT, "not enough vouchers of this deal are "
                        "left", "quantity")
    if purchase["state"] == "RELEASED" and await get_payment(db, payment_id) is None:
        return _refused(UserErrorCode.CONFLICT, "this purchase's payment was refused and its "
                        "stock given back: buy again with a new idempotency key", "portions")
    price = Money.from_document(purchase["price"])
    paid = await create.create_payment(
        db, create.Caller(merchant_id=purchase["partnerId"], client_id=principal.client_id,
                          member_id=principal.member_id, partner_id=principal.partner_id),
        create.PaymentRequest(purpose="DEAL", member_id=purchase["memberId"], order_id=None,
                              amount=price.times(purchase["quantity"]),
                              portions=request.portions),
        operation_id)
    if paid["paymentId"] is None:
        await release(db, purchase)
        return {"paymentId": None, "voucherIds": [], "userErrors": paid["userErrors"]}
    found = await db[PURCHASES].find_one({"_id": payment_id})
    assert found is not None
    return result(payment_id, found["voucherIds"] if found["state"] == "ISSUED" else [])
