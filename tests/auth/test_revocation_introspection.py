"""Revocation (RFC 7009) then use → 401, and introspection (RFC 7662) for resource servers."""

from datetime import timedelta

import httpx
import pytest
from authlib.integrations.base_client import OAuthError

from schema.kernel.time import utcnow
from tests.auth.fixtures import AuthServer, TokenFactory
from tests.auth.test_refresh import _member_token, _status


async def test_revoked_access_token_is_refused(auth_server: AuthServer) -> None:
    issued = await auth_server.register("stores:read")
    async with auth_server.oauth_client(issued) as oauth:
        token = await oauth.fetch_token(auth_server.url("/oauth/token"),
                                        grant_type="client_credentials")
        assert await _status(auth_server, token["access_token"]) == 200
        revoked = await oauth.revoke_token(auth_server.url("/oauth/revoke"),
                                           token=token["access_token"],
                                           token_type_hint="access_token")
    assert revoked.status_code == 200
    async with httpx.AsyncClient() as http:
        after = await http.get(auth_server.url("/whoami"),
                               headers={"Authorization": f"Bearer {token['access_token']}"})
    assert after.status_code == 401
    assert after.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert "revoked" in after.headers["www-authenticate"]


async def test_revoking_a_refresh_token_ends_the_grant(auth_server: AuthServer) -> None:
    issued, token = await _member_token(auth_server)
    async with auth_server.oauth_client(issued) as oauth:
        await oauth.revoke_token(auth_server.url("/oauth/revoke"),
                                 token=token["refresh_token"], token_type_hint="refresh_token")
        with pytest.raises(OAuthError):
            await oauth.refresh_token(auth_server.url("/oauth/token"),
                                      refresh_token=token["refresh_token"])
    assert await _status(auth_server, token["access_token"]) == 401


async def test_revoking_an_unknown_token_is_ok(auth_server: AuthServer) -> None:
    issued = await auth_server.register("stores:read")
    async with auth_server.oauth_client(issued) as oauth:
        response = await oauth.revoke_token(auth_server.url("/oauth/revoke"), token="nonsense")
    assert response.status_code == 200


async def test_a_client_cannot_revoke_another_clients_token(
        auth_server: AuthServer, mint_token: TokenFactory) -> None:
    victim = await mint_token("stores:read")
    attacker = await auth_server.register("stores:read")
    async with auth_server.oauth_client(attacker) as oauth:
        response = await oauth.revoke_token(auth_server.url("/oauth/revoke"),
                                            token=victim.access_token)
    assert response.status_code == 400
    assert await _status(auth_server, victim.access_token) == 200


async def test_resource_server_introspects(auth_server: AuthServer,
                                           mint_token: TokenFactory) -> None:
    minted = await mint_token("orders:read stores:read")
    rs = await auth_server.register("stores:read", resource_server=True)
    async with auth_server.oauth_client(rs) as oauth:
        active = (await oauth.introspect_token(auth_server.url("/oauth/introspect"),
                                               token=minted.access_token)).json()
        garbage = (await oauth.introspect_token(auth_server.url("/oauth/introspect"),
                                                token="x.y.z")).json()
    assert active["active"] is True
    assert active["client_id"] == minted.client_id
    assert active["partner_id"] == minted.partner_id
    assert active["scope"] == "orders:read stores:read"
    assert active["aud"] == "loopgate"
    assert garbage == {"active": False}


async def test_introspection_of_a_revoked_token_is_inactive(
        auth_server: AuthServer, mint_token: TokenFactory) -> None:
    minted = await mint_token("stores:read")
    await auth_server.service.revocations.revoke(
        [(await auth_server.service.verifier.claims(minted.access_token))["jti"]],
        expires_at=utcnow() + timedelta(minutes=15))
    rs = await auth_server.register("stores:read", resource_server=True)
    async with auth_server.oauth_client(rs) as oauth:
        answer = (await oauth.introspect_token(auth_server.url("/oauth/introspect"),
                                               token=minted.access_token)).json()
    assert answer == {"active": False}


async def test_introspection_refused_to_clients_that_are_not_resource_servers(
        auth_server: AuthServer, mint_token: TokenFactory) -> None:
    minted = await mint_token("stores:read")
    plain = await auth_server.register("stores:read")
    async with auth_server.oauth_client(plain) as oauth:
        response = await oauth.introspect_token(auth_server.url("/oauth/introspect"),
                                                token=minted.access_token)
    assert response.status_code == 400
    assert response.json()["error"] == "unauthorized_client"
    async with httpx.AsyncClient() as http:
        anonymous = await http.post(auth_server.url("/oauth/introspect"),
                                    data={"token": minted.access_token})
    assert anonymous.status_code in (400, 401)
    assert anonymous.json()["error"] == "invalid_client"
