"""Partner subgraphs through the serve app: hot reload, sandbox graph, restart, token,
timeout, and requests in flight during a switch. Tests of this module run in order on one
app (each builds on the graph the previous one published)."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import Any

import pytest

from auth.context import CONTEXT_HEADER, ContextTokenVerifier
from auth.jwks import RemoteJwks
from gateway.supergraph_versions import SupergraphVersions
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases
from tests.gateway.partner_graph.conftest import (
    PARTNER_TIMEOUT_S,
    Partners,
    Running,
    eventually,
    running,
)
from tests.gateway.partner_graph.partner import (
    BADGE,
    HELLO,
    RATING,
    Registrations,
    partner_schema,
)

STORES = "{ stores(first: 5) { edges { node { id name partnerRating } } } }"
BADGES = "{ stores(first: 5) { edges { node { id name partnerBadge } } } }"
UPSERT_STORE = """mutation($input: UpsertStoreInput!) { upsertStore(input: $input) {
  store { id } userErrors { code } } }"""
STORE_INPUT = {"code": "PG-1", "name": "Partner Graph Store",
               "location": {"lat": 31.2306, "lng": 121.4739},
               "address": {"line1": "1 People's Square", "city": "Shanghai", "country": "CN"},
               "openingHours": [{"dayOfWeek": d, "opens": "00:00", "closes": "23:59"}
                                for d in range(1, 8)], "services": ["PICKUP"]}


def nodes(answer: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in answer["data"]["stores"]["edges"]]


def codes(answer: dict[str, Any]) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in answer.get("errors", [])]


async def answers(app: Running, query: str, token: str) -> bool:
    return "errors" not in await app.graphql(query, token)


async def test_a_published_partner_subgraph_answers_without_restart(
        served: Running, partners: Partners, registrations: Registrations) -> None:
    live = Databases.beside(served.app.state.mongo.db).live
    graphs = served.graphs
    assert graphs.sandbox_gateway() is graphs.live.gateway   # one graph: shared caches
    token, client_id = await served.token()
    made = await served.graphql(UPSERT_STORE, token, {"input": STORE_INPUT})
    assert made["data"]["upsertStore"]["userErrors"] == [], made
    assert codes(await served.graphql(STORES, token)) == ["GRAPHQL_VALIDATION_FAILED"]

    registrations.register(live, "reviews", partner_schema().as_str(), partners.rating_url)
    await registrations.publish(live)
    await eventually(lambda: answers(served, STORES, token))
    assert graphs.sandbox_gateway() is graphs.sandbox.gateway   # the graphs differ now

    stores = nodes(await served.graphql(STORES, token))
    assert stores and all(store["partnerRating"] == RATING for store in stores)
    assert {store["name"] for store in stores} == {"Partner Graph Store"}
    headers = partners.rating.headers[-1]
    assert "authorization" not in headers
    verifier = ContextTokenVerifier(RemoteJwks(f"{served.base_url}/.well-known/jwks.json"),
                                    served.auth.issuer, "reviews")
    principal = await verifier.verify(headers[CONTEXT_HEADER.lower()])
    assert principal is not None and principal.client_id == client_id
    assert not principal.sandbox


async def test_anonymous_callers_do_not_get_partner_fields(
        served: Running, partners: Partners) -> None:
    calls = len(partners.rating.headers)
    anonymous = await served.graphql("{ partnerHello }")
    assert anonymous["data"] == {"partnerHello": None}
    assert codes(anonymous) == ["UNAUTHORIZED_FIELD_OR_TYPE"]
    assert "needs authentication" in anonymous["errors"][0]["message"]
    assert len(partners.rating.headers) == calls   # the partner was not called

    token, _ = await served.token()
    named = await served.graphql("{ partnerHello }", token)
    assert named["data"] == {"partnerHello": HELLO} and "errors" not in named


async def test_a_sandbox_version_only_changes_the_sandbox_graph(
        served: Running, partners: Partners, registrations: Registrations) -> None:
    graphs = served.graphs
    sandbox_db = Databases.beside(served.app.state.mongo.db).sandbox
    live_token, _ = await served.token()
    sandbox_token, sandbox_client = await served.token(sandbox=True)
    assert codes(await served.graphql(BADGES, sandbox_token)) == ["GRAPHQL_VALIDATION_FAILED"]

    registrations.register(sandbox_db, "badges", partner_schema(badge=True).as_str(),
                           partners.badge_url)
    await registrations.publish(sandbox_db)
    await eventually(lambda: answers(served, BADGES, sandbox_token))

    sandbox_stores = nodes(await served.graphql(BADGES, sandbox_token))
    assert sandbox_stores and all(s["partnerBadge"] == BADGE for s in sandbox_stores)
    assert codes(await served.graphql(BADGES, live_token)) == ["GRAPHQL_VALIDATION_FAILED"]
    assert codes(await served.graphql(STORES, sandbox_token)) == ["GRAPHQL_VALIDATION_FAILED"]
    assert "errors" not in await served.graphql(STORES, live_token)
    assert graphs.sandbox_gateway() is graphs.sandbox.gateway
    verifier = ContextTokenVerifier(served.auth.keyring, served.auth.issuer, "badges")
    principal = await verifier.verify(partners.badge.headers[-1][CONTEXT_HEADER.lower()])
    assert principal is not None and principal.sandbox and principal.client_id == sandbox_client
    sandbox_versions = await SupergraphVersions(sandbox_db).list()
    live_versions = await SupergraphVersions(graphs.live.db).list()
    assert "badges" in sandbox_versions[0].sdl
    assert all("badges" not in version.sdl for version in live_versions)


async def test_persisted_queries_are_checked_against_the_callers_graph(
        served: Running) -> None:
    """An automatic persisted query using a sandbox-only field is kept when a sandbox app
    registers it (it validates against the sandbox graph) and refused as invalid to a live
    app, whose registration of it is not kept."""
    sandbox_token, _ = await served.token(sandbox=True)
    live_token, _ = await served.token()
    sandbox_query = BADGES.replace("first: 5", "first: 4")
    live_query = BADGES.replace("first: 5", "first: 3")

    def ref(query: str) -> dict[str, Any]:
        return {"persistedQuery": {"version": 1,
                                   "sha256Hash": hashlib.sha256(query.encode()).hexdigest()}}

    registered = await served.graphql(sandbox_query, sandbox_token, extensions=ref(sandbox_query))
    assert "errors" not in registered
    by_hash = await served.graphql(None, sandbox_token, extensions=ref(sandbox_query))
    assert "errors" not in by_hash and nodes(by_hash)[0]["partnerBadge"] == BADGE

    refused = await served.graphql(live_query, live_token, extensions=ref(live_query))
    assert codes(refused) == ["GRAPHQL_VALIDATION_FAILED"]
    unknown = await served.graphql(None, live_token, extensions=ref(live_query))
    assert codes(unknown) == ["PERSISTED_QUERY_NOT_FOUND"]


async def test_a_hanging_partner_gets_its_own_timeout_and_platform_fields_answer(
        served: Running, partners: Partners) -> None:
    token, _ = await served.token()
    partners.rating.hang_s = PARTNER_TIMEOUT_S + 1.5
    try:
        started = time.monotonic()
        answer = await served.graphql(STORES, token)
        took = time.monotonic() - started
    finally:
        partners.rating.hang_s = 0.0
    assert PARTNER_TIMEOUT_S <= took < PARTNER_TIMEOUT_S + 2.0
    stores = nodes(answer)
    assert stores and all(s["name"] == "Partner Graph Store" and s["partnerRating"] is None
                          for s in stores)
    [error] = answer["errors"]
    assert error["extensions"]["code"] == "SUBGRAPH_UNAVAILABLE"
    assert error["extensions"]["serviceName"] == "reviews"
    assert "timed out" in error["message"]
    await asyncio.sleep(1.0)   # the hung request ends on the partner's side
    assert nodes(await served.graphql(STORES, token))[0]["partnerRating"] == RATING


async def test_requests_in_flight_during_a_switch_all_succeed(
        served: Running, partners: Partners, registrations: Registrations) -> None:
    """A second partner subgraph joins the live graph while requests through the first are
    running; every one of them answers in full."""
    live = served.graphs.live.db
    token, _ = await served.token()
    partners.rating.delay_s = 0.1
    stop = asyncio.Event()

    async def client() -> list[dict[str, Any]]:
        seen = []
        while not stop.is_set():
            seen.append(await served.graphql(STORES, token))
        return seen

    try:
        clients = [asyncio.create_task(client()) for _ in range(8)]
        await asyncio.sleep(0.5)
        registrations.register(live, "badges", partner_schema(badge=True).as_str(),
                               partners.badge_url)
        await registrations.publish(live)
        await eventually(lambda: answers(served, BADGES, token))
        await asyncio.sleep(0.5)
        stop.set()
        results = [answer for task in clients for answer in await task]
    finally:
        partners.rating.delay_s = 0.0
    assert len(results) >= 16
    for answer in results:
        assert "errors" not in answer, answer
        assert all(store["partnerRating"] == RATING for store in nodes(answer))


async def test_a_restart_keeps_the_partner_subgraphs(
        served: Running, served_mongo: Mongo, registrations: Registrations) -> None:
    live = served.graphs.live.db
    versions = [v.version for v in await SupergraphVersions(live).list()]
    async with running(served_mongo, registrations) as restarted:
        token, _ = await restarted.token()
        assert "errors" not in await restarted.graphql(STORES, token)   # from the first request
        assert "errors" not in await restarted.graphql(BADGES, token)
    assert [v.version for v in await SupergraphVersions(live).list()] == versions


async def test_a_partner_set_that_no_longer_composes_falls_back_to_the_platform(
        served_mongo: Mongo, partners: Partners, caplog: pytest.LogCaptureFixture) -> None:
    """A new build where the registered subgraphs do not compose: the platform graph is
    published and served, and the composition errors are logged."""
    live = Databases.beside(served_mongo.db).live
    broken = Registrations()
    broken.register(live, "reviews", partner_schema().as_str(), partners.rating_url)
    broken.register(live, "shadow", "extend schema @link(url: "
                    '"https://specs.apollo.dev/federation/v2.5", import: ["@key"])\n'
                    'type Store @key(fields: "id") { id: ID! name: String }',
                    partners.rating_url)
    with caplog.at_level(logging.ERROR, logger="loopgate.supergraph"):
        async with running(served_mongo, broken) as restarted:
            token, _ = await restarted.token()
            assert codes(await restarted.graphql(STORES, token)) == [
                "GRAPHQL_VALIDATION_FAILED"]
            platform = await restarted.graphql("{ stores(first: 1) { edges { node { name } } } }",
                                               token)
            assert "errors" not in platform
    assert "no longer compose" in caplog.text
    current = await SupergraphVersions(live).current()
    assert current is not None and "platform only" in current.source
