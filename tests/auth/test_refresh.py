"""Refresh-token rotation and reuse detection, over HTTP with authlib's client."""

import httpx
import pytest
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError

from tests.auth._browser import Member
from tests.auth.fixtures import AuthServer
from tests.auth.test_authorization_code import _app, _code, _exchange


async def _member_token(server: AuthServer) -> tuple[object, dict]:
    issued = await _app(server)
    member = await Member.create(server)
    verifier = generate_token(64)
    code = await _code(server, member, issued, verifier, scope="points:read orders:read")
    return issued, await _exchange(server, issued, code, verifier)


async def _status(server: AuthServer, access_token: str) -> int:
    async with httpx.AsyncClient() as http:
        response = await http.get(server.url("/whoami"),
                                  headers={"Authorization": f"Bearer {access_token}"})
    return response.status_code


async def test_refresh_rotates_the_refresh_token(auth_server: AuthServer) -> None:
    issued, first = await _member_token(auth_server)
    async with auth_server.oauth_client(issued) as oauth:
        second = await oauth.refresh_token(auth_server.url("/oauth/token"),
                                           refresh_token=first["refresh_token"])
        third = await oauth.refresh_token(auth_server.url("/oauth/token"),
                                          refresh_token=second["refresh_token"])
    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    assert third["scope"] == "orders:read points:read"
    assert await _status(auth_server, third["access_token"]) == 200


async def test_reusing_a_rotated_refresh_token_revokes_the_family(
        auth_server: AuthServer) -> None:
    issued, first = await _member_token(auth_server)
    async with auth_server.oauth_client(issued) as oauth:
        second = await oauth.refresh_token(auth_server.url("/oauth/token"),
                                           refresh_token=first["refresh_token"])
        with pytest.raises(OAuthError) as reused:
            await oauth.refresh_token(auth_server.url("/oauth/token"),
                                      refresh_token=first["refresh_token"])
        assert reused.value.error == "invalid_grant"
        with pytest.raises(OAuthError) as family_revoked:
            await oauth.refresh_token(auth_server.url("/oauth/token"),
                                      refresh_token=second["refresh_token"])
    assert family_revoked.value.error == "invalid_grant"
    assert await _status(auth_server, first["access_token"]) == 401
    assert await _status(auth_server, second["access_token"]) == 401


async def test_refresh_can_narrow_but_not_widen_the_scope(auth_server: AuthServer) -> None:
    issued, first = await _member_token(auth_server)
    async with auth_server.oauth_client(issued) as oauth:
        narrow = await oauth.refresh_token(auth_server.url("/oauth/token"),
                                           refresh_token=first["refresh_token"],
                                           scope="points:read")
        assert narrow["scope"] == "points:read"
        with pytest.raises(OAuthError) as widened:
            await oauth.refresh_token(auth_server.url("/oauth/token"),
                                      refresh_token=narrow["refresh_token"],
                                      scope="points:read payments:read")
    assert widened.value.error == "invalid_scope"


async def test_another_client_cannot_use_the_refresh_token(auth_server: AuthServer) -> None:
    _issued, first = await _member_token(auth_server)
    other = await _app(auth_server)
    async with auth_server.oauth_client(other) as oauth:
        with pytest.raises(OAuthError) as refused:
            await oauth.refresh_token(auth_server.url("/oauth/token"),
                                      refresh_token=first["refresh_token"])
    assert refused.value.error == "invalid_grant"
