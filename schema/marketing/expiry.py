"""The sweep that marks vouchers EXPIRED once their deal's validity has ended.

All vouchers of a deal expire together (at the deal's ``validUntil``), so the sweep works by
deal, not by voucher: each UTC day has a list of the deals ending that day
(``deal_expiry``, written when a deal is created); a round reads the lists of days up to
today, and for each deal that has ended marks its ISSUED vouchers EXPIRED (each one claimed
write that decides from the status: a redemption that won first stays REDEEMED), then drops
the deal from the day's list. An emptied list stays (one small document a day): deleting it
would let a deal created later for that day meet the revision claims of the deleted one.
Vouchers are therefore read only when their deal ends, never all of them every round. A
voucher's status also reads EXPIRED past its expiry before the sweep has come
(:func:`schema.marketing.vouchers.status_at`).
"""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.time import as_utc, utcnow
from schema.marketing.collections import DEAL_EXPIRY, VOUCHERS
from schema.marketing.deals import expiry_day, get_deal

Document = dict[str, Any]


async def _expire(db: AsyncDatabase, voucher_id: str) -> bool:
    def change(current: Document | None) -> Document | None:
        if current is None or current["status"] != "ISSUED" \
                or as_utc(current["expiresAt"]) > utcnow():
            return None
        return {**current, "status": "EXPIRED", "expiredAt": utcnow()}

    return await update_claimed(db[VOUCHERS], db, voucher_id, change) is not None


async def expire_deal(db: AsyncDatabase, deal_id: str) -> int:
    """Mark the deal's ISSUED vouchers EXPIRED; returns how many."""
    expired = 0
    async for voucher in db[VOUCHERS].find({"dealId": deal_id, "status": "ISSUED"},
                                           {"_id": 1}):
        expired += await _expire(db, voucher["_id"])
    return expired


async def _drop(db: AsyncDatabase, day: str, deal_id: str) -> None:
    def change(current: Document | None) -> Document | None:
        if current is None or deal_id not in current.get("dealIds", []):
            return None
        return {**current, "dealIds": [d for d in current["dealIds"] if d != deal_id]}

    await update_claimed(db[DEAL_EXPIRY], db, day, change)


async def sweep_expired_vouchers(db: AsyncDatabase) -> int:
    """One round (a subgraph sweep); returns how many vouchers it marked EXPIRED."""
    now = utcnow()
    expired = 0
    days = await db[DEAL_EXPIRY].find({"_id": {"$lte": expiry_day(now)},
                                        "dealIds.0": {"$exists": True}}).to_list()
    for day in days:
        for deal_id in day.get("dealIds", []):
            deal = await get_deal(db, deal_id)
            if deal is not None and as_utc(deal["validUntil"]) > now:
                continue
            if deal is not None:
                expired += await expire_deal(db, deal_id)
            await _drop(db, day["_id"], deal_id)
    return expired
