"""Partner subgraph routing: transports reused across versions, URLs guarded when building
and when connecting, redirects refused, the partner timeout and its overrides."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from graphql import parse
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from auth.context import ContextTokenSigner
from gateway.compose import SubgraphSource, compose_supergraph
from gateway.context_key import load_signing_key, new_key_file
from gateway.embedded.server import free_port
from gateway.federation import Supergraph
from gateway.partner_graph.routing import (
    GraphRouters,
    PartnerSubgraphSettings,
    PartnerTransports,
    RefusedSubgraph,
)
from gateway.platform import PLATFORM_SUBGRAPHS, platform_sources
from gateway.transports import InProcessTransport, SubgraphRequest, SubgraphUnavailable
from gateway.transports.resilience import ResilienceSettings, Resilient
from partners.urls import NetworkPolicy
from tests.gateway.partner_graph.partner import partner_schema, serving

LOOPBACK = NetworkPolicy.allowing("127.0.0.0/8")
QUERY = "query { partnerHello }"


def supergraph(**partners: str) -> Supergraph:
    """The platform plus partner subgraphs at their URLs: ``badges`` is the badge partner's,
    any other name the rating partner's."""
    result = compose_supergraph([*platform_sources(), *(
        SubgraphSource(name=name, sdl=partner_schema(badge=name == "badges").as_str(), url=url)
        for name, url in partners.items())])
    assert result.supergraph_sdl is not None, result.errors
    return Supergraph.parse(result.supergraph_sdl)


@pytest.fixture
def signer(tmp_path: Path) -> ContextTokenSigner:
    key_file = tmp_path / "key.json"
    new_key_file(key_file)
    return ContextTokenSigner(load_signing_key(key_file), "https://loopgate.test")  # type: ignore[arg-type]


@pytest.fixture
async def transports(signer: ContextTokenSigner) -> AsyncIterator[PartnerTransports]:
    made = PartnerTransports(signer, network=LOOPBACK)
    yield made
    await made.close()


def platform() -> dict[str, InProcessTransport]:
    return {sg.name: InProcessTransport(sg.schema._schema) for sg in PLATFORM_SUBGRAPHS}


def request(subgraph: str) -> SubgraphRequest:
    return SubgraphRequest(subgraph, QUERY, parse(QUERY), {})


async def test_a_new_version_reuses_in_process_and_unchanged_partner_transports(
        transports: PartnerTransports) -> None:
    in_process = platform()
    routers = GraphRouters(in_process, transports)
    first = routers.router_for(supergraph(reviews="http://127.0.0.1:4761/graphql"))
    second = routers.router_for(supergraph(reviews="http://127.0.0.1:4761/graphql",
                                           badges="http://127.0.0.1:4762/graphql"))
    moved = routers.router_for(supergraph(reviews="http://127.0.0.1:4766/graphql"))
    assert all(second.transport(name) is transport for name, transport in in_process.items())
    assert second.transport("reviews") is first.transport("reviews")
    assert isinstance(second.transport("badges"), Resilient)
    assert moved.transport("reviews") is not first.transport("reviews")
    assert moved.transport("badges") is None
    assert routers.platform_subgraphs == frozenset(in_process)


async def test_a_url_to_a_network_not_allowed_is_refused_and_the_rest_still_routes(
        signer: ContextTokenSigner) -> None:
    closed = PartnerTransports(signer, network=NetworkPolicy())
    try:
        router = GraphRouters(platform(), closed).router_for(
            supergraph(reviews="http://127.0.0.1:4761/graphql",
                       badges="http://localhost:4767/graphql"))
        assert isinstance(router.transport("reviews"), RefusedSubgraph)
        with pytest.raises(SubgraphUnavailable, match=r"URL is refused.*127\.0\.0\.1"):
            await router.fetch(request("reviews"))
        # a DNS name is checked when connecting: localhost resolves to loopback
        with pytest.raises(SubgraphUnavailable, match="non-public address"):
            await router.fetch(request("badges"))
        assert (await router.fetch(SubgraphRequest(
            "stores", "{ __typename }", parse("{ __typename }"), {})))["data"] == {
            "__typename": "Query"}
    finally:
        await closed.close()


async def test_plain_http_is_called_only_in_networks_the_operator_allowed(
        signer: ContextTokenSigner) -> None:
    """As at registration: a public address needs https (checked before connecting)."""
    public = PartnerTransports(signer, network=NetworkPolicy())
    try:
        router = GraphRouters(platform(), public).router_for(
            supergraph(reviews="http://93.184.216.34:9/graphql"))
        with pytest.raises(SubgraphUnavailable, match="must start with https://"):
            await router.fetch(request("reviews"))
    finally:
        await public.close()


async def test_a_redirect_is_refused_not_followed(transports: PartnerTransports) -> None:
    followed: list[str] = []

    async def redirect(_request: Request) -> RedirectResponse:
        return RedirectResponse("http://169.254.169.254/latest/meta-data", status_code=307)

    async def target(request: Request) -> RedirectResponse:
        followed.append(request.url.path)
        return RedirectResponse("/", status_code=307)

    app = Starlette(routes=[Route("/graphql", redirect, methods=["POST"]),
                            Route("/next", target, methods=["POST"])])
    async with serving(app, free_port()) as base:
        router = GraphRouters(platform(), transports).router_for(
            supergraph(reviews=f"{base}/graphql"))
        with pytest.raises(SubgraphUnavailable, match="do not follow redirects"):
            await router.fetch(request("reviews"))
    assert followed == []


def test_the_partner_timeout_and_per_subgraph_overrides(signer: ContextTokenSigner) -> None:
    made = PartnerTransports(signer, settings=PartnerSubgraphSettings(timeout_s=2.5),
                             resilience=ResilienceSettings(subgraphs={"slow": {"timeout_s": 9}}))
    assert made.policy("reviews").timeout_s == 2.5
    assert made.policy("slow").timeout_s == 9
    assert made.policy("reviews").retries == ResilienceSettings().subgraph_defaults.retries


def test_the_partner_timeout_comes_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOOPGATE_PARTNER_SUBGRAPH_TIMEOUT_S", "0.75")
    assert PartnerSubgraphSettings().timeout_s == 0.75
    monkeypatch.setenv("LOOPGATE_PARTNER_SUBGRAPH_TIMEOUT_S", "0")
    with pytest.raises(ValueError, match="greater than 0"):
        PartnerSubgraphSettings()


async def test_an_answer_larger_than_the_bound_is_unavailable_not_read(
        signer: ContextTokenSigner) -> None:
    """A partner cannot fill the gateway's memory: past ``max_response_bytes`` the call is
    that subgraph's SUBGRAPH_UNAVAILABLE, whether the size is announced or streamed."""
    huge = b'{"data": {"partnerHello": "' + b"x" * 5000 + b'"}}'

    async def announced(_request: Request) -> Response:
        return Response(huge, media_type="application/json")

    async def streamed(_request: Request) -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for start in range(0, len(huge), 512):
                yield huge[start:start + 512]
        return StreamingResponse(chunks(), media_type="application/json")

    bounded = PartnerTransports(signer, network=LOOPBACK,
                                settings=PartnerSubgraphSettings(max_response_bytes=4096))
    app = Starlette(routes=[Route("/announced", announced, methods=["POST"]),
                            Route("/streamed", streamed, methods=["POST"])])
    try:
        async with serving(app, free_port()) as base:
            for path in ("announced", "streamed"):
                router = GraphRouters(platform(), bounded).router_for(
                    supergraph(reviews=f"{base}/{path}"))
                with pytest.raises(SubgraphUnavailable, match="larger than 4096 bytes"):
                    await router.fetch(request("reviews"))
    finally:
        await bounded.close()


def test_the_response_bound_comes_from_the_environment(
        monkeypatch: pytest.MonkeyPatch) -> None:
    assert PartnerSubgraphSettings().max_response_bytes == 8 * 1024 * 1024
    monkeypatch.setenv("LOOPGATE_PARTNER_SUBGRAPH_MAX_RESPONSE_BYTES", "100")
    with pytest.raises(ValueError, match="greater than or equal to 1024"):
        PartnerSubgraphSettings()
