"""What a serve process publishes at start: its database's composed graph, in the
composition turn, or the platform's when the partner subgraphs cannot be composed."""

from __future__ import annotations

import asyncio
import logging

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.partner_graph.startup import publish_at_start
from gateway.platform import compose_platform
from gateway.supergraph_versions import SupergraphVersions, digest
from partners.subgraphs.turn import graph_turn
from tests.gateway.partner_graph.partner import Composition, Registrations, partner_schema

URL = "http://127.0.0.1:4761/graphql"


async def test_a_start_during_a_registration_waits_for_it_and_keeps_its_subgraph(
        db: AsyncDatabase) -> None:
    registrations = Registrations()
    async with graph_turn(db):   # a registration is composing
        starting = asyncio.create_task(publish_at_start(db, registrations.compose,
                                                        compose_platform(), interval_s=0.1))
        await asyncio.sleep(0.5)
        assert not starting.done()
        registrations.register(db, "reviews", partner_schema().as_str(), URL)
        registered = await registrations.publish(db)
    started = await starting
    assert started.version == registered.version == 1
    assert "partnerRating" in started.sdl
    assert await SupergraphVersions(db).current_version() == 1


async def test_a_composer_that_fails_leaves_the_platform_graph_served(
        db: AsyncDatabase, caplog: pytest.LogCaptureFixture) -> None:
    async def broken(_db: AsyncDatabase) -> Composition:
        raise RuntimeError("registry unreadable")

    with caplog.at_level(logging.ERROR, logger="loopgate.supergraph"):
        version = await publish_at_start(db, broken, compose_platform())
    assert version.sha256 == digest(compose_platform())
    assert version.source == "loopgate serve: platform only (RuntimeError)"
    assert "registry unreadable" in caplog.text


async def test_an_unchanged_graph_adds_no_version(db: AsyncDatabase) -> None:
    registrations = Registrations()
    registrations.register(db, "reviews", partner_schema().as_str(), URL)
    first = await publish_at_start(db, registrations.compose, compose_platform())
    again = await publish_at_start(db, registrations.compose, compose_platform())
    assert first.version == again.version == 1
    assert first.source == "loopgate serve: partner subgraphs: reviews"
