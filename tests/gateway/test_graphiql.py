"""GraphiQL works offline: the page loads only files Loopgate serves itself."""

import hashlib
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import httpx
import pytest

from gateway.federation import Supergraph
from gateway.http.app import create_gateway_app
from gateway.service import Gateway
from tests.gateway.conftest import CountingRouter, in_process_router, supergraph_sdl

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}

# sha256 of the files in graphene-django-graphiql-static 0.8: graphiql@2.4.7, react@17.0.2 and
# react-dom@17.0.2 as published on npm (GraphiQL's two files with a final newline added).
PINNED = {
    "graphiql.min.css": (
        "text/css", "c6cd4b83f01c5e1ff4975d77bc957184dce6dec0155fbf9cc4d9190eba8a7b9d"),
    "graphiql.min.js": (
        "text/javascript", "c564de05b95d184e2c5ba5ceaf2635821f6bf92f2d5777b74d91004ff6b591d1"),
    "react.production.min.js": (
        "text/javascript", "229bbf4d0e7488209564152c6723497f1ac3934136ca1684233d2fa88fa4146f"),
    "react-dom.production.min.js": (
        "text/javascript", "9db33292007ab6c38527b39d5663e976a305564e19b2a5a8713ea2b2c00f505d"),
}


class _References(HTMLParser):
    """Every URL a page makes the browser load (src and href attributes)."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.urls += [value for name, value in attrs if name in ("src", "href") and value]


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    gateway = Gateway(Supergraph.parse(supergraph_sdl()), CountingRouter(in_process_router()))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(create_gateway_app(gateway)),
                                 base_url="http://gateway") as client:
        yield client


async def _page_urls(http: httpx.AsyncClient) -> list[str]:
    page = await http.get("/graphql", headers=BROWSER)
    assert page.status_code == 200
    parser = _References()
    parser.feed(page.text)
    assert "http://" not in page.text and "https://" not in page.text
    return parser.urls


async def test_the_page_references_only_local_files(http: httpx.AsyncClient) -> None:
    urls = await _page_urls(http)
    assert sorted(url.rsplit("/", 1)[1] for url in urls) == sorted(PINNED)
    assert all(url.startswith("/graphiql/") for url in urls)


async def test_each_file_is_served_with_its_type_and_a_long_cache(
        http: httpx.AsyncClient) -> None:
    for url in await _page_urls(http):
        media_type, digest = PINNED[url.rsplit("/", 1)[1]]
        for encoding in ("gzip", "identity"):
            reply = await http.get(url, headers={"accept-encoding": encoding})
            assert reply.status_code == 200, url
            assert reply.headers["content-type"] == f"{media_type}; charset=utf-8"
            assert reply.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert reply.headers.get("content-encoding", "identity") == encoding
            assert hashlib.sha256(reply.content).hexdigest() == digest, url


async def test_old_or_unknown_file_urls_are_404(http: httpx.AsyncClient) -> None:
    url = (await _page_urls(http))[0]
    digest, name = url.split("/")[2:]
    for wrong in (f"/graphiql/{'0' * 16}/{name}", f"/graphiql/{digest}/secrets.js"):
        assert (await http.get(wrong)).status_code == 404
