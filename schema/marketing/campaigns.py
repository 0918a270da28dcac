"""Campaigns: a merchant's named period, grouping deals and multiplying points earned in it.

A campaign is written once by its merchant and never shared with other writers (its live
results are a separate document, :mod:`schema.marketing.stats`), so a plain insert suffices.
"""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.ids import new_id
from schema.kernel.multipliers import provide_points_multiplier
from schema.kernel.time import as_utc, utcnow
from schema.marketing.collections import CAMPAIGNS

Document = dict[str, Any]
MAX_NAME = 120
MAX_MULTIPLIER = 10


def campaign_problems(name: str, starts_at: datetime, ends_at: datetime,
                      multiplier: int) -> list[UserError]:
    """Why a campaign cannot be created (nothing read)."""
    problems = []
    if not 0 < len(name.strip()) <= MAX_NAME:
        problems.append(UserError(UserErrorCode.INVALID, f"name must be 1 to {MAX_NAME} "
                                  "characters", ("input", "name")))
    if as_utc(ends_at) <= as_utc(starts_at):
        problems.append(UserError(UserErrorCode.INVALID, "endsAt must be after startsAt",
                                  ("input", "endsAt")))
    if not 1 <= multiplier <= MAX_MULTIPLIER:
        problems.append(UserError(UserErrorCode.INVALID, f"pointsMultiplier must be 1 to "
                                  f"{MAX_MULTIPLIER}", ("input", "pointsMultiplier")))
    return problems


async def create_campaign(db: AsyncDatabase, merchant_id: str, name: str,
                          starts_at: datetime, ends_at: datetime, multiplier: int, *,
                          campaign_id: str | None = None) -> Document:
    """Insert the campaign (``campaign_id``: a seed's stable id)."""
    now = utcnow()
    doc = {"_id": campaign_id or new_id("cmp"), "partnerId": merchant_id, "name": name.strip(),
           "startsAt": as_utc(starts_at), "endsAt": as_utc(ends_at),
           "pointsMultiplier": multiplier, "createdAt": now}
    await db[CAMPAIGNS].insert_one(doc)
    return doc


async def get_campaign(db: AsyncDatabase, campaign_id: str) -> Document | None:
    return await db[CAMPAIGNS].find_one({"_id": campaign_id})


def is_running(campaign: Document, at: datetime) -> bool:
    return as_utc(campaign["startsAt"]) <= as_utc(at) < as_utc(campaign["endsAt"])


async def running_campaign_multiplier(db: AsyncDatabase, merchant_id: str, campaign_id: str,
                                      at: datetime) -> int | None:
    """The campaign's points multiplier when it is ``merchant_id``'s and runs at ``at``."""
    campaign = await get_campaign(db, campaign_id)
    if campaign is None or campaign["partnerId"] != merchant_id or not is_running(campaign, at):
        return None
    return int(campaign["pointsMultiplier"])


provide_points_multiplier(running_campaign_multiplier)
