"""Points multipliers of running campaigns, for membership's ``earnPoints(campaignId)``.

Campaigns are marketing's; points are membership's. Neither domain imports the other
(DESIGN.md §3: domains depend on the kernel only), so marketing registers its lookup here at
import time (``provide_points_multiplier(running_campaign_multiplier)``) and membership asks
:func:`points_multiplier`. With no provider registered (a process without marketing) every
campaign is unknown.
"""

from collections.abc import Awaitable, Callable
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

Lookup = Callable[[AsyncDatabase, str, str, datetime], Awaitable[int | None]]

_providers: list[Lookup] = []


def provide_points_multiplier(lookup: Lookup) -> None:
    """Register ``lookup(db, merchant_id, campaign_id, at)``: the multiplier of the campaign
    when it is the merchant's and runs at ``at``, else None."""
    if lookup not in _providers:
        _providers.append(lookup)


async def points_multiplier(db: AsyncDatabase, merchant_id: str, campaign_id: str,
                            at: datetime) -> int | None:
    """The first provider's answer that is not None; None when no campaign matches."""
    for lookup in _providers:
        found = await lookup(db, merchant_id, campaign_id, at)
        if found is not None:
            return found
    return None
