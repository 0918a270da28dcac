"""Demo partners: the merchants and chains that the rest of the demo data belongs to.

Each gets its type's default grantable scopes (:mod:`partners.registry`), except the
platform's own INTERNAL partner, which may also grant ``platform:admin``: the demo's operator
registers its admin app there (``loopgate clients create --partner loopgate-platform --scopes
platform:admin``). Seeding again sets the same values (idempotent).
"""

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase

from partners.registry import DEFAULT_GRANTABLE, PARTNERS, reserve_slug
from schema.kernel.ids import stable_id
from schema.kernel.principal import ADMIN_SCOPE
from schema.kernel.seeding import Advance, SeedStep
from schema.kernel.time import utcnow

DEMO_PARTNERS: tuple[tuple[str, str, str], ...] = (
    ("loopgate-platform", "Loopgate Platform", "INTERNAL"),
    ("quickmart", "QuickMart Convenience", "STORE_CHAIN"),
    ("harbor-coffee", "Harbor Coffee", "MERCHANT"),
    ("ledgerline-erp", "Ledgerline ERP", "ERP_VENDOR"),
    ("swiftcourier", "Swift Courier", "SERVICE_PROVIDER"),
)
PLATFORM_SLUG = "loopgate-platform"


def demo_partner_id(slug: str) -> str:
    return stable_id("ptn", slug)


def demo_grantable(slug: str, kind: str) -> list[str]:
    """The scopes a demo partner may grant its apps."""
    extra = {ADMIN_SCOPE} if slug == PLATFORM_SLUG else set()
    return sorted(DEFAULT_GRANTABLE[kind] | extra)


async def _seed_partners(db: AsyncDatabase, advance: Advance) -> None:
    now = utcnow()
    ops = [
        UpdateOne(
            {"_id": demo_partner_id(slug)},
            {"$set": {"name": name, "type": kind, "slug": slug,
                      "grantableScopes": demo_grantable(slug, kind), "updatedAt": now},
             "$setOnInsert": {"createdAt": now}},
            upsert=True,
        )
        for slug, name, kind in DEMO_PARTNERS
    ]
    await db[PARTNERS].bulk_write(ops, ordered=False)
    for slug, _name, _kind in DEMO_PARTNERS:
        await reserve_slug(db, slug, demo_partner_id(slug))
    advance(len(ops))


PARTNER_SEED = SeedStep("partners", len(DEMO_PARTNERS), _seed_partners)
