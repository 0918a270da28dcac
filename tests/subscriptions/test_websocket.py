"""Subscriptions over real WebSocket connections (graphql-transport-ws), with the
``websockets`` client: the protocol's messages, its close codes, and the same rights,
expiry and limits as SSE."""

import asyncio
import json
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from schema.kernel.ids import new_id
from tests.orders.helpers import move, order_input, place
from tests.subscriptions.conftest import Served, short_lived
from tests.subscriptions.test_sse import MERCHANT, ORDER_STATUS

PROTOCOL = "graphql-transport-ws"


async def receive(ws: ClientConnection, within: float = 30) -> dict[str, Any]:
    async with asyncio.timeout(within):
        return json.loads(await ws.recv())


async def closed_with(ws: ClientConnection, within: float = 10) -> int:
    """The close code the server ends the connection with."""
    try:
        async with asyncio.timeout(within):
            while True:
                await ws.recv()
    except ConnectionClosed as ended:
        frame = ended.rcvd
    return frame.code if frame is not None else 1006


async def opened(served: Served, token: str) -> ClientConnection:
    ws = await connect(served.ws_url, subprotocols=[PROTOCOL])
    await ws.send(json.dumps({"type": "connection_init",
                              "payload": {"Authorization": f"Bearer {token}"}}))
    assert await receive(ws) == {"type": "connection_ack"}
    return ws


def subscribe(ident: str, variables: dict[str, Any], query: str = ORDER_STATUS) -> str:
    return json.dumps({"id": ident, "type": "subscribe",
                       "payload": {"query": query, "variables": variables}})


async def test_subscribe_next_complete(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    order = (await place(served.mongo.db, w.owner, order_input(
        w, {"A": 2}, {"type": "PICKUP", "storeId": w.stores["s1"]})))["order"]
    async with await opened(served, token.access_token) as ws:
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws) == {"type": "pong"}
        await ws.send(subscribe("1", {"order": order["id"]}))
        await asyncio.sleep(1.5)
        await move(served.mongo.db, w.owner, order["id"], "PAID")
        message = await receive(ws)
        assert (message["id"], message["type"]) == ("1", "next")
        payload = message["payload"]
        assert payload["data"]["orderStatusChanged"]["status"] == "PAID"
        assert payload["data"]["orderStatusChanged"]["lines"][0]["product"]["name"] == "A"
        assert payload["extensions"]["eventId"].startswith("evt_")
        await ws.send(json.dumps({"id": "1", "type": "complete"}))
        await move(served.mongo.db, w.owner, order["id"], "ACCEPTED")
        await ws.send(json.dumps({"type": "ping"}))
        assert await receive(ws, 5) == {"type": "pong"}   # nothing more for "1"
        await ws.send(subscribe("2", {"order": order["id"],
                                      "after": payload["extensions"]["eventId"]}))
        resumed = await receive(ws)
        assert resumed["payload"]["data"]["orderStatusChanged"]["status"] == "ACCEPTED"


async def test_refusals_are_error_messages(served: Served) -> None:
    a, token_a = await served.merchant(MERCHANT)
    b, _ = await served.merchant(MERCHANT)
    async with await opened(served, token_a.access_token) as ws:
        await ws.send(subscribe("x", {"store": b.stores["s1"]}))
        message = await receive(ws)
        assert (message["id"], message["type"]) == ("x", "error")
        assert message["payload"][0]["extensions"]["code"] == "FORBIDDEN"
        await ws.send(subscribe("y", {}))
        message = await receive(ws)
        assert message["payload"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        await ws.send(subscribe("z", {"s": a.stores["s1"]}, """subscription($s: ID) {
            orderStatusChanged(storeId: $s) { id member { pointsBalance } } }"""))
        message = await receive(ws)
        assert message["payload"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"


async def test_token_expiry_errors_the_subscription(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    async with await opened(served, short_lived(served, token, 3)) as ws:
        await ws.send(subscribe("1", {"store": w.stores["s1"]}))
        message = await receive(ws, 10)
        assert (message["id"], message["type"]) == ("1", "error")
        assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        await ws.send(subscribe("2", {"store": w.stores["s1"]}))
        message = await receive(ws, 10)
        assert (message["id"], message["type"]) == ("2", "error")
        assert message["payload"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_protocol_close_codes(served: Served) -> None:
    _, token = await served.merchant(MERCHANT)
    async with connect(served.ws_url) as ws:          # no subprotocol
        assert await closed_with(ws) == 4406
    async with connect(served.ws_url, subprotocols=[PROTOCOL]) as ws:
        await ws.send(subscribe("1", {}))
        assert await closed_with(ws) == 4401
    async with connect(served.ws_url, subprotocols=[PROTOCOL]) as ws:
        await ws.send("{not json")
        assert await closed_with(ws) == 4400
    async with connect(served.ws_url, subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": "Bearer nope"}}))
        assert await closed_with(ws) == 4403
    async with await opened(served, token.access_token) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert await closed_with(ws) == 4429
    async with await opened(served, token.access_token) as ws:
        await ws.send(b"\x00binary")
        assert await closed_with(ws) == 4400
    for bad in ({"type": "subscribe", "payload": {"query": "subscription { x }"}},
                {"type": "subscribe", "id": "1", "payload": {"variables": {}}},
                {"type": "subscribe", "id": "1", "payload": {"query": 3}},
                {"type": "what"}, {"id": "1"}, [1, 2]):
        async with await opened(served, token.access_token) as ws:
            await ws.send(json.dumps(bad))
            assert await closed_with(ws) == 4400, bad


async def test_a_running_id_cannot_be_reused(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    async with await opened(served, token.access_token) as ws:
        await ws.send(subscribe("same", {"store": w.stores["s1"]}))
        await ws.send(subscribe("same", {"store": w.stores["s1"]}))
        assert await closed_with(ws) == 4409


async def test_the_handshake_header_authenticates_too(served: Served) -> None:
    _, token = await served.merchant(MERCHANT)
    async with connect(served.ws_url, subprotocols=[PROTOCOL],
                       additional_headers=token.headers) as ws:
        await ws.send(json.dumps({"type": "connection_init"}))
        assert await receive(ws) == {"type": "connection_ack"}
        await ws.send(subscribe("1", {"store": new_id("sto")}))
        assert (await receive(ws))["payload"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_an_app_holds_at_most_its_share_of_subscriptions(served: Served) -> None:
    w, token = await served.merchant(MERCHANT)
    async with await opened(served, token.access_token) as ws:
        for n in range(20):
            await ws.send(subscribe(str(n), {"store": w.stores["s1"]}))
        await asyncio.sleep(2)
        await ws.send(subscribe("21st", {"store": w.stores["s1"]}))
        message = await receive(ws)
        assert (message["id"], message["type"]) == ("21st", "error")
        assert message["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
        await ws.send(json.dumps({"id": "0", "type": "complete"}))
        await asyncio.sleep(0.5)
        await ws.send(subscribe("again", {"store": new_id("sto")}))
        assert (await receive(ws))["payload"][0]["extensions"]["code"] == "FORBIDDEN"
