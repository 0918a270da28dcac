"""``loopgate persisted push|list|remove|mode`` on a real database: both manifest formats,
the safelist-only flag, a sandbox app's safelist in the sandbox database, and bad input
(unknown client, unreadable or malformed file, unknown operation) refused with one line and
nothing written."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from gateway.cli import main
from gateway.persisted.extension import sha256_hex
from schema.kernel.ids import new_id
from schema.kernel.sandbox import sandbox_name
from tests.gateway.conftest import SUPERGRAPH
from tests.persisted.manifests import APOLLO_MANIFEST, GRAPHQL_FILE, REVIEWS_BODY

ALPHA = "ptn_01JAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def database(ferretdb: str) -> Iterator[tuple[MongoClient, str]]:
    name = f"cli_{new_id('evt')[4:].lower()}"
    with MongoClient(ferretdb) as client:
        client[name]["partners"].insert_one(
            {"_id": ALPHA, "slug": "alpha", "name": "Alpha Mart", "type": "STORE_CHAIN"})
        yield client, name
        client.drop_database(name)
        client.drop_database(sandbox_name(name))


@pytest.fixture
def flags(ferretdb: str, database: tuple[MongoClient, str]) -> list[str]:
    return ["--mongodb-uri", ferretdb, "--db", database[1]]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {"json": tmp_path / "manifest.json", "graphql": tmp_path / "erp.graphql",
             "broken": tmp_path / "broken.graphql"}
    paths["json"].write_text(APOLLO_MANIFEST)
    paths["graphql"].write_text(GRAPHQL_FILE)
    paths["broken"].write_text("query Fine { reviewCount }\nquery Broken { reviewCount ")
    return paths


def _client(capsys: pytest.CaptureFixture, flags: list[str], *extra: str) -> str:
    assert main(["clients", "create", "--partner", "alpha", "--scopes", "stores:read",
                 "--json", *extra, *flags]) == 0
    return str(json.loads(capsys.readouterr().out)["client_id"])


def _listed(capsys: pytest.CaptureFixture, flags: list[str], client: str) -> dict:
    capsys.readouterr()
    assert main(["persisted", "list", "--client", client, "--json", *flags]) == 0
    return json.loads(capsys.readouterr().out)


def _push(flags: list[str], client: str, path: Path, *extra: str) -> int:
    return main(["persisted", "push", str(path), "--client", client,
                 "--supergraph", str(SUPERGRAPH), *extra, *flags])


def test_push_both_formats_list_mode_and_remove(capsys: pytest.CaptureFixture,
                                                flags: list[str],
                                                files: dict[str, Path]) -> None:
    client = _client(capsys, flags)
    assert _push(flags, client, files["json"], "--safelist-only") == 0
    assert "2 added, 0 replaced, 0 unchanged; the app safelist-only" in capsys.readouterr().out
    assert _push(flags, client, files["graphql"]) == 0
    assert "2 added" in capsys.readouterr().out
    assert _push(flags, client, files["json"]) == 0
    assert "0 added, 0 replaced, 2 unchanged; the app safelist-only" in \
        capsys.readouterr().out
    listed = _listed(capsys, flags, client)
    assert (listed["client_id"], listed["safelist_only"], listed["sandbox"]) == (
        client, True, False)
    assert sorted(op["name"] for op in listed["operations"]) == ["Reviews", "Top", "Touch",
                                                                  "User"]
    assert {op["id"] for op in listed["operations"]} >= {sha256_hex(REVIEWS_BODY),
                                                         "erp-user-v1"}

    assert main(["persisted", "mode", "--client", client, "--no-safelist-only", *flags]) == 0
    assert f"{client} may run any operation" in capsys.readouterr().out
    assert _listed(capsys, flags, client)["safelist_only"] is False
    assert main(["persisted", "remove", "--client", client, "Touch", "erp-user-v1",
                 *flags]) == 0
    assert "2 removed" in capsys.readouterr().out
    assert sorted(op["name"] for op in _listed(capsys, flags, client)["operations"]) == [
        "Reviews", "Top"]
    assert main(["persisted", "list", "--client", client, *flags]) == 0
    out = capsys.readouterr()
    assert "2 operations; not safelist-only" in out.err and "Reviews" in out.out
    assert main(["persisted", "remove", "--client", client, "--all", *flags]) == 0
    assert "2 removed" in capsys.readouterr().out
    assert _listed(capsys, flags, client)["operations"] == []


def test_a_sandbox_apps_safelist_is_written_to_the_sandbox_database(
        capsys: pytest.CaptureFixture, flags: list[str], files: dict[str, Path],
        database: tuple[MongoClient, str]) -> None:
    client = _client(capsys, flags, "--sandbox")
    assert _push(flags, client, files["json"], "--safelist-only") == 0
    mongo, name = database
    assert mongo[name]["persisted_apps"].count_documents({}) == 0
    assert mongo[sandbox_name(name)]["persisted_apps"].find_one({"_id": client})[
        "safelistOnly"] is True
    assert _listed(capsys, flags, client)["sandbox"] is True


def test_operations_that_do_not_validate_are_stored_with_a_warning(
        capsys: pytest.CaptureFixture, flags: list[str], files: dict[str, Path]) -> None:
    client = _client(capsys, flags)
    assert main(["persisted", "push", str(files["json"]), "--client", client, *flags]) == 0
    err = capsys.readouterr().err
    assert "warning:" in err and "Reviews does not validate against the schema" in err
    assert len(_listed(capsys, flags, client)["operations"]) == 2


def test_push_checks_against_the_supergraph_version_served(
        capsys: pytest.CaptureFixture, flags: list[str], files: dict[str, Path]) -> None:
    client = _client(capsys, flags)
    assert main(["supergraph", "publish", str(SUPERGRAPH), *flags]) == 0
    capsys.readouterr()
    assert main(["persisted", "push", str(files["json"]), "--client", client, *flags]) == 0
    err = capsys.readouterr().err
    assert "checking 2 operations against supergraph version 1" in err
    assert "warning:" not in err


def _one_line_error(capsys: pytest.CaptureFixture, expected: str) -> None:
    err = capsys.readouterr().err
    assert expected in err, err
    assert "Traceback" not in err


def test_bad_input_is_refused_and_nothing_is_written(
        capsys: pytest.CaptureFixture, flags: list[str], files: dict[str, Path],
        tmp_path: Path, database: tuple[MongoClient, str]) -> None:
    assert _push(flags, "app_01JNOSUCHAPPNOSUCHAPPNOSUC", files["json"]) == 1
    _one_line_error(capsys, "no client 'app_01JNOSUCHAPPNOSUCHAPPNOSUC'")
    assert main(["persisted", "list", "--client", "nope", *flags]) == 1
    _one_line_error(capsys, "no client 'nope'")
    client = _client(capsys, flags)
    assert _push(flags, client, files["broken"]) == 1
    _one_line_error(capsys, "the GraphQL document does not parse")
    assert _push(flags, client, tmp_path / "missing.json") == 1
    _one_line_error(capsys, "does not exist")
    mongo, name = database
    assert mongo[name]["persisted_safelist"].count_documents({}) == 0
    assert mongo[name]["persisted_apps"].count_documents({}) == 0

    assert _push(flags, client, files["graphql"]) == 0
    capsys.readouterr()
    assert main(["persisted", "remove", "--client", client, "Top", "Nope", *flags]) == 1
    _one_line_error(capsys, "no safelisted operation with id or name 'Nope'; nothing was "
                            "removed")
    assert main(["persisted", "remove", "--client", client, *flags]) == 1
    _one_line_error(capsys, "or pass --all")
    assert len(_listed(capsys, flags, client)["operations"]) == 2
