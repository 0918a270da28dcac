"""What a deal purchase's payment outcome does (the ``DEAL`` handler of
:mod:`schema.kernel.outcomes`): vouchers when it SUCCEEDED, its stock back when it FAILED or
was CANCELED.

Delivery is at least once, so every step is idempotent and keyed by the payment id: voucher
ids are ``stable_id("vch", "<paymentId>:<n>")`` and a voucher is written only if it does not
exist yet; the stock, sold and campaign figures change by named adds (``issue:<paymentId>``,
``release:<paymentId>``); the purchase's state moves forward once everything is done, so a
repeat after that does nothing at all.
"""

import contextlib
import logging
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from schema.kernel.claims import update_claimed
from schema.kernel.events import append_event, mark_pending, pending_marker
from schema.kernel.ids import stable_id
from schema.kernel.outcomes import PaymentOutcome, on_payment_outcome
from schema.kernel.time import to_iso, utcnow
from schema.marketing import stats
from schema.marketing.codes import code_lookup_key, new_code, seal_code
from schema.marketing.collections import PURCHASES, VOUCHER_CODES, VOUCHERS
from schema.marketing.deals import SOLD, STOCK, get_deal

Document = dict[str, Any]
RESOURCE = "Voucher"
BUYER = "buyerPartnerId"
"""The partner whose app bought the deal (on the purchase and its vouchers): when it is not
the deal's merchant it gets a copy of the vouchers' events (DESIGN.md §7), whose data its
member's token reads on the voucher anyway."""
_log = logging.getLogger("loopgate.marketing")


def voucher_id_for(payment_id: str, index: int) -> str:
    return stable_id("vch", f"{payment_id}:{index}")


async def set_state(db: AsyncDatabase, payment_id: str, state: str, *,
                    only_from: frozenset[str], **fields: Any) -> Document | None:
    """Move the purchase to ``state`` when it is in one of ``only_from``."""

    def change(current: Document | None) -> Document | None:
        if current is None or current["state"] not in only_from:
            return None
        return {**current, **fields, "state": state, "updatedAt": utcnow()}

    return await update_claimed(db[PURCHASES], db, payment_id, change)


def issued_event_data(voucher: Document) -> Document:
    return {"voucherId": voucher["_id"], "dealId": voucher["dealId"],
            "campaignId": voucher["campaignId"], "memberId": voucher["memberId"],
            "paymentId": voucher["paymentId"], "channel": voucher["channel"],
            "expiresAt": to_iso(voucher["expiresAt"])}


async def _issue_one(db: AsyncDatabase, purchase: Document, deal: Document,
                     index: int) -> None:
    voucher_id = voucher_id_for(purchase["_id"], index)
    if await db[VOUCHERS].find_one({"_id": voucher_id}, {"_id": 1}) is not None:
        return
    demo = purchase.get("demoCodes") or []
    code = demo[index] if index < len(demo) else new_code()
    key = code_lookup_key(code)
    with contextlib.suppress(DuplicateKeyError):   # 75 random bits: a clash is a retry's own
        await db[VOUCHER_CODES].insert_one({"_id": f"vcode:{key}", "voucherId": voucher_id})
    now = utcnow()

    def change(current: Document | None) -> Document | None:
        if current is not None:
            return None
        voucher = {
            "_id": voucher_id, "dealId": deal["_id"], "partnerId": deal["partnerId"],
            "campaignId": deal["campaignId"], "memberId": purchase["memberId"],
            "paymentId": purchase["_id"], "clientId": purchase["clientId"],
            "channel": purchase["channel"], "price": deal["price"], "codeKey": key,
            "sealedCode": seal_code(code), "status": "ISSUED", "issuedAt": now,
            "validFrom": deal["validFrom"], "expiresAt": deal["validUntil"],
            "redeemedAt": None, "redeemedStoreId": None, "redeemOp": None, "refundOp": None,
            "statsDue": [], BUYER: purchase.get(BUYER)}
        return voucher | append_event(None, "voucher.issued", deal["partnerId"], RESOURCE,
                                      voucher_id, issued_event_data(voucher), now,
                                      also_for=[voucher[BUYER]])

    marker = [pending_marker(VOUCHERS, voucher_id)]
    await mark_pending(db, marker)
    if await update_claimed(db[VOUCHERS], db, voucher_id, change) is not None:
        await mark_pending(db, marker)


async def issue(db: AsyncDatabase, purchase: Document) -> None:
    """Issue the purchase's vouchers and count them (the payment succeeded). Only a
    purchase holding its stock (RESERVED) issues: one whose stock was given back never
    does, so no payment can bring more vouchers than the stock limit."""
    if purchase["state"] != "RESERVED":
        if purchase["state"] != "ISSUED":
            _log.error("purchase %s: payment succeeded but the purchase is %s; no vouchers",
                       purchase["_id"], purchase["state"])
        return
    deal = await get_deal(db, purchase["dealId"])
    if deal is None:
        raise LookupError(f"deal {purchase['dealId']} of purchase {purchase['_id']} is gone")
    for index in range(purchase["quantity"]):
        await _issue_one(db, purchase, deal, index)
    quantity, price = purchase["quantity"], deal["price"]
    op = f"issue:{purchase['_id']}"
    if deal["campaignId"] is not None:
        await stats.apply(db, deal["campaignId"], stats.Change(
            op, price["currency"], sold=quantity, revenue=quantity * price["amount"],
            channel=purchase["channel"]))
    await SOLD.add(db, deal["_id"], quantity, op=op)
    await set_state(db, purchase["_id"], "ISSUED", only_from=frozenset(("RESERVED",)),
                    voucherIds=[voucher_id_for(purchase["_id"], i) for i in range(quantity)])


async def release(db: AsyncDatabase, purchase: Document) -> None:
    """Give a purchase's held stock back (its payment failed, was canceled or refused)."""
    if purchase["state"] != "RESERVED":
        return
    if purchase["limited"]:
        await STOCK.add(db, purchase["dealId"], purchase["quantity"],
                        op=f"release:{purchase['_id']}")
    await set_state(db, purchase["_id"], "RELEASED", only_from=frozenset(("RESERVED",)))


async def on_deal_payment(db: AsyncDatabase, outcome: PaymentOutcome) -> None:
    """The DEAL outcome handler: a payment no purchase stands for (a DEAL payment made with
    createPayment directly) is none of marketing's business."""
    purchase = await db[PURCHASES].find_one({"_id": outcome.payment_id})
    if purchase is None:
        return
    if outcome.status == "SUCCEEDED":
        await issue(db, purchase)
    else:
        await release(db, purchase)


on_payment_outcome("DEAL", on_deal_payment)
