"""``Event`` (what a webhook delivers, and the delivery log's ``WebhookDelivery.event``) and
``events(since, topics, first)``: the caller's partner's own events, read from its feed
(:mod:`partners.feed`), so a receiver reconciles after an outage without missing one.

**Scope: ``webhooks:manage``.** The feed holds the partner's events of every domain (orders,
payments, points, vouchers, inventory, stores), so requiring only an authenticated token would
let any narrowly scoped app of the partner (a store's staff app with ``stores:read``, say)
read order and payment data it may not read through the domain fields. ``webhooks:manage``
already grants every one of those events (an app holding it subscribes an endpoint to any
topic and reads the delivery log with each delivered event), and the feed exists for the
same receiver to catch up, so it adds nothing beyond what that scope gives.

The feed follows the caller's database (``context.db``): a sandbox token reads the sandbox's
events, a live token the live ones.
"""

from datetime import datetime
from typing import Any

import orjson
import strawberry
from strawberry.federation.schema_directives import ListSize
from strawberry.scalars import JSON

from partners.feed import MAX_FIRST, BadFeedRequest, partner_events
from partners.subgraph.context import PartnersContext
from partners.webhooks.dispatcher import event_body
from schema.kernel.errors import bad_user_input
from schema.kernel.pagination import check_first

MANAGE = "webhooks:manage"
DEFAULT_FIRST = 100

Document = dict[str, Any]

@strawberry.type(description="Something that happened to one of the partner's resources "
                             "(DESIGN.md §7); the body of a webhook request has the same "
                             "fields. Receivers de-duplicate by id.")
class Event:
    id: strawberry.ID = strawberry.field(description="evt_… id, the same in every delivery.")
    topic: str = strawberry.field(description="e.g. order.created, store.updated.")
    resource_type: str = strawberry.field(description="The kind of resource, e.g. Store.")
    resource_id: strawberry.ID = strawberry.field(description="The resource's id.")
    sequence: int = strawberry.field(
        description="Per resource: 1, 2, 3 … without gaps, in the order of the changes.")
    occurred_at: datetime = strawberry.field(description="When the change was made.")
    data: JSON = strawberry.field(description="The topic's payload, as the webhook sends it.")

    @classmethod
    def from_document(cls, event: Document) -> "Event":
        public = orjson.loads(event_body(event))
        return cls(id=strawberry.ID(event["_id"]), topic=event["topic"],
                   resource_type=event["resource"]["type"],
                   resource_id=strawberry.ID(event["resource"]["id"]),
                   sequence=event["sequence"], occurred_at=event["occurredAt"],
                   data=public["data"])


@strawberry.type(description="A page of the caller's events, oldest in the feed first.")
class EventFeed:
    events: list[Event] = strawberry.field(description="At most first events.")
    cursor: str = strawberry.field(
        description="Pass it as since to read on; keep it to resume after an outage.")
    has_more: bool = strawberry.field(
        description="More events are ready now: ask again at once with cursor.")


@strawberry.type
class EventsQuery:
    @strawberry.federation.field(
        requires_scopes=[[MANAGE]],
        directives=[ListSize(slicing_arguments=["first"], sized_fields=["events"])],
        description="The caller's partner's own events (needs webhooks:manage), to reconcile "
                    "after an outage: since is the cursor of a previous answer (absent: from "
                    "the oldest kept, 30 days by default); topics filters (known topics only); "
                    f"first: 1 to {MAX_FIRST}. Following cursor never skips an event; an "
                    "event may come twice across pages (de-duplicate by id). The order is the "
                    "feed's, not occurredAt's.")
    async def events(self, info: strawberry.Info, since: str | None = None,
                     topics: list[str] | None = None,
                     first: int | None = DEFAULT_FIRST) -> EventFeed:
        context: PartnersContext = info.context
        partner_id = context.require(MANAGE).require_partner()
        size = check_first(first, default=DEFAULT_FIRST, maximum=MAX_FIRST)
        try:
            page = await partner_events(context.db, partner_id, since or None, topics, size)
        except BadFeedRequest as exc:
            raise bad_user_input(str(exc), argument=exc.argument) from exc
        return EventFeed(events=[Event.from_document(e) for e in page.events],
                         cursor=page.cursor, has_more=page.has_more)
