"""The webhook self-service through the whole platform, as a partner uses it: ``create_app``
served by uvicorn (its relays and its webhook dispatchers of the live database and the
sandbox), real OAuth tokens of a live and a sandbox app, GraphQL through the gateway. A store
change made with each token reaches only that mode's endpoint, signed; each token's delivery
log and events show only its own mode's; a token without webhooks:manage is refused."""

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from gateway.app import create_app
from gateway.config import Settings
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases
from tests.auth.fixtures import AuthServer, serve_in_loop
from tests.partners.graphql.helpers import (
    CREATE,
    DELETE,
    DELIVERIES,
    EVENTS,
    free_port,
    receiver,
)
from tests.partners.webhooks.helpers import eventually, verifies
from tests.sandbox.conftest import Platform, poster
from tests.stores.helpers import UPSERT_STORE, store_input

SCOPES = "stores:read stores:write webhooks:manage"


async def test_live_and_sandbox_apps_get_their_own_webhooks_and_events(
        mongo: Mongo, sandbox: AsyncDatabase) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(Settings(issuer=base_url, port=port), mongo)
    async with serve_in_loop(app, port), httpx.AsyncClient(base_url=base_url,
                                                           timeout=60) as http:
        platform = Platform(base_url, AuthServer(base_url, app.state.auth),
                            Databases.beside(mongo.db))
        graphql = poster(http)
        partner_id = await platform.partner("Hook Mart")
        live = await platform.token(partner_id, sandbox=False, scopes=SCOPES)
        sbx = await platform.token(partner_id, sandbox=True, scopes=SCOPES)
        narrow = await platform.token(partner_id, sandbox=False, scopes="stores:read")
        hooks = {"live": await receiver(), "sandbox": await receiver()}
        try:
            secrets, stores = {}, {}
            for mode, token in (("live", live), ("sandbox", sbx)):
                out = await graphql(CREATE, {"input": {"url": hooks[mode].url,
                                                       "topics": ["store.updated"]}},
                                    token=token)
                payload = out["data"]["createWebhookEndpoint"]
                assert payload["userErrors"] == [], payload
                secrets[mode] = payload["secret"]
                made = await graphql(UPSERT_STORE, {"input": store_input(f"{mode}-1", 31.2,
                                                                         121.4)}, token=token)
                stores[mode] = made["data"]["upsertStore"]["store"]["id"]
            await eventually(lambda: all(len(h.answered) == 1 for h in hooks.values()),
                             timeout_s=30)
            for mode, token in (("live", live), ("sandbox", sbx)):
                got = hooks[mode].answered[0]
                assert got.event["resource"]["id"] == stores[mode] and verifies(got,
                                                                               secrets[mode])
                log = (await graphql(DELIVERIES, {}, token=token))["data"]["webhookEndpoints"]
                (endpoint,) = log
                (edge,) = endpoint["deliveries"]["edges"]
                assert edge["node"]["status"] == "SUCCEEDED"
                assert edge["node"]["event"]["resourceId"] == stores[mode]
                events = (await graphql(EVENTS, {"topics": ["store.updated"]},
                                        token=token))["data"]["events"]["events"]
                assert [e["resourceId"] for e in events] == [stores[mode]]
            # Typed errors come through the gateway as the subgraph made them.
            private = await graphql(CREATE, {"input": {"url": "http://10.1.2.3/hook",
                                                       "topics": ["store.updated"]}},
                                    token=live)
            assert [(e["code"], e["field"]) for e in
                    private["data"]["createWebhookEndpoint"]["userErrors"]] == [
                ("INVALID", ["input", "url"])]
            for variables in ({"first": 0}, {"since": "not-a-cursor"}, {"topics": ["nope"]}):
                bad = await graphql(EVENTS, variables, token=live)
                assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad
            bad = await graphql(DELIVERIES, {"first": 101}, token=live)
            assert bad["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", bad
            injected = await graphql(DELETE, {"id": {"$gt": ""}}, token=live, status=400)
            assert injected["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", injected
            refused = await graphql(EVENTS, {}, token=narrow)
            assert refused["data"] is None or refused["data"].get("events") is None
            assert refused["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
            assert all(len(h.received) == 1 for h in hooks.values())
        finally:
            for hook in hooks.values():
                await hook.stop()
