"""Expired-document sweeping and the demo sign-in data, on the real database."""

from datetime import timedelta

import pytest
from pymongo.asynchronous.database import AsyncDatabase

from auth.collections import CODES, REVOKED, SESSIONS
from auth.demo import AUTH_SEED, DEMO_APP_ID, DEMO_PASSWORD, DEMO_USERNAME
from auth.direct import client_credentials_token
from auth.members import MemberLogins
from auth.service import AuthService
from auth.sweeper import sweep_expired
from schema.kernel.claims import CLAIM_RETENTION
from schema.kernel.ids import new_id, stable_id
from schema.kernel.time import utcnow


async def test_sweep_removes_only_expired_documents(db: AsyncDatabase) -> None:
    now = utcnow()
    for name in (CODES, REVOKED, SESSIONS):
        await db[name].insert_many([{"_id": "old", "expiresAt": now - timedelta(seconds=1)},
                                    {"_id": "new", "expiresAt": now + timedelta(hours=1)}])
    removed = await sweep_expired(db)
    assert removed[CODES] == removed[REVOKED] == removed[SESSIONS] == 1
    for name in (CODES, REVOKED, SESSIONS):
        assert [d["_id"] async for d in db[name].find({})] == ["new"]


async def test_demo_seed_is_idempotent_and_signs_in(db: AsyncDatabase) -> None:
    for _ in range(2):
        await AUTH_SEED.apply(db, lambda _n: None)
    member = await MemberLogins(db).authenticate(DEMO_USERNAME, DEMO_PASSWORD)
    assert member == stable_id("mem", "demo-member")
    assert await MemberLogins(db).authenticate(DEMO_USERNAME, "wrong") is None
    app = await AuthService.create(db, issuer="http://x").clients.get(DEMO_APP_ID)
    assert app is not None
    assert app.public
    assert app.check_grant_type("authorization_code")
    assert await db["oauth_clients"].count_documents({}) == 1


async def test_start_is_idempotent_and_creates_one_key(db: AsyncDatabase) -> None:
    service = AuthService.create(db, issuer="http://x")
    await service.start()
    await service.start()
    assert await db["oauth_signing_keys"].count_documents({}) == 1
    await db["claims"].insert_many([
        {"_id": "oauth-code:old:used", "at": utcnow() - CLAIM_RETENTION - timedelta(minutes=1)},
        {"_id": "oauth-code:new:used", "at": utcnow()}])
    await service.maintain()
    assert await db["oauth_signing_keys"].count_documents({}) == 1
    assert [c["_id"] for c in await db["claims"].find({}).to_list()] == ["oauth-code:new:used"]


async def test_plain_http_issuer_behind_a_proxy_still_serves_and_warns(
        db: AsyncDatabase, caplog: pytest.LogCaptureFixture) -> None:
    service = AuthService.create(db, issuer="http://0.0.0.0:4000")
    assert "plain HTTP" in caplog.text
    await service.start()
    issued = await service.clients.create(partner_id=new_id("ptn"), name="A",
                                          scopes="stores:read")
    assert issued.client_secret is not None
    answer = await client_credentials_token(service, issued.client.client_id,
                                            issued.client_secret)
    assert answer.status == 200
    principal = await service.verifier.verify(answer.body["access_token"])
    assert principal.client_id == issued.client.client_id
