"""Registrations at the same moment, in one process and in two, all end in the published
graph: each composes in the database's turn, after the previous one published."""

import asyncio
import sys

import pytest

from gateway.supergraph_versions import SupergraphVersions
from partners.subgraphs import Status, compose_graph
from partners.subgraphs.records import active_subgraphs
from partners.subgraphs.register import register_subgraph
from partners.subgraphs.turn import GraphBusy, graph_turn
from schema.kernel.ids import new_id
from tests.partners.subgraphs.partner_apps import SDLS, sdl_of


def _subgraph(name: str) -> str:
    SDLS[name] = sdl_of(f'type Store @key(fields: "id") {{ id: ID! {name}Score: Int }}',
                        f"type Query {{ {name}Version: Int }}")
    return name


async def test_concurrent_registrations_in_one_process_all_end_in_the_graph(db, base):
    names = [_subgraph(f"conc{i}") for i in range(3)]
    outcomes = await asyncio.gather(*(register_subgraph(db, new_id("ptn"), n, f"{base}/sdl/{n}")
                                      for n in names))
    assert all(o.errors == () and o.subgraph.status is Status.ACTIVE for o in outcomes)
    served = (await SupergraphVersions(db).current()).sdl
    assert all(f"{n}Score: Int @join__field(graph: {n.upper()})" in served for n in names)
    assert (await compose_graph(db)).supergraph_sdl == served


async def test_registrations_in_two_processes_both_end_in_the_graph(db, mongo, base):
    first, second = _subgraph("procone"), _subgraph("proctwo")
    async with graph_turn(db):    # both wait for the turn, then go one after the other
        other = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "tests.partners.subgraphs.register_once", mongo.uri,
            db.name, new_id("ptn"), second, f"{base}/sdl/{second}",
            stdout=asyncio.subprocess.PIPE)
        here = asyncio.create_task(register_subgraph(db, new_id("ptn"), first,
                                                     f"{base}/sdl/{first}"))
        await asyncio.sleep(4)
    out, _ = await asyncio.wait_for(other.communicate(), 60)
    assert other.returncode == 0 and out.decode().strip() == ""
    assert (await here).errors == ()
    assert [r.name for r in await active_subgraphs(db)] == [first, second]
    served = (await SupergraphVersions(db).current()).sdl
    assert "proconeScore" in served and "proctwoScore" in served


async def test_a_turn_held_too_long_is_busy_and_a_released_one_free(db):
    async with graph_turn(db):
        with pytest.raises(GraphBusy):
            async with graph_turn(db, wait_s=0.3):
                pass
    async with graph_turn(db, wait_s=0.3):
        pass
