"""``loopgate clients create --courier ID``: a courier's app on a real database; its tokens
carry the courier, ``clients list`` shows it, and a malformed id (or one given with
``--store``) is refused with nothing written."""

import base64
import json
from collections.abc import Iterator

import pytest
from pymongo import MongoClient

from gateway.cli import main
from schema.kernel.ids import new_id
from schema.kernel.sandbox import sandbox_name

ALPHA = "ptn_01JAAAAAAAAAAAAAAAAAAAAAAA"


@pytest.fixture
def flags(ferretdb: str) -> Iterator[list[str]]:
    name = f"cli_{new_id('evt')[4:].lower()}"
    with MongoClient(ferretdb) as client:
        client[name]["partners"].insert_one(
            {"_id": ALPHA, "slug": "alpha", "name": "Alpha Mart", "type": "STORE_CHAIN"})
    yield ["--mongodb-uri", ferretdb, "--db", name]
    with MongoClient(ferretdb) as client:
        client.drop_database(name)
        client.drop_database(sandbox_name(name))


def _json(capsys: pytest.CaptureFixture, *argv: str) -> object:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_courier_app_lists_and_tokens_its_courier(flags: list[str],
                                                    capsys: pytest.CaptureFixture) -> None:
    created = _json(capsys, "clients", "create", "--partner", "alpha", "--scopes",
                    "orders:read orders:write", "--courier", "rider-7_A", "--json", *flags)
    assert (created["courier_id"], created["store_ids"]) == ("rider-7_A", [])
    plain = _json(capsys, "clients", "create", "--partner", "alpha", "--scopes", "orders:read",
                  "--json", *flags)
    assert plain["courier_id"] is None
    listed = _json(capsys, "clients", "list", "--partner", "alpha", "--json", *flags)
    assert sorted((c["client_id"], c["courier_id"]) for c in listed) == sorted(
        [(created["client_id"], "rider-7_A"), (plain["client_id"], None)])
    assert main(["clients", "list", "--partner", "alpha", *flags]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line for line in lines if "courier: rider-7_A" in line] == [
        line for line in lines if created["client_id"] in line]
    assert main(["clients", "create", "--partner", "alpha", "--scopes", "orders:read",
                 "--courier", "rider-8", *flags]) == 0
    assert "courier_id    rider-8" in capsys.readouterr().out
    assert main(["token", "--client", created["client_id"], "--secret",
                 created["client_secret"], *flags]) == 0
    assert _claims(capsys.readouterr().out.strip())["courier_id"] == "rider-7_A"


@pytest.mark.parametrize("extra", [["--courier", "rider 7"], ["--courier", "r" * 65],
                                   ["--courier", "rider/7"], ["--courier", ""]])
def test_a_malformed_courier_id_writes_nothing(flags: list[str], capsys: pytest.CaptureFixture,
                                               extra: list[str]) -> None:
    assert main(["clients", "create", "--partner", "alpha", "--scopes", "orders:read",
                 *extra, *flags]) == 1
    assert "courier id is 1 to 64" in " ".join(capsys.readouterr().err.split())
    assert _json(capsys, "clients", "list", "--partner", "alpha", "--json", *flags) == []


def test_a_courier_app_is_not_store_bound(flags: list[str], ferretdb: str,
                                          capsys: pytest.CaptureFixture) -> None:
    from tests.cli.test_store_binding import _stores

    stores = _stores(ferretdb, flags[-1])
    assert main(["clients", "create", "--partner", "alpha", "--scopes", "orders:read",
                 "--courier", "rider-7", "--store", "S1", *flags]) == 1
    assert "stores or to a courier, not both" in " ".join(capsys.readouterr().err.split())
    assert stores["S1"].startswith("sto_")
    assert _json(capsys, "clients", "list", "--partner", "alpha", "--json", *flags) == []
