"""``loopgate partners list`` and ``loopgate clients create|list --json``, on a real database."""

import json
from collections.abc import Iterator

import pytest
from pymongo import MongoClient

from gateway.cli import main
from schema.kernel.ids import new_id

Flags = list[str]


@pytest.fixture
def flags(ferretdb: str) -> Iterator[Flags]:
    name = f"cli_{new_id('evt')[4:].lower()}"
    with MongoClient(ferretdb) as client:
        client[name]["partners"].insert_many([
            {"_id": "ptn_01JAAAAAAAAAAAAAAAAAAAAAAA", "slug": "alpha", "name": "Alpha Mart",
             "type": "STORE_CHAIN"},
            {"_id": "ptn_01JBBBBBBBBBBBBBBBBBBBBBBB", "slug": "beta", "name": "Beta Coffee",
             "type": "MERCHANT"}])
    yield ["--mongodb-uri", ferretdb, "--db", name]
    with MongoClient(ferretdb) as client:
        client.drop_database(name)


def _json(capsys: pytest.CaptureFixture, *argv: str) -> object:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def test_clients_create_json_holds_the_one_time_secret(flags: Flags,
                                                       capsys: pytest.CaptureFixture) -> None:
    created = _json(capsys, "clients", "create", "--partner", "alpha", "--scopes",
                    "stores:read catalog:read", "--name", "Till", "--sandbox", "--json", *flags)
    assert created == {
        "client_id": created["client_id"], "client_secret": created["client_secret"],
        "partner_id": "ptn_01JAAAAAAAAAAAAAAAAAAAAAAA", "name": "Till",
        "scopes": ["catalog:read", "stores:read"], "grant_types": ["client_credentials"],
        "redirect_uris": [], "public": False, "resource_server": False, "sandbox": True,
        "store_ids": [], "courier_id": None, "revoked": False}
    assert created["client_id"].startswith("app_")
    assert created["client_secret"].startswith("lgs_")
    assert main(["token", "--client", created["client_id"], "--secret",
                 created["client_secret"], *flags]) == 0


def test_a_public_client_has_no_secret(flags: Flags, capsys: pytest.CaptureFixture) -> None:
    created = _json(capsys, "clients", "create", "--partner", "beta", "--scopes", "points:read",
                    "--grant", "authorization_code", "--public", "--redirect-uri",
                    "http://127.0.0.1:9/cb", "--json", *flags)
    assert created["client_secret"] is None and created["public"] is True
    assert created["redirect_uris"] == ["http://127.0.0.1:9/cb"]


def test_partners_list_with_app_counts(flags: Flags, capsys: pytest.CaptureFixture) -> None:
    for _ in range(2):
        _json(capsys, "clients", "create", "--partner", "beta", "--scopes", "stores:read",
              "--json", *flags)
    assert _json(capsys, "partners", "list", "--json", *flags) == [
        {"id": "ptn_01JAAAAAAAAAAAAAAAAAAAAAAA", "slug": "alpha", "name": "Alpha Mart",
         "type": "STORE_CHAIN", "apps": 0},
        {"id": "ptn_01JBBBBBBBBBBBBBBBBBBBBBBB", "slug": "beta", "name": "Beta Coffee",
         "type": "MERCHANT", "apps": 2}]
    assert main(["partners", "list", *flags]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in lines] == [
        ["ptn_01JAAAAAAAAAAAAAAAAAAAAAAA", "alpha", "STORE_CHAIN"],
        ["ptn_01JBBBBBBBBBBBBBBBBBBBBBBB", "beta", "MERCHANT"]]
    assert lines[1].endswith("2 apps  Beta Coffee")


def test_clients_list_json(flags: Flags, capsys: pytest.CaptureFixture) -> None:
    created = _json(capsys, "clients", "create", "--partner", "alpha", "--scopes",
                    "stores:read", "--json", *flags)
    listed = _json(capsys, "clients", "list", "--partner", "alpha", "--json", *flags)
    assert listed == [{k: v for k, v in created.items() if k != "client_secret"}]
    assert main(["clients", "list", "--partner", "alpha", *flags]) == 0
    assert "[client_credentials]  stores:read" in capsys.readouterr().out


def test_clients_revoke(flags: Flags, capsys: pytest.CaptureFixture) -> None:
    """A revoked client is listed as revoked and gets no token; an unknown id is an error."""
    created = _json(capsys, "clients", "create", "--partner", "alpha", "--scopes",
                    "stores:read", "--json", *flags)
    assert main(["clients", "revoke", created["client_id"], *flags]) == 0
    assert f"revoked {created['client_id']}" in capsys.readouterr().out
    listed = _json(capsys, "clients", "list", "--partner", "alpha", "--json", *flags)
    assert [c["revoked"] for c in listed] == [True]
    assert main(["token", "--client", created["client_id"], "--secret",
                 created["client_secret"], *flags]) != 0
    assert main(["clients", "revoke", "app_01JZZZZZZZZZZZZZZZZZZZZZZZ", *flags]) != 0
    assert "no client" in capsys.readouterr().err
