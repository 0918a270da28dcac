"""client_credentials over HTTP with authlib's client, and the token it yields (RFC 9068)."""

import time

import httpx
from joserfc.jws import extract_compact

from tests.auth.fixtures import AuthServer, TokenFactory


def _header_and_claims(token: str) -> tuple[dict, dict]:
    import json

    compact = extract_compact(token.encode())
    return compact.headers(), json.loads(compact.payload)


async def test_client_credentials_token_is_an_rfc9068_jwt(auth_server: AuthServer) -> None:
    issued = await auth_server.register("stores:read orders:read")
    async with auth_server.oauth_client(issued, scope="stores:read") as client:
        token = await client.fetch_token(auth_server.url("/oauth/token"),
                                         grant_type="client_credentials")
    header, claims = _header_and_claims(token["access_token"])
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "RS256"
    assert header["kid"] in auth_server.service.keyring.keys
    assert claims["iss"] == auth_server.base_url
    assert claims["aud"] == "loopgate"
    assert claims["client_id"] == issued.client.client_id
    assert claims["sub"] == issued.client.client_id
    assert claims["partner_id"] == issued.client.partner_id
    assert claims["scope"] == "stores:read"
    assert 0 < claims["exp"] - claims["iat"] <= 15 * 60
    assert abs(claims["iat"] - time.time()) < 60
    assert claims["jti"]
    assert "refresh_token" not in token


async def test_no_scope_asked_grants_all_registered_scopes(auth_server: AuthServer) -> None:
    issued = await auth_server.register("orders:read stores:read")
    async with auth_server.oauth_client(issued) as client:
        token = await client.fetch_token(auth_server.url("/oauth/token"),
                                         grant_type="client_credentials")
    assert token["scope"] == "orders:read stores:read"


async def test_token_verifies_into_the_principal(auth_server: AuthServer,
                                                 mint_token: TokenFactory) -> None:
    minted = await mint_token("catalog:read inventory:read")
    async with httpx.AsyncClient() as http:
        response = await http.get(auth_server.url("/whoami"), headers=minted.headers)
    assert response.status_code == 200
    assert response.json() == {"client_id": minted.client_id, "partner_id": minted.partner_id,
                               "member_id": None,
                               "scopes": ["catalog:read", "inventory:read"], "store_ids": []}


async def test_client_secret_post_is_accepted(auth_server: AuthServer) -> None:
    issued = await auth_server.register("stores:read")
    async with auth_server.oauth_client(
            issued, token_endpoint_auth_method="client_secret_post") as client:
        token = await client.fetch_token(auth_server.url("/oauth/token"),
                                         grant_type="client_credentials")
    assert token["token_type"].lower() == "bearer"


async def test_secret_rotation_keeps_the_old_secret_during_the_overlap(
        auth_server: AuthServer) -> None:
    issued = await auth_server.register("stores:read")
    new_secret = await auth_server.service.clients.rotate_secret(issued.client.client_id)
    for secret in (issued.client_secret, new_secret):
        async with httpx.AsyncClient() as http:
            response = await http.post(auth_server.url("/oauth/token"),
                                       data={"grant_type": "client_credentials"},
                                       auth=(issued.client.client_id, secret))
        assert response.status_code == 200, response.text


async def test_secret_rotation_without_overlap_retires_the_old_secret(
        auth_server: AuthServer) -> None:
    from datetime import timedelta

    issued = await auth_server.register("stores:read")
    new_secret = await auth_server.service.clients.rotate_secret(
        issued.client.client_id, overlap=timedelta(0))
    async with httpx.AsyncClient() as http:
        old = await http.post(auth_server.url("/oauth/token"),
                              data={"grant_type": "client_credentials"},
                              auth=(issued.client.client_id, issued.client_secret))
        new = await http.post(auth_server.url("/oauth/token"),
                              data={"grant_type": "client_credentials"},
                              auth=(issued.client.client_id, new_secret))
    assert old.status_code == 401
    assert old.json()["error"] == "invalid_client"
    assert new.status_code == 200


async def test_sandbox_clients_get_sandbox_principals(auth_server: AuthServer) -> None:
    from schema.kernel.ids import new_id

    issued = await auth_server.service.clients.create(
        partner_id=new_id("ptn"), name="Sandbox", scopes="stores:read", sandbox=True)
    async with auth_server.oauth_client(issued) as client:
        token = await client.fetch_token(auth_server.url("/oauth/token"),
                                         grant_type="client_credentials")
    principal = await auth_server.service.verifier.verify(token["access_token"])
    assert principal.sandbox is True
    assert principal.partner_id == issued.client.partner_id
