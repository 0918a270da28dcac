"""Configuration from the environment: bad values are one error line, and the OAuth rate
limits can be tuned with ``LOOPGATE_RATE_LIMITS``."""

import httpx
import pytest

from auth.ratelimit import RateLimits
from gateway.app import create_app
from gateway.config import Settings
from schema.kernel.mongo import Mongo
from tests.cli.test_bad_input import assert_one_line_failure, run_loopgate


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("LOOPGATE_PORT", "abc", "LOOPGATE_PORT: Input should be a valid integer"),
    ("LOOPGATE_CORS_ORIGINS", "[nope", 'error parsing value for field "cors_origins"'),
    ("LOOPGATE_RATE_LIMITS", '{"tokens": {}}', "unknown rate limit 'tokens'"),
    ("LOOPGATE_RATE_LIMITS", '{"token": {"per_client": "lots"}}',
     "couldn't parse rate limit string 'lots'"),
])
def test_a_bad_variable_is_one_error_line(variable: str, value: str, expected: str) -> None:
    result = run_loopgate("db", "status", env={variable: value})
    assert_one_line_failure(result, expected)
    assert result.returncode == 2


def test_overrides_replace_only_the_fields_named() -> None:
    limits = RateLimits().with_overrides({"token": {"per_client": "5/minute"},
                                          "sign_in": {"per_ip": "9/hour"}})
    assert limits.token.per_client == "5/minute"
    assert limits.token.per_ip == RateLimits().token.per_ip
    assert limits.sign_in.per_ip == "9/hour"
    assert limits.revocation == RateLimits().revocation
    with pytest.raises(ValueError, match="'revocation'"):
        RateLimits().with_overrides({"revocation": {"failure_cost": 0}})


async def test_the_token_endpoint_uses_the_configured_limit(mongo: Mongo) -> None:
    async def three_bad_logins(settings: Settings) -> list[int]:
        app = create_app(settings, mongo)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app),
                                     base_url="http://t") as http:
            return [(await http.post("/oauth/token", data={
                "grant_type": "client_credentials", "client_id": "app_nobody",
                "client_secret": "wrong"})).status_code for _ in range(3)]

    assert await three_bad_logins(Settings()) == [401, 401, 401]   # 60/minute, 10 a failure
    tight = Settings(rate_limits={"token": {"per_client": "15/minute"}})
    assert await three_bad_logins(tight) == [401, 401, 429]
