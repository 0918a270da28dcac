"""The console over the whole platform: ``create_app`` served in the test's loop, a partner
with two stores, and console users of each role (created as ``loopgate users create`` does)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from auth.console_users import ConsoleUsers
from gateway.app import create_app
from gateway.config import Settings
from gateway.embedded.server import free_port
from partners.urls import ALLOW_NETWORKS_ENV
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases
from tests.auth.fixtures import serve_in_loop
from tests.console.browser import browser, page, screenshots  # noqa: F401
from tests.sandbox.test_isolation import UPSERT_STORE, store_input

PASSWORD = "correct horse battery"
CC_SCOPES = "stores:read stores:write webhooks:manage apps:manage orders:read"


@dataclass
class ConsolePlatform:
    """The running app, its database, a partner with stores A and B, and its console users
    (email by role: ``admin``, ``developer``, ``staff_a`` bound to store A)."""

    base_url: str
    app: Starlette
    databases: Databases
    partner_id: str
    store_ids: dict[str, str] = field(default_factory=dict)
    emails: dict[str, str] = field(default_factory=dict)

    @property
    def live(self) -> Any:
        return self.databases.live

    async def partner_token(self, scopes: str = CC_SCOPES) -> str:
        """A client-credentials token of a new app of the partner (for test set-up)."""
        issued = await self.app.state.auth.clients.create(
            partner_id=self.partner_id, name="Set-up app", scopes=scopes)
        async with httpx.AsyncClient(base_url=self.base_url) as http:
            answer = await http.post("/oauth/token", data={
                "grant_type": "client_credentials", "scope": scopes},
                auth=(issued.client.client_id, issued.client_secret or ""))
        return str(answer.json()["access_token"])

    async def graphql(self, query: str, variables: dict[str, Any], token: str) -> Any:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as http:
            answer = await http.post("/graphql", json={"query": query, "variables": variables},
                                     headers={"Authorization": f"Bearer {token}"})
        return answer.json()


@pytest.fixture(scope="module")
async def console(mongo_client: Mongo) -> AsyncIterator[ConsolePlatform]:
    patch = pytest.MonkeyPatch()
    patch.setenv(ALLOW_NETWORKS_ENV, "127.0.0.0/8")
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    mongo = Mongo(client=mongo_client.client,
                  db=mongo_client.client[f"con_{new_id('evt')[4:].lower()}"],
                  uri=mongo_client.uri)
    databases = Databases.beside(mongo.db)
    app = create_app(Settings(issuer=base_url, port=port), mongo)
    partner_id = new_id("ptn")
    await databases.live["partners"].insert_one(
        {"_id": partner_id, "name": "Console Mart", "type": "STORE_CHAIN"})
    try:
        async with serve_in_loop(app, port):
            running = ConsolePlatform(base_url, app, databases, partner_id)
            token = await running.partner_token()
            for code in ("A", "B"):
                made = await running.graphql(UPSERT_STORE, {"input": store_input(f"CM-{code}")},
                                             token)
                running.store_ids[code] = made["data"]["upsertStore"]["store"]["id"]
            users = ConsoleUsers(databases.live)
            for role, stores in (("admin", ()), ("developer", ()),
                                 ("staff", (running.store_ids["A"],))):
                email = f"{role}-{new_id('evt')[-6:].lower()}@console.test"
                await users.create(partner_id=partner_id, email=email, role=role,
                                   password=PASSWORD, store_ids=stores)
                running.emails["staff_a" if role == "staff" else role] = email
            yield running
    finally:
        patch.undo()
        for db in databases.each():
            await mongo_client.client.drop_database(db.name)
