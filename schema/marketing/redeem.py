"""``redeemVoucher``: a store's staff scans a code; the voucher is used exactly once.

The code is checked before anything is read (:func:`schema.marketing.codes.normalise_code`:
a typo fails its check character), then found by its keyed hash. A code of another
merchant's deal answers NOT_FOUND, exactly like a code that does not exist, so a merchant
cannot probe for other merchants' vouchers. The store must be the caller's, one its app may
act at, and one the deal is redeemable at. The voucher itself changes in one claimed write
(:func:`schema.kernel.claims.update_claimed`) that decides from its current status, so of
any number of concurrent redemptions exactly one wins and the others see REDEEMED; the
``voucher.redeemed`` event is appended in that write.
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.events import append_event, mark_pending, pending_marker
from schema.kernel.principal import Principal
from schema.kernel.time import as_utc, to_iso, utcnow
from schema.marketing.codes import code_lookup_key
from schema.marketing.collections import VOUCHER_CODES, VOUCHERS
from schema.marketing.deals import get_deal, redeemable_at
from schema.marketing.issue import BUYER, RESOURCE
from schema.marketing.vouchers import get_voucher, settle
from schema.stores.read import get_store

Document = dict[str, Any]
Result = dict[str, Any]
CODE = ("input", "code")
STORE = ("input", "storeId")


def result(voucher_id: str | None, *errors: UserError) -> Result:
    return {"voucherId": voucher_id, "userErrors": [e.to_dict() for e in errors]}


async def find_by_code(db: AsyncDatabase, merchant_id: str, code: str) -> Document | None:
    """The merchant's voucher with this canonical code (None for any other)."""
    key = code_lookup_key(code)
    lookup = await db[VOUCHER_CODES].find_one({"_id": f"vcode:{key}"})
    voucher = await get_voucher(db, lookup["voucherId"]) if lookup else None
    if voucher is None or voucher["codeKey"] != key or voucher["partnerId"] != merchant_id:
        return None
    return voucher


def refusal(voucher: Document, now: Any) -> UserError | None:
    """Why the voucher cannot be used now, by its status and validity."""
    status = voucher["status"]
    if status == "REDEEMED":
        return UserError(UserErrorCode.VOUCHER_ALREADY_REDEEMED,
                         f"already redeemed at {to_iso(voucher['redeemedAt'])}", CODE)
    if status == "REFUNDED":
        return UserError(UserErrorCode.VOUCHER_REFUNDED, "the voucher was refunded", CODE)
    if status == "EXPIRED" or as_utc(voucher["expiresAt"]) <= now:
        return UserError(UserErrorCode.VOUCHER_EXPIRED,
                         f"expired at {to_iso(voucher['expiresAt'])}", CODE)
    if now < as_utc(voucher["validFrom"]):
        return UserError(UserErrorCode.VOUCHER_NOT_YET_VALID,
                         f"valid from {to_iso(voucher['validFrom'])}", CODE)
    return None


async def _store_problem(db: AsyncDatabase, principal: Principal, voucher: Document,
                         store_id: str) -> UserError | None:
    store = await get_store(db, store_id)
    if store is None or store["partnerId"] != voucher["partnerId"]:
        return UserError(UserErrorCode.NOT_FOUND, "not one of your stores", STORE)
    if not principal.may_act_at(store_id):
        return UserError(UserErrorCode.FORBIDDEN, "this app may not act at that store", STORE)
    deal = await get_deal(db, voucher["dealId"])
    if deal is None or not redeemable_at(deal, store):
        return UserError(UserErrorCode.VOUCHER_NOT_VALID_AT_STORE,
                         "the deal is not redeemable at this store", STORE)
    return None


async def redeem_voucher(db: AsyncDatabase, principal: Principal, merchant_id: str,
                         code: str, store_id: str, operation_id: str) -> Result:
    """Run ``redeemVoucher`` as operation ``operation_id`` (``code`` already canonical)."""
    voucher = await find_by_code(db, merchant_id, code)
    if voucher is None:
        return result(None, UserError(UserErrorCode.NOT_FOUND, "no voucher with that code",
                                      CODE))
    problem = await _store_problem(db, principal, voucher, store_id)
    if problem is not None:
        return result(None, problem)
    refused: UserError | None = None

    def change(current: Document | None) -> Document | None:
        nonlocal refused
        refused = None
        if current is None or current.get("redeemOp") == operation_id:
            return None
        now = utcnow()
        refused = refusal(current, now)
        if refused is not None:
            return None
        data = {"voucherId": current["_id"], "dealId": current["dealId"],
                "campaignId": current["campaignId"], "memberId": current["memberId"],
                "storeId": store_id, "redeemedAt": to_iso(now)}
        return {**current, "status": "REDEEMED", "redeemedAt": now,
                "redeemedStoreId": store_id, "redeemOp": operation_id,
                "statsDue": [*current.get("statsDue", []), "redeem"],
                **append_event(current, "voucher.redeemed", current["partnerId"], RESOURCE,
                               current["_id"], data, now, also_for=[current.get(BUYER)])}

    marker = [pending_marker(VOUCHERS, voucher["_id"])]
    await mark_pending(db, marker)
    written = await update_claimed(db[VOUCHERS], db, voucher["_id"], change)
    if refused is not None:
        return result(None, refused)
    if written is not None:
        await mark_pending(db, marker)
    current = written or await get_voucher(db, voucher["_id"])
    if current is not None:
        await settle(db, current)
    return result(voucher["_id"])
