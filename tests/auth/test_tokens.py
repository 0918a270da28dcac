"""Key rotation, expiry and tampering: what the verifier accepts and refuses, over HTTP."""

import base64
import json
import time

import httpx
from joserfc import jwt
from joserfc.jwk import RSAKey

from auth.signing import sign
from tests.auth.fixtures import AuthServer, TokenFactory
from tests.auth.test_refresh import _status


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _parts(token: str) -> tuple[dict, dict, str]:
    header, payload, signature = token.split(".")
    pad = lambda s: s + "=" * (-len(s) % 4)  # noqa: E731
    return (json.loads(base64.urlsafe_b64decode(pad(header))),
            json.loads(base64.urlsafe_b64decode(pad(payload))), signature)


async def _refusal(server: AuthServer, token: str) -> str:
    async with httpx.AsyncClient() as http:
        response = await http.get(server.url("/whoami"),
                                  headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401, response.text
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    return error["message"]


async def test_key_rotation_keeps_old_tokens_valid_and_signs_with_the_new_key(
        auth_server: AuthServer, mint_token: TokenFactory) -> None:
    before = await mint_token("stores:read")
    old_kid = _parts(before.access_token)[0]["kid"]
    new_kid = await auth_server.service.rotate_keys()
    after = await mint_token("stores:read")
    assert _parts(after.access_token)[0]["kid"] == new_kid != old_kid
    assert await _status(auth_server, before.access_token) == 200
    assert await _status(auth_server, after.access_token) == 200
    async with httpx.AsyncClient() as http:
        jwks = (await http.get(auth_server.url("/.well-known/jwks.json"))).json()
    kids = [key["kid"] for key in jwks["keys"]]
    assert kids[0] == new_kid
    assert old_kid in kids
    assert all("d" not in key for key in jwks["keys"])


async def test_a_key_past_its_overlap_no_longer_verifies(
        auth_server: AuthServer, mint_token: TokenFactory) -> None:
    from datetime import timedelta

    before = await mint_token("stores:read")
    await auth_server.service.keys.rotate(overlap=timedelta(0))
    await auth_server.service.keyring.refresh(force=True)
    assert "unknown or retired key" in await _refusal(auth_server, before.access_token)


async def test_expired_token_is_refused(auth_server: AuthServer,
                                        mint_token: TokenFactory) -> None:
    minted = await mint_token("stores:read")
    _, claims, _ = _parts(minted.access_token)
    now = int(time.time())
    expired = sign(auth_server.service.keyring, "at+jwt",
                   {**claims, "iat": now - 1000, "nbf": now - 1000, "exp": now - 100})
    assert "expired" in await _refusal(auth_server, expired)


async def test_alg_none_is_refused(auth_server: AuthServer, mint_token: TokenFactory) -> None:
    minted = await mint_token("stores:read")
    header, claims, _ = _parts(minted.access_token)
    unsigned = f"{_b64({**header, 'alg': 'none'})}.{_b64(claims)}."
    assert "RS256" in await _refusal(auth_server, unsigned)


async def test_token_signed_with_another_key_is_refused(
        auth_server: AuthServer, mint_token: TokenFactory) -> None:
    minted = await mint_token("stores:read")
    header, claims, _ = _parts(minted.access_token)
    stranger = RSAKey.generate_key(2048, private=True)
    forged = jwt.encode(header, claims, stranger)
    assert "signature" in await _refusal(auth_server, forged)


async def test_edited_claims_break_the_signature(auth_server: AuthServer,
                                                 mint_token: TokenFactory) -> None:
    minted = await mint_token("stores:read")
    header, claims, signature = _parts(minted.access_token)
    widened = f"{_b64(header)}.{_b64({**claims, 'scope': 'platform:admin'})}.{signature}"
    assert "signature" in await _refusal(auth_server, widened)


async def test_wrong_audience_issuer_or_type_is_refused(
        auth_server: AuthServer, mint_token: TokenFactory) -> None:
    minted = await mint_token("stores:read")
    _, claims, _ = _parts(minted.access_token)
    keyring = auth_server.service.keyring
    assert "aud" in await _refusal(auth_server, sign(keyring, "at+jwt",
                                                     {**claims, "aud": "elsewhere"}))
    assert "iss" in await _refusal(auth_server, sign(keyring, "at+jwt",
                                                     {**claims, "iss": "https://evil"}))
    assert "type" in await _refusal(auth_server, sign(keyring, "JWT", claims))


async def test_garbage_and_missing_tokens_are_unauthenticated(auth_server: AuthServer) -> None:
    assert "well-formed" in await _refusal(auth_server, "not-a-jwt")
    async with httpx.AsyncClient() as http:
        missing = await http.get(auth_server.url("/whoami"))
        basic = await http.get(auth_server.url("/whoami"), headers={"Authorization": "Basic x"})
    assert missing.status_code == 401
    assert basic.status_code == 401


async def test_metadata_and_jwks_describe_the_server(auth_server: AuthServer) -> None:
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    async with httpx.AsyncClient() as http:
        metadata = (await http.get(
            auth_server.url("/.well-known/oauth-authorization-server"))).json()
        jwks = (await http.get(metadata["jwks_uri"])).json()
    AuthorizationServerMetadata(metadata).validate()
    assert metadata["issuer"] == auth_server.base_url
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "platform:admin" in metadata["scopes_supported"]
    assert jwks["keys"]
    assert {key["kty"] for key in jwks["keys"]} == {"RSA"}


async def test_concurrent_rotations_leave_one_newest_signing_key(
        auth_server: AuthServer, mint_token: TokenFactory) -> None:
    import asyncio

    service = auth_server.service
    kids = await asyncio.gather(service.keys.rotate(), service.keys.rotate())
    await service.keyring.refresh(force=True)
    active = [k for k in service.keyring.keys.values() if k.retired_at is None]
    assert active
    assert service.keyring.signing_key().kid in kids
    minted = await mint_token("stores:read")
    assert await _status(auth_server, minted.access_token) == 200


async def test_maintenance_rotates_only_old_keys(auth_server: AuthServer) -> None:
    from datetime import timedelta

    service = auth_server.service
    assert await service.keys.rotate_if_older(timedelta(days=1)) is None
    kid = await service.keys.rotate_if_older(timedelta(0))
    await service.keyring.refresh(force=True)
    assert service.keyring.signing_key().kid == kid
