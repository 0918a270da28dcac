"""Webhook delivery driven through GraphQL, with real receivers on 127.0.0.1 and the real
FerretDB: a store change made through the stores subgraph arrives signed with the secret the
mutation showed, the delivery log shows it, replays send again, a rotation signs with both
secrets, and bad replays change nothing."""

import time
from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from partners.webhooks.deliveries import DELIVERIES
from partners.webhooks.signing import HEADER
from schema.kernel.time import to_iso, utcnow
from tests.partners.graphql.helpers import (
    DELIVERIES as LOG,
)
from tests.partners.graphql.helpers import (
    OTHER,
    PARTNER,
    REPLAY,
    ROTATE,
    caller,
    create,
    error_code,
    receiver,
    user_errors,
)
from tests.partners.helpers import data
from tests.partners.webhooks.helpers import dispatching, emit, eventually, relay_all, verifies
from tests.stores.helpers import make_store, partner


async def _log(db: AsyncDatabase, principal: Any = None, **variables: Any) -> dict[str, Any]:
    """The first endpoint's delivery page."""
    out = await data(db, LOG, principal or caller(), **variables)
    return out["webhookEndpoints"][0]["deliveries"]


async def test_a_store_change_is_delivered_signed_and_logged(db: AsyncDatabase) -> None:
    ok, failing = await receiver(), await receiver(status=503)
    try:
        endpoint, secret = await create(db, caller(), ok.url, ["store.updated"])
        await create(db, caller(), failing.url, ["store.updated"])
        started = time.time()
        store_id = await make_store(db, partner(PARTNER, "stores:write"), "H2-1", 31.23, 121.47)
        await relay_all(db)
        async with dispatching(db):
            await eventually(lambda: len(ok.answered) == 1 and len(failing.received) >= 1)

            async def recorded() -> bool:   # an answer is recorded a moment after it comes
                edges = (await _log(db))["edges"]
                return bool(edges) and edges[0]["node"]["status"] == "SUCCEEDED"

            await eventually(recorded)
            page = await _log(db)
        got = ok.answered[0]
        assert verifies(got, secret) and not verifies(got, "whsec_not-it")
        body = got.event
        assert body["topic"] == "store.updated" and body["resource"] == {"type": "Store",
                                                                          "id": store_id}
        (edge,) = page["edges"]
        node = edge["node"]
        assert node["id"] == f"whd:{body['id']}:{endpoint['id']}"
        assert node["status"] == "SUCCEEDED" and node["attempts"] == 1
        assert node["lastResponseCode"] == 200 and node["nextAttemptAt"] is None
        assert 0 <= node["lastLatencyMs"] < (time.time() - started) * 1000
        assert node["event"] == {"id": body["id"], "topic": "store.updated",
                                 "resourceType": "Store", "resourceId": store_id,
                                 "sequence": body["sequence"], "occurredAt": body["occurredAt"],
                                 "data": body["data"]}
        assert page["pageInfo"]["hasNextPage"] is False
        assert (await _log(db, after=page["pageInfo"]["endCursor"]))["edges"] == []
        assert (await _log(db, after=edge["cursor"]))["edges"] == []
        listing = (await data(db, LOG, caller()))["webhookEndpoints"]
        failed = listing[1]["deliveries"]["edges"][0]["node"]
        assert failed["status"] == "FAILED" and failed["lastResponseCode"] == 503
        assert failed["attempts"] >= 1 and failed["nextAttemptAt"] is not None
        assert failed["event"]["id"] == body["id"]
    finally:
        await ok.stop()
        await failing.stop()


async def test_the_log_pages_by_cursor_and_filters_by_status(db: AsyncDatabase) -> None:
    hook = await receiver()
    try:
        await create(db, caller(), hook.url, ["order.created"])
        for n in range(5):
            await emit(db, PARTNER, f"thing-{n}")
        await relay_all(db)
        async def all_recorded() -> bool:   # answered is not yet recorded
            return len((await _log(db, status="SUCCEEDED"))["edges"]) == 5

        async with dispatching(db):
            await eventually(lambda: len(hook.answered) == 5)
            await eventually(all_recorded)
        seen, after, pages = [], None, 0
        while True:
            page = await _log(db, first=2, after=after)
            seen += [edge["node"]["event"]["id"] for edge in page["edges"]]
            pages += 1
            assert page["pageInfo"]["hasPreviousPage"] is (after is not None)
            after = page["pageInfo"]["endCursor"]
            if not page["pageInfo"]["hasNextPage"]:
                break
        assert sorted(seen) == sorted(hook.event_ids()) and len(set(seen)) == 5 and pages == 3
        middle = (await _log(db, first=2))["edges"][1]["cursor"]
        assert [e["node"]["event"]["id"] for e in (await _log(db, after=middle))["edges"]] \
            == seen[2:]
        assert len((await _log(db, status="SUCCEEDED"))["edges"]) == 5
        dead = await _log(db, status="DEAD")
        assert dead["edges"] == [] and dead["pageInfo"]["hasNextPage"] is False
        assert (await _log(db, after=dead["pageInfo"]["endCursor"]))["edges"] == []
        for bad in ({"first": 0}, {"first": 101}, {"after": "not-a-cursor"},
                    {"after": "c2VxMTotNQ"}):
            assert await error_code(db, LOG, caller(), **bad) == "BAD_USER_INPUT", bad
    finally:
        await hook.stop()


async def test_replay_of_one_and_of_all_since_a_time(db: AsyncDatabase) -> None:
    hook = await receiver()
    try:
        endpoint, _ = await create(db, caller(), hook.url, ["order.created"])
        for n in range(3):
            await emit(db, PARTNER, f"thing-{n}")
        await relay_all(db)
        async with dispatching(db):
            await eventually(lambda: len(hook.answered) == 3)
            first = (await _log(db, first=1))["edges"][0]["node"]
            out = await data(db, REPLAY, caller(), input={"endpointId": endpoint["id"],
                                                         "deliveryId": first["id"]})
            assert out["replayWebhookDeliveries"] == {"replayed": 1, "userErrors": []}
            await eventually(lambda: len(hook.answered) == 4)
            since = to_iso(utcnow() - timedelta(hours=1))
            out = await data(db, REPLAY, caller(), input={"endpointId": endpoint["id"],
                                                         "since": since})
            assert out["replayWebhookDeliveries"] == {"replayed": 3, "userErrors": []}
            await eventually(lambda: len(hook.answered) == 7)

            async def third_recorded() -> bool:
                node = (await _log(db, first=1))["edges"][0]["node"]
                return node["attempts"] == 3 and node["status"] == "SUCCEEDED"

            await eventually(third_recorded)
            again = (await _log(db, first=1))["edges"][0]["node"]
        counts = Counter(hook.event_ids())
        assert sorted(counts.values()) == [2, 2, 3] and counts[first["event"]["id"]] == 3
        assert again["status"] == "SUCCEEDED" and again["attempts"] == 3
    finally:
        await hook.stop()


async def test_bad_replays_are_user_errors_and_replay_nothing(db: AsyncDatabase) -> None:
    hook = await receiver()
    try:
        mine, _ = await create(db, caller(), hook.url, ["order.created"])
        sibling, _ = await create(db, caller(), hook.url, ["payment.succeeded"])
        theirs, _ = await create(db, caller(OTHER), hook.url, ["order.created"])
        await emit(db, PARTNER, "thing-1")
        await emit(db, OTHER, "thing-2")
        await relay_all(db)
        async with dispatching(db):
            await eventually(lambda: len(hook.answered) == 2)
        my_delivery = (await _log(db))["edges"][0]["node"]["id"]
        their_delivery = (await _log(db, caller(OTHER)))["edges"][0]["node"]["id"]
        before = sorted(await db[DELIVERIES].find({}).to_list(), key=lambda d: d["_id"])
        hour_ago = to_iso(utcnow() - timedelta(hours=1))
        cases: list[tuple[dict[str, Any], str, list[str]]] = [
            ({"endpointId": mine["id"], "deliveryId": my_delivery, "since": hour_ago},
             "INVALID", ["input"]),
            ({"endpointId": mine["id"]}, "INVALID", ["input"]),
            ({"endpointId": mine["id"], "since": to_iso(utcnow() + timedelta(minutes=5))},
             "INVALID", ["input", "since"]),
            ({"endpointId": mine["id"], "deliveryId": their_delivery}, "NOT_FOUND",
             ["input", "deliveryId"]),
            ({"endpointId": theirs["id"], "deliveryId": their_delivery}, "NOT_FOUND",
             ["input", "deliveryId"]),
            ({"endpointId": sibling["id"], "deliveryId": my_delivery}, "NOT_FOUND",
             ["input", "deliveryId"]),
            ({"endpointId": theirs["id"], "since": hour_ago}, "NOT_FOUND",
             ["input", "endpointId"]),
            ({"endpointId": mine["id"], "deliveryId": '{"$gt": ""}'}, "INVALID",
             ["input", "deliveryId"]),
            ({"endpointId": mine["id"], "deliveryId": "whd:evt_x:whk_y"}, "INVALID",
             ["input", "deliveryId"]),
            ({"endpointId": '{"$ne": null}', "since": hour_ago}, "INVALID",
             ["input", "endpointId"]),
        ]
        for replay_input, code, field in cases:
            errors = await user_errors(db, REPLAY, caller(), input=replay_input)
            assert [(e["code"], e["field"]) for e in errors] == [(code, field)], replay_input
        assert await error_code(db, REPLAY, caller(), input={
            "endpointId": mine["id"], "since": "yesterday"}) == "BAD_USER_INPUT"
        after = sorted(await db[DELIVERIES].find({}).to_list(), key=lambda d: d["_id"])
        assert after == before and len(hook.received) == 2
    finally:
        await hook.stop()


async def test_rotation_signs_with_both_secrets_during_the_overlap(db: AsyncDatabase) -> None:
    hook = await receiver()
    try:
        endpoint, old = await create(db, caller(), hook.url, ["order.created"])
        rotated = (await data(db, ROTATE, caller(), id=endpoint["id"]))["rotateWebhookSecret"]
        new = rotated["secret"]
        await emit(db, PARTNER, "thing-1")
        await relay_all(db)
        async with dispatching(db):
            await eventually(lambda: len(hook.answered) == 1)
        got = hook.answered[0]
        assert verifies(got, new) and verifies(got, old)
        assert got.headers[HEADER].count("v1=") == 2
    finally:
        await hook.stop()


@pytest.mark.parametrize("scopes", [(), ("orders:read",)])
async def test_the_log_needs_the_scope(db: AsyncDatabase, scopes: tuple[str, ...]) -> None:
    principal = caller(PARTNER, *scopes) if scopes else None
    assert await error_code(db, LOG, principal) in ("UNAUTHENTICATED", "FORBIDDEN")
