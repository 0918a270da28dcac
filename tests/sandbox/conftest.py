"""The whole platform with live and sandbox tokens: ``create_app`` served by uvicorn.

One server per test module over its own live database and that database's sandbox twin on
the real FerretDB (both dropped afterwards). Tokens come from the server's own token
endpoint, for clients registered with or without the sandbox flag, as
``loopgate clients create [--sandbox]`` registers them.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette

from gateway.app import create_app
from gateway.config import Settings
from gateway.embedded.server import free_port
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases
from tests.auth.fixtures import AuthServer, MintedToken, serve_in_loop

ALL_SCOPES = ("stores:read stores:write catalog:read catalog:write inventory:read "
              "inventory:write members:read members:write points:read points:write "
              "payments:read payments:write refunds:write deals:write vouchers:read "
              "vouchers:redeem orders:read orders:write apps:manage webhooks:manage "
              "subgraphs:manage")

GraphQL = Callable[..., Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Platform:
    """The running platform: its URL, its OAuth server and its two databases."""

    base_url: str
    auth: AuthServer
    databases: Databases

    @property
    def live(self) -> AsyncDatabase:
        return self.databases.live

    @property
    def sandbox(self) -> AsyncDatabase:
        return self.databases.sandbox

    async def partner(self, name: str = "Sandbox Mart") -> str:
        """A new partner in the (live) registry."""
        partner_id = new_id("ptn")
        await self.live["partners"].insert_one(
            {"_id": partner_id, "name": name, "type": "STORE_CHAIN"})
        return partner_id

    async def token(self, partner_id: str, *, sandbox: bool,
                    scopes: str = ALL_SCOPES) -> MintedToken:
        """A client-credentials token of a new (sandbox or live) app of ``partner_id``."""
        issued = await self.auth.service.clients.create(
            partner_id=partner_id, name="Sandbox app" if sandbox else "Live app",
            scopes=scopes, sandbox=sandbox)
        async with self.auth.oauth_client(issued, scope=scopes) as client:
            token = await client.fetch_token(self.auth.url("/oauth/token"),
                                             grant_type="client_credentials")
        return MintedToken(token["access_token"], issued.client.client_id, partner_id,
                           frozenset(token["scope"].split()))


@asynccontextmanager
async def running_platform(mongo_client: Mongo,
                           before_start: Callable[[Databases], Awaitable[None]] | None = None,
                           ) -> AsyncIterator[Platform]:
    """A platform on fresh databases; ``before_start`` may put data in them first."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    name = f"sbx_{new_id('evt')[4:].lower()}"
    mongo = Mongo(client=mongo_client.client, db=mongo_client.client[name], uri=mongo_client.uri)
    databases = Databases.beside(mongo.db)
    try:
        if before_start is not None:
            await before_start(databases)
        app: Starlette = create_app(Settings(issuer=base_url, port=port), mongo)
        async with serve_in_loop(app, port):
            yield Platform(base_url, AuthServer(base_url, app.state.auth), databases)
    finally:
        for db in databases.each():
            await mongo_client.client.drop_database(db.name)


@pytest.fixture(scope="module")
async def platform(mongo_client: Mongo) -> AsyncIterator[Platform]:
    async with running_platform(mongo_client) as running:
        yield running


def poster(http: httpx.AsyncClient) -> GraphQL:
    """POST an operation to /graphql as ``token``; returns the JSON body."""

    async def post(query: str, variables: dict[str, Any] | None = None, *,
                   token: MintedToken, status: int = 200) -> dict[str, Any]:
        response = await http.post("/graphql", json={"query": query, "variables": variables},
                                   headers=token.headers)
        assert response.status_code == status, response.text
        return response.json()

    return post


@pytest.fixture
async def graphql(platform: Platform) -> AsyncIterator[GraphQL]:
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=60) as http:
        yield poster(http)


_UPKEEP = ("leases", "rate_buckets", "concurrency_shares", "webhook_due", "app_usage")
"""What a server writes on its own, whatever the domain requests: the lease documents (renewed
every few seconds by the process running the jobs), the shared rate-limit buckets and
in-flight shares (a process hands back an idle slice of the OAuth token endpoint's budget a few
seconds after the token that took it), the webhook dispatcher's due cursor (it moves on with
the clock) and the apps' usage counts (kept with the registry, in the live database, for
sandbox apps too), with their revision claims."""


def _upkeep(name: str, doc: dict[str, Any]) -> bool:
    return name in _UPKEEP or (name == "claims" and str(doc["_id"]).startswith(
        tuple(f"{collection}:" for collection in _UPKEEP)))


async def snapshot(db: AsyncDatabase) -> dict[str, list[dict[str, Any]]]:
    """Every document of every collection of ``db`` in ``_id`` order, but the upkeep's."""
    return {name: sorted((doc for doc in await db[name].find({}).to_list()
                          if not _upkeep(name, doc)), key=lambda d: str(d["_id"]))
            for name in sorted(await db.list_collection_names()) if name not in _UPKEEP}
