"""Partner-supplied URLs: only public http(s) addresses unless the operator allows networks,
checked at registration and again at each connection (DNS rebinding)."""

import socket

import aiohttp
import pytest
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult

from partners.urls import (
    ALLOW_NETWORKS_ENV,
    GuardedResolver,
    NetworkPolicy,
    UnsafeUrl,
    guarded_session,
)

PUBLIC = NetworkPolicy()


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook", "http://127.1.2.3:8080/", "https://10.0.0.5/", "http://192.168.1.1",
    "http://172.16.0.1", "http://169.254.169.254/latest/meta-data/", "http://[::1]/",
    "http://[fd00:ec2::254]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/",
    "http://100.64.0.1/", "http://[fe80::1]/", "http://224.0.0.1/",
])
def test_private_loopback_link_local_and_metadata_addresses_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl, match="non-public"):
        PUBLIC.check_url(url)


@pytest.mark.parametrize(("url", "reason"), [
    ("ftp://example.com/", "must start with"), ("file:///etc/passwd", "must start with"),
    ("gopher://example.com", "must start with"), ("https://user:pw@example.com/", "user name"),
    ("https:///path", "no host"), ("https://example.com:0/", "port"),
    ("https://example.com:99999/", "not a valid URL"), ("https://example.com/#x", "fragment"),
    ("", "1 to"), ("https://example.com/" + "a" * 3000, "1 to"),
])
def test_malformed_urls_are_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(UnsafeUrl, match=reason):
        PUBLIC.check_url(url)


def test_https_can_be_required() -> None:
    with pytest.raises(UnsafeUrl, match="https://"):
        PUBLIC.check_url("http://93.184.216.34/", require_https=True)
    assert PUBLIC.check_url("https://93.184.216.34/x").hostname == "93.184.216.34"


def test_operator_allowed_networks_open_exactly_those_ranges(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_NETWORKS_ENV, "127.0.0.0/8, ::1/128")
    policy = NetworkPolicy.from_env()
    assert policy.check_url("http://127.0.0.1:9000/").port == 9000
    policy.check_url("http://[::1]:9000/")
    with pytest.raises(UnsafeUrl):
        policy.check_url("http://10.0.0.1/")
    monkeypatch.setenv(ALLOW_NETWORKS_ENV, "not-a-cidr")
    with pytest.raises(ValueError, match="not a CIDR"):
        NetworkPolicy.from_env()


class _FixedResolver(AbstractResolver):
    """A DNS answer chosen by the test: what a rebinding attacker's name server returns."""

    def __init__(self, answers: dict[str, list[str]]) -> None:
        self.answers = answers

    async def resolve(self, host: str, port: int = 0,
                      family: socket.AddressFamily = socket.AF_INET) -> list[ResolveResult]:
        return [ResolveResult(hostname=host, host=address, port=port, family=socket.AF_INET,
                              proto=0, flags=0) for address in self.answers[host]]

    async def close(self) -> None:
        return None


async def test_a_name_is_refused_if_any_of_its_addresses_is_private() -> None:
    resolver = GuardedResolver(PUBLIC, _FixedResolver({"mixed.example": ["93.184.216.34",
                                                                          "10.1.2.3"]}))
    with pytest.raises(UnsafeUrl, match=r"10\.1\.2\.3"):
        await resolver.resolve("mixed.example", 443)


async def test_registration_resolves_the_name_now() -> None:
    with pytest.raises(UnsafeUrl, match=r"127\.0\.0\.1"):
        await PUBLIC.resolve("http://localhost:9/hook")
    allowed = NetworkPolicy.allowing("127.0.0.0/8", "::1/128")
    assert "127.0.0.1" in await allowed.resolve("http://localhost:9/hook")


async def test_the_connection_is_checked_again_when_the_name_now_points_inside() -> None:
    """DNS rebinding: registered while public, the name later answers 127.0.0.1."""
    received: list[str] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(request.path)
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    rebinding = _FixedResolver({"rebind.example": ["127.0.0.1"]})
    url = f"http://rebind.example:{port}/hook"

    def session(policy: NetworkPolicy) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(
            resolver=GuardedResolver(policy, rebinding), use_dns_cache=False))

    try:
        async with session(PUBLIC) as refused:
            with pytest.raises((UnsafeUrl, aiohttp.ClientError)):
                async with refused.post(url, allow_redirects=False):
                    pass
        assert received == []
        async with session(NetworkPolicy.allowing("127.0.0.0/8")) as allowed, \
                allowed.post(url, allow_redirects=False) as reply:
            assert reply.status == 200
        assert received == ["/hook"]
    finally:
        await runner.cleanup()


async def test_guarded_session_refuses_loopback_names_without_an_allowance() -> None:
    async with guarded_session(PUBLIC) as session:
        with pytest.raises((UnsafeUrl, aiohttp.ClientError)):
            async with session.get("http://localhost:9/", allow_redirects=False):
                pass
