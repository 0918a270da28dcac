"""A partner registers its subgraph through the serve app (registerSubgraph with a real
token): Store.partnerRating is queryable through the same gateway without a restart, a
breaking re-registration is refused while the previous graph keeps serving, a sandbox app's
subgraph reaches sandbox tokens only, and a removed one leaves the graph."""

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from auth.direct import client_credentials_token
from gateway.app import create_app
from gateway.config import Settings
from gateway.embedded.server import free_port
from gateway.supergraph_versions import SupergraphVersions
from partners.subgraphs import compose_graph
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from tests.auth.fixtures import serve_in_loop
from tests.partners.subgraphs.partner_apps import SDLS, sdl_of

SCOPES = "stores:read stores:write subgraphs:manage"
REGISTER = """mutation($input: RegisterSubgraphInput!) { registerSubgraph(input: $input) {
  subgraph { id status supergraphVersion } userErrors { code message } } }"""
REMOVE = """mutation($id: ID!) { removeSubgraph(subgraphId: $id) {
  subgraph { status } userErrors { code } } }"""
RATINGS = "{ stores(first: 5) { edges { node { name partnerRating } } } }"
UPSERT_STORE = """mutation($input: UpsertStoreInput!) { upsertStore(input: $input) {
  store { id } userErrors { code message } } }"""
STORE = {"code": "PS-1", "name": "Partner Subgraph Store",
         "location": {"lat": 31.2306, "lng": 121.4739},
         "address": {"line1": "1 People's Square", "city": "Shanghai", "country": "CN"},
         "openingHours": [{"dayOfWeek": d, "opens": "00:00", "closes": "23:59"}
                          for d in range(1, 8)], "services": ["PICKUP"]}


class Client:
    def __init__(self, app: Any, http: httpx.AsyncClient) -> None:
        self.app, self.http = app, http

    async def token(self, *, sandbox: bool = False) -> str:
        auth = self.app.state.auth
        partner_id = new_id("ptn")
        await auth.db["partners"].insert_one({"_id": partner_id, "name": "Rating Mart",
                                              "type": "STORE_CHAIN",
                                              "grantableScopes": SCOPES.split()})
        issued = await auth.clients.create(partner_id=partner_id, name="app", scopes=SCOPES,
                                           sandbox=sandbox)
        answer = await client_credentials_token(auth, issued.client.client_id,
                                                issued.client_secret or "", SCOPES)
        assert answer.status == 200, answer.body
        return str(answer.body["access_token"])

    async def graphql(self, query: str, token: str | None, **variables: Any) -> dict[str, Any]:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        reply = await self.http.post("/graphql", json={"query": query, "variables": variables},
                                     headers={**headers, "accept": "application/json"})
        return reply.json()

    async def ratings(self, token: str | None) -> dict[str, Any]:
        return await self.graphql(RATINGS, token)


async def eventually(check: Callable[[], Awaitable[bool]], timeout_s: float = 15.0) -> None:
    """Until ``check()`` holds: each gateway polls its version pointer every 2 s."""
    deadline = time.monotonic() + timeout_s
    while not await check():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)


async def test_register_query_refuse_sandbox_and_remove_without_restart(mongo: Mongo, base):
    port = free_port()
    app = create_app(Settings(issuer=f"http://127.0.0.1:{port}", port=port), mongo,
                     compose=compose_graph)
    async with serve_in_loop(app, port) as url, \
            httpx.AsyncClient(base_url=url, timeout=30) as http:
        client = Client(app, http)
        live = await client.token()
        created = await client.graphql(UPSERT_STORE, live, input=STORE)
        assert created["data"]["upsertStore"]["userErrors"] == []
        assert "errors" in await client.ratings(live)   # no such field yet

        registered = await client.graphql(REGISTER, live, input={
            "name": "acme", "url": f"{base}/rating/graphql"})
        payload = registered["data"]["registerSubgraph"]
        assert payload["userErrors"] == [] and payload["subgraph"]["status"] == "ACTIVE"

        async def rated() -> bool:
            answer = await client.ratings(live)
            return "errors" not in answer
        await eventually(rated)
        assert (await client.ratings(live))["data"]["stores"]["edges"] == [
            {"node": {"name": "Partner Subgraph Store", "partnerRating": 4.5}}]

        SDLS["gw-broken"] = sdl_of('type Store @key(fields: "id") { id: ID! '
                                   "partnerRating: String }", "type Query { ratingScale: Int! }")
        refused = (await client.graphql(REGISTER, live, input={
            "name": "acme", "url": f"{base}/sdl/gw-broken"}))["data"]["registerSubgraph"]
        assert refused["userErrors"][0]["message"].startswith("BREAKING_CHANGE")
        assert refused["subgraph"]["status"] == "ACTIVE"
        await asyncio.sleep(2.5)   # a poll later: still the previous graph
        assert (await client.ratings(live))["data"]["stores"]["edges"][0]["node"][
            "partnerRating"] == 4.5

        sandbox = await client.token(sandbox=True)   # its first request loads demo stores
        sandboxed = (await client.graphql(REGISTER, sandbox, input={
            "name": "acmesand", "url": f"{base}/rating/graphql"}))["data"]["registerSubgraph"]
        assert sandboxed["userErrors"] == []

        async def sandbox_rated() -> bool:
            answer = await client.ratings(sandbox)
            rated = [edge["node"]["partnerRating"] for edge in
                     ((answer.get("data") or {}).get("stores") or {}).get("edges", [])]
            return "errors" not in answer and bool(rated) and set(rated) == {4.5}
        await eventually(sandbox_rated)
        live_sdl = (await compose_graph(app.state.mongo.db)).supergraph_sdl
        assert "ACMESAND" not in live_sdl   # the live graph never has it
        assert "ACMESAND" not in (await SupergraphVersions(app.state.mongo.db).current()).sdl

        removed = (await client.graphql(REMOVE, live, id=payload["subgraph"]["id"]))
        assert removed["data"]["removeSubgraph"] == {"subgraph": {"status": "REMOVED"},
                                                     "userErrors": []}

        async def gone() -> bool:
            return "errors" in await client.ratings(live)
        await eventually(gone)
