"""Client registration rules: who may register apps for whom, and secret handling."""

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from auth.clients import ClientRegistrationError, ClientRegistry, RegistrationForbidden
from auth.hashing import token_hash
from schema.kernel.ids import new_id
from schema.kernel.principal import Principal


async def test_partner_registers_only_its_own_apps(db: AsyncDatabase) -> None:
    registry = ClientRegistry(db)
    mine, other = new_id("ptn"), new_id("ptn")
    partner = Principal("app_self", frozenset({"stores:read"}), partner_id=mine)
    issued = await registry.create_for(partner, partner_id=mine, name="Till",
                                       scopes="stores:read")
    assert issued.client.partner_id == mine
    with pytest.raises(RegistrationForbidden):
        await registry.create_for(partner, partner_id=other, name="X", scopes="stores:read")
    with pytest.raises(RegistrationForbidden):
        await registry.create_for(partner, partner_id=mine, name="X", scopes="platform:admin")
    with pytest.raises(RegistrationForbidden):
        await registry.rotate_secret_for(partner, (await registry.create(
            partner_id=other, name="Y", scopes="stores:read")).client.client_id)


async def test_admin_registers_for_any_partner(db: AsyncDatabase) -> None:
    admin = Principal("app_admin", frozenset({"platform:admin"}))
    issued = await ClientRegistry(db).create_for(admin, partner_id=new_id("ptn"), name="Ops",
                                                 scopes="platform:admin")
    assert issued.client.scopes == ("platform:admin",)


async def test_secret_is_stored_only_as_a_hash(db: AsyncDatabase) -> None:
    issued = await ClientRegistry(db).create(partner_id=new_id("ptn"), name="A",
                                             scopes="stores:read")
    assert issued.client_secret is not None
    doc = await db["oauth_clients"].find_one({"_id": issued.client.client_id})
    assert issued.client_secret not in str(doc)
    assert doc["secrets"][0]["hash"] == token_hash(issued.client_secret)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"scopes": "nope:scope"}, "unknown scope"),
    ({"scopes": "stores:read", "grant_types": ["password"]}, "grant types"),
    ({"scopes": "stores:read", "grant_types": ["authorization_code"]}, "redirect URI"),
    ({"scopes": "stores:read", "public": True}, "public client"),
], ids=["scope", "grant", "redirect", "public-machine"])
async def test_invalid_registrations_say_what_to_fix(db: AsyncDatabase, kwargs: dict,
                                                     message: str) -> None:
    with pytest.raises(ClientRegistrationError, match=message):
        await ClientRegistry(db).create(partner_id=new_id("ptn"), name="A", **kwargs)
