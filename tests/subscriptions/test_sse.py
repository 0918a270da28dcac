"""Subscriptions over real SSE connections (graphql-sse, distinct connections mode)."""

import asyncio
from typing import Any

import httpx

from tests.orders.helpers import move, order_input, place
from tests.subscriptions.conftest import Served, sse_events

MERCHANT = "orders:read orders:write stores:read catalog:read inventory:read"
ORDER_STATUS = """subscription($order: ID, $store: ID, $after: ID) {
  orderStatusChanged(orderId: $order, storeId: $store, after: $after) {
    id status history { status } merchant { id name } lines { product { id name } quantity }
  } }"""
SSE = {"Accept": "text/event-stream"}


async def collect(served: Served, token: str, query: str, variables: dict[str, Any],
                  count: int, *, timeout: float = 30) -> list[tuple[str, Any, str | None]]:
    """The first ``count`` SSE events of a subscription (``complete`` ends it early)."""
    found: list[tuple[str, Any, str | None]] = []
    async with httpx.AsyncClient(base_url=served.base_url, timeout=timeout) as http, \
            http.stream("POST", "/graphql/stream", json={"query": query, "variables": variables},
                        headers={**SSE, "Authorization": f"Bearer {token}"}) as response:
        assert response.status_code == 200, await response.aread()
        async with asyncio.timeout(timeout):
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
