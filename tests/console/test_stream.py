"""``/console/stream``: a subscription as the signed-in person, through the gateway's SSE
(graphql-sse) in process: store staff follow their store's orders live, are refused another
store's, and a stream without the session's CSRF token never starts."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import httpx

from auth.console_users import ConsoleUsers
from tests.console.conftest import PASSWORD, ConsolePlatform
from tests.console.test_signin_http import csrf_of, signed_in_client
from tests.orders.helpers import move, order_input, place, stock, world
from tests.subscriptions.conftest import sse_events

ORDERS = """subscription($store: ID) { orderStatusChanged(storeId: $store) { id status } }"""


async def _merchant_staff(console: ConsolePlatform) -> Any:
    """A merchant with stores s1 and s2 stocked with product A, and staff of s1."""
    w = await world(console.live, {"s1": (31.23, 121.47), "s2": (31.24, 121.48)}, {"A": 1000})
    await stock(console.live, w, "s1", {"A": 20})
    await console.live["partners"].insert_one({"_id": w.merchant, "name": "Stream Mart",
                                               "type": "STORE_CHAIN"})
    email = f"till-{w.merchant[-6:].lower()}@console.test"
    await ConsoleUsers(console.live).create(partner_id=w.merchant, email=email, role="staff",
                                            password=PASSWORD, store_ids=[w.stores["s1"]])
    console.emails[email] = email
    return w, email


async def _first_event(http: httpx.AsyncClient, csrf: str, store_id: str,
                       got: asyncio.Queue[Any]) -> None:
    async with http.stream("POST", "/console/stream", json={
            "query": ORDERS, "variables": {"store": store_id}},
            headers={"X-CSRF-Token": csrf}) as response:
        await got.put(response.status_code)
        async for event in sse_events(response):
            await got.put(event)
            return


async def test_staff_follow_their_stores_orders_live(console: ConsolePlatform) -> None:
    w, email = await _merchant_staff(console)
    async with signed_in_client(console, email) as http:
        csrf = await csrf_of(http)
        got: asyncio.Queue[Any] = asyncio.Queue()
        listening = asyncio.create_task(_first_event(http, csrf, w.stores["s1"], got))
        try:
            assert await asyncio.wait_for(got.get(), 30) == 200
            await asyncio.sleep(1.5)   # subscribed: the stream starts at the feed's watermark
            order = (await place(console.live, w.owner, order_input(
                w, {"A": 1}, {"type": "PICKUP", "storeId": w.stores["s1"]})))["order"]
            await move(console.live, w.owner, order["id"], "PAID")
            kind, data, event_id = await asyncio.wait_for(got.get(), 30)
            assert kind == "next" and event_id.startswith("evt_")
            assert data["data"]["orderStatusChanged"] == {"id": order["id"], "status": "PAID"}
        finally:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening

        refused = await http.post("/console/stream", json={
            "query": ORDERS, "variables": {"store": w.stores["s2"]}},
            headers={"X-CSRF-Token": csrf})
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
        forged = await http.post("/console/stream", json={
            "query": ORDERS, "variables": {"store": w.stores["s1"]}},
            headers={"X-CSRF-Token": "forged"})
        assert forged.status_code == 403
