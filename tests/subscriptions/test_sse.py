"""Subscriptions over real SSE connections (graphql-sse, distinct connections mode)."""

import asyncio
import json
from typing import Any

import httpx

from schema.kernel.ids import new_id
from tests.orders.helpers import app, move, order_input, place
from tests.subscriptions.conftest import Served, short_lived, sse_events

MERCHANT = "orders:read orders:write stores:read catalog:read inventory:read"
ORDER_STATUS = """subscription($order: ID, $store: ID, $after: ID) {
  orderStatusChanged(orderId: $order, storeId: $store, after: $after) {
    id status history { status } merchant { id name } lines { product { id name } quantity }
  } }"""
SSE = {"Accept": "text/event-stream"}


async def collect(served: Served | str, token: str, query: str, variables: dict[str, Any],
                  count: int, *, within: float = 30) -> list[tuple[str, Any, str | None]]:
    """The first ``count`` SSE events of a subscription (``complete`` ends it early) from
    ``served`` (or the server at that base URL)."""
    found: list[tuple[str, Any, str | None]] = []
    base_url = served if isinstance(served, str) else served.base_url
    async with httpx.AsyncClient(base_url=base_url, timeout=within) as http, \
            http.stream("POST", "/graphql/stream", json={"query": query, "variables": variables},
                        headers={**SSE, "Authorization": f"Bearer {token}"}) as response:
        assert response.status_code == 200, await response.aread()
        async with asyncio.timeout(within):
            async for event in sse_events(response):
                found.append(event)
                if len(found) == count or event[0] == "complete":
                    break
    return found


async def test_order_status_changes_stream_with_entity_fields(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    order = (await place(served.mongo.db, w.owner, order_input(
        w, {"A": 1}, {"type": "PICKUP", "storeId": w.stores["s1"]})))["order"]
    listening = asyncio.create_task(collect(served, token.access_token, ORDER_STATUS,
                                            {"order": order["id"]}, 2))
    await asyncio.sleep(1.5)   # subscribed: the stream starts at the feed's watermark
    await move(served.mongo.db, w.owner, order["id"], "PAID")
    await move(served.mongo.db, w.owner, order["id"], "ACCEPTED")
    events = await listening
    assert [e[0] for e in events] == ["next", "next"]
    first, second = (e[1]["data"]["orderStatusChanged"] for e in events)
    assert (first["status"], second["status"]) == ("PAID", "ACCEPTED")
    assert [h["status"] for h in second["history"]] == ["CREATED", "PAID", "ACCEPTED"]
    assert second["merchant"] == {"id": w.merchant, "name": f"Merchant {w.merchant[-4:]}"}
    assert second["lines"] == [{"product": {"id": w.products["A"], "name": "A"}, "quantity": 1}]
    assert all(e[2] and e[2].startswith("evt_") for e in events)
    assert events[0][1]["extensions"]["eventId"] == events[0][2]


async def refused(served: Served, token: str | None, query: str,
                  variables: dict[str, Any]) -> tuple[int, list[dict[str, Any]]]:
    headers = {**SSE, **({"Authorization": f"Bearer {token}"} if token else {})}
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http:
        response = await http.post("/graphql/stream", json={"query": query,
                                                            "variables": variables},
                                   headers=headers)
    assert response.headers["content-type"].startswith("application/json"), response.text
    return response.status_code, response.json()["errors"]


async def test_a_resumed_subscription_misses_nothing_retained(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    order = (await place(served.mongo.db, w.owner, order_input(
        w, {"A": 1}, {"type": "PICKUP", "storeId": w.stores["s1"]})))["order"]
    listening = asyncio.create_task(collect(served, token.access_token, ORDER_STATUS,
                                            {"store": w.stores["s1"]}, 1))
    await asyncio.sleep(1.5)
    await move(served.mongo.db, w.owner, order["id"], "PAID")
    [(_, first, seen)] = await listening        # the client goes away after one event
    assert first["data"]["orderStatusChanged"]["status"] == "PAID"
    for status in ("ACCEPTED", "PREPARING", "READY"):
        await move(served.mongo.db, w.owner, order["id"], status)
    events = await collect(served, token.access_token, ORDER_STATUS,
                           {"store": w.stores["s1"], "after": seen}, 3)
    assert [e[1]["data"]["orderStatusChanged"]["status"] for e in events] == [
        "ACCEPTED", "PREPARING", "READY"]
    again = await collect(served, token.access_token, ORDER_STATUS,
                          {"order": order["id"], "after": events[0][2]}, 2)
    assert [e[2] for e in again] == [e[2] for e in events[1:]]


async def test_bad_after_is_refused(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    for after in ("evt_01J0000000000000000000000", "12"):
        status, errors = await refused(served, token.access_token, ORDER_STATUS,
                                       {"store": w.stores["s1"], "after": after})
        assert status == 400
        assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "after" in errors[0]["message"]


async def test_another_partners_event_id_is_unknown_to_me(served: Served) -> None:
    a, token_a = await served.merchant(MERCHANT)
    b, token_b = await served.merchant(MERCHANT)
    order = (await place(served.mongo.db, a.owner, order_input(
        a, {"A": 1}, {"type": "PICKUP", "storeId": a.stores["s1"]})))["order"]
    listening = asyncio.create_task(collect(served, token_a.access_token, ORDER_STATUS,
                                            {"order": order["id"]}, 1))
    await asyncio.sleep(1.5)
    await move(served.mongo.db, a.owner, order["id"], "PAID")
    [(_, _, event_id)] = await listening
    status, errors = await refused(served, token_b.access_token, ORDER_STATUS,
                                   {"store": b.stores["s1"], "after": event_id})
    assert (status, errors[0]["extensions"]["code"]) == (400, "BAD_USER_INPUT")


async def test_exactly_one_of_store_and_order(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    for variables in ({}, {"store": w.stores["s1"], "order": "ord_01J0000000000000000000000"}):
        status, errors = await refused(served, token.access_token, ORDER_STATUS, variables)
        assert (status, errors[0]["extensions"]["code"]) == (400, "BAD_USER_INPUT")
        assert "exactly one of storeId and orderId" in errors[0]["message"]


async def test_another_partners_store_or_order_is_refused(served: Served) -> None:
    a, _ = await served.merchant(MERCHANT)
    _, token_b = await served.merchant(MERCHANT)
    order = (await place(served.mongo.db, a.owner, order_input(
        a, {"A": 1}, {"type": "PICKUP", "storeId": a.stores["s1"]})))["order"]
    for variables in ({"store": a.stores["s1"]}, {"order": order["id"]}):
        status, errors = await refused(served, token_b.access_token, ORDER_STATUS, variables)
        assert (status, errors[0]["extensions"]["code"]) == (403, "FORBIDDEN")


async def test_a_partner_never_sees_anothers_events(served: Served) -> None:
    a, _ = await served.merchant(MERCHANT)
    b, token_b = await served.merchant(MERCHANT)
    mine = (await place(served.mongo.db, b.owner, order_input(
        b, {"A": 1}, {"type": "PICKUP", "storeId": b.stores["s1"]})))["order"]
    theirs = (await place(served.mongo.db, a.owner, order_input(
        a, {"A": 1}, {"type": "PICKUP", "storeId": a.stores["s1"]})))["order"]
    listening = asyncio.create_task(collect(served, token_b.access_token, ORDER_STATUS,
                                            {"store": b.stores["s1"]}, 1))
    await asyncio.sleep(1.5)
    await move(served.mongo.db, a.owner, theirs["id"], "PAID")
    await asyncio.sleep(3)      # a relay round: A's event is in A's feed by now
    await move(served.mongo.db, b.owner, mine["id"], "PAID")
    [(_, event, _)] = await listening
    assert event["data"]["orderStatusChanged"]["id"] == mine["id"]


async def test_fields_the_token_may_not_see_are_refused(served: Served) -> None:
    w, token = await served.merchant("stores:read")
    status, errors = await refused(served, token.access_token, ORDER_STATUS,
                                   {"store": w.stores["s1"]})
    assert (status, errors[0]["extensions"]["code"]) == (403, "UNAUTHORIZED_FIELD_OR_TYPE")
    assert errors[0]["extensions"]["fields"] == ["Subscription.orderStatusChanged"]
    _, reader = await served.merchant("orders:read")
    status, errors = await refused(served, reader.access_token, """subscription($s: ID) {
        orderStatusChanged(storeId: $s) { id member { pointsBalance } } }""",
                                   {"s": w.stores["s1"]})
    assert (status, errors[0]["extensions"]["code"]) == (403, "UNAUTHORIZED_FIELD_OR_TYPE")
    assert errors[0]["extensions"]["fields"] == ["Order.member"]
    assert errors[0]["message"].startswith("this token may not see Order.member")


async def test_requests_that_cannot_start(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http:
        plain = await http.post("/graphql/stream", json={"query": ORDER_STATUS})
        assert plain.status_code == 406
        anonymous = await http.post("/graphql/stream", json={
            "query": ORDER_STATUS, "variables": {"store": w.stores["s1"]}}, headers=SSE)
        assert anonymous.status_code == 403
        bad_token = await http.post("/graphql/stream", json={"query": ORDER_STATUS},
                                    headers={**SSE, "Authorization": "Bearer nope"})
        assert bad_token.status_code == 401
        assert bad_token.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    status, errors = await refused(served, token.access_token, "{ __typename }", {})
    assert (status, errors[0]["extensions"]["code"]) == (400, "BAD_USER_INPUT")
    status, errors = await refused(served, token.access_token, "subscription { nope }", {})
    assert (status, errors[0]["extensions"]["code"]) == (400, "GRAPHQL_VALIDATION_FAILED")
    async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http:
        as_query = await http.post("/graphql", json={
            "query": ORDER_STATUS, "variables": {"store": w.stores["s1"]}},
            headers={"Authorization": f"Bearer {token.access_token}"})
    assert as_query.status_code == 400
    [error] = as_query.json()["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "POST /graphql/stream" in error["message"]


async def test_an_expiring_token_ends_the_stream_unauthenticated(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    brief = short_lived(served, token, 3)
    started = asyncio.get_running_loop().time()
    events = await collect(served, brief, ORDER_STATUS, {"store": w.stores["s1"]}, 5)
    took = asyncio.get_running_loop().time() - started
    assert [e[0] for e in events] == ["next", "complete"]
    assert events[0][1]["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert 1.5 < took < 8      # on the token's timer, with no event at all


async def test_a_revoked_app_ends_its_stream_unauthenticated(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    listening = asyncio.create_task(collect(served, token.access_token, ORDER_STATUS,
                                            {"store": w.stores["s1"]}, 5))
    await asyncio.sleep(1.5)
    await served.app.state.auth.clients.revoke(token.client_id)
    events = await listening      # the app cache (5 s) and a recheck (1 s here) later
    assert [e[0] for e in events] == ["next", "complete"]
    error = events[0][1]["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert "revoked" in error["message"]


async def test_get_with_the_query_string_streams_too(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    order = (await place(served.mongo.db, w.owner, order_input(
        w, {"A": 1}, {"type": "PICKUP", "storeId": w.stores["s1"]})))["order"]

    async def first_event() -> tuple[str, Any]:
        params = {"query": ORDER_STATUS, "variables": json.dumps({"order": order["id"]})}
        async with httpx.AsyncClient(base_url=served.base_url, timeout=30) as http, \
                http.stream("GET", "/graphql/stream", params=params,
                            headers={**SSE, **token.headers}) as response:
            assert response.status_code == 200
            async for kind, data, _ in sse_events(response):
                return kind, data
        raise AssertionError("the stream ended without an event")

    listening = asyncio.create_task(first_event())
    await asyncio.sleep(1.5)
    await move(served.mongo.db, w.owner, order["id"], "PAID")
    kind, data = await listening
    assert (kind, data["data"]["orderStatusChanged"]["status"]) == ("next", "PAID")


async def test_the_placing_partner_follows_its_order_through_its_own_copy(
        served: Served) -> None:
    w, _ = await served.merchant(MERCHANT)
    placer = new_id("ptn")
    token = await served.auth.mint("orders:read orders:write", partner_id=placer)
    order = (await place(served.mongo.db, app(placer), order_input(
        w, {"A": 1}, {"type": "PICKUP", "storeId": w.stores["s1"]}, channel="PARTNER")))["order"]
    status, errors = await refused(served, token.access_token, ORDER_STATUS,
                                   {"store": w.stores["s1"]})   # not its store
    assert (status, errors[0]["extensions"]["code"]) == (403, "FORBIDDEN")
    listening = asyncio.create_task(collect(served, token.access_token, """subscription($o: ID)
        { orderStatusChanged(orderId: $o) { id status } }""", {"o": order["id"]}, 1))
    await asyncio.sleep(1.5)
    await move(served.mongo.db, w.owner, order["id"], "PAID")
    [(_, event, _)] = await listening
    assert event["data"]["orderStatusChanged"] == {"id": order["id"], "status": "PAID"}
