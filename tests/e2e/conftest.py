"""The whole platform as partners meet it: ``create_app`` served by uvicorn on a free port.

One server per test session over its own database on the real FerretDB; each test works as
fresh partners (tokens minted through the server's own OAuth endpoint), so tests never see
each other's data.
"""

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.config import Settings
from gateway.embedded.server import free_port
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from tests.auth.fixtures import AuthServer, MintedToken, serve_in_loop


@dataclass(frozen=True)
class Platform:
    """The running platform: its URL, its OAuth server and its database."""

    base_url: str
    auth: AuthServer
    mongo: Mongo

    async def partner(self, name: str, scopes: str) -> MintedToken:
        """A new partner with a registry entry and a token with ``scopes``."""
        partner_id = new_id("ptn")
        await self.mongo.db["partners"].insert_one(
            {"_id": partner_id, "name": name, "type": "STORE_CHAIN"})
        return await self.auth.mint(scopes, partner_id=partner_id)


GraphQL = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="session")
async def platform(mongo_client: Mongo) -> AsyncIterator[Platform]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    name = f"e2e_{new_id('evt')[4:].lower()}"
    mongo = Mongo(client=mongo_client.client, db=mongo_client.client[name], uri=mongo_client.uri)
    app = create_app(Settings(issuer=base_url, port=port), mongo)
    async with serve_in_loop(app, port):
        yield Platform(base_url, AuthServer(base_url, app.state.auth), mongo)
    await mongo_client.client.drop_database(name)


@pytest.fixture
async def graphql(platform: Platform) -> AsyncIterator[GraphQL]:
    """POST an operation to /graphql (as ``token`` when given); returns the JSON body."""
    async with httpx.AsyncClient(base_url=platform.base_url, timeout=30) as http:

        async def post(query: str, variables: dict[str, Any] | None = None, *,
                       token: MintedToken | None = None, status: int = 200) -> dict[str, Any]:
            response = await http.post("/graphql", json={"query": query, "variables": variables},
                                       headers=token.headers if token else {})
            assert response.status_code == status, response.text
            return response.json()

        yield post
