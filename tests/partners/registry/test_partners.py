"""Onboarding partners: ``create_partner`` and ``loopgate partners create``, and the demo seed's
grantable scopes."""

import asyncio
import json
from collections.abc import Iterator

import pytest
from pymongo import MongoClient
from pymongo.asynchronous.database import AsyncDatabase

from gateway.cli import main
from partners.demo import PARTNER_SEED, demo_partner_id
from partners.registry import (
    DEFAULT_GRANTABLE,
    PARTNER_SLUGS,
    PartnerRegistrationError,
    create_partner,
    grantable_scopes,
)
from schema.kernel.ids import new_id


async def test_a_partner_gets_its_types_grantable_scopes(db: AsyncDatabase) -> None:
    doc = await create_partner(db, name="  Northwind Deli ", partner_type="MERCHANT")
    assert doc["_id"].startswith("ptn_")
    assert (doc["name"], doc["slug"], doc["type"]) == ("Northwind Deli", "northwind-deli",
                                                       "MERCHANT")
    stored = await db["partners"].find_one({"_id": doc["_id"]})
    assert stored["grantableScopes"] == sorted(DEFAULT_GRANTABLE["MERCHANT"])
    assert "platform:admin" not in stored["grantableScopes"]
    assert {"apps:manage", "webhooks:manage", "subgraphs:manage"} <= set(
        stored["grantableScopes"])
    erp = await create_partner(db, name="Acme ERP", partner_type="ERP_VENDOR")
    assert "members:read" not in erp["grantableScopes"]
    assert "inventory:write" in erp["grantableScopes"]


async def test_explicit_scopes_and_platform_admin_for_internal_only(db: AsyncDatabase) -> None:
    ops = await create_partner(db, name="Ops", partner_type="INTERNAL", slug="ops",
                               scopes="platform:admin stores:read")
    assert ops["grantableScopes"] == ["platform:admin", "stores:read"]
    internal_default = await create_partner(db, name="Tools", partner_type="INTERNAL")
    assert "platform:admin" not in internal_default["grantableScopes"]
    with pytest.raises(PartnerRegistrationError, match="only an INTERNAL") as caught:
        await create_partner(db, name="Sneaky", partner_type="MERCHANT",
                             scopes="platform:admin")
    assert caught.value.field == "scopes"


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"name": "", "partner_type": "MERCHANT"}, "name"),
    ({"name": "x" * 10_000, "partner_type": "MERCHANT"}, "name"),
    ({"name": "Tab\there", "partner_type": "MERCHANT"}, "name"),
    ({"name": "Fine", "partner_type": "BANK"}, "type"),
    ({"name": "Fine", "partner_type": {"$gt": ""}}, "type"),
    ({"name": "Fine", "partner_type": "MERCHANT", "slug": "Not A Slug"}, "slug"),
    ({"name": "Fine", "partner_type": "MERCHANT", "slug": {"$gt": ""}}, "slug"),
    ({"name": "咖啡", "partner_type": "MERCHANT"}, "slug"),
    ({"name": "Fine", "partner_type": "MERCHANT", "scopes": "stores:read nope:scope"}, "scopes"),
], ids=["empty-name", "long-name", "control", "type", "type-operator", "slug",
        "slug-operator", "no-slug-from-name", "unknown-scope"])
async def test_bad_partners_are_refused_and_nothing_is_written(db: AsyncDatabase, kwargs: dict,
                                                               field: str) -> None:
    with pytest.raises(PartnerRegistrationError) as caught:
        await create_partner(db, **kwargs)
    assert caught.value.field == field
    assert len(str(caught.value)) < 600  # never echoes a huge input
    assert await db["partners"].count_documents({}) == 0
    assert await db[PARTNER_SLUGS].count_documents({}) == 0


async def test_slugs_are_unique_even_when_created_at_once(db: AsyncDatabase) -> None:
    results = await asyncio.gather(*(create_partner(db, name=f"Twin {i}", partner_type="MERCHANT",
                                                    slug="twin") for i in range(5)),
                                   return_exceptions=True)
    created = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, PartnerRegistrationError)]
    assert len(created) == 1 and len(refused) == 4
    assert all(r.field == "slug" and "taken" in str(r) for r in refused)
    assert await db["partners"].count_documents({"slug": "twin"}) == 1
    with pytest.raises(PartnerRegistrationError, match="taken"):
        await create_partner(db, name="Twin", partner_type="MERCHANT")


async def test_demo_partners_get_grantable_scopes_idempotently(db: AsyncDatabase) -> None:
    for _ in range(2):
        await PARTNER_SEED.apply(db, lambda _n: None)
    assert await db["partners"].count_documents({}) == 5
    platform = await db["partners"].find_one({"_id": demo_partner_id("loopgate-platform")})
    courier = await db["partners"].find_one({"_id": demo_partner_id("swiftcourier")})
    assert "platform:admin" in platform["grantableScopes"]
    assert grantable_scopes(courier) == DEFAULT_GRANTABLE["SERVICE_PROVIDER"]
    with pytest.raises(PartnerRegistrationError, match="taken"):
        await create_partner(db, name="QuickMart", partner_type="STORE_CHAIN")


def test_legacy_partner_without_the_field_gets_its_types_default() -> None:
    assert grantable_scopes({"type": "ERP_VENDOR"}) == DEFAULT_GRANTABLE["ERP_VENDOR"]
    assert grantable_scopes({"type": "UNKNOWN"}) == frozenset()


@pytest.fixture
def flags(ferretdb: str) -> Iterator[list[str]]:
    name = f"cli_{new_id('evt')[4:].lower()}"
    yield ["--mongodb-uri", ferretdb, "--db", name]
    with MongoClient(ferretdb) as client:
        client.drop_database(name)


def test_cli_creates_partners_and_clients_respect_their_scopes(
        flags: list[str], capsys: pytest.CaptureFixture) -> None:
    assert main(["partners", "create", "--name", "Harbor Bakery", "--type", "MERCHANT",
                 "--scopes", "stores:read catalog:read", "--json", *flags]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created == {"id": created["id"], "slug": "harbor-bakery", "name": "Harbor Bakery",
                       "type": "MERCHANT", "grantableScopes": ["catalog:read", "stores:read"]}
    assert main(["clients", "create", "--partner", "harbor-bakery", "--scopes", "stores:read",
                 "--json", *flags]) == 0
    assert json.loads(capsys.readouterr().out)["scopes"] == ["stores:read"]
    assert main(["clients", "create", "--partner", "harbor-bakery", "--scopes",
                 "stores:read orders:write", *flags]) == 1
    assert "may not grant orders:write" in capsys.readouterr().err
    assert main(["partners", "create", "--name", "Harbor Bakery", "--type", "MERCHANT",
                 *flags]) == 1
    assert "slug: the slug 'harbor-bakery' is taken" in capsys.readouterr().err
    assert main(["partners", "create", "--name", "Ops", "--type", "STORE_CHAIN", "--scopes",
                 "platform:admin", *flags]) == 1
    assert "only an INTERNAL partner" in capsys.readouterr().err
    assert main(["partners", "list", "--json", *flags]) == 0
    assert [p["apps"] for p in json.loads(capsys.readouterr().out)] == [1]
