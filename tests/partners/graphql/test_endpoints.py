"""Webhook endpoints through GraphQL: create (secret once), list, update, delete, rotate;
scopes; bad input and other partners' ids give typed errors and change nothing; the SDL
matches the contract and composes with the platform."""

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.platform import compose_platform
from partners.subgraph.schema import schema
from partners.webhooks.endpoints import ENDPOINTS, note_failure
from schema.kernel.ids import new_id
from schema.kernel.time import utcnow
from tests.contract import section_mismatches, undescribed
from tests.partners.graphql.helpers import (
    CREATE,
    DELETE,
    OTHER,
    PARTNER,
    ROTATE,
    UPDATE,
    caller,
    create,
    error_code,
    snapshot,
    user_errors,
)
from tests.partners.graphql.helpers import (
    ENDPOINTS as LIST,
)
from tests.partners.helpers import data, run

URL = "http://127.0.0.1:4721/hook"
TYPES = ("WebhookEndpoint", "WebhookDelivery", "WebhookDeliveryConnection",
         "WebhookDeliveryEdge", "Event", "EventFeed", "CreateWebhookEndpointInput",
         "UpdateWebhookEndpointInput", "ReplayDeliveriesInput", "WebhookEndpointPayload",
         "ReplayPayload")
ROOTS = ("webhookEndpoints", "events", "createWebhookEndpoint", "updateWebhookEndpoint",
         "deleteWebhookEndpoint", "rotateWebhookSecret", "replayWebhookDeliveries")


def test_the_sdl_matches_the_contract_and_composes() -> None:
    ours = schema._schema
    assert section_mismatches(ours, TYPES, ("DeliveryStatus",), ROOTS) == []
    assert undescribed(ours, (*TYPES, "JSON", "DeliveryStatus")) == []
    supergraph = compose_platform()
    assert "createWebhookEndpoint" in supergraph and "type EventFeed" in supergraph


async def test_create_list_update_delete(db: AsyncDatabase) -> None:
    me = caller()
    endpoint, secret = await create(db, me, URL, ["order.created", "store.updated"])
    assert secret.startswith("whsec_")
    assert endpoint["url"] == URL and endpoint["enabled"] is True
    assert endpoint["topics"] == ["order.created", "store.updated"]
    assert endpoint["disabledReason"] is None
    listed = (await data(db, LIST, me))["webhookEndpoints"]
    assert listed == [endpoint]
    assert "secret" not in str(listed)   # the secret is never a field
    assert (await data(db, LIST, caller(OTHER)))["webhookEndpoints"] == []

    out = (await data(db, UPDATE, me, input={"endpointId": endpoint["id"],
                                             "topics": ["payment.succeeded"],
                                             "url": "http://127.0.0.1:4722/other"}))
    changed = out["updateWebhookEndpoint"]
    assert changed["userErrors"] == [] and changed["secret"] is None
    assert changed["endpoint"]["topics"] == ["payment.succeeded"]
    assert changed["endpoint"]["url"] == "http://127.0.0.1:4722/other"

    off = (await data(db, UPDATE, me, input={"endpointId": endpoint["id"], "enabled": False}))
    assert off["updateWebhookEndpoint"]["endpoint"]["enabled"] is False
    assert off["updateWebhookEndpoint"]["endpoint"]["disabledReason"]

    deleted = (await data(db, DELETE, me, id=endpoint["id"]))["deleteWebhookEndpoint"]
    assert deleted == {"endpoint": {"id": endpoint["id"]}, "secret": None, "userErrors": []}
    assert (await data(db, LIST, me))["webhookEndpoints"] == []
    assert await db[ENDPOINTS].count_documents({}) == 0


async def test_re_enabling_a_disabled_endpoint_clears_its_reason(db: AsyncDatabase) -> None:
    me = caller()
    endpoint, _ = await create(db, me, URL, ["order.created"])
    started = utcnow()
    await note_failure(db, endpoint["id"], started)
    await note_failure(db, endpoint["id"], started.replace(year=started.year + 1))
    (found,) = (await data(db, LIST, me))["webhookEndpoints"]
    assert found["enabled"] is False and "every attempt failed" in found["disabledReason"]
    out = await data(db, UPDATE, me, input={"endpointId": endpoint["id"], "enabled": True})
    again = out["updateWebhookEndpoint"]["endpoint"]
    assert again["enabled"] is True and again["disabledReason"] is None


async def test_rotation_returns_a_new_secret_once(db: AsyncDatabase) -> None:
    me = caller()
    endpoint, first = await create(db, me, URL, ["order.created"])
    rotated = (await data(db, ROTATE, me, id=endpoint["id"]))["rotateWebhookSecret"]
    assert rotated["userErrors"] == [] and rotated["endpoint"] == {"id": endpoint["id"]}
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != first
    stored = await db[ENDPOINTS].find_one({"_id": endpoint["id"]})
    assert [s["secret"] for s in stored["secrets"]] == [rotated["secret"], first]
    assert stored["secrets"][1]["expiresAt"] is not None   # the old one ends after the overlap


@pytest.mark.parametrize(("url", "field"), [
    ("http://10.0.0.8/hook", ["input", "url"]),                        # private
    ("http://169.254.169.254/latest/meta-data", ["input", "url"]),     # metadata
    ("http://[::ffff:10.0.0.1]/hook", ["input", "url"]),               # mapped private
    ("ftp://example.com/hook", ["input", "url"]),
    ("http://user:pw@example.com/hook", ["input", "url"]),
])
async def test_unsafe_urls_are_invalid_and_write_nothing(db: AsyncDatabase, monkeypatch,
                                                         url: str, field: list[str]) -> None:
    monkeypatch.delenv("LOOPGATE_ALLOW_NETWORKS")
    before = await snapshot(db)
    errors = await user_errors(db, CREATE, caller(), input={"url": url,
                                                            "topics": ["order.created"]})
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID", field)]
    assert await snapshot(db) == before


@pytest.mark.parametrize("topics", [[], ["order.created", "order.teleported"], ["*"]])
async def test_unknown_or_no_topics_are_invalid(db: AsyncDatabase, topics: list[str]) -> None:
    before = await snapshot(db)
    errors = await user_errors(db, CREATE, caller(), input={"url": URL, "topics": topics})
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID", ["input", "topics"])]
    assert await snapshot(db) == before


async def test_bad_changes_and_other_partners_ids_change_nothing(db: AsyncDatabase,
                                                                monkeypatch) -> None:
    me, them = caller(), caller(OTHER)
    mine, _ = await create(db, me, URL, ["order.created"])
    theirs, _ = await create(db, them, URL, ["order.created"])
    before = await snapshot(db)
    for query, variables in [(UPDATE, {"input": {"endpointId": theirs["id"], "enabled": False}}),
                             (DELETE, {"id": theirs["id"]}), (ROTATE, {"id": theirs["id"]})]:
        errors = await user_errors(db, query, me, **variables)
        assert [e["code"] for e in errors] == ["NOT_FOUND"]
        assert theirs["id"] in errors[0]["message"] and "partner" not in errors[0]["message"]
    missing = new_id("whk")
    assert [e["code"] for e in await user_errors(db, DELETE, me, id=missing)] == ["NOT_FOUND"]
    for bad in ['{"$gt": ""}', "whk_", new_id("sto"), ""]:
        for query, variables, field in [
                (UPDATE, {"input": {"endpointId": bad, "enabled": False}},
                 ["input", "endpointId"]),
                (DELETE, {"id": bad}, ["endpointId"]), (ROTATE, {"id": bad}, ["endpointId"])]:
            errors = await user_errors(db, query, me, **variables)
            assert [(e["code"], e["field"]) for e in errors] == [("INVALID", field)]
    errors = await user_errors(db, UPDATE, me, input={"endpointId": mine["id"],
                                                      "topics": ["nope"]})
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID", ["input", "topics"])]
    monkeypatch.delenv("LOOPGATE_ALLOW_NETWORKS")
    errors = await user_errors(db, UPDATE, me, input={"endpointId": mine["id"],
                                                      "url": "http://192.168.1.1/x"})
    assert [(e["code"], e["field"]) for e in errors] == [("INVALID", ["input", "url"])]
    assert await snapshot(db) == before
    # An operator object where an ID belongs never reaches a resolver: the request is refused.
    refused = await run(db, DELETE, me, id={"$gt": ""})
    assert refused.data is None and "ID cannot represent value" in refused.errors[0].message
    assert await snapshot(db) == before


async def test_scopes_and_partner_are_required(db: AsyncDatabase) -> None:
    variables = {"input": {"url": URL, "topics": ["order.created"]}}
    assert await error_code(db, CREATE, None, **variables) == "UNAUTHENTICATED"
    assert await error_code(db, CREATE, caller(PARTNER, "stores:read"), **variables) \
        == "FORBIDDEN"
    assert await error_code(db, LIST, caller(PARTNER, "stores:read")) == "FORBIDDEN"
    assert await db[ENDPOINTS].count_documents({}) == 0


async def test_a_partner_has_at_most_twenty_endpoints(db: AsyncDatabase) -> None:
    for n in range(20):
        await create(db, caller(), f"http://127.0.0.1:4721/hook/{n}", ["order.created"])
    before = await snapshot(db)
    errors = await user_errors(db, CREATE, caller(), input={"url": URL,
                                                            "topics": ["order.created"]})
    assert [(e["code"], e["field"]) for e in errors] == [("CONFLICT", None)]
    assert await snapshot(db) == before
    await create(db, caller(OTHER), URL, ["order.created"])   # another partner's own count
