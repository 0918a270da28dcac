"""A running authorization server, and the token factory other test folders reuse.

A pytest plugin module: ``tests/auth/conftest.py`` imports its fixtures, and any other folder
gets them with ``pytest_plugins = ["tests.auth.fixtures"]`` in the root ``tests/conftest.py``.

One uvicorn server per test session serves :func:`auth.routes.oauth_routes` (the same routes
the main app mounts) over a session database on the real FerretDB; each test registers its
own partner and clients, so tests do not see each other's data. ``/whoami`` stands in for the
gateway: it verifies the bearer token with the same verifier the gateway uses.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Protocol

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from auth.clients import IssuedClient
from auth.errors import AuthError
from auth.routes import oauth_routes
from auth.service import AuthService
from gateway.embedded.server import free_port
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo

with warnings.catch_warnings():  # authlib nudges towards httpx2; the brief names httpx
    warnings.simplefilter("ignore", DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

REDIRECT_URI = "http://127.0.0.1/callback"

@dataclass(frozen=True)
class AuthServer:
    """The running server: its base URL and the service behind it."""

    base_url: str
    service: AuthService

    def url(self, path: str) -> str:
        return self.base_url + path

    async def register(self, scopes: str, *, partner_id: str | None = None,
                       grants: tuple[str, ...] = ("client_credentials",),
                       redirect_uris: tuple[str, ...] = (), public: bool = False,
                       resource_server: bool = False,
                       store_ids: tuple[str, ...] = ()) -> IssuedClient:
        """A new client for ``partner_id`` (a fresh partner when omitted)."""
        return await self.service.clients.create(
            partner_id=partner_id or new_id("ptn"), name="Test app", scopes=scopes,
            grant_types=list(grants), redirect_uris=list(redirect_uris), public=public,
            resource_server=resource_server, store_ids=store_ids)

    def oauth_client(self, issued: IssuedClient, **kwargs: object) -> AsyncOAuth2Client:
        return AsyncOAuth2Client(client_id=issued.client.client_id,
                                 client_secret=issued.client_secret, **kwargs)

    async def mint(self, scopes: str, *, partner_id: str | None = None) -> MintedToken:
        """A client-credentials token for a partner (fresh when omitted) with ``scopes``,
        through the real token endpoint."""
        issued = await self.register(scopes, partner_id=partner_id)
        async with self.oauth_client(issued, scope=scopes) as client:
            token = await client.fetch_token(self.url("/oauth/token"),
                                             grant_type="client_credentials")
        return MintedToken(token["access_token"], issued.client.client_id,
                           issued.client.partner_id, frozenset(token["scope"].split()))

@dataclass(frozen=True)
class MintedToken:
    """An access token minted through the real token endpoint, and who it was minted for."""

    access_token: str
    client_id: str
    partner_id: str
    scopes: frozenset[str]

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}

class TokenFactory(Protocol):
    """``await mint_token("stores:read orders:read", partner_id=…)`` → :class:`MintedToken`."""

    def __call__(self, scopes: str, *, partner_id: str | None = None) -> Awaitable[MintedToken]:
        ...

async def _whoami(request: Request) -> Response:
    service: AuthService = request.app.state.auth
    try:
        principal = await service.verifier.require(request.headers.get("authorization"))
    except AuthError as exc:
        return JSONResponse({"errors": [exc.to_graphql_error().formatted]}, status_code=401,
                            headers={"WWW-Authenticate": exc.www_authenticate()})
    return JSONResponse({"client_id": principal.client_id, "partner_id": principal.partner_id,
                         "member_id": principal.member_id, "scopes": sorted(principal.scopes),
                         "store_ids": sorted(principal.store_ids)})

def build_app(service: AuthService) -> Starlette:
    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await service.start()
        yield

    app = Starlette(routes=[*oauth_routes(service), Route("/whoami", _whoami)],
                    lifespan=lifespan)
    app.state.auth = service
    return app

@asynccontextmanager
async def serve_in_loop(app: ASGIApp, port: int | None = None) -> AsyncIterator[str]:
    """Serve ``app`` with uvicorn (on a free port by default) in this event loop.

    Yields the base URL. The same loop matters: the app uses the session's AsyncMongoClient.
    """
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on",
                            log_level="warning", ws="none")
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


@pytest.fixture(scope="session")
async def auth_server(mongo_client: Mongo) -> AsyncIterator[AuthServer]:
    """The authorization server on a free port, over its own session database."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    name = f"auth_{new_id('evt')[4:].lower()}"
    service = AuthService.create(mongo_client.client[name], issuer=base_url)
    async with serve_in_loop(build_app(service), port):
        yield AuthServer(base_url, service)
    await mongo_client.client.drop_database(name)


@pytest.fixture
def mint_token(auth_server: AuthServer) -> TokenFactory:
    """Mint a client-credentials token for a partner (fresh when omitted) with ``scopes``."""
    return auth_server.mint
