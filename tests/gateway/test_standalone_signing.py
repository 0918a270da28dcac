"""``loopgate gateway --signing-key``: subgraphs receive ``Loopgate-Context`` tokens the
gateway signs, verifiable with its public key, and never the caller's bearer token.

The gateway is built by :func:`gateway.standalone_runtime.build_standalone`, as the CLI and
each ``--workers`` worker build it, behind OAuth (``--jwks``) of an issuer stand-in. Its
subgraphs are served over HTTP behind :class:`auth.middleware.RequireContextToken`, verifying
with the keys the gateway serves at ``/.well-known/jwks.json``, as a partner's would.
"""

import json
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.asgi import GraphQL

from auth.context import CONTEXT_HEADER, ContextTokenVerifier
from auth.errors import AuthError
from auth.jwks import RemoteJwks
from auth.middleware import RequireContextToken
from gateway.compose import SubgraphSource, compose_supergraph
from gateway.context_key import InvalidSigningKey, load_signing_key, new_key_file
from gateway.standalone import JWKS_PATH
from gateway.standalone_runtime import StandaloneOptions, build_standalone
from tests.auth.e2e_subgraphs import MEMBERSHIP, STORES, MembershipApp
from tests.auth.fixtures import serve_in_loop
from tests.gateway.servers import free_port, serving
from tests.gateway.test_cli import assert_one_line_failure, run_loopgate
from tests.gateway.test_standalone_auth import ISSUER, Issuer, _rsa_key

CONTEXT_ISSUER = "https://gateway.loopgate.test"
QUERY = "{ stores { name } me { id } }"


class Headers:
    """ASGI wrapper noting, per call, the subgraph and the headers that matter here."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.calls: list[tuple[str, dict[str, str]]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
            self.calls.append((scope["path"].strip("/"), headers))
        await self.app(scope, receive, send)


@dataclass
class Setup:
    gateway_url: str
    subgraphs_url: str
    subgraphs: Headers
    issuer: Issuer
    key_file: Path


def _guarded(app: ASGIApp, name: str, jwks_url: str) -> ASGIApp:
    """A subgraph that accepts only context tokens for ``name`` signed by the gateway."""
    verifier = ContextTokenVerifier(RemoteJwks(jwks_url, min_refetch_s=0), CONTEXT_ISSUER, name)
    return RequireContextToken(app, verifier)


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    served = Issuer({"k1": _rsa_key("k1")}, ["k1"])
    with serving(served.app()) as url:
        served.url = url
        yield served


@pytest.fixture(scope="module")
async def setup(issuer: Issuer, tmp_path_factory: pytest.TempPathFactory) \
        -> AsyncIterator[Setup]:
    key_file = tmp_path_factory.mktemp("keys") / "context-key.json"
    new_key_file(key_file)
    port = free_port()
    jwks_url = f"http://127.0.0.1:{port}{JWKS_PATH}"
    subgraphs = Headers(Starlette(routes=[
        Route("/stores", _guarded(GraphQL(STORES, graphql_ide=None), "stores", jwks_url),
              methods=["POST"]),
        Route("/membership", _guarded(MembershipApp(MEMBERSHIP, graphql_ide=None),
                                      "membership", jwks_url), methods=["POST"])]))
    with serving(subgraphs) as url:
        composed = compose_supergraph([
            SubgraphSource("stores", STORES.as_str(), url=f"{url}/stores"),
            SubgraphSource("membership", MEMBERSHIP.as_str(), url=f"{url}/membership")])
        assert composed.supergraph_sdl is not None, composed.errors
        supergraph = tmp_path_factory.mktemp("sg") / "supergraph.graphql"
        supergraph.write_text(composed.supergraph_sdl)
        app = build_standalone(StandaloneOptions(
            supergraph=supergraph, port=port, jwks=issuer.jwks_url, issuer=ISSUER,
            signing_key=key_file, context_issuer=CONTEXT_ISSUER))
        async with serve_in_loop(app, port=port) as base:
            yield Setup(base, url, subgraphs, issuer, key_file)


async def _ask(setup: Setup, token: str | None) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(timeout=10) as http:
        return await http.post(f"{setup.gateway_url}/graphql", json={"query": QUERY},
                               headers=headers)


async def test_subgraphs_get_a_signed_context_token_and_never_the_bearer(setup: Setup) -> None:
    token, client_id = setup.issuer.token("stores:read members:read")
    setup.subgraphs.calls.clear()
    response = await _ask(setup, token)
    body = response.json()
    assert response.status_code == 200, body
    assert body["data"]["me"]["id"] == client_id   # membership read the signed principal
    assert [s["name"] for s in body["data"]["stores"]] == ["North", "South"]
    called = {name for name, _ in setup.subgraphs.calls}
    assert called == {"stores", "membership"}
    for name, headers in setup.subgraphs.calls:
        assert "authorization" not in headers
        assert token not in json.dumps(headers)
        context = headers[CONTEXT_HEADER.lower()]
        public_only = RemoteJwks(f"{setup.gateway_url}{JWKS_PATH}")
        principal = await ContextTokenVerifier(public_only, CONTEXT_ISSUER, name).verify(context)
        assert principal is not None and principal.client_id == client_id


async def test_a_context_token_works_only_at_its_own_subgraph(setup: Setup) -> None:
    token, _ = setup.issuer.token("stores:read")
    setup.subgraphs.calls.clear()
    await _ask(setup, token)
    stores_token = next(h[CONTEXT_HEADER.lower()] for n, h in setup.subgraphs.calls
                        if n == "stores")
    jwks = RemoteJwks(f"{setup.gateway_url}{JWKS_PATH}")
    with pytest.raises(AuthError):
        await ContextTokenVerifier(jwks, CONTEXT_ISSUER, "membership").verify(stores_token)
    async with httpx.AsyncClient(timeout=10) as http:
        replayed = await http.post(f"{setup.subgraphs_url}/membership",
                                   json={"query": "{ me { id } }"},
                                   headers={CONTEXT_HEADER: stores_token})
    assert replayed.status_code == 401


async def test_the_callers_own_token_is_refused_as_a_context_token(setup: Setup) -> None:
    """A subgraph that trusts only the gateway's key cannot be fooled with an access token
    of the issuer (nor with none)."""
    token, _ = setup.issuer.token("stores:read")
    jwks = RemoteJwks(f"{setup.gateway_url}{JWKS_PATH}")
    for forged in (token, ""):
        with pytest.raises(AuthError):
            await ContextTokenVerifier(jwks, CONTEXT_ISSUER, "stores").verify(forged)


async def test_the_gateway_serves_the_public_half_of_its_key(setup: Setup) -> None:
    async with httpx.AsyncClient(timeout=10) as http:
        served = (await http.get(f"{setup.gateway_url}{JWKS_PATH}")).json()
    assert served == load_signing_key(setup.key_file).jwks()
    assert all(set(key) == {"kty", "n", "e", "kid", "use", "alg"} for key in served["keys"])


async def test_anonymous_callers_are_signed_as_anonymous(setup: Setup) -> None:
    setup.subgraphs.calls.clear()
    body = (await _ask(setup, None)).json()
    assert body["data"]["me"] is None
    assert all(CONTEXT_HEADER.lower() in h and "authorization" not in h
               for _, h in setup.subgraphs.calls)


def test_key_files_pem_or_jwk_and_unusable_ones_refused(tmp_path: Path) -> None:
    key = RSAKey.generate_key(2048, private=True)
    pem = tmp_path / "key.pem"
    pem.write_bytes(key.as_pem(private=True))
    assert load_signing_key(pem).key.kid == key.thumbprint()
    jwk = tmp_path / "key.json"
    jwk.write_text(json.dumps({**key.as_dict(private=True), "kid": "mine"}))
    assert load_signing_key(jwk).key.kid == "mine"
    public = tmp_path / "public.pem"
    public.write_bytes(key.as_pem(private=False))
    small = tmp_path / "small.pem"
    small.write_bytes(rsa.generate_private_key(65537, 1024).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    garbage = tmp_path / "garbage"
    garbage.write_text("not a key")
    for path, reason in ((public, "public key"), (small, "1024-bit"),
                         (garbage, "no RSA private key"), (tmp_path / "none", "cannot read")):
        with pytest.raises(InvalidSigningKey, match=reason):
            load_signing_key(path)
    with pytest.raises(InvalidSigningKey, match="exists already"):
        new_key_file(jwk)
    assert load_signing_key(jwk).key.kid == "mine"   # untouched


def test_context_key_cli_and_a_bad_key_is_one_error_line(tmp_path: Path) -> None:
    path = tmp_path / "k.json"
    made = run_loopgate("context-key", "new", str(path))
    assert made.returncode == 0, made.stderr
    assert oct(os.stat(path).st_mode & 0o777) == "0o600"
    printed = run_loopgate("context-key", "jwks", str(path))
    assert json.loads(printed.stdout) == load_signing_key(path).jwks()
    assert_one_line_failure(run_loopgate("context-key", "new", str(path)), "exists already")
    bad = tmp_path / "bad.pem"
    bad.write_text("nope")
    supergraph = tmp_path / "sg.graphql"
    supergraph.write_text(compose_supergraph([SubgraphSource(
        "stores", STORES.as_str(), url="http://127.0.0.1:9/stores")]).supergraph_sdl or "")
    assert_one_line_failure(
        run_loopgate("gateway", "--supergraph", str(supergraph), "--signing-key", str(bad),
                     "--port", str(free_port())),
        "--signing-key")
