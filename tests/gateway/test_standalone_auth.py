"""``loopgate gateway --jwks``: OAuth in the standalone gateway, over real HTTP.

An issuer stand-in serves a JWKS on a loopback port and signs access tokens (RFC 9068, as
``auth.tokens`` mints them) with the matching private keys; its served key set can change
mid-test (rotation). Three subgraphs with guarded fields (:mod:`tests.auth.e2e_subgraphs`) run
over HTTP behind a recorder of the ``Authorization`` header each call carried; ``membership``
is a "partner" subgraph that verifies the forwarded token itself with the same JWKS. The
gateway is built by :func:`gateway.standalone.standalone_app`, as the CLI builds it, and
served by uvicorn; the CLI itself runs as a real process for its options and messages.
"""

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.federation import Schema
from ulid import ULID

from auth.jwks import RemoteJwks
from auth.tokens import ACCESS_TOKEN_TYPE, AUDIENCE
from auth.verify import TokenVerifier
from gateway.compose import SubgraphSource, compose_supergraph
from gateway.federation import Supergraph
from gateway.service import Gateway
from gateway.standalone import jwks_verifier, standalone_app
from gateway.transports import http_session
from tests.auth.e2e_subgraphs import CATALOG, MEMBERSHIP, STORES
from tests.auth.fixtures import AuthServer, TokenFactory, serve_in_loop
from tests.gateway.servers import free_port, serving
from tests.gateway.test_cli import assert_one_line_failure, gateway_process, run_loopgate

ISSUER = "https://issuer.loopgate.test"
QUERY = "{ stores { name phone inventory { sku } } me { id pointsBalance } }"
STORE_FIELDS = [("stores", 0, "inventory"), ("stores", 0, "phone"),
                ("stores", 1, "inventory"), ("stores", 1, "phone")]


def _rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid, "alg": "RS256", "use": "sig"})


@dataclass
class Issuer:
    """Signs access tokens and serves the public half of the keys in ``served`` as a JWKS."""

    keys: dict[str, RSAKey]
    served: list[str]
    fetches: int = 0
    url: str = ""

    def app(self) -> Starlette:
        async def jwks(_request: Request) -> Response:
            self.fetches += 1
            return JSONResponse({"keys": [self.keys[kid].as_dict(private=False)
                                          for kid in self.served]})

        async def empty(_request: Request) -> Response:
            return JSONResponse({"keys": []})

        return Starlette(routes=[Route("/.well-known/jwks.json", jwks),
                                 Route("/empty.json", empty)])

    @property
    def jwks_url(self) -> str:
        return f"{self.url}/.well-known/jwks.json"

    def token(self, scope: str, *, kid: str = "k1", signed_by: str | None = None,
              **overrides: Any) -> tuple[str, str]:
        """An access token and its client id; ``signed_by`` forges ``kid``'s signature."""
        now = int(time.time())
        client_id = f"app_{str(ULID()).lower()}"
        claims = {"iss": ISSUER, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300,
                  "jti": str(ULID()), "client_id": client_id, "sub": client_id,
                  "scope": scope, "partner_id": "ptn_partner", **overrides}
        header = {"alg": "RS256", "typ": ACCESS_TOKEN_TYPE, "kid": kid}
        return jwt.encode(header, claims, self.keys[signed_by or kid]), client_id


class Recorder:
    """ASGI wrapper noting the subgraph and ``Authorization`` header of every call."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.calls: list[tuple[str, str | None]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            authorization = dict(scope["headers"]).get(b"authorization")
            self.calls.append((scope["path"].strip("/"),
                               authorization.decode() if authorization else None))
        await self.app(scope, receive, send)


class PartnerSubgraph(GraphQL):
    """A subgraph deployed by a partner: it verifies the forwarded bearer token itself."""

    def __init__(self, schema: Schema, verifier: TokenVerifier) -> None:
        super().__init__(schema, graphql_ide=None)
        self.verifier = verifier

    async def get_context(self, request: Any, response: Any) -> dict[str, Any]:
        return {"principal": await self.verifier.authenticate(
            request.headers.get("authorization"))}


@dataclass
class Subgraphs:
    url: str
    recorder: Recorder
    sdl: str = field(default="")


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    keys = {kid: _rsa_key(kid) for kid in ("k1", "k2", "stranger")}
    served = Issuer(keys, ["k1"])
    with serving(served.app()) as url:
        served.url = url
        yield served


@pytest.fixture(scope="module")
def subgraphs(issuer: Issuer) -> Iterator[Subgraphs]:
    partner_verifier = TokenVerifier(RemoteJwks(issuer.jwks_url, min_refetch_s=0), None, ISSUER)
    routes = [Route("/stores", GraphQL(STORES, graphql_ide=None), methods=["POST"]),
              Route("/catalog", GraphQL(CATALOG, graphql_ide=None), methods=["POST"]),
              Route("/membership", PartnerSubgraph(MEMBERSHIP, partner_verifier),
                    methods=["POST"])]
    recorder = Recorder(Starlette(routes=routes))
    with serving(recorder) as url:
        composed = compose_supergraph([
            SubgraphSource("stores", STORES.as_str(), url=f"{url}/stores"),
            SubgraphSource("catalog", CATALOG.as_str(), url=f"{url}/catalog"),
            SubgraphSource("membership", MEMBERSHIP.as_str(), url=f"{url}/membership")])
        assert composed.supergraph_sdl is not None, composed.errors
        yield Subgraphs(url, recorder, composed.supergraph_sdl)


@dataclass(frozen=True)
class Served:
    url: str
    gateway: Gateway


@asynccontextmanager
async def served_gateway(sdl: str, verifier: TokenVerifier | None) -> AsyncIterator[Served]:
    """The standalone gateway over ``sdl``, built as the CLI builds it, on a loopback port."""
    session = http_session(timeout=5.0)
    gateway, app = standalone_app(Supergraph.parse(sdl), session, verifier=verifier,
                                  on_shutdown=session.close)
    async with serve_in_loop(app) as url:
        yield Served(f"{url}/graphql", gateway)


@pytest.fixture(scope="module")
async def guarded(issuer: Issuer, subgraphs: Subgraphs) -> AsyncIterator[Served]:
    """The gateway with ``--jwks`` (refetching at once on an unknown key, for the tests)."""
    verifier = await jwks_verifier(issuer.jwks_url, issuer=ISSUER, min_refetch_s=0)
    async with served_gateway(subgraphs.sdl, verifier) as served:
        yield served


@pytest.fixture(scope="module")
async def trusting(subgraphs: Subgraphs) -> AsyncIterator[Served]:
    """The gateway without ``--jwks``: today's behaviour, every caller trusted."""
    async with served_gateway(subgraphs.sdl, None) as served:
        yield served


@pytest.fixture
def calls(subgraphs: Subgraphs) -> list[tuple[str, str | None]]:
    """The subgraph calls made during the test."""
    subgraphs.recorder.calls.clear()
    return subgraphs.recorder.calls


async def ask(url: str, token: str | None = None, query: str = QUERY,
              authorization: str | None = None) -> httpx.Response:
    headers = {"accept": "application/json"}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    if authorization is not None:
        headers["authorization"] = authorization
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(url, json={"query": query}, headers=headers)


def denied(body: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(tuple(error["path"]) for error in body.get("errors", ())
                  if error["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE")


async def test_anonymous_callers_see_public_fields_and_errors_for_protected_ones(
        guarded: Served) -> None:
    response = await ask(guarded.url)
    body = response.json()
    assert response.status_code == 200
    assert [store["name"] for store in body["data"]["stores"]] == ["North", "South"]
    assert all(store["phone"] is None and store["inventory"] is None
               for store in body["data"]["stores"])
    assert body["data"]["me"] is None
    assert denied(body) == [("me",), *STORE_FIELDS]


@pytest.mark.parametrize(("scope", "refused"), [
    ("stores:read inventory:read points:read", []),
    ("stores:read", [("me", "pointsBalance"), ("stores", 0, "inventory"),
                     ("stores", 1, "inventory")]),
    ("platform:admin points:read", [("stores", 0, "phone"), ("stores", 1, "phone")]),
    ("", [("me", "pointsBalance"), *STORE_FIELDS]),
], ids=["everything", "stores-only", "admin+points", "no-scope"])
async def test_a_token_sees_exactly_the_fields_its_scopes_allow(
        guarded: Served, issuer: Issuer, scope: str, refused: list[tuple[Any, ...]]) -> None:
    token, client_id = issuer.token(scope)
    response = await ask(guarded.url, token)
    body = response.json()
    assert response.status_code == 200
    assert denied(body) == refused
    me = body["data"]["me"]
    assert me["id"] == client_id  # the partner subgraph verified the forwarded token
    assert (me["pointsBalance"] == 42) == (("me", "pointsBalance") not in refused)
    for index, store in enumerate(body["data"]["stores"]):
        assert (store["phone"] is None) == (("stores", index, "phone") in refused)
        assert (store["inventory"] is None) == (("stores", index, "inventory") in refused)


async def test_the_plan_cache_keeps_callers_with_other_scopes_apart(
        guarded: Served, issuer: Issuer) -> None:
    query = "{ stores { id phone } }"
    everything, _ = issuer.token("stores:read")
    nothing, _ = issuer.token("orders:read")
    seen = [(await ask(guarded.url, token, query)).json() for token in (everything, nothing)]
    anonymous = (await ask(guarded.url, None, query)).json()
    assert [store["phone"] for store in seen[0]["data"]["stores"]] == ["110", "120"]
    assert denied(seen[1]) == denied(anonymous) == [("stores", 0, "phone"),
                                                     ("stores", 1, "phone")]


def _tampered(token: str) -> str:
    """The token with its scope raised to platform:admin, the signature left as it was."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "platform:admin stores:read inventory:read points:read"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


REFUSED_TOKENS: dict[str, tuple[dict[str, Any], str]] = {
    "expired": ({"exp": int(time.time()) - 3600, "iat": int(time.time()) - 4000},
                "expired"),
    "wrong-issuer": ({"iss": "https://someone-else.test"}, "iss"),
    "wrong-audience": ({"aud": "another-api"}, "aud"),
    "unknown-kid": ({"kid": "stranger"}, "unknown or retired key"),
    "forged-signature": ({"signed_by": "stranger"}, "signature is invalid"),
}


@pytest.mark.parametrize("case", [*REFUSED_TOKENS, "tampered", "not-bearer"])
async def test_a_bad_token_is_401_with_www_authenticate_and_reaches_no_subgraph(
        guarded: Served, issuer: Issuer, calls: list[tuple[str, str | None]],
        case: str) -> None:
    if case == "tampered":
        token, reason = _tampered(issuer.token("stores:read")[0]), "signature is invalid"
        authorization = f"Bearer {token}"
    elif case == "not-bearer":
        authorization, reason = "Basic YWxpY2U6c2VjcmV0", "Bearer <token>"
    else:
        overrides, reason = REFUSED_TOKENS[case]
        authorization = f"Bearer {issuer.token('stores:read', **overrides)[0]}"
    response = await ask(guarded.url, authorization=authorization)
    assert response.status_code == 401
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAUTHENTICATED"
    assert reason in error["message"]
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert calls == []


async def test_a_rotated_key_is_picked_up_without_restart(
        guarded: Served, issuer: Issuer) -> None:
    token, client_id = issuer.token("stores:read points:read", kid="k2")
    assert (await ask(guarded.url, token)).status_code == 401  # k2 not published yet
    issuer.served = ["k2", "k1"]
    try:
        fetches = issuer.fetches
        body = (await ask(guarded.url, token)).json()
        assert issuer.fetches > fetches
        assert body["data"]["me"] == {"id": client_id, "pointsBalance": 42}
        assert [store["phone"] for store in body["data"]["stores"]] == ["110", "120"]
        old, _ = issuer.token("stores:read", kid="k1")
        assert (await ask(guarded.url, old)).status_code == 200
    finally:
        issuer.served = ["k1"]


async def test_a_key_the_issuer_withdraws_stops_verifying_once_the_keys_are_stale(
        issuer: Issuer, subgraphs: Subgraphs) -> None:
    issuer.served = ["k1", "k2"]
    verifier = await jwks_verifier(issuer.jwks_url, issuer=ISSUER, min_refetch_s=0,
                                   max_age_s=0.5)
    token, _ = issuer.token("stores:read", kid="k2")
    async with served_gateway(subgraphs.sdl, verifier) as served:
        try:
            assert (await ask(served.url, token)).status_code == 200
            issuer.served = ["k1"]
            await asyncio.sleep(0.6)
            response = await ask(served.url, token)
            assert response.status_code == 401
            assert "unknown or retired key" in response.json()["errors"][0]["message"]
        finally:
            issuer.served = ["k1"]


async def test_only_a_verified_authorization_header_reaches_the_subgraphs(
        guarded: Served, trusting: Served, issuer: Issuer,
        calls: list[tuple[str, str | None]]) -> None:
    token, _ = issuer.token("stores:read inventory:read points:read")
    await ask(guarded.url, token)
    assert {name for name, _ in calls} == {"stores", "catalog", "membership"}
    assert {header for _, header in calls} == {f"Bearer {token}"}
    calls.clear()
    await ask(guarded.url)
    assert calls and all(header is None for _, header in calls)
    calls.clear()
    unchecked, _ = issuer.token("stores:read", iss="https://someone-else.test")
    await ask(trusting.url, unchecked)
    assert calls and all(header is None for _, header in calls)


async def test_without_jwks_every_caller_is_trusted(
        trusting: Served, issuer: Issuer) -> None:
    for authorization in (None, "Bearer not-a-token"):
        response = await ask(trusting.url, authorization=authorization)
        body = response.json()
        assert response.status_code == 200
        assert "errors" not in body
        assert [store["phone"] for store in body["data"]["stores"]] == ["110", "120"]


async def test_tokens_of_a_real_loopgate_issuer_verify_across_its_key_rotation(
        auth_server: AuthServer, mint_token: TokenFactory, subgraphs: Subgraphs) -> None:
    verifier = await jwks_verifier(auth_server.url("/.well-known/jwks.json"),
                                   issuer=auth_server.service.issuer, min_refetch_s=0)
    query = "{ stores { phone inventory { sku } } }"
    async with served_gateway(subgraphs.sdl, verifier) as served:
        body = (await ask(served.url, (await mint_token("stores:read")).access_token,
                          query)).json()
        assert [store["phone"] for store in body["data"]["stores"]] == ["110", "120"]
        assert denied(body) == [("stores", 0, "inventory"), ("stores", 1, "inventory")]
        await auth_server.service.rotate_keys()
        rotated = (await mint_token("inventory:read")).access_token
        body = (await ask(served.url, rotated, query)).json()
        assert [store["inventory"] for store in body["data"]["stores"]] == [
            [{"sku": "sto_1-A"}], [{"sku": "sto_2-A"}]]
        assert denied(body) == [("stores", 0, "phone"), ("stores", 1, "phone")]


@pytest.fixture
def supergraph_file(tmp_path: Path, subgraphs: Subgraphs) -> Path:
    path = tmp_path / "supergraph.graphql"
    path.write_text(subgraphs.sdl)
    return path


def _closed_port_url() -> str:
    return f"http://127.0.0.1:{free_port()}/.well-known/jwks.json"


@pytest.mark.parametrize(("where", "expected"), [
    ("closed-port", "cannot read signing keys from http://127.0.0.1:"),
    ("not-found", "HTTP 404 Not Found"),
    ("no-keys", "holds no RS256 signing key"),
])
def test_cli_an_unusable_jwks_is_one_error_line(
        supergraph_file: Path, issuer: Issuer, where: str, expected: str) -> None:
    url = {"closed-port": _closed_port_url(), "not-found": f"{issuer.url}/nowhere.json",
           "no-keys": f"{issuer.url}/empty.json"}[where]
    result = run_loopgate("gateway", "--supergraph", str(supergraph_file),
                          "--port", str(free_port()), "--jwks", url, "--issuer", ISSUER)
    assert_one_line_failure(result, expected)


@pytest.mark.parametrize("options", [
    ["--jwks", "http://127.0.0.1:9/jwks.json"],
    ["--issuer", ISSUER],
], ids=["jwks-without-issuer", "issuer-without-jwks"])
def test_cli_oauth_options_without_their_partner_are_usage_errors(
        supergraph_file: Path, options: list[str]) -> None:
    result = run_loopgate("gateway", "--supergraph", str(supergraph_file), *options)
    assert result.returncode == 2
    assert "usage: loopgate gateway" in result.stderr
    assert ("--jwks needs --issuer" if "--jwks" in options
            else "--issuer and --audience need --jwks") in result.stderr


def test_cli_without_jwks_warns_that_callers_are_trusted(supergraph_file: Path) -> None:
    with gateway_process(supergraph_file) as (base, stderr):
        body = httpx.post(f"{base}/graphql", json={"query": "{ stores { phone } }"}).json()
        assert body["data"] == {"stores": [{"phone": "110"}, {"phone": "120"}]}
    warnings = [line for line in stderr if "WITHOUT authentication" in line]
    assert len(warnings) == 1 and warnings[0].startswith("warning:")


def test_cli_with_jwks_enforces_oauth(supergraph_file: Path, issuer: Issuer,
                                      subgraphs: Subgraphs) -> None:
    token, client_id = issuer.token("stores:read points:read")
    with gateway_process(supergraph_file, "--jwks", issuer.jwks_url,
                         "--issuer", ISSUER) as (base, stderr):
        subgraphs.recorder.calls.clear()
        anonymous = httpx.post(f"{base}/graphql", json={"query": QUERY}).json()
        allowed = httpx.post(f"{base}/graphql", json={"query": QUERY},
                             headers={"authorization": f"Bearer {token}"}).json()
        refused = httpx.post(f"{base}/graphql", json={"query": QUERY},
                             headers={"authorization": f"Bearer {token[:-4]}AAAA"})
        forwarded = {header for _, header in subgraphs.recorder.calls}
    assert denied(anonymous) == [("me",), *STORE_FIELDS]
    assert allowed["data"]["me"] == {"id": client_id, "pointsBalance": 42}
    assert denied(allowed) == [("stores", 0, "inventory"), ("stores", 1, "inventory")]
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"].startswith("Bearer")
    assert forwarded == {None, f"Bearer {token}"}
    assert not any("WITHOUT authentication" in line for line in stderr)
    assert any(f"verified with the keys at {issuer.jwks_url}" in line for line in stderr)
