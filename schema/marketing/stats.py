"""A campaign's live results, kept by the writers of purchases, redemptions and refunds.

One document per campaign (``stats:<campaignId>``) holds every figure (sold, redeemed,
revenue, redemptions per store, sales per channel), changed by one claimed write per
business event (:func:`schema.kernel.claims.update_claimed`), so the figures are always a
consistent set and never more than the writer's own latency behind.

Each change is named (``issue:<paymentId>``, ``redeem:<voucherId>``,
``refund:<voucherId>``) and applied once: the document remembers the last :data:`RECENT_OPS`
names, as :class:`schema.kernel.counters.Counter` does, so an at-least-once caller (the
payment outcome handler, a retried mutation, the voucher sweep) repeating a change soon does
not count it twice. :func:`recount` derives the same figures from the vouchers (each
carries its deal's price, channel and redeeming store), and :func:`rebuild` (``loopgate
stats rebuild``) writes the recount.
"""

from dataclasses import dataclass, field
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.time import utcnow
from schema.marketing.collections import STATS, VOUCHERS

Document = dict[str, Any]
RECENT_OPS = 256


@dataclass(frozen=True, slots=True)
class Change:
    """What one business event adds to a campaign's figures."""

    op: str
    currency: str
    sold: int = 0
    revenue: int = 0
    redeemed: int = 0
    channel: str | None = None
    store_id: str | None = None


@dataclass(slots=True)
class Figures:
    """A campaign's results (what ``CampaignStats`` shows)."""

    currency: str = "CNY"
    sold: int = 0
    redeemed: int = 0
    revenue: int = 0
    stores: dict[str, int] = field(default_factory=dict)
    channels: dict[str, dict[str, int]] = field(default_factory=dict)

    def add(self, change: Change) -> None:
        self.currency = change.currency
        self.sold += change.sold
        self.revenue += change.revenue
        self.redeemed += change.redeemed
        if change.store_id is not None and change.redeemed:
            self.stores[change.store_id] = self.stores.get(change.store_id, 0) + change.redeemed
        if change.channel is not None and (change.sold or change.revenue):
            line = self.channels.setdefault(change.channel, {"sold": 0, "revenue": 0})
            line["sold"] += change.sold
            line["revenue"] += change.revenue
            if line == {"sold": 0, "revenue": 0}:   # all refunded: as if never sold there
                del self.channels[change.channel]

    def to_document(self) -> Document:
        return {"currency": self.currency, "sold": self.sold, "redeemed": self.redeemed,
                "revenue": self.revenue, "stores": self.stores, "channels": self.channels}

    @classmethod
    def from_document(cls, doc: Document | None) -> "Figures":
        if doc is None:
            return cls()
        return cls(currency=doc.get("currency", "CNY"), sold=doc.get("sold", 0),
                   redeemed=doc.get("redeemed", 0), revenue=doc.get("revenue", 0),
                   stores=dict(doc.get("stores", {})),
                   channels={k: dict(v) for k, v in doc.get("channels", {}).items()})


def stats_id(campaign_id: str) -> str:
    return f"stats:{campaign_id}"


async def apply(db: AsyncDatabase, campaign_id: str, change: Change) -> None:
    """Add ``change`` to the campaign's figures once (a repeat of its op adds nothing)."""

    def changed(current: Document | None) -> Document | None:
        ops = (current or {}).get("ops", [])
        if change.op in ops:
            return None
        figures = Figures.from_document(current)
        figures.add(change)
        return {"campaignId": campaign_id, **figures.to_document(),
                "ops": [*ops, change.op][-RECENT_OPS:], "updatedAt": utcnow()}

    await update_claimed(db[STATS], db, stats_id(campaign_id), changed)


async def read(db: AsyncDatabase, campaign_id: str) -> tuple[Figures, Document | None]:
    """The figures and the stored document (None before the first sale)."""
    doc = await db[STATS].find_one({"_id": stats_id(campaign_id)})
    return Figures.from_document(doc), doc


def changes_of(voucher: Document) -> list[Change]:
    """What a voucher contributes, as the writers added it (the recount's unit)."""
    price, currency = voucher["price"]["amount"], voucher["price"]["currency"]
    sold = Change(f"issue:{voucher['_id']}", currency, sold=1, revenue=price,
                  channel=voucher["channel"])
    if voucher["status"] == "REFUNDED":
        return []
    if voucher["status"] == "REDEEMED":
        return [sold, Change(f"redeem:{voucher['_id']}", currency, redeemed=1,
                             store_id=voucher["redeemedStoreId"])]
    return [sold]


async def recount(db: AsyncDatabase, campaign_id: str) -> Figures:
    """The campaign's figures from its vouchers alone."""
    figures = Figures()
    async for voucher in db[VOUCHERS].find({"campaignId": campaign_id}):
        for change in changes_of(voucher):
            figures.add(change)
    return figures


async def rebuild(db: AsyncDatabase, campaign_id: str) -> Figures:
    """Replace the campaign's figures by the recount (the remembered ops stay, so a late
    repeat of an op already counted is still not counted again)."""
    figures = await recount(db, campaign_id)

    def replaced(current: Document | None) -> Document:
        return {"campaignId": campaign_id, **figures.to_document(),
                "ops": (current or {}).get("ops", []), "updatedAt": utcnow()}

    await update_claimed(db[STATS], db, stats_id(campaign_id), replaced)
    return figures
