"""``served_app`` (what ``loopgate serve`` and each of its workers run) with the real partner
subgraph registration: a registered subgraph is served without a restart, needs a token, and
is still served after a restart without a new version."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from gateway.config import Settings
from gateway.embedded.server import free_port
from gateway.supergraph_versions import SupergraphVersions
from gateway.worker_app import served_app
from partners.subgraphs.register import register_subgraph
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases
from tests.auth.fixtures import serve_in_loop
from tests.gateway.partner_graph.conftest import Partners, Running, eventually
from tests.gateway.partner_graph.partner import HELLO, RATING

STORES = "{ stores(first: 5) { edges { node { name partnerRating } } } }"


@asynccontextmanager
async def serving_app(mongo: Mongo, port: int) -> AsyncIterator[Running]:
    base_url = f"http://127.0.0.1:{port}"
    app = served_app(Settings(issuer=base_url, port=port), mongo)
    async with serve_in_loop(app, port), httpx.AsyncClient(base_url=base_url,
                                                           timeout=30) as http:
        yield Running(app, base_url, http)   # type: ignore[arg-type]


async def test_a_registered_subgraph_is_served_without_restart_and_after_one(
        served_mongo: Mongo, partners: Partners) -> None:
    databases = Databases.beside(served_mongo.db)
    async with serving_app(served_mongo, free_port()) as served:
        for db in databases.each():
            [version] = await SupergraphVersions(db).list()
            assert version.source == "loopgate serve: platform"
        token, _ = await served.token()
        await served.graphql('mutation { upsertStore(input: {code: "S-1", name: "Served", '
                             'location: {lat: 31.23, lng: 121.47}, address: {line1: "1 Road", '
                             'city: "Shanghai", country: "CN"}, openingHours: [], '
                             'services: [PICKUP]}) { userErrors { code } } }', token)
        owner = await served.auth.db["partners"].find_one({})   # the token's, the only one
        outcome = await register_subgraph(databases.live, owner["_id"], "reviews",
                                          partners.rating_url)
        assert outcome.errors == (), outcome.errors

        async def served_rating() -> bool:
            answer = await served.graphql(STORES, token)
            return "errors" not in answer and answer["data"]["stores"]["edges"][0]["node"][
                "partnerRating"] == RATING

        await eventually(served_rating)
        anonymous = await served.graphql("{ partnerHello }")
        assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
        assert (await served.graphql("{ partnerHello }", token))["data"] == {
            "partnerHello": HELLO}
        versions = [v.version for v in await SupergraphVersions(databases.live).list()]

    async with serving_app(served_mongo, free_port()) as restarted:
        token, _ = await restarted.token()
        answer = await restarted.graphql(STORES, token)
        assert "errors" not in answer, answer
        assert answer["data"]["stores"]["edges"][0]["node"]["partnerRating"] == RATING
    assert [v.version for v in await SupergraphVersions(databases.live).list()] == versions
    assert len(await SupergraphVersions(databases.sandbox).list()) == 1
