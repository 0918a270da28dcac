"""The supergraph version store on the real FerretDB, the poller that hot-reloads gateways
from it, and ``loopgate supergraph list|show|publish|rollback``."""

import asyncio
import contextlib
import logging
from pathlib import Path

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli import main
from gateway.compose import SubgraphSource, compose_supergraph
from gateway.federation import Supergraph
from gateway.service import Gateway, GraphQLRequest
from gateway.supergraph_versions import (
    POINTER,
    VERSIONS,
    InvalidSupergraph,
    SupergraphVersions,
    UnknownVersion,
    applying_to,
    digest,
    follow_supergraph,
    publish_and_follow,
)
from schema.kernel.mongo import Mongo
from tests.gateway.conftest import in_process_router
from tests.gateway.subgraphs import SCHEMAS


def _composed(*names: str) -> str:
    result = compose_supergraph([SubgraphSource(name, SCHEMAS[name].as_str(),
                                                url=f"http://127.0.0.1:4101/{name}")
                                 for name in names])
    assert result.supergraph_sdl is not None, result.errors
    return result.supergraph_sdl


SMALL = _composed("products")
FULL = _composed("products", "reviews", "users")


async def test_publish_numbers_versions_and_points_at_the_newest(db: AsyncDatabase) -> None:
    store = SupergraphVersions(db)
    assert await store.current() is None
    first = await store.publish(SMALL, source="test")
    second = await store.publish(FULL, source="test")
    assert (first.version, second.version) == (1, 2)
    assert (await store.current()).sha256 == digest(FULL)
    assert [v.version for v in await store.list()] == [2, 1]
    again = await store.publish(FULL)   # the current one: nothing new
    assert again.version == 2 and len(await store.list()) == 2


async def test_rollback_moves_the_pointer_and_a_new_publish_adds_a_version(
        db: AsyncDatabase) -> None:
    store = SupergraphVersions(db)
    await store.publish(SMALL)
    await store.publish(FULL)
    assert (await store.rollback(1)).sdl == SMALL
    assert await store.current_version() == 1
    republished = await store.publish(FULL)
    assert republished.version == 3 and await store.current_version() == 3


async def test_bad_input_changes_nothing(db: AsyncDatabase) -> None:
    store = SupergraphVersions(db)
    await store.publish(SMALL)
    with pytest.raises(InvalidSupergraph):
        await store.publish("type Query { broken: Int }")
    with pytest.raises(UnknownVersion):
        await store.rollback(7)
    assert await store.current_version() == 1
    assert await db[VERSIONS].count_documents({}) == 1


async def test_racing_publishers_get_distinct_numbers_and_the_newest_stays_current(
        db: AsyncDatabase, mongo_client: Mongo) -> None:
    """Two processes (two clients) publish different supergraphs at once."""
    other = Mongo.open(mongo_client.uri, db.name)
    try:
        stores = [SupergraphVersions(db), SupergraphVersions(other.db)]
        variants = [_composed("products"), _composed("products", "reviews", "users"),
                    _composed("users"), _composed("products", "reviews")]
        published = await asyncio.gather(*(stores[i % 2].publish(sdl)
                                           for i, sdl in enumerate(variants)))
    finally:
        await other.close()
    numbers = sorted(v.version for v in await SupergraphVersions(db).list())
    assert numbers == [1, 2, 3, 4]
    assert await SupergraphVersions(db).current_version() == 4
    assert all(v.version <= 4 for v in published)


async def test_processes_publishing_the_same_supergraph_at_once_add_one_version(
        db: AsyncDatabase, mongo_client: Mongo) -> None:
    """N workers starting at once each publish their (identical) supergraph."""
    other = Mongo.open(mongo_client.uri, db.name)
    try:
        stores = [SupergraphVersions(db), SupergraphVersions(other.db)]
        published = await asyncio.gather(*(stores[i % 2].publish(FULL) for i in range(4)))
    finally:
        await other.close()
    assert {v.version for v in published} == {1}
    assert await db[VERSIONS].count_documents({}) == 1


async def _serves_reviews(gateway: Gateway) -> bool:
    result = await gateway.execute(GraphQLRequest("{ topProducts { name reviews { body } } }"))
    return not result.response.get("errors")


def _gateway(sdl: str) -> Gateway:
    return Gateway(Supergraph.parse(sdl), in_process_router())


async def _until(condition, within: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "condition never held"
        await asyncio.sleep(0.05)


async def test_followers_switch_together_and_skip_a_bad_version(
        db: AsyncDatabase, caplog: pytest.LogCaptureFixture) -> None:
    """Two gateway processes follow one store: a publish and a rollback reach both; a
    version that does not parse is logged and skipped, both keep serving."""
    store = SupergraphVersions(db)
    await store.publish(SMALL)
    gateways = [_gateway(SMALL), _gateway(SMALL)]
    followers = [asyncio.create_task(follow_supergraph(db, applying_to(g), applied=1,
                                                       interval_s=0.05)) for g in gateways]
    try:
        assert not any([await _serves_reviews(g) for g in gateways])
        await store.publish(FULL)
        for g in gateways:
            await _until(lambda g=g: _serves_reviews(g))
        await db[VERSIONS].insert_one({"_id": 99, "sdl": "not a supergraph", "sha256": "x",
                                       "publishedAt": (await store.get(1)).published_at})
        with caplog.at_level(logging.ERROR, logger="loopgate.supergraph"):
            await store.rollback(99)
            await asyncio.sleep(0.3)
        assert "supergraph version 99 skipped" in caplog.text
        assert all([await _serves_reviews(g) for g in gateways])
        await store.rollback(1)
        for g in gateways:
            await _until(lambda g=g: _not(_serves_reviews(g)))
    finally:
        for task in followers:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def _not(check) -> bool:
    return not await check


async def test_a_version_naming_a_subgraph_this_process_cannot_reach_is_skipped() -> None:
    gateway = Gateway(Supergraph.parse(SMALL), in_process_router(["products"]))
    with pytest.raises(ValueError, match="reviews"):
        applying_to(gateway)(Supergraph.parse(FULL))
    assert set(gateway.supergraph.subgraphs) == {"products"}


async def test_publish_and_follow_publishes_what_the_process_serves(db: AsyncDatabase) -> None:
    """What ``loopgate serve`` runs at start: its supergraph becomes current, then a rollback
    by anyone reaches it."""
    store = SupergraphVersions(db)
    await store.publish(SMALL)
    gateway = _gateway(FULL)
    task = asyncio.create_task(publish_and_follow(db, gateway, source="serve", interval_s=0.05))
    try:
        await _until(lambda: _is_current(store, FULL))
        assert await _serves_reviews(gateway)
        await store.rollback(1)
        await _until(lambda: _not(_serves_reviews(gateway)))
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    assert (await store.get(2)).source == "serve"


async def _is_current(store: SupergraphVersions, sdl: str) -> bool:
    current = await store.current()
    return current is not None and current.sha256 == digest(sdl)


def _cli(ferretdb: str, db_name: str, *args: str) -> int:
    return main(["supergraph", *args, "--mongodb-uri", ferretdb, "--db", db_name])


async def test_cli_lists_shows_publishes_and_rolls_back(
        db: AsyncDatabase, ferretdb: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    small, full, bad = tmp_path / "small.graphql", tmp_path / "full.graphql", tmp_path / "b.gql"
    small.write_text(SMALL)
    full.write_text(FULL)
    bad.write_text("type Query { x: Int }")
    run = asyncio.get_running_loop().run_in_executor
    assert await run(None, _cli, ferretdb, db.name, "list") == 0
    assert "no supergraph published yet" in capsys.readouterr().out
    assert await run(None, _cli, ferretdb, db.name, "publish", str(small)) == 0
    assert await run(None, _cli, ferretdb, db.name, "publish", str(full)) == 0
    assert "version 2" in capsys.readouterr().out
    assert await run(None, _cli, ferretdb, db.name, "publish", str(bad)) == 1
    assert await run(None, _cli, ferretdb, db.name, "rollback", "9") == 1
    assert "no supergraph version 9" in capsys.readouterr().err
    assert await run(None, _cli, ferretdb, db.name, "rollback", "1") == 0
    assert await run(None, _cli, ferretdb, db.name, "list") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2].split()[0] == "2" and lines[-1].split()[:2] == ["*", "1"]
    assert "cli:small.graphql" in lines[-1]
    assert await run(None, _cli, ferretdb, db.name, "show") == 0
    assert capsys.readouterr().out == SMALL
    assert await db[POINTER].count_documents({}) == 1
