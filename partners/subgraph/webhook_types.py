"""The GraphQL shapes of a partner's webhook endpoints and their delivery log (contract:
the [partners] section): ``WebhookEndpoint`` with ``deliveries`` as a Relay connection over
:func:`partners.webhooks.log.delivery_log`, ``WebhookDelivery``, the inputs and payloads.

An endpoint's secrets are never a field: a secret is shown once, in the payload of the
mutation that made it (``WebhookEndpointPayload.secret``).
"""

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry
from strawberry.federation.schema_directives import ListSize

from partners.subgraph.context import PartnersContext
from partners.subgraph.events import Event
from partners.webhooks.endpoints import ACTIVE
from partners.webhooks.log import MAX_FIRST, BadLogRequest, delivery_log
from schema.kernel.errors import bad_user_input
from schema.kernel.graphql_types import PageInfo, UserError
from schema.kernel.pagination import check_first

Document = dict[str, Any]


@strawberry.enum(description="Where a delivery stands.")
class DeliveryStatus(Enum):
    PENDING = strawberry.enum_value("PENDING", description="Not attempted yet, or replayed.")
    SUCCEEDED = strawberry.enum_value("SUCCEEDED", description="The endpoint answered 2xx.")
    FAILED = strawberry.enum_value("FAILED", description="The last attempt failed; another "
                                                         "is scheduled (backoff with jitter).")
    DEAD = strawberry.enum_value("DEAD", description="Retries exhausted (at least 24 h), or "
                                                     "the endpoint is disabled or gone; "
                                                     "replayable.")


@strawberry.type(description="One event sent to one endpoint: its state and its last "
                             "attempt.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(description="whd:<event id>:<endpoint id>.")
    event: Event = strawberry.field(description="The event sent (the request body).")
    status: DeliveryStatus = strawberry.field(description="Where the delivery stands.")
    attempts: int = strawberry.field(description="Requests made so far.")
    last_response_code: int | None = strawberry.field(
        description="HTTP status of the last attempt; null before one or without a response "
                    "(timeout, refused connection).")
    last_latency_ms: int | None = strawberry.field(
        description="Milliseconds the last attempt took.")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due; null once SUCCEEDED or DEAD.")
    created_at: datetime = strawberry.field(description="When the delivery was made.")

    @classmethod
    def from_document(cls, doc: Document) -> "WebhookDelivery":
        return cls(id=strawberry.ID(doc["_id"]), event=Event.from_document(doc["event"]),
                   status=DeliveryStatus(doc["status"]), attempts=doc["attempts"],
                   last_response_code=doc.get("lastResponseCode"),
                   last_latency_ms=doc.get("lastLatencyMs"),
                   next_attempt_at=doc.get("nextAttemptAt"), created_at=doc["createdAt"])


@strawberry.type(description="A delivery and the cursor just past it.")
class WebhookDeliveryEdge:
    cursor: str = strawberry.field(description="Pass as after to read on past this one.")
    node: WebhookDelivery = strawberry.field(description="The delivery.")


@strawberry.type(description="A page of an endpoint's delivery log, oldest first.")
class WebhookDeliveryConnection:
    edges: list[WebhookDeliveryEdge] = strawberry.field(description="At most first.")
    page_info: PageInfo = strawberry.field(
        description="endCursor is set even on an empty page: keep it to poll for deliveries "
                    "made later.")


@strawberry.type(description="Where the partner's events of some topics are sent, signed, at "
                             "least once. Deliveries to one endpoint are not ordered: order a "
                             "resource's events by sequence and de-duplicate by event id.")
class WebhookEndpoint:
    id: strawberry.ID = strawberry.field(description="whk_… id.")
    url: str = strawberry.field(description="http(s) URL the events are POSTed to.")
    topics: list[str] = strawberry.field(description="Subscribed topics.")
    enabled: bool = strawberry.field(
        description="False once disabled by the partner or after failing for 3 days.")
    disabled_reason: str | None = strawberry.field(description="Why it is disabled.")
    created_at: datetime = strawberry.field(description="When it was registered.")

    @classmethod
    def from_document(cls, doc: Document) -> "WebhookEndpoint":
        return cls(id=strawberry.ID(doc["_id"]), url=doc["url"], topics=list(doc["topics"]),
                   enabled=doc["status"] == ACTIVE,
                   disabled_reason=doc.get("disabledReason") if doc["status"] != ACTIVE
                   else None,
                   created_at=doc["createdAt"])

    @strawberry.field(
        directives=[ListSize(slicing_arguments=["first"], sized_fields=["edges"])],
        description=f"The delivery log, oldest first: first 1 to {MAX_FIRST}; after: an "
                    "edge's cursor or endCursor; status: only deliveries in it now (a "
                    "filtered page may hold fewer than first, with hasNextPage true). "
                    "Deliveries are kept 30 days.")
    async def deliveries(self, info: strawberry.Info, status: DeliveryStatus | None = None,
                         first: int | None = 20,
                         after: str | None = None) -> WebhookDeliveryConnection:
        context: PartnersContext = info.context
        size = check_first(first, maximum=MAX_FIRST)
        try:
            page = await delivery_log(context.db, str(self.id), after or None, size,
                                      status.value if status else None)
        except BadLogRequest as exc:
            raise bad_user_input(str(exc), argument="after") from exc
        edges = [WebhookDeliveryEdge(cursor=cursor, node=WebhookDelivery.from_document(doc))
                 for cursor, doc in zip(page.cursors, page.deliveries, strict=True)]
        return WebhookDeliveryConnection(edges=edges, page_info=PageInfo(
            has_next_page=page.has_more, has_previous_page=bool(after),
            start_cursor=edges[0].cursor if edges else None, end_cursor=page.cursor))


@strawberry.input(description="A new endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="http(s); never a private, loopback, link-local or metadata address.")
    topics: list[str] = strawberry.field(description="Known topics, at least one.")


@strawberry.input(description="Changes to one of the caller's endpoints; absent fields stay.")
class UpdateWebhookEndpointInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")
    url: str | None = strawberry.field(default=None, description="A new URL, checked as at "
                                                                 "registration.")
    topics: list[str] | None = strawberry.field(default=None, description="The new topics.")
    enabled: bool | None = strawberry.field(
        default=None, description="true re-enables (health starts afresh, disabledReason is "
                                  "cleared; replay its DEAD deliveries if needed); false "
                                  "disables.")


@strawberry.input(description="What to send again: exactly one of deliveryId and since.")
class ReplayDeliveriesInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")
    delivery_id: strawberry.ID | None = strawberry.field(
        default=None, description="One delivery of that endpoint.")
    since: datetime | None = strawberry.field(
        default=None, description="Every delivery to the endpoint made at or after this "
                                  "time (not in the future).")


@strawberry.type(description="The endpoint after the change; secret: shown once, on create "
                             "and rotate.")
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = strawberry.field(description="The endpoint.")
    secret: str | None = strawberry.field(
        default=None, description="The new signing secret: store it now, it is never shown "
                                  "again.")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="Why nothing changed.")


@strawberry.type(description="How many deliveries were scheduled again.")
class ReplayPayload:
    replayed: int = strawberry.field(description="Deliveries sent again (from now).")
    user_errors: list[UserError] = strawberry.field(default_factory=list,
                                                    description="Why nothing was replayed.")
