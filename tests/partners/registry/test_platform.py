"""Apps self-service through the whole platform, as a partner uses it: ``create_app`` served by
uvicorn, a real OAuth token of the partner's admin app (``apps:manage``), GraphQL through the
gateway. The app it creates gets tokens from the real token endpoint; once revoked it gets
none, and its token stops working at the gateway within seconds."""

import asyncio
import time

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from auth.clients import REVOKED_APPS_MAX_AGE_S
from gateway.app import create_app
from gateway.config import Settings
from gateway.embedded.server import free_port
from partners.registry import create_partner
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases
from tests.auth.fixtures import AuthServer, MintedToken, serve_in_loop
from tests.sandbox.conftest import Platform, poster

CREATE = """mutation($input: CreateAppInput!) { createApp(input: $input) {
  app { id scopes revoked } clientSecret userErrors { code field } } }"""
REVOKE = "mutation($id: ID!) { revokeApp(appId: $id) { app { revoked } userErrors { code } } }"



async def test_a_partner_manages_its_apps_through_the_gateway(
        mongo: Mongo, sandbox: AsyncDatabase) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(Settings(issuer=base_url, port=port), mongo)
    async with serve_in_loop(app, port), httpx.AsyncClient(base_url=base_url,
                                                           timeout=60) as http:
        platform = Platform(base_url, AuthServer(base_url, app.state.auth),
                            Databases.beside(mongo.db))
        graphql = poster(http)
        partner = await create_partner(mongo.db, name="Self Service Mart",
                                       partner_type="STORE_CHAIN")
        other = await create_partner(mongo.db, name="Other Mart", partner_type="MERCHANT")
        admin = await platform.token(partner["_id"], sandbox=False, scopes="apps:manage")
        reader = await platform.token(partner["_id"], sandbox=False, scopes="stores:read")
        their_admin = await platform.token(other["_id"], sandbox=False, scopes="apps:manage")

        made = (await graphql(CREATE, {"input": {"name": "Till", "scopes": ["stores:read"]}},
                              token=admin))["data"]["createApp"]
        assert made["userErrors"] == [] and made["app"]["scopes"] == ["stores:read"]
        app_id, secret = made["app"]["id"], made["clientSecret"]

        issued = await http.post("/oauth/token", data={"grant_type": "client_credentials"},
                                 auth=(app_id, secret))
        assert issued.status_code == 200, issued.text
        till = MintedToken(issued.json()["access_token"], app_id, partner["_id"],
                           frozenset({"stores:read"}))
        viewer = await graphql("{ viewer { clientId } }", token=till)
        assert viewer["data"]["viewer"]["clientId"] == app_id

        refused = await graphql("{ apps { id } }", token=reader)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
        theirs = (await graphql(REVOKE, {"id": app_id}, token=their_admin))["data"]
        assert theirs["revokeApp"]["userErrors"] == [{"code": "NOT_FOUND"}]

        revoked_at = time.monotonic()
        out = (await graphql(REVOKE, {"id": app_id}, token=admin))["data"]["revokeApp"]
        assert out == {"app": {"revoked": True}, "userErrors": []}
        again = await http.post("/oauth/token", data={"grant_type": "client_credentials"},
                                auth=(app_id, secret))
        assert again.status_code == 401 and again.json()["error"] == "invalid_client"
        while True:
            response = await http.post("/graphql", json={"query": "{ viewer { clientId } }"},
                                       headers=till.headers)
            if response.status_code == 401:
                break
            assert time.monotonic() - revoked_at < REVOKED_APPS_MAX_AGE_S + 2
            await asyncio.sleep(0.1)
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        listed = (await graphql("{ apps { id revoked } }", token=admin))["data"]["apps"]
        assert {"id": app_id, "revoked": True} in listed
