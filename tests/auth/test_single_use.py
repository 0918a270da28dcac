"""Single use under concurrency: a code or refresh token presented by 20 callers at once.

FerretDB applies conditional updates as unlocked read-modify-writes, so ``usedAt: None``
filters let several concurrent callers win; these tests race the real token endpoint on the
real FerretDB and count the winners.
"""

import asyncio
from collections.abc import Awaitable, Iterable
from typing import Any, TypeVar

import httpx
from authlib.common.security import generate_token
from authlib.integrations.base_client import OAuthError

from auth.collections import CODES, FAMILIES, REFRESH_TOKENS
from auth.hashing import token_hash
from schema.kernel.claims import CLAIMS
from tests.auth._browser import Member
from tests.auth.fixtures import AuthServer
from tests.auth.test_authorization_code import _app, _code, _exchange
from tests.auth.test_refresh import _member_token, _status

RACERS = 20
T = TypeVar("T")


async def _gather(attempts: Iterable[Awaitable[T]]) -> list[T]:
    return list(await asyncio.gather(*attempts))


async def _outcome(attempt: Awaitable[dict[str, Any]]) -> dict[str, Any] | str:
    """The token a request won, or the OAuth error code (or HTTP status) it was refused with."""
    try:
        return await attempt
    except OAuthError as refused:
        return str(refused.error)
    except httpx.HTTPStatusError as failed:
        return f"HTTP {failed.response.status_code}"


def _split(outcomes: list[dict[str, Any] | str]) -> tuple[list[dict[str, Any]], list[str]]:
    return ([o for o in outcomes if isinstance(o, dict)],
            [o for o in outcomes if isinstance(o, str)])


async def _refresh(server: AuthServer, issued: Any, refresh_token: str) -> dict[str, Any]:
    async with server.oauth_client(issued) as oauth:
        return await oauth.refresh_token(server.url("/oauth/token"), refresh_token=refresh_token)


async def _refresh_error(server: AuthServer, issued: Any, refresh_token: str) -> str | None:
    outcome = await _outcome(_refresh(server, issued, refresh_token))
    return outcome if isinstance(outcome, str) else None


async def _live_refresh_tokens(server: AuthServer, family_id: str) -> int:
    return await server.service.db[REFRESH_TOKENS].count_documents(
        {"familyId": family_id, "revokedAt": None})


async def test_a_code_redeemed_by_twenty_callers_at_once_issues_one_token(
        auth_server: AuthServer) -> None:
    issued = await _app(auth_server)
    member = await Member.create(auth_server)
    verifier = generate_token(64)
    code = await _code(auth_server, member, issued, verifier)
    outcomes = await _gather(_outcome(_exchange(auth_server, issued, code, verifier))
                             for _ in range(RACERS))
    tokens, errors = _split(outcomes)
    assert len(tokens) == 1
    assert errors == ["invalid_grant"] * (RACERS - 1)
    # The losers were replays (RFC 6749 §4.1.2): what the code issued is revoked.
    assert await _status(auth_server, tokens[0]["access_token"]) == 401
    assert await _refresh_error(auth_server, issued, tokens[0]["refresh_token"]) == "invalid_grant"


async def test_a_refresh_token_rotated_by_twenty_callers_at_once_revokes_its_family(
        auth_server: AuthServer) -> None:
    issued, first = await _member_token(auth_server)
    record = await auth_server.service.refresh_tokens.find(first["refresh_token"])
    assert record is not None
    outcomes = await _gather(_outcome(_refresh(auth_server, issued, first["refresh_token"]))
                             for _ in range(RACERS))
    tokens, errors = _split(outcomes)
    assert len(tokens) == 1
    assert tokens[0]["refresh_token"] != first["refresh_token"]
    assert errors == ["invalid_grant"] * (RACERS - 1)
    family = await auth_server.service.db[FAMILIES].find_one({"_id": record.family_id})
    assert family is not None and family["revokedAt"] is not None
    assert await _live_refresh_tokens(auth_server, record.family_id) == 0
    assert await _refresh_error(auth_server, issued, tokens[0]["refresh_token"]) == "invalid_grant"
    assert await _status(auth_server, tokens[0]["access_token"]) == 401
    assert await _status(auth_server, first["access_token"]) == 401


async def test_a_single_redemption_and_rotation_still_work_and_are_remembered(
        auth_server: AuthServer) -> None:
    """One exchange and one refresh succeed; the records, not only the claims, say they
    were used, so reuse is still caught once the claims have been swept."""
    issued = await _app(auth_server)
    member = await Member.create(auth_server)
    verifier = generate_token(64)
    code = await _code(auth_server, member, issued, verifier)
    first = await _exchange(auth_server, issued, code, verifier)
    second = await _refresh(auth_server, issued, first["refresh_token"])
    assert await _status(auth_server, second["access_token"]) == 200
    db = auth_server.service.db
    code_doc = await db[CODES].find_one({"_id": token_hash(code)})
    spent = await db[REFRESH_TOKENS].find_one({"_id": token_hash(first["refresh_token"])})
    assert code_doc is not None and code_doc["usedAt"] is not None
    assert spent is not None and spent["usedAt"] is not None
    for key in (code_doc["_id"], spent["_id"]):
        await db[CLAIMS].delete_many({"_id": {"$regex": key}})
    assert await _refresh_error(auth_server, issued, first["refresh_token"]) == "invalid_grant"
    assert await _status(auth_server, second["access_token"]) == 401


async def test_codes_store_lets_one_of_twenty_concurrent_redemptions_win(
        auth_server: AuthServer) -> None:
    codes = auth_server.service.server.codes
    code = generate_token(48)
    await codes.save(code, client_id="app_race", member_id="mem_race", partner_id="ptn_race",
                     redirect_uri=None, scope="points:read", challenge="c", method="S256")
    redemptions = await _gather(codes.redeem(code, "app_race") for _ in range(RACERS))
    assert sum(r.code is not None for r in redemptions) == 1
    replays = [r.replayed_family for r in redemptions if r.code is None]
    assert len(replays) == RACERS - 1 and None not in replays



async def test_refresh_store_lets_one_of_twenty_concurrent_consumes_win(
        auth_server: AuthServer) -> None:
    issued, first = await _member_token(auth_server)
    tokens = auth_server.service.refresh_tokens
    record = await tokens.find(first["refresh_token"])
    assert record is not None
    # Open the racers' connections first: opening them one by one would space the racers out.
    await _gather(tokens.find(first["refresh_token"]) for _ in range(RACERS))
    consumed = await _gather(tokens.consume(record) for _ in range(RACERS))
    assert consumed.count(True) == 1
    assert await _refresh_error(auth_server, issued, first["refresh_token"]) == "invalid_grant"

