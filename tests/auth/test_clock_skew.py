"""The documented 60 s clock-skew allowance of token verification, at its edges."""

import time

import pytest

from auth.errors import InvalidToken
from auth.keys import CLOCK_SKEW
from auth.signing import sign
from auth.tokens import AUDIENCE
from tests.auth.fixtures import AuthServer

SKEW = int(CLOCK_SKEW.total_seconds())


def _token(server: AuthServer, *, exp: int, iat: int) -> str:
    claims = {"iss": server.service.issuer, "aud": AUDIENCE, "iat": iat, "nbf": iat,
              "exp": exp, "jti": f"skew-{exp}-{iat}", "client_id": "app_skew",
              "sub": "app_skew", "scope": "stores:read", "partner_id": "ptn_skew"}
    return sign(server.service.keyring, "at+jwt", claims)


async def test_the_allowance_is_a_minute() -> None:
    assert SKEW == 60


@pytest.mark.parametrize(("seconds_past_exp", "accepted"), [(SKEW - 10, True),
                                                             (SKEW + 10, False)])
async def test_expiry_is_honoured_up_to_the_skew(auth_server: AuthServer,
                                                 seconds_past_exp: int, accepted: bool) -> None:
    now = int(time.time())
    token = _token(auth_server, exp=now - seconds_past_exp, iat=now - 900)
    if accepted:
        assert (await auth_server.service.verifier.claims(token))["exp"] < now
    else:
        with pytest.raises(InvalidToken, match="expired"):
            await auth_server.service.verifier.claims(token)


@pytest.mark.parametrize(("seconds_ahead", "accepted"), [(SKEW - 10, True), (SKEW + 10, False)])
async def test_an_issuer_clock_ahead_is_tolerated_up_to_the_skew(
        auth_server: AuthServer, seconds_ahead: int, accepted: bool) -> None:
    now = int(time.time())
    token = _token(auth_server, exp=now + 900, iat=now + seconds_ahead)
    if accepted:
        assert (await auth_server.service.verifier.claims(token))["iat"] > now
    else:
        with pytest.raises(InvalidToken):
            await auth_server.service.verifier.claims(token)
