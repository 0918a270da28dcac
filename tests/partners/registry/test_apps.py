"""A partner's apps through the partners subgraph: createApp, rotateAppSecret, revokeApp, apps;
who may, which scopes, and bad input answered as typed errors that change nothing."""

import dataclasses
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from auth.clients import ClientRegistry, OAuthClient
from gateway.platform import compose_platform
from partners.registry import create_partner
from partners.subgraph.schema import schema
from schema.kernel.ids import new_id
from schema.kernel.principal import Principal
from tests.contract import section_mismatches, undescribed
from tests.partners.helpers import data, run

APP_FIELDS = "id name clientId scopes grantTypes redirectUris sandbox revoked createdAt"
CREATE = f"""mutation($input: CreateAppInput!) {{ createApp(input: $input) {{
  app {{ {APP_FIELDS} }} clientSecret userErrors {{ code field message }} }} }}"""
ROTATE = f"""mutation($id: ID!) {{ rotateAppSecret(appId: $id) {{
  app {{ {APP_FIELDS} }} clientSecret userErrors {{ code field message }} }} }}"""
REVOKE = f"""mutation($id: ID!) {{ revokeApp(appId: $id) {{
  app {{ {APP_FIELDS} }} clientSecret userErrors {{ code field message }} }} }}"""
APPS = "{ apps { id name scopes sandbox revoked } }"


TYPES = ("App", "AppUsageDay", "CreateAppInput", "AppPayload")
ROOTS = ("apps", "createApp", "rotateAppSecret", "revokeApp")


def test_the_sdl_matches_the_contract_and_composes() -> None:
    assert section_mismatches(schema._schema, TYPES, (), ROOTS) == []
    assert undescribed(schema._schema, TYPES) == []
    supergraph = compose_platform()
    assert "revokeApp" in supergraph and "type AppUsageDay" in supergraph


async def _partner(db: AsyncDatabase, scopes: str | None = None,
                   kind: str = "MERCHANT") -> str:
    doc = await create_partner(db, name=f"Partner {new_id('evt')[-6:]}", partner_type=kind,
                               slug=new_id("evt")[4:].lower(), scopes=scopes)
    return doc["_id"]


def _manager(partner_id: str, *scopes: str) -> Principal:
    return Principal(f"app-admin-{partner_id}", frozenset(scopes or {"apps:manage"}),
                     partner_id=partner_id)


async def _clients(db: AsyncDatabase) -> list[dict[str, Any]]:
    return [doc async for doc in db["oauth_clients"].find({}).sort("_id", 1)]


async def test_create_rotate_revoke(db: AsyncDatabase) -> None:
    partner_id = await _partner(db)
    me = _manager(partner_id)
    created = (await data(db, CREATE, me, input={
        "name": "Till sync", "scopes": ["stores:read", "orders:read", "stores:read"]}))["createApp"]
    app, secret = created["app"], created["clientSecret"]
    assert created["userErrors"] == []
    assert app["id"] == app["clientId"] and app["id"].startswith("app_")
    assert (app["name"], app["scopes"], app["grantTypes"], app["redirectUris"], app["sandbox"],
            app["revoked"]) == ("Till sync", ["orders:read", "stores:read"],
                                ["client_credentials"], [], False, False)
    assert secret.startswith("lgs_")
    stored = await db["oauth_clients"].find_one({"_id": app["id"]})
    assert secret not in str(stored) and stored["partnerId"] == partner_id
    assert stored["createdBy"] == me.client_id

    listed = (await data(db, APPS, me))["apps"]
    assert listed == [{"id": app["id"], "name": "Till sync",
                       "scopes": ["orders:read", "stores:read"], "sandbox": False,
                       "revoked": False}]

    rotated = (await data(db, ROTATE, me, id=app["id"]))["rotateAppSecret"]
    new_secret = rotated["clientSecret"]
    assert rotated["userErrors"] == [] and new_secret.startswith("lgs_")
    assert new_secret != secret
    client = await ClientRegistry(db).get(app["id"])
    assert client.check_client_secret(secret) and client.check_client_secret(new_secret)

    revoked = (await data(db, REVOKE, me, id=app["id"]))["revokeApp"]
    assert revoked["app"]["revoked"] is True and revoked["clientSecret"] is None
    again = (await data(db, REVOKE, me, id=app["id"]))["revokeApp"]
    assert again["userErrors"] == [] and again["app"]["revoked"] is True
    first_revoked_at = (await db["oauth_clients"].find_one({"_id": app["id"]}))["revokedAt"]
    refused = (await data(db, ROTATE, me, id=app["id"]))["rotateAppSecret"]
    assert [e["code"] for e in refused["userErrors"]] == ["INVALID"]
    assert refused["clientSecret"] is None
    after = await db["oauth_clients"].find_one({"_id": app["id"]})
    assert after["revokedAt"] == first_revoked_at and len(after["secrets"]) == 2
    assert (await data(db, APPS, me))["apps"][0]["revoked"] is True


async def test_scopes_never_exceed_what_the_partner_may_grant(db: AsyncDatabase) -> None:
    partner_id = await _partner(db, scopes="apps:manage stores:read catalog:read")
    me = _manager(partner_id)
    before = await _clients(db)
    out = (await data(db, CREATE, me, input={"name": "Too wide",
                                             "scopes": ["stores:read", "orders:write"]}))
    assert [(e["code"], e["field"]) for e in out["createApp"]["userErrors"]] == [
        ("FORBIDDEN", ["input", "scopes"])]
    assert "orders:write" in out["createApp"]["userErrors"][0]["message"]
    assert out["createApp"]["app"] is None and out["createApp"]["clientSecret"] is None
    assert await _clients(db) == before
    ok = (await data(db, CREATE, me, input={"name": "Reader", "scopes": ["catalog:read"]}))
    assert ok["createApp"]["app"]["scopes"] == ["catalog:read"]


async def test_platform_admin_is_never_granted_through_self_service(db: AsyncDatabase) -> None:
    internal = await _partner(db, scopes="platform:admin apps:manage stores:read",
                              kind="INTERNAL")
    for caller in (_manager(internal), _manager(internal, "platform:admin")):
        out = await data(db, CREATE, caller, input={"name": "Root",
                                                    "scopes": ["platform:admin"]})
        assert [(e["code"], e["field"]) for e in out["createApp"]["userErrors"]] == [
            ("FORBIDDEN", ["input", "scopes"])]
    assert await _clients(db) == []


async def test_another_partners_app_is_not_found(db: AsyncDatabase) -> None:
    mine, theirs = await _partner(db), await _partner(db)
    their_app = (await data(db, CREATE, _manager(theirs), input={
        "name": "Theirs", "scopes": ["stores:read"]}))["createApp"]["app"]
    before = await db["oauth_clients"].find_one({"_id": their_app["id"]})
    for mutation, name in ((ROTATE, "rotateAppSecret"), (REVOKE, "revokeApp")):
        out = (await data(db, mutation, _manager(mine), id=their_app["id"]))[name]
        assert [(e["code"], e["field"]) for e in out["userErrors"]] == [
            ("NOT_FOUND", ["appId"])]
        assert out["app"] is None and out["clientSecret"] is None
        missing = (await data(db, mutation, _manager(mine), id=new_id("app")))[name]
        assert [e["code"] for e in missing["userErrors"]] == ["NOT_FOUND"]
    assert await db["oauth_clients"].find_one({"_id": their_app["id"]}) == before
    assert (await data(db, APPS, _manager(mine)))["apps"] == []


async def test_the_platform_admin_may_revoke_any_partners_app(db: AsyncDatabase) -> None:
    partner_id, ops = await _partner(db), await _partner(db, kind="INTERNAL")
    app = (await data(db, CREATE, _manager(partner_id), input={
        "name": "Rogue", "scopes": ["stores:read"]}))["createApp"]["app"]
    admin = Principal("app-ops", frozenset({"platform:admin"}), partner_id=ops)
    out = (await data(db, REVOKE, admin, id=app["id"]))["revokeApp"]
    assert out["userErrors"] == [] and out["app"]["revoked"] is True
    assert (await data(db, APPS, admin))["apps"] == []   # its own partner's apps


async def test_callers_who_may_not_manage_apps(db: AsyncDatabase) -> None:
    partner_id = await _partner(db)
    app = (await data(db, CREATE, _manager(partner_id), input={
        "name": "Kept", "scopes": ["stores:read"]}))["createApp"]["app"]
    before = await _clients(db)
    reader = _manager(partner_id, "stores:read", "webhooks:manage")
    store_bound = dataclasses.replace(_manager(partner_id),
                                      store_ids=frozenset({new_id("sto")}))
    delegated = dataclasses.replace(_manager(partner_id), member_id=new_id("mem"))
    for caller, code in ((reader, "FORBIDDEN"), (store_bound, "FORBIDDEN"),
                         (delegated, "FORBIDDEN"), (None, "UNAUTHENTICATED")):
        for query, variables in ((APPS, {}), (REVOKE, {"id": app["id"]}),
                                 (ROTATE, {"id": app["id"]}),
                                 (CREATE, {"input": {"name": "X", "scopes": ["stores:read"]}})):
            result = await run(db, query, caller, **variables)
            assert result.data is None
            assert [e.extensions["code"] for e in result.errors] == [code]
    assert await _clients(db) == before


async def test_a_sandbox_token_manages_sandbox_apps_only(db: AsyncDatabase) -> None:
    partner_id = await _partner(db)
    live_app = (await data(db, CREATE, _manager(partner_id), input={
        "name": "Live", "scopes": ["stores:read"]}))["createApp"]["app"]
    sandboxed = dataclasses.replace(_manager(partner_id), sandbox=True)
    refused = (await data(db, CREATE, sandboxed, input={
        "name": "Sneaky live", "scopes": ["stores:read"]}))["createApp"]
    assert [(e["code"], e["field"]) for e in refused["userErrors"]] == [
        ("FORBIDDEN", ["input", "sandbox"])]
    revoke = (await data(db, REVOKE, sandboxed, id=live_app["id"]))["revokeApp"]
    assert [e["code"] for e in revoke["userErrors"]] == ["FORBIDDEN"]
    made = (await data(db, CREATE, sandboxed, input={
        "name": "Test", "scopes": ["stores:read"], "sandbox": True}))["createApp"]
    assert made["app"]["sandbox"] is True
    listed = (await data(db, APPS, sandboxed))["apps"]
    assert sorted((a["name"], a["sandbox"]) for a in listed) == [("Live", False),
                                                                ("Test", True)]
    assert await db.client[f"{db.name}_sandbox"]["oauth_clients"].count_documents({}) == 0


async def test_malicious_input_gets_typed_errors_and_changes_nothing(db: AsyncDatabase) -> None:
    partner_id = await _partner(db)
    me = _manager(partner_id)
    app = (await data(db, CREATE, me, input={"name": "Target",
                                             "scopes": ["stores:read"]}))["createApp"]["app"]
    before = await _clients(db)
    for mutation, name in ((ROTATE, "rotateAppSecret"), (REVOKE, "revokeApp")):
        out = (await data(db, mutation, me, id='{"$gt": ""}'))[name]
        assert [(e["code"], e["field"]) for e in out["userErrors"]] == [("INVALID", ["appId"])]
        operator = await run(db, mutation, me, id={"$gt": ""})
        assert operator.data is None and "ID cannot represent" in operator.errors[0].message
    bad_inputs = [
        ({"name": "x" * 10_000, "scopes": ["stores:read"]}, [("INVALID", ["input", "name"])]),
        ({"name": "Bell\x07", "scopes": ["stores:read"]}, [("INVALID", ["input", "name"])]),
        ({"name": "Ok", "scopes": ["stores:read", "nope:" + "y" * 5000]},
         [("INVALID", ["input", "scopes"])]),
        ({"name": "Ok", "scopes": []}, [("INVALID", ["input", "scopes"])]),
        ({"name": "Ok", "scopes": ["stores:read"], "grantTypes": ["password"]},
         [("INVALID", ["input", "grantTypes"])]),
        ({"name": "Ok", "scopes": ["stores:read"], "grantTypes": ["authorization_code"]},
         [("INVALID", ["input", "redirectUris"])]),
        ({"name": "Ok", "scopes": ["stores:read"], "grantTypes": ["authorization_code"],
          "redirectUris": ["javascript:alert(1)", "http://evil.example/cb", "https://ok.example/cb"]},
         [("INVALID", ["input", "redirectUris", "0"]),
          ("INVALID", ["input", "redirectUris", "1"])]),
        ({"name": "Ok", "scopes": ["stores:read"],
          "redirectUris": [f"https://a.example/{i}" for i in range(11)]},
         [("INVALID", ["input", "redirectUris"])]),
    ]
    for given, expected in bad_inputs:
        out = (await data(db, CREATE, me, input=given))["createApp"]
        assert [(e["code"], e["field"]) for e in out["userErrors"]] == expected, given
        assert all(len(e["message"]) < 200 for e in out["userErrors"])
        assert out["app"] is None and out["clientSecret"] is None
    assert await _clients(db) == before
    client = await ClientRegistry(db).get(app["id"])
    assert isinstance(client, OAuthClient) and not client.revoked


async def test_a_loopback_redirect_uri_is_fine(db: AsyncDatabase) -> None:
    me = _manager(await _partner(db))
    out = (await data(db, CREATE, me, input={
        "name": "Web", "scopes": ["members:read"],
        "grantTypes": ["authorization_code", "refresh_token"],
        "redirectUris": ["http://127.0.0.1:8765/cb", "https://app.example/cb"]}))["createApp"]
    assert out["userErrors"] == []
    assert out["app"]["grantTypes"] == ["authorization_code", "refresh_token"]
