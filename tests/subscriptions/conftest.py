"""The platform served with its subscription routes by uvicorn (WebSockets on) on a port of
4820-4839, over its own database on the test session's FerretDB, and a merchant world in it:
stores, products, stock, a partner registry entry and real tokens minted through the
server's own OAuth endpoint. The relay runs in the server, as in ``loopgate serve``."""

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette

from auth.tokens import AccessTokenIssuer
from gateway.app import create_app
from gateway.config import Settings
from gateway.embedded.server import free_port
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import sandbox_name
from tests.auth.fixtures import AuthServer, MintedToken
from tests.orders.helpers import World, stock, world

RECHECK_S = 1.0



@asynccontextmanager
async def serve(app: Starlette, port: int) -> AsyncIterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                            log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@dataclass(frozen=True)
class Served:
    base_url: str
    auth: AuthServer
    mongo: Mongo
    app: Starlette

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http://", "ws://") + "/graphql"

    async def merchant(self, scopes: str,
                       **stores: tuple[float, float]) -> tuple[World, MintedToken]:
        """A merchant with ``stores``, products A (1000) and B (500) stocked 50 each, a
        registry entry, and a token with ``scopes``."""
        found = await world(self.mongo.db, stores or {"s1": (31.23, 121.47)},
                            {"A": 1000, "B": 500})
        for name in found.stores:
            await stock(self.mongo.db, found, name, {"A": 50, "B": 50})
        await self.mongo.db["partners"].insert_one(
            {"_id": found.merchant, "name": f"Merchant {found.merchant[-4:]}",
             "type": "STORE_CHAIN"})
        return found, await self.auth.mint(scopes, partner_id=found.merchant)


def short_lived(served: Served, token: MintedToken, seconds: int) -> str:
    """A token like ``token`` that expires in ``seconds``, signed with the server's keys."""
    auth = served.app.state.auth
    issuer = AccessTokenIssuer(auth.keyring, auth.issuer, timedelta(seconds=seconds))
    return issuer.issue(client_id=token.client_id, partner_id=token.partner_id,
                        scope=" ".join(sorted(token.scopes)), member_id=None).token


@pytest.fixture(scope="session")
async def served(mongo_client: Mongo) -> AsyncIterator[Served]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    name = f"subs_{new_id('evt')[4:].lower()}"
    mongo = Mongo(client=mongo_client.client, db=mongo_client.client[name], uri=mongo_client.uri)
    app = create_app(Settings(issuer=base_url, port=port), mongo)
    app.state.subscriptions.recheck_every_s = RECHECK_S
    async with serve(app, port):
        yield Served(base_url, AuthServer(base_url, app.state.auth), mongo, app)
    await mongo_client.client.drop_database(name)
    await mongo_client.client.drop_database(sandbox_name(name))


async def sse_events(response: httpx.Response) -> AsyncIterator[tuple[str, dict[str, Any] | None,
                                                                      str | None]]:
    """The (event, data, id) of each SSE event of a streaming response (comments skipped)."""
    event, data, ident = None, [], None
    async for line in response.aiter_lines():
        if line == "":
            if event is not None:
                text = "\n".join(data)
                yield event, json.loads(text) if text else None, ident
            event, data, ident = None, [], None
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "event":
                event = value
            elif field == "data":
                data.append(value)
            elif field == "id":
                ident = value
