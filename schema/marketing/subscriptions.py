"""``Subscription.campaignStatsUpdated``: a campaign's live results each time a voucher of it
is sold or redeemed (issue #17).

Fed by the ``voucher.issued`` and ``voucher.redeemed`` events of the campaign's merchant's
feed (:mod:`schema.kernel.subscriptions`) that name the campaign. Who may subscribe follows
``Query.campaign``: ``deals:write`` or ``vouchers:read``, the campaign's own merchant's apps
only (not a member's token). The figures are written right after the voucher that moves them
(:mod:`schema.marketing.issue`, :mod:`schema.marketing.redeem`), so a delivery waits a moment
(at most :data:`SETTLE_WAIT_S`) for figures at least as new as its event.
"""

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator
from datetime import datetime
from typing import Any

import strawberry
from strawberry.federation.schema_directives import RequiresScopes

from schema.kernel.context import SubgraphContext
from schema.kernel.errors import ErrorCode, graphql_error, id_argument
from schema.kernel.subscriptions import follow, record
from schema.kernel.time import as_utc
from schema.marketing import campaigns
from schema.marketing import stats as campaign_stats
from schema.marketing.types import CampaignStats

TOPICS = frozenset(("voucher.issued", "voucher.redeemed"))
SETTLE_WAIT_S = 2.0
_SETTLE_STEP_S = 0.2

Document = dict[str, Any]


async def figures_after(context: SubgraphContext, campaign_id: str, occurred_at: datetime,
                        created_at: datetime) -> CampaignStats:
    """The campaign's stats once they are at least as new as ``occurred_at`` (or after
    :data:`SETTLE_WAIT_S`, as they are then)."""
    at = as_utc(occurred_at)
    waited = 0.0
    while True:
        figures, doc = await campaign_stats.read(context.db, campaign_id)
        updated = as_utc(doc["updatedAt"]) if doc else None
        if (updated is not None and updated >= at) or waited >= SETTLE_WAIT_S:
            return CampaignStats.of(figures, updated or created_at)
        await asyncio.sleep(_SETTLE_STEP_S)
        waited += _SETTLE_STEP_S


async def _deliveries(context: SubgraphContext, campaign: Document,
                      events: AsyncIterator[Document]) -> AsyncIterator[CampaignStats]:
    async for event in events:
        stats = await figures_after(context, campaign["_id"], event["occurredAt"],
                                    campaign["createdAt"])
        record(context.request, event)
        yield stats


@strawberry.type
class Subscription:
    @strawberry.subscription(
        directives=[RequiresScopes(scopes=[["deals:write"], ["vouchers:read"]])],
        description="A campaign's results each time one of its vouchers is sold or redeemed "
                    "(the campaign's merchant's apps; deals:write or vouchers:read). after: the "
                    "last event id received (the delivery's extensions.eventId); the events "
                    "still retained since are sent first.")
    async def campaign_stats_updated(self, info: strawberry.Info, campaign_id: strawberry.ID,
                                     after: strawberry.ID | None = None
                                     ) -> AsyncGenerator[CampaignStats, None]:
        context: SubgraphContext = info.context
        principal = context.principal
        if principal is None:
            raise graphql_error("authentication required", ErrorCode.UNAUTHENTICATED)
        if not (principal.has_scope("deals:write") or principal.has_scope("vouchers:read")):
            principal.require_scope("vouchers:read")
        partner_id = principal.require_partner()
        wanted = id_argument(campaign_id, "cmp", "campaignId")
        campaign = await campaigns.get_campaign(context.db, wanted)
        if (campaign is None or principal.member_id is not None
                or campaign["partnerId"] != partner_id):
            raise graphql_error("not one of your campaigns", ErrorCode.FORBIDDEN,
                                argument="campaignId")

        def match(event: Document) -> bool:
            return (event["topic"] in TOPICS
                    and (event.get("data") or {}).get("campaignId") == wanted)

        events = await follow(context.db, partner_id, match,
                              str(after) if after is not None else None)
        return _deliveries(context, campaign, events)
