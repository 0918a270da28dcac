"""Whose events, as GraphQL shows them (issue #16 point 2): a partner whose app took part in
another partner's event gets its own copy — in its ``events`` feed, at its endpoints and in
its delivery log, replayable by it — with the same event id; each partner's deliveries stay
its own."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.claims import update_claimed
from schema.kernel.events import append_event, mark_pending, pending_marker
from schema.kernel.time import utcnow
from tests.partners.graphql.helpers import (
    DELIVERIES,
    EVENTS,
    OTHER,
    PARTNER,
    REPLAY,
    caller,
    create,
    receiver,
    user_errors,
)
from tests.partners.helpers import data
from tests.partners.webhooks.helpers import THINGS, dispatching, eventually, relay_all, verifies


async def _emit_with_participant(db: AsyncDatabase, resource_id: str) -> None:
    """An order.created of PARTNER's that OTHER's app placed, written as a domain does."""
    marker = [pending_marker(THINGS, resource_id)]
    await mark_pending(db, marker)

    def changed(current: dict[str, Any] | None) -> dict[str, Any]:
        return {**(current or {}), **append_event(current, "order.created", PARTNER, "Thing",
                                                  resource_id, {"total": 5}, utcnow(),
                                                  also_for=[OTHER])}

    await update_claimed(db[THINGS], db, resource_id, changed)
    await mark_pending(db, marker)


async def test_a_participant_gets_its_own_copy_everywhere(db: AsyncDatabase) -> None:
    owner_hook, participant_hook = await receiver(), await receiver()
    try:
        owner_endpoint, owner_secret = await create(db, caller(PARTNER), owner_hook.url,
                                                    ["order.created"])
        their_endpoint, their_secret = await create(db, caller(OTHER), participant_hook.url,
                                                    ["order.created"])
        await _emit_with_participant(db, "thing-1")
        await relay_all(db)
        async with dispatching(db):
            await eventually(lambda: len(owner_hook.answered) == 1
                             and len(participant_hook.answered) == 1)
            logs = {who: (await data(db, DELIVERIES, caller(who)))["webhookEndpoints"]
                    for who in (PARTNER, OTHER)}
            (own_edge,) = logs[PARTNER][0]["deliveries"]["edges"]
            (their_edge,) = logs[OTHER][0]["deliveries"]["edges"]
            event_id = owner_hook.event_ids()[0]
            assert participant_hook.event_ids() == [event_id]
            assert verifies(owner_hook.answered[0], owner_secret)
            assert verifies(participant_hook.answered[0], their_secret)
            assert not verifies(participant_hook.answered[0], owner_secret)
            assert own_edge["node"]["id"] == f"whd:{event_id}:{owner_endpoint['id']}"
            assert their_edge["node"]["id"] == f"whd:{event_id}:{their_endpoint['id']}"
            assert their_edge["node"]["event"]["id"] == event_id

            for who in (PARTNER, OTHER):
                feed = (await data(db, EVENTS, caller(who)))["events"]["events"]
                assert [e["id"] for e in feed] == [event_id]

            # Each replays its own delivery; the other's is not there for it.
            for who, endpoint, mine, other in (
                    (PARTNER, owner_endpoint, own_edge, their_edge),
                    (OTHER, their_endpoint, their_edge, own_edge)):
                errors = await user_errors(db, REPLAY, caller(who), input={
                    "endpointId": endpoint["id"], "deliveryId": other["node"]["id"]})
                assert [e["code"] for e in errors] == ["NOT_FOUND"]
                out = await data(db, REPLAY, caller(who), input={
                    "endpointId": endpoint["id"], "deliveryId": mine["node"]["id"]})
                assert out["replayWebhookDeliveries"] == {"replayed": 1, "userErrors": []}
            await eventually(lambda: len(owner_hook.answered) == 2
                             and len(participant_hook.answered) == 2)
    finally:
        await owner_hook.stop()
        await participant_hook.stop()
