"""Rate limits of the OAuth server, over real HTTP against the real auth app on FerretDB.

Each test serves its own authorization server with small limits (so a test starts with
nothing counted and runs in well under a second) over a fresh database, where the buckets
are kept for every process. Remote addresses are set with ``X-Forwarded-For``, which uvicorn
trusts from 127.0.0.1 as it would from a local reverse proxy. Hourly limits refill so slowly
(one call every 15 minutes for 4/hour) that the counts are deterministic.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import httpx
import pytest

from auth.clients import IssuedClient
from auth.ratelimit import EndpointLimits, RateLimits, SignInLimits
from auth.service import AuthService
from gateway.embedded.server import free_port
from schema.kernel.mongo import Mongo
from tests.auth._browser import Member
from tests.auth.fixtures import AuthServer, build_app, serve_in_loop

SMALL = RateLimits(
    token=EndpointLimits(per_client="4/hour", per_ip="12/hour", failure_cost=2),
    introspection=EndpointLimits(per_client="3/hour", per_ip="12/hour", failure_cost=2),
    revocation=EndpointLimits(per_client="3/hour", per_ip="12/hour", failure_cost=2),
    sign_in=SignInLimits(per_account="3/hour", per_ip="8/hour"))

ServerFactory = Callable[[RateLimits], Awaitable[AuthServer]]


@asynccontextmanager
async def _limited_server(mongo: Mongo, limits: RateLimits) -> AsyncIterator[AuthServer]:
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    service = AuthService.create(mongo.db, issuer=base_url, rate_limits=limits)
    async with serve_in_loop(build_app(service), port):
        yield AuthServer(base_url, service)


@pytest.fixture
async def server(mongo: Mongo) -> AsyncIterator[AuthServer]:
    """An authorization server with the :data:`SMALL` limits and nothing counted yet."""
    async with _limited_server(mongo, SMALL) as running:
        yield running


def _from(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address}


async def _token(http: httpx.AsyncClient, server: AuthServer, client_id: str, secret: str,
                 address: str = "198.51.100.1") -> httpx.Response:
    return await http.post(server.url("/oauth/token"), auth=(client_id, secret),
                           data={"grant_type": "client_credentials"}, headers=_from(address))


async def _client(server: AuthServer, **options: object) -> IssuedClient:
    return await server.register("stores:read", **options)


def _assert_rate_limited(response: httpx.Response, window_s: int = 3600) -> None:
    assert response.status_code == 429, response.text
    assert 1 <= int(response.headers["retry-after"]) <= window_s
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["error"] == "temporarily_unavailable"
    assert set(body) == {"error", "error_description"}
    assert re.fullmatch(r"[\x20-\x21\x23-\x5b\x5d-\x7e]+", body["error_description"])


async def test_token_endpoint_answers_429_after_the_allowance(server: AuthServer) -> None:
    issued = await _client(server)
    async with httpx.AsyncClient() as http:
        answers = [await _token(http, server, issued.client.client_id, issued.client_secret)
                   for _ in range(5)]
    assert [a.status_code for a in answers[:4]] == [200] * 4
    assert all(a.json()["access_token"] for a in answers[:4])
    _assert_rate_limited(answers[4])
    # 4/hour refills one call every 15 minutes
    assert 900 - 5 <= int(answers[4].headers["retry-after"]) <= 900


async def test_two_processes_share_the_allowance(mongo: Mongo) -> None:
    """Two servers on one database stand for two processes: together they allow what one
    would (the buckets are in the database), not twice as much."""
    async with _limited_server(mongo, SMALL) as first, _limited_server(mongo, SMALL) as second:
        issued = await _client(first)
        async with httpx.AsyncClient() as http:
            answers = [await _token(http, server, issued.client.client_id,
                                    issued.client_secret) for server in (first, second) * 3]
    assert [a.status_code for a in answers] == [200] * 4 + [429] * 2


async def test_wrong_client_secrets_use_up_the_allowance_faster(server: AuthServer) -> None:
    issued = await _client(server)
    client_id = issued.client.client_id
    async with httpx.AsyncClient() as http:
        wrong = [await _token(http, server, client_id, "lgs_wrong") for _ in range(2)]
        right = await _token(http, server, client_id, issued.client_secret)
    assert [a.json()["error"] for a in wrong] == ["invalid_client"] * 2
    _assert_rate_limited(right)  # two failures at 2 each spent what four successes would


async def test_another_client_id_is_unaffected(server: AuthServer) -> None:
    first, second = await _client(server), await _client(server)
    async with httpx.AsyncClient() as http:
        for _ in range(2):
            await _token(http, server, first.client.client_id, "lgs_wrong")
        refused = await _token(http, server, first.client.client_id, first.client_secret)
        other = await _token(http, server, second.client.client_id, second.client_secret)
        elsewhere = await _token(http, server, first.client.client_id, first.client_secret,
                                 address="203.0.113.9")
    _assert_rate_limited(refused)
    assert other.status_code == 200, other.text
    _assert_rate_limited(elsewhere)  # a client id's limit holds from every address


async def test_another_address_is_unaffected(server: AuthServer) -> None:
    issued = await _client(server)
    async with httpx.AsyncClient() as http:
        guesses = [await _token(http, server, f"app_guess{n}", "lgs_wrong") for n in range(6)]
        same_address = await _token(http, server, issued.client.client_id,
                                    issued.client_secret)
        other_address = await _token(http, server, issued.client.client_id,
                                     issued.client_secret, address="198.51.100.2")
    assert {g.json()["error"] for g in guesses} == {"invalid_client"}
    _assert_rate_limited(same_address)
    assert other_address.status_code == 200, other_address.text


async def test_an_ipv6_network_counts_as_one_address(server: AuthServer) -> None:
    issued = await _client(server)
    async with httpx.AsyncClient() as http:
        for n in range(6):
            await _token(http, server, f"app_guess{n}", "lgs_wrong", address=f"2001:db8:1::{n}")
        same_64 = await _token(http, server, issued.client.client_id, issued.client_secret,
                               address="2001:db8:1::ffff")
        other_64 = await _token(http, server, issued.client.client_id, issued.client_secret,
                                address="2001:db8:2::1")
    _assert_rate_limited(same_64)
    assert other_64.status_code == 200, other_64.text


@pytest.mark.parametrize("path", ["/oauth/introspect", "/oauth/revoke"])
async def test_introspection_and_revocation_are_limited_per_client(
        server: AuthServer, path: str) -> None:
    resource_server = await _client(server, resource_server=True)
    other = await _client(server, resource_server=True)
    auth = (resource_server.client.client_id, resource_server.client_secret)
    async with httpx.AsyncClient() as http:
        answers = [await http.post(server.url(path), auth=auth, data={"token": "x.y.z"},
                                   headers=_from("198.51.100.1")) for _ in range(4)]
        unaffected = await http.post(server.url(path), data={"token": "x.y.z"},
                                     auth=(other.client.client_id, other.client_secret),
                                     headers=_from("198.51.100.1"))
    assert [a.status_code for a in answers[:3]] == [200] * 3
    _assert_rate_limited(answers[3])
    assert unaffected.status_code == 200, unaffected.text


async def _sign_in(http: httpx.AsyncClient, server: AuthServer, username: str, password: str,
                   address: str = "198.51.100.1") -> httpx.Response:
    return await http.post(server.url("/oauth/login"), headers=_from(address), data={
        "username": username, "password": password, "next": "/oauth/consents"})


def _without_wait(html: str) -> str:
    return re.sub(r"wait \d+ (second|minute)s?", "wait N", html)


async def test_failed_sign_ins_slow_the_name_alike_for_members_and_strangers(
        server: AuthServer) -> None:
    member = await Member.create(server)
    async with httpx.AsyncClient() as http:
        known = [await _sign_in(http, server, member.username, "wrong") for _ in range(4)]
        unknown = [await _sign_in(http, server, "nobody-here", "wrong") for _ in range(4)]
        right_password = await _sign_in(http, server, member.username, member.password)
    for answers in (known, unknown):
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert 1 <= int(answers[3].headers["retry-after"]) <= 3600
        assert "Too many failed sign-in attempts" in answers[3].text
        assert "set-cookie" not in answers[3].headers
    assert _without_wait(known[3].text) == _without_wait(unknown[3].text)
    assert right_password.status_code == 429  # slowed means not even the right password
    assert "set-cookie" not in right_password.headers


async def test_a_successful_sign_in_resets_the_names_failures(server: AuthServer) -> None:
    member = await Member.create(server)
    async with httpx.AsyncClient() as http:
        before = [await _sign_in(http, server, member.username, "wrong") for _ in range(2)]
        success = await _sign_in(http, server, member.username, member.password)
        after = [await _sign_in(http, server, member.username, "wrong") for _ in range(4)]
    assert [a.status_code for a in before] == [401, 401]
    assert success.status_code == 303
    assert [a.status_code for a in after] == [401, 401, 401, 429]


async def test_a_form_without_a_password_is_not_counted(server: AuthServer) -> None:
    member = await Member.create(server)
    async with httpx.AsyncClient() as http:
        empty = [await _sign_in(http, server, member.username, "") for _ in range(5)]
        right = await _sign_in(http, server, member.username, member.password)
    assert {a.status_code for a in empty} == {401}
    assert "Enter your member name and password" in empty[0].text
    assert right.status_code == 303


async def test_failed_sign_ins_are_limited_per_address(server: AuthServer) -> None:
    member = await Member.create(server)
    async with httpx.AsyncClient() as http:
        sprayed = [await _sign_in(http, server, f"name-{n}", "guess") for n in range(8)]
        same_address = await _sign_in(http, server, member.username, member.password)
        other_address = await _sign_in(http, server, member.username, member.password,
                                       address="198.51.100.2")
    assert {a.status_code for a in sprayed} == {401}
    assert same_address.status_code == 429
    assert other_address.status_code == 303


async def test_parallel_wrong_passwords_get_only_the_allowance(server: AuthServer) -> None:
    member = await Member.create(server)
    async with httpx.AsyncClient() as http:
        answers = await asyncio.gather(*(_sign_in(http, server, member.username, f"guess{n}")
                                         for n in range(10)))
    assert sorted(a.status_code for a in answers) == [401] * 3 + [429] * 7


async def test_a_flood_of_made_up_client_ids_from_one_address_adds_few_keys(
        server: AuthServer) -> None:
    limiter = server.service.throttles.limiter
    async with httpx.AsyncClient() as http:
        answers = [await _token(http, server, f"app_flood{n}", "lgs_wrong") for n in range(200)]
    assert sum(a.status_code == 429 for a in answers) == 194
    # the address's key, one per client id tried before the address ran out and one for
    # the once-a-minute log line: 8, one more for each window that turns during the test
    assert limiter.tracked_keys() <= 10


@pytest.mark.parametrize("spec", ["lots", "5 per fortnight", ""])
def test_a_limit_that_does_not_parse_is_refused_at_start_up(spec: str) -> None:
    with pytest.raises(ValueError):
        EndpointLimits(per_client=spec, per_ip="10/minute")
    with pytest.raises(ValueError):
        SignInLimits(per_account="5/minute", per_ip=spec)


PER_SECOND = RateLimits(
    token=EndpointLimits(per_client="2/second", per_ip="2/second", failure_cost=2),
    sign_in=SignInLimits(per_account="2/second", per_ip="2/second"))


async def test_keys_expire_and_retry_after_is_long_enough(mongo: Mongo) -> None:
    """Per-second buckets; this process forgets an idle key after 5 s, so this test waits
    up to 12 s."""
    async with _limited_server(mongo, PER_SECOND) as server, httpx.AsyncClient() as http:
        limiter = server.service.throttles.limiter
        issued = await _client(server)
        for n in range(40):
            await _token(http, server, f"app_flood{n}", "lgs_wrong", address=f"192.0.2.{n}")
        flooded = limiter.tracked_keys()
        burst = [await _token(http, server, issued.client.client_id, issued.client_secret)
                 for _ in range(4)]
        refused = next(a for a in burst if a.status_code == 429)
        await asyncio.sleep(int(refused.headers["retry-after"]))
        after_wait = await _token(http, server, issued.client.client_id, issued.client_secret)
        deadline = time.monotonic() + 12  # a key is forgotten 5 to 7.5 s after its last call
        while limiter.tracked_keys() > 8 and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
            await _token(http, server, issued.client.client_id, issued.client_secret)
        remaining = limiter.tracked_keys()
    assert flooded >= 80  # an address key and a client id key per flooding request
    _assert_rate_limited(refused, window_s=2)
    assert after_wait.status_code == 200, after_wait.text
    # the polling client's and address's buckets, and the log lines' keys
    assert remaining <= 8
