"""Two server processes on one database (uvicorn subprocesses, as replicas behind a proxy):
a status change made through process A's /graphql reaches subscribers of process B over SSE
and over WebSocket, since the partner feeds are in the database, and B's SSE subscriber
resumes on A with ``after``."""

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient
from websockets.asyncio.client import connect

from auth.service import AuthService
from gateway.embedded.server import free_port
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import sandbox_name
from tests.auth.fixtures import AuthServer
from tests.orders.helpers import order_input, place, stock, world
from tests.subscriptions.test_sse import ORDER_STATUS, collect
from tests.subscriptions.test_websocket import PROTOCOL

MOVE = """mutation($input: TransitionOrderInput!) { transitionOrder(input: $input) {
  order { id status } userErrors { code message } } }"""


async def first_over_websocket(base: str, token: str,
                               variables: dict[str, str]) -> dict[str, Any]:
    """The first message of a graphql-transport-ws subscription on ``base``."""
    async with connect(base.replace("http", "ws", 1) + "/graphql",
                       subprotocols=[PROTOCOL]) as ws:
        await ws.send(json.dumps({"type": "connection_init",
                                  "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": {
            "query": ORDER_STATUS, "variables": variables}}))
        async with asyncio.timeout(60):
            return json.loads(await ws.recv())


@dataclass
class Processes:
    uri: str
    db: str
    bases: list[str]


def _start(uri: str, db: str, issuer: str, port: int, state: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "LOOPGATE_MONGODB_URI": uri, "LOOPGATE_DB": db,
           "LOOPGATE_ISSUER": issuer, "LOOPGATE_STATE_DIR": str(state)}
    return subprocess.Popen([sys.executable, "-m", "uvicorn",
                             "tests.subscriptions.served_app:app", "--factory",
                             "--host", "127.0.0.1", "--port", str(port),
                             "--ws", "websockets-sansio", "--log-level", "warning"],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)


def _wait_ready(process: subprocess.Popen[str], base: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1]
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{base} did not become ready")


@pytest.fixture(scope="module")
def processes(ferretdb: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Processes]:
    db = f"t_subs2_{new_id('evt')[4:].lower()}"
    state = tmp_path_factory.mktemp("subscriptions-two")
    ports: list[int] = []
    while len(ports) < 2:
        port = free_port()
        if port not in ports:
            ports.append(port)
    issuer = f"http://127.0.0.1:{ports[0]}"
    started: list[subprocess.Popen[str]] = []
    try:
        for port in ports:          # one after the other: the first creates the keys
            started.append(_start(ferretdb, db, issuer, port, state))
            _wait_ready(started[-1], f"http://127.0.0.1:{port}")
        yield Processes(ferretdb, db, [f"http://127.0.0.1:{p}" for p in ports])
    finally:
        for process in started:
            process.terminate()
        for process in started:
            try:
                process.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.communicate()
        with MongoClient(ferretdb) as client:
            client.drop_database(db)
            client.drop_database(sandbox_name(db))


async def test_a_change_through_one_process_reaches_a_subscriber_of_the_other(
        processes: Processes, mongo_client: Mongo) -> None:
    a, b = processes.bases
    db = mongo_client.client[processes.db]
    w = await world(db, {"s1": (31.23, 121.47)}, {"A": 1000})
    await stock(db, w, "s1", {"A": 10})
    await db["partners"].insert_one({"_id": w.merchant, "name": "Two", "type": "STORE_CHAIN"})
    auth = AuthServer(a, AuthService.create(db, issuer=a))
    token = await auth.mint("orders:read orders:write stores:read catalog:read",
                            partner_id=w.merchant)
    order = (await place(db, w.owner, order_input(
        w, {"A": 1}, {"type": "PICKUP", "storeId": w.stores["s1"]})))["order"]
    on_b = asyncio.create_task(collect(b, token.access_token, ORDER_STATUS,
                                       {"store": w.stores["s1"]}, 1, within=60))
    on_b_ws = asyncio.create_task(first_over_websocket(b, token.access_token,
                                                       {"store": w.stores["s1"]}))
    await asyncio.sleep(2)
    async with httpx.AsyncClient(base_url=a, timeout=30, headers=token.headers) as http:
        for status in ("PAID", "ACCEPTED"):
            moved = (await http.post("/graphql", json={"query": MOVE, "variables": {"input": {
                "orderId": order["id"], "to": status,
                "idempotencyKey": new_id("evt")}}})).json()
            assert moved["data"]["transitionOrder"]["userErrors"] == [], moved
    [(kind, event, seen)] = await on_b
    assert kind == "next"
    changed = event["data"]["orderStatusChanged"]
    assert (changed["id"], changed["status"]) == (order["id"], "PAID")
    assert changed["merchant"]["name"] == "Two"
    over_ws = await on_b_ws
    assert (over_ws["type"], over_ws["id"]) == ("next", "1")
    assert over_ws["payload"]["data"]["orderStatusChanged"] == changed
    on_a = await collect(a, token.access_token, ORDER_STATUS,
                         {"order": order["id"], "after": seen}, 1, within=60)
    assert on_a[0][1]["data"]["orderStatusChanged"]["status"] == "ACCEPTED"
