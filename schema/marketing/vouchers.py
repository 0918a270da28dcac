"""Vouchers after issue: who sees them, what their status reads as, and the figures a
redemption or refund still owes the campaign.

A redemption or refund writes the voucher (one claimed write, with its event) and names the
figures it changes in the voucher's ``statsDue`` in that same write; :func:`settle` then adds
them to the campaign (named adds: ``redeem:<id>``, ``refund:<id>``) and clears them. A writer
that dies in between leaves ``statsDue`` set, and :func:`sweep_stats_due` settles it.
"""

import logging
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import Contended, update_claimed
from schema.kernel.principal import Principal
from schema.kernel.time import as_utc
from schema.marketing import stats
from schema.marketing.collections import VOUCHERS
from schema.marketing.deals import SOLD

Document = dict[str, Any]
_log = logging.getLogger("loopgate.marketing")


async def get_voucher(db: AsyncDatabase, voucher_id: str) -> Document | None:
    return await db[VOUCHERS].find_one({"_id": voucher_id})


def may_see(principal: Principal, voucher: Document) -> bool:
    """The owning member's token, or the deal's merchant (not a member token of another)."""
    if principal.member_id is not None:
        return voucher["memberId"] == principal.member_id
    return principal.owns(voucher["partnerId"])


def status_at(voucher: Document, at: datetime) -> str:
    """The stored status; an ISSUED voucher past its expiry reads EXPIRED before the sweep
    has written it."""
    if voucher["status"] == "ISSUED" and as_utc(voucher["expiresAt"]) <= as_utc(at):
        return "EXPIRED"
    return str(voucher["status"])


def _change_for(voucher: Document, due: str) -> stats.Change:
    price = voucher["price"]
    if due == "redeem":
        return stats.Change(f"redeem:{voucher['_id']}", price["currency"], redeemed=1,
                            store_id=voucher["redeemedStoreId"])
    return stats.Change(f"refund:{voucher['_id']}", price["currency"], sold=-1,
                        revenue=-price["amount"], channel=voucher["channel"])


async def settle(db: AsyncDatabase, voucher: Document) -> None:
    """Add the figures the voucher still owes its campaign (and its deal's sold count).

    The voucher's own change is already written, so a campaign document too busy to take
    the figures now (:class:`Contended`) does not fail the redemption or refund: the
    figures stay due and the sweep adds them."""
    due = voucher.get("statsDue") or []
    try:
        for name in due:
            if voucher["campaignId"] is not None:
                await stats.apply(db, voucher["campaignId"], _change_for(voucher, name))
            if name == "refund":
                await SOLD.add(db, voucher["dealId"], -1, op=f"refund:{voucher['_id']}")
    except Contended:
        _log.warning("voucher %s: campaign figures busy; the sweep adds them", voucher["_id"])
        return

    def cleared(current: Document | None) -> Document | None:
        left = [d for d in (current or {}).get("statsDue", []) if d not in due]
        if current is None or len(left) == len(current.get("statsDue", [])):
            return None
        return {**current, "statsDue": left}

    if due:
        await update_claimed(db[VOUCHERS], db, voucher["_id"], cleared)


async def sweep_stats_due(db: AsyncDatabase) -> int:
    """Settle vouchers whose writer died before settling (a scan on FerretDB v1: a sweep)."""
    settled = 0
    async for voucher in db[VOUCHERS].find({"statsDue.0": {"$exists": True}}):
        await settle(db, voucher)
        settled += 1
    return settled
