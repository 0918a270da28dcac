"""``loopgate subgraphs list|remove|publish``: the operator's view of every partner's
subgraphs, live or sandbox, on a real database."""

import asyncio
import json

import pytest

from gateway.cli import main
from gateway.supergraph_versions import SupergraphVersions
from partners.subgraphs.register import register_subgraph
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.kernel.sandbox import Databases


def _register(uri: str, db_name: str, partner_id: str, name: str, url: str,
              sandbox: bool = False) -> str:
    async def work() -> str:
        mongo = Mongo.open(uri, db_name)
        try:
            db = Databases.beside(mongo.db).sandbox if sandbox else mongo.db
            outcome = await register_subgraph(db, partner_id, name, url)
            assert outcome.errors == ()
            return outcome.subgraph.id
        finally:
            await mongo.close()
    return asyncio.run(work())


def _versions(uri: str, db_name: str) -> list[int]:
    async def work() -> list[int]:
        mongo = Mongo.open(uri, db_name)
        try:
            return [v.version for v in await SupergraphVersions(mongo.db).list()]
        finally:
            await mongo.close()
    return asyncio.run(work())


def test_list_remove_and_publish(mongo, base, capsys: pytest.CaptureFixture) -> None:
    flags = ["--mongodb-uri", mongo.uri, "--db", mongo.db.name]
    owner = new_id("ptn")
    live = _register(mongo.uri, mongo.db.name, owner, "acme", f"{base}/rating/graphql")
    _register(mongo.uri, mongo.db.name, owner, "acme", f"{base}/rating/graphql", sandbox=True)

    assert main(["subgraphs", "list", "--json", *flags]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [(r["id"], r["name"], r["status"], r["partner_id"]) for r in rows] == \
        [(live, "acme", "ACTIVE", owner)]
    assert main(["subgraphs", "list", "--sandbox", "--json", "--partner", owner, *flags]) == 0
    assert [r["name"] for r in json.loads(capsys.readouterr().out)] == ["acme"]
    assert main(["subgraphs", "list", "--json", "--partner", new_id("ptn"), *flags]) == 0
    assert json.loads(capsys.readouterr().out) == []

    assert main(["subgraphs", "publish", *flags]) == 0    # nothing changed: same version
    assert "partner subgraphs: acme" in capsys.readouterr().out
    assert len(_versions(mongo.uri, mongo.db.name)) == 1

    assert main(["subgraphs", "remove", live, *flags]) == 0
    assert "is served without it" in capsys.readouterr().out
    assert len(_versions(mongo.uri, mongo.db.name)) == 2
    assert main(["subgraphs", "remove", '{"$gt": ""}', *flags]) == 1
    assert "INVALID" in capsys.readouterr().err
    assert main(["subgraphs", "remove", new_id("sgr"), *flags]) == 1
    assert "NOT_FOUND" in capsys.readouterr().err
    assert main(["subgraphs", "list", "--sandbox", "--json", *flags]) == 0
    assert [r["status"] for r in json.loads(capsys.readouterr().out)] == ["ACTIVE"]
