"""The all-in-one app (``create_app``) in this process, with every subgraph call recorded.

The refusal matrix and the property tests both need the platform exactly as ``loopgate
serve`` assembles it (OAuth verification, the sandbox hook, the limits, the endpoint), on a
database of its own on the real FerretDB, plus a way to see whether a request reached any
subgraph. The gateway's router is swapped, through :meth:`Gateway.replace_supergraph`, for
one that records each request before passing it on, so "no subgraph was called" is what the
router saw. Requests go through httpx's ASGI transport: no port is opened.
"""

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from starlette.applications import Starlette

from auth.direct import client_credentials_token
from auth.service import AuthService
from gateway.app import create_app
from gateway.config import Settings
from gateway.limits import OperationLimits
from gateway.transports import SubgraphRequest
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import sandbox_name
from tests.gateway.conftest import CountingRouter

BASE_URL = "http://loopgate.test"
PARTNER_SCOPES = ("stores:read stores:write catalog:read catalog:write inventory:read "
                  "inventory:write orders:read orders:write members:read points:read "
                  "points:write payments:read payments:write refunds:write deals:write "
                  "vouchers:read vouchers:redeem webhooks:manage subgraphs:manage apps:manage")
"""Every scope a partner may hold (all but ``platform:admin``)."""


@dataclass(frozen=True)
class CountedPlatform:
    """The app, an HTTP client bound to it, a partner's token, and the subgraph calls seen."""

    app: Starlette
    http: httpx.AsyncClient
    token: str
    calls: Sequence[SubgraphRequest]

    @property
    def bearer(self) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}"}


async def mint(auth: AuthService, scopes: str = PARTNER_SCOPES) -> str:
    """A client-credentials token of a fresh partner, through the token endpoint's logic."""
    partner_id = new_id("ptn")
    await auth.db["partners"].insert_one({"_id": partner_id, "name": "Matrix partner",
                                          "type": "STORE_CHAIN"})
    issued = await auth.clients.create(partner_id=partner_id, name="Matrix app", scopes=scopes,
                                       grant_types=["client_credentials"])
    answer = await client_credentials_token(auth, issued.client.client_id,
                                            issued.client_secret, scopes)
    assert answer.status == 200, answer.body
    return str(answer.body["access_token"])


@asynccontextmanager
async def counted_platform(mongo_client: Mongo, limits: OperationLimits | None = None,
                           ) -> AsyncIterator[CountedPlatform]:
    """The app over a fresh database (dropped afterwards, sandbox twin included)."""
    name = f"cnt_{new_id('evt')[4:].lower()}"
    mongo = Mongo(client=mongo_client.client, db=mongo_client.client[name], uri=mongo_client.uri)
    app = create_app(Settings(issuer=BASE_URL, limits=limits or OperationLimits()), mongo)
    gateway = app.state.gateway
    counting = CountingRouter(gateway.router)
    gateway.replace_supergraph(gateway.supergraph, counting)
    try:
        async with app.router.lifespan_context(app):
            token = await mint(app.state.auth)
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url=BASE_URL,
                                         timeout=60) as http:
                yield CountedPlatform(app, http, token, counting.requests)
    finally:
        await mongo_client.client.drop_database(name)
        await mongo_client.client.drop_database(sandbox_name(name))
