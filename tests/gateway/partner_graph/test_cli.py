"""``loopgate supergraph … --sandbox``: the sandbox graph's versions, in the sandbox database."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli import main
from gateway.platform import compose_platform
from gateway.supergraph_versions import SupergraphVersions
from schema.kernel.sandbox import Databases
from tests.gateway.partner_graph.partner import Registrations, partner_schema


def _cli(ferretdb: str, db_name: str, *args: str) -> int:
    return main(["supergraph", *args, "--mongodb-uri", ferretdb, "--db", db_name])


async def test_sandbox_versions_are_listed_published_and_rolled_back_apart_from_live(
        db: AsyncDatabase, ferretdb: str, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    sandbox = Databases.beside(db).sandbox
    try:
        registrations = Registrations()
        registrations.register(sandbox, "reviews", partner_schema().as_str(),
                               "http://127.0.0.1:4761/graphql")
        platform_file = tmp_path / "platform.graphql"
        platform_file.write_text(compose_platform())
        await SupergraphVersions(db).publish(compose_platform(), source="live")
        run = asyncio.get_running_loop().run_in_executor

        assert await run(None, _cli, ferretdb, db.name, "list", "--sandbox") == 0
        assert "no supergraph published yet" in capsys.readouterr().out
        assert await run(None, _cli, ferretdb, db.name, "publish", "--sandbox",
                         str(platform_file)) == 0
        assert "current sandbox graph: version 1" in capsys.readouterr().out
        await registrations.publish(sandbox)
        assert await run(None, _cli, ferretdb, db.name, "list", "--sandbox") == 0
        listed = capsys.readouterr().out.splitlines()
        assert listed[0].startswith("*    2") and "partner subgraphs: reviews" in listed[0]
        assert listed[1].startswith("     1") and "cli:platform.graphql" in listed[1]

        assert await run(None, _cli, ferretdb, db.name, "rollback", "--sandbox", "1") == 0
        assert "current sandbox graph: version 1" in capsys.readouterr().out
        assert await SupergraphVersions(sandbox).current_version() == 1
        assert await run(None, _cli, ferretdb, db.name, "show", "--sandbox", "2") == 0
        assert "partnerRating" in capsys.readouterr().out

        assert await run(None, _cli, ferretdb, db.name, "rollback", "--sandbox", "9") == 1
        assert "there is no supergraph version 9" in capsys.readouterr().err
        live = await SupergraphVersions(db).list()
        assert [(v.version, v.source) for v in live] == [(1, "live")]
    finally:
        await db.client.drop_database(sandbox.name)
