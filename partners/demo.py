"""Demo partners: the merchants and chains that the rest of the demo data belongs to."""

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.ids import stable_id
from schema.kernel.seeding import Advance, SeedStep
from schema.kernel.time import utcnow

DEMO_PARTNERS: tuple[tuple[str, str, str], ...] = (
    ("loopgate-platform", "Loopgate Platform", "INTERNAL"),
    ("quickmart", "QuickMart Convenience", "STORE_CHAIN"),
    ("harbor-coffee", "Harbor Coffee", "MERCHANT"),
    ("ledgerline-erp", "Ledgerline ERP", "ERP_VENDOR"),
    ("swiftcourier", "Swift Courier", "SERVICE_PROVIDER"),
)


def demo_partner_id(slug: str) -> str:
    return stable_id("ptn", slug)


async def _seed_partners(db: AsyncDatabase, advance: Advance) -> None:
    now = utcnow()
    ops = [
        UpdateOne(
            {"_id": demo_partner_id(slug)},
            {"$set": {"name": name, "type": kind, "slug": slug, "updatedAt": now},
             "$setOnInsert": {"createdAt": now}},
            upsert=True,
        )
        for slug, name, kind in DEMO_PARTNERS
    ]
    await db["partners"].bulk_write(ops, ordered=False)
    advance(len(ops))


PARTNER_SEED = SeedStep("partners", len(DEMO_PARTNERS), _seed_partners)
