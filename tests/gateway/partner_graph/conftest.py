"""The serve app (``create_app`` with a composer, as ``served_app`` builds it) on a real
uvicorn over its own databases on the real FerretDB, and partner subgraphs on 127.0.0.1.

Ports 4760-4779 (this area's range): the app on 4760 (4764 for a restarted one), the rating
partner on 4761, the badge partner on 4762.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from auth.direct import client_credentials_token
from auth.service import AuthService
from gateway.app import create_app
from gateway.config import Settings
from gateway.embedded.server import free_port
from gateway.partner_graph.graphs import Graphs
from partners.urls import ALLOW_NETWORKS_ENV
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases
from tests.auth.fixtures import serve_in_loop
from tests.gateway.partner_graph.partner import (
    PartnerState,
    Registrations,
    partner_app,
    serving,
)

PARTNER_TIMEOUT_S = 2.0
SCOPES = "stores:read stores:write"


@dataclass(frozen=True)
class Running:
    """A serve app on a port, with a client for it."""

    app: Starlette
    base_url: str
    http: httpx.AsyncClient

    @property
    def auth(self) -> AuthService:
        return self.app.state.auth

    @property
    def graphs(self) -> Graphs:
        return self.app.state.graphs

    async def token(self, *, sandbox: bool = False, scopes: str = SCOPES) -> tuple[str, str]:
        """A client-credentials token of a new app of a new partner; (token, client id)."""
        partner_id = new_id("ptn")
        await self.auth.db["partners"].insert_one({
            "_id": partner_id, "name": "Rating Mart", "type": "STORE_CHAIN",
            "grantableScopes": scopes.split()})
        issued = await self.auth.clients.create(partner_id=partner_id, name="app",
                                                scopes=scopes, sandbox=sandbox)
        answer = await client_credentials_token(self.auth, issued.client.client_id,
                                                issued.client_secret or "", scopes)
        assert answer.status == 200, answer.body
        return str(answer.body["access_token"]), issued.client.client_id

    async def graphql(self, query: str | None, token: str | None = None,
                      variables: dict[str, Any] | None = None,
                      extensions: dict[str, Any] | None = None) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        body: dict[str, Any] = {"variables": variables or {}}
        if query is not None:
            body["query"] = query
        if extensions is not None:
            body["extensions"] = extensions
        reply = await self.http.post("/graphql", json=body,
                                     headers={**headers, "accept": "application/json"})
        return reply.json()


@dataclass(frozen=True)
class Partners:
    """The partner subgraphs, their URLs and what they saw."""

    rating: PartnerState
    rating_url: str
    badge: PartnerState
    badge_url: str


@asynccontextmanager
async def running(mongo: Mongo, registrations: Registrations,
                  port: int | None = None) -> AsyncIterator[Running]:
    """The serve app on ``port`` (default: a free one) over ``mongo``, composing with
    ``registrations``."""
    port = port or free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(Settings(issuer=base_url, port=port), mongo,
                     compose=registrations.compose)
    async with serve_in_loop(app, port), httpx.AsyncClient(base_url=base_url,
                                                           timeout=30) as http:
        yield Running(app, base_url, http)


@pytest.fixture(scope="module")
def partner_env() -> AsyncIterator[None]:
    patch = pytest.MonkeyPatch()
    patch.setenv(ALLOW_NETWORKS_ENV, "127.0.0.0/8")
    patch.setenv("LOOPGATE_PARTNER_SUBGRAPH_TIMEOUT_S", str(PARTNER_TIMEOUT_S))
    yield
    patch.undo()


@pytest.fixture(scope="module")
async def partners(partner_env: None) -> AsyncIterator[Partners]:
    rating, badge = PartnerState(), PartnerState()
    async with serving(partner_app(rating), free_port()) as rating_base, \
            serving(partner_app(badge, badge=True), free_port()) as badge_base:
        yield Partners(rating, f"{rating_base}/graphql", badge, f"{badge_base}/graphql")


@pytest.fixture(scope="module")
async def served_mongo(mongo_client: Mongo) -> AsyncIterator[Mongo]:
    """A database of this module's own (and its sandbox twin), dropped afterwards."""
    name = f"pg_{new_id('evt')[4:].lower()}"
    mongo = Mongo(client=mongo_client.client, db=mongo_client.client[name], uri=mongo_client.uri)
    yield mongo
    for db in Databases.beside(mongo.db).each():
        await mongo_client.client.drop_database(db.name)


@pytest.fixture(scope="module")
def registrations() -> Registrations:
    return Registrations()


@pytest.fixture(scope="module")
async def served(served_mongo: Mongo, registrations: Registrations,
                 partners: Partners) -> AsyncIterator[Running]:
    async with running(served_mongo, registrations) as app:
        yield app


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 10.0) -> None:
    """Wait until ``check()`` holds (a poll of the version pointer takes up to 2 s)."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)
