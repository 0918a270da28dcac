"""Usage counted by ``loopgate serve``'s endpoint: every answered request of a known app, its
errors, live and sandbox apps alike in the live database, flushed once more at shutdown.
(For tests/partners/registry/ once the endpoint and app.py wiring is applied.)"""

import httpx
from pymongo.asynchronous.database import AsyncDatabase

from gateway.app import create_app
from gateway.config import Settings
from gateway.embedded.server import free_port
from partners.registry import create_partner
from partners.usage import usage_days
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases
from tests.auth.fixtures import AuthServer, serve_in_loop
from tests.sandbox.conftest import Platform

VIEWER = {"query": "{ viewer { clientId } }"}


async def test_the_endpoint_counts_requests_and_errors_per_app(
        mongo: Mongo, sandbox: AsyncDatabase) -> None:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    app = create_app(Settings(issuer=base_url, port=port), mongo)
    async with serve_in_loop(app, port), httpx.AsyncClient(base_url=base_url,
                                                           timeout=60) as http:
        platform = Platform(base_url, AuthServer(base_url, app.state.auth),
                            Databases.beside(mongo.db))
        partner = await create_partner(mongo.db, name="Wired", partner_type="MERCHANT")
        live = await platform.token(partner["_id"], sandbox=False, scopes="stores:read")
        sbx = await platform.token(partner["_id"], sandbox=True, scopes="stores:read")
        for body in (VIEWER, VIEWER, {"query": "{ nope }"}):
            await http.post("/graphql", json=body, headers=live.headers)
        await http.post("/graphql", json=VIEWER, headers=sbx.headers)
        await http.post("/graphql", json=VIEWER, headers={"Authorization": "Bearer nonsense"})
    # the server stopped: its flusher flushed once more
    assert [(r, e) for _d, r, e in await usage_days(mongo.db, live.client_id, 1)] == [(3, 1)]
    assert [(r, e) for _d, r, e in await usage_days(mongo.db, sbx.client_id, 1)] == [(1, 0)]
