"""``loopgate clients create --store CODE``: an app bound to stores of its partner, on a real
database with stores written by the stores domain; unknown codes and another partner's codes
are refused and nothing is written."""

import asyncio
import base64
import json
from collections.abc import Iterator

import pytest
from pymongo import MongoClient

from gateway.cli import main
from schema.kernel.graphql_types import AddressInput, FulfillmentType, GeoPointInput
from schema.kernel.ids import new_id
from schema.kernel.mongo import Mongo
from schema.kernel.principal import Principal
from schema.kernel.sandbox import sandbox_name
from schema.stores.inputs import OpeningHoursInput, UpsertStoreInput
from schema.stores.repository import upsert_store

ALPHA, BETA = "ptn_01JAAAAAAAAAAAAAAAAAAAAAAA", "ptn_01JBBBBBBBBBBBBBBBBBBBBBBB"
Setup = tuple[list[str], dict[str, str]]


def _fields(code: str) -> dict:
    return UpsertStoreInput(
        code=code, name=f"Store {code}", address=AddressInput(line1="1 Road", city="Shanghai"),
        location=GeoPointInput(lat=31.2, lng=121.4),
        opening_hours=[OpeningHoursInput(day_of_week=d, opens="08:00", closes="22:00")
                       for d in range(1, 8)],
        services=[FulfillmentType.PICKUP]).to_document()


def _stores(uri: str, name: str) -> dict[str, str]:
    """Stores by ``<database>/<code>``: alpha's S1, S2 live and SB1 in its sandbox; beta's B1."""
    async def write() -> dict[str, str]:
        mongo = Mongo.open(uri, name)
        try:
            written = {}
            for db_name, partner_id, code in ((name, ALPHA, "S1"), (name, ALPHA, "S2"),
                                              (name, BETA, "B1"),
                                              (sandbox_name(name), ALPHA, "SB1")):
                principal = Principal(f"app-{partner_id}", partner_id=partner_id)
                store = await upsert_store(mongo.client[db_name], principal, _fields(code))
                written[code] = store["_id"]
            return written
        finally:
            await mongo.close()

    return asyncio.run(write())


@pytest.fixture
def setup(ferretdb: str) -> Iterator[Setup]:
    name = f"cli_{new_id('evt')[4:].lower()}"
    with MongoClient(ferretdb) as client:
        client[name]["partners"].insert_many([
            {"_id": ALPHA, "slug": "alpha", "name": "Alpha Mart", "type": "STORE_CHAIN"},
            {"_id": BETA, "slug": "beta", "name": "Beta Coffee", "type": "MERCHANT"}])
    yield ["--mongodb-uri", ferretdb, "--db", name], _stores(ferretdb, name)
    with MongoClient(ferretdb) as client:
        client.drop_database(name)
        client.drop_database(sandbox_name(name))


def _json(capsys: pytest.CaptureFixture, *argv: str) -> object:
    assert main(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def _claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_a_bound_app_lists_and_tokens_its_stores(setup: Setup,
                                                 capsys: pytest.CaptureFixture) -> None:
    flags, stores = setup
    created = _json(capsys, "clients", "create", "--partner", "alpha", "--scopes",
                    "stores:read", "--store", "S2", "--store", "S1", "--store", "S2",
                    "--json", *flags)
    bound = sorted([stores["S1"], stores["S2"]])
    assert created["store_ids"] == bound
    listed = _json(capsys, "clients", "list", "--partner", "alpha", "--json", *flags)
    assert [c["store_ids"] for c in listed] == [bound]
    assert main(["clients", "list", "--partner", "alpha", *flags]) == 0
    assert f"stores: {' '.join(bound)}" in capsys.readouterr().out
    assert main(["token", "--client", created["client_id"], "--secret",
                 created["client_secret"], *flags]) == 0
    assert _claims(capsys.readouterr().out.strip())["store_ids"] == bound


@pytest.mark.parametrize("code", ["NOPE", "B1", "SB1"])
def test_a_code_that_is_not_the_partner_s_store_writes_nothing(
        setup: Setup, capsys: pytest.CaptureFixture, code: str) -> None:
    flags = setup[0]
    assert main(["clients", "create", "--partner", "alpha", "--scopes", "stores:read",
                 "--store", "S1", "--store", code, *flags]) == 1
    error = capsys.readouterr().err
    assert f"no store with code {code!r}" in " ".join(error.split())
    assert _json(capsys, "clients", "list", "--partner", "alpha", "--json", *flags) == []


def test_a_sandbox_app_is_bound_to_sandbox_stores(setup: Setup,
                                                  capsys: pytest.CaptureFixture) -> None:
    flags, stores = setup
    created = _json(capsys, "clients", "create", "--partner", "alpha", "--scopes",
                    "stores:read", "--sandbox", "--store", "SB1", "--json", *flags)
    assert created["store_ids"] == [stores["SB1"]]
    assert main(["clients", "create", "--partner", "alpha", "--scopes", "stores:read",
                 "--sandbox", "--store", "S1", *flags]) == 1
    assert "no sandbox store with code 'S1'" in " ".join(capsys.readouterr().err.split())
