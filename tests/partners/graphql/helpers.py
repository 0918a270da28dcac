"""What the webhook self-service tests share: callers, the operations they send, receivers on
this suite's ports (4720-4739) and database snapshots proving nothing changed."""

import dataclasses
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from gateway.embedded.server import free_port
from schema.kernel.ids import stable_id
from schema.kernel.principal import Principal
from tests.partners.helpers import data, run
from tests.partners.webhooks.helpers import Receiver

PARTNER = stable_id("ptn", "webhook self-service partner")
OTHER = stable_id("ptn", "webhook self-service other partner")

ENDPOINT_FIELDS = "id url topics enabled disabledReason createdAt"
ERRORS = "userErrors { code field message }"

CREATE = f"""mutation($input: CreateWebhookEndpointInput!) {{ createWebhookEndpoint(input: $input)
  {{ endpoint {{ {ENDPOINT_FIELDS} }} secret {ERRORS} }} }}"""
UPDATE = f"""mutation($input: UpdateWebhookEndpointInput!) {{ updateWebhookEndpoint(input: $input)
  {{ endpoint {{ {ENDPOINT_FIELDS} }} secret {ERRORS} }} }}"""
DELETE = f"""mutation($id: ID!) {{ deleteWebhookEndpoint(endpointId: $id)
  {{ endpoint {{ id }} secret {ERRORS} }} }}"""
ROTATE = f"""mutation($id: ID!) {{ rotateWebhookSecret(endpointId: $id)
  {{ endpoint {{ id }} secret {ERRORS} }} }}"""
REPLAY = f"""mutation($input: ReplayDeliveriesInput!) {{ replayWebhookDeliveries(input: $input)
  {{ replayed {ERRORS} }} }}"""
ENDPOINTS = f"{{ webhookEndpoints {{ {ENDPOINT_FIELDS} }} }}"
DELIVERIES = """query($status: DeliveryStatus, $first: Int, $after: String) {
  webhookEndpoints { id deliveries(status: $status, first: $first, after: $after) {
    edges { cursor node { id status attempts lastResponseCode lastLatencyMs nextAttemptAt
      createdAt event { id topic resourceType resourceId sequence occurredAt data } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }"""
EVENTS = """query($since: String, $topics: [String!], $first: Int) {
  events(since: $since, topics: $topics, first: $first) {
    events { id topic resourceType resourceId sequence occurredAt data } cursor hasMore } }"""


def caller(partner_id: str = PARTNER, *scopes: str, sandbox: bool = False) -> Principal:
    return Principal(client_id=f"app-{partner_id}-{'sbx' if sandbox else 'live'}",
                     partner_id=partner_id,
                     scopes=frozenset(scopes or ("webhooks:manage",)), sandbox=sandbox)


def in_sandbox(principal: Principal) -> Principal:
    return dataclasses.replace(principal, sandbox=True)



async def receiver(status: int = 200) -> Receiver:
    return await Receiver(status=status, port=free_port()).start()


async def create(db: AsyncDatabase, principal: Principal, url: str,
                 topics: list[str]) -> tuple[dict[str, Any], str]:
    """Register an endpoint through GraphQL; returns it and its secret."""
    out = (await data(db, CREATE, principal, input={"url": url, "topics": topics}))
    payload = out["createWebhookEndpoint"]
    assert payload["userErrors"] == [], payload
    return payload["endpoint"], payload["secret"]


async def user_errors(db: AsyncDatabase, query: str, principal: Principal,
                      **variables: Any) -> list[dict[str, Any]]:
    """The userErrors of the one mutation in ``query`` (no GraphQL error allowed)."""
    out = await data(db, query, principal, **variables)
    (payload,) = out.values()
    return payload["userErrors"]


async def error_code(db: AsyncDatabase, query: str, principal: Principal | None,
                     **variables: Any) -> str:
    """The extensions.code of the request's first GraphQL error."""
    result = await run(db, query, principal, **variables)
    assert result.errors, result.data
    return result.errors[0].extensions["code"]


async def snapshot(db: AsyncDatabase) -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection, in ``_id`` order."""
    return {name: sorted(await db[name].find({}).to_list(), key=lambda d: str(d["_id"]))
            for name in sorted(await db.list_collection_names())}
