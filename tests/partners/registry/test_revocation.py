"""A revoked app through the real OAuth endpoints: no new token, and the token it holds stops
working within :data:`auth.clients.REVOKED_APPS_MAX_AGE_S`."""

import asyncio
import time

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from auth.clients import REVOKED_APPS_MAX_AGE_S, ClientRegistry, RevokedApps
from partners.registry import create_partner
from schema.kernel.ids import new_id
from schema.kernel.principal import Principal
from tests.auth.fixtures import AuthServer
from tests.partners.helpers import data

CREATE = """mutation($input: CreateAppInput!) { createApp(input: $input) {
  app { id } clientSecret userErrors { code } } }"""
REVOKE = "mutation($id: ID!) { revokeApp(appId: $id) { app { revoked } userErrors { code } } }"


async def _token(http: httpx.AsyncClient, server: AuthServer, client_id: str,
                 secret: str) -> httpx.Response:
    return await http.post(server.url("/oauth/token"), data={"grant_type": "client_credentials"},
                           auth=(client_id, secret))


async def test_a_revoked_app_gets_no_token_and_its_token_stops_working(
        auth_server: AuthServer) -> None:
    registry = auth_server.service.db
    partner = await create_partner(registry, name="Revokee", partner_type="MERCHANT",
                                   slug=new_id("evt")[4:].lower())
    manager = Principal("app-manager", frozenset({"apps:manage"}), partner_id=partner["_id"])
    created = (await data(registry, CREATE, manager, input={
        "name": "Doomed", "scopes": ["stores:read"]}))["createApp"]
    app_id, secret = created["app"]["id"], created["clientSecret"]
    async with httpx.AsyncClient() as http:
        issued = await _token(http, auth_server, app_id, secret)
        assert issued.status_code == 200, issued.text
        headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}
        assert (await http.get(auth_server.url("/whoami"), headers=headers)).status_code == 200

        revoked_at = time.monotonic()
        out = (await data(registry, REVOKE, manager, id=app_id))["revokeApp"]
        assert out == {"app": {"revoked": True}, "userErrors": []}

        refused = await _token(http, auth_server, app_id, secret)
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        while True:
            whoami = await http.get(auth_server.url("/whoami"), headers=headers)
            if whoami.status_code == 401:
                break
            assert time.monotonic() - revoked_at < REVOKED_APPS_MAX_AGE_S + 2
            await asyncio.sleep(0.1)
        stopped_after = time.monotonic() - revoked_at
        assert whoami.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert "revoked" in whoami.json()["errors"][0]["message"]
        assert stopped_after <= REVOKED_APPS_MAX_AGE_S + 2


async def test_revoked_apps_cache_reads_each_client_at_most_once_per_period(
        db: AsyncDatabase) -> None:
    clients = ClientRegistry(db)
    app = (await clients.create(partner_id=new_id("ptn"), name="A", scopes="stores:read")).client
    cache = RevokedApps(db, max_age_s=0.3)
    reads = 0
    original = cache._read

    async def counted(client_id: str) -> bool:
        nonlocal reads
        reads += 1
        return await original(client_id)

    cache._read = counted  # type: ignore[method-assign]
    assert set(await asyncio.gather(*(cache.is_revoked(app.client_id)
                                      for _ in range(50)))) == {False}
    assert reads == 1
    await clients.revoke(app.client_id)
    assert await cache.is_revoked(app.client_id) is False   # still the last read
    await asyncio.sleep(0.35)
    assert await cache.is_revoked(app.client_id) is True
    await asyncio.sleep(0.35)
    assert await cache.is_revoked(app.client_id) is True
    assert reads == 2   # a revoked client is never read again
    assert await cache.is_revoked(new_id("app")) is False   # unknown: not called revoked
