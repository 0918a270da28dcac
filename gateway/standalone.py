"""The standalone gateway (``loopgate gateway``) assembled from a supergraph file.

Every subgraph is reached over HTTP at its ``join__Graph`` URL. With a
:class:`~auth.verify.TokenVerifier` (``--jwks``) the gateway enforces OAuth as ``loopgate
serve`` does, with the same pieces (:mod:`gateway.authorization.wiring`): a bad bearer token
is a 401 with ``WWW-Authenticate``, ``@authenticated``/``@requiresScopes`` fields the caller
may not see are pruned with an error at their path, and the caller's authorization shape is
part of the plan-cache key. The keys are fetched again when a token names a new one (a
rotation needs no restart) and every few minutes (a withdrawn key stops verifying).

What subgraphs receive depends on whether the gateway holds a signing key
(``--signing-key``, :mod:`gateway.context_key`). With one it signs a ``Loopgate-Context``
token per subgraph call, as ``serve`` does (``aud`` = the subgraph, a minute's lifetime), and
serves the public key at ``/.well-known/jwks.json`` for subgraphs to verify; the caller's
bearer token never leaves the gateway. Without one it forwards the caller's verified
``Authorization`` header instead, so a (partner) subgraph can verify the token with the
issuer's JWKS; any subgraph behind it can then replay the tokens it receives against the
others until they expire: put only subgraphs you trust with callers' tokens behind such a
gateway. The revocation list lives in the issuer's database, out of reach here, so a revoked
token is accepted until it expires (access tokens live at most 15 minutes).

Without a verifier every caller is trusted and nothing is guarded (the CLI warns).
"""

from collections.abc import Sequence

import aiohttp
from pymongo.asynchronous.database import AsyncDatabase
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from auth.context import ContextTokenSigner
from auth.jwks import RemoteJwks
from auth.tokens import AUDIENCE
from auth.verify import TokenVerifier
from gateway.authorization.wiring import (
    auth_shape_for,
    bearer_headers,
    context_headers,
    principal_context,
)
from gateway.context_key import FileSigningKeys
from gateway.federation import Supergraph
from gateway.http.app import OnShutdown, create_gateway_app
from gateway.limits import OperationLimits
from gateway.limits.budget import AppLimits
from gateway.limits.caller import principal_caller
from gateway.persisted import PersistedOperations
from gateway.service import Gateway
from gateway.transports.router import TransportRouter

JWKS_MIN_REFETCH_S = 10.0
"""Least time between two JWKS fetches caused by tokens naming an unknown ``kid``."""

JWKS_MAX_AGE_S = 300.0
"""Keys older than this are fetched again, so a key the issuer withdrew stops verifying."""


async def jwks_verifier(url: str, *, issuer: str, audience: str = AUDIENCE,
                        min_refetch_s: float = JWKS_MIN_REFETCH_S,
                        max_age_s: float = JWKS_MAX_AGE_S) -> TokenVerifier:
    """A verifier of ``issuer``'s access tokens with the keys at ``url``, loaded now.

    Raises :class:`auth.jwks.JwksUnavailable` when the URL cannot be read or holds no key, so
    a misconfigured gateway fails at start-up instead of refusing every token. There is no
    revocation list (see the module docstring).
    """
    jwks = RemoteJwks(url, min_refetch_s=min_refetch_s, max_age_s=max_age_s)
    await jwks.load()
    return TokenVerifier(jwks, None, issuer, audience)


JWKS_PATH = "/.well-known/jwks.json"


def subgraph_router(supergraph: Supergraph, session: aiohttp.ClientSession,
                    verifier: TokenVerifier | None,
                    signer: ContextTokenSigner | None = None, *,
                    dedup: bool = True) -> TransportRouter:
    """HTTP transports for every subgraph. With ``signer`` each call carries a signed
    ``Loopgate-Context`` token; else, with ``verifier``, the caller's verified bearer token;
    else nothing of the caller's."""
    headers_for = (context_headers(signer) if signer is not None
                   else bearer_headers if verifier is not None else None)
    return TransportRouter.over_http(supergraph.subgraphs.values(), session,
                                     headers_for=headers_for, dedup=dedup)


class ServingJwks:
    """ASGI wrapper answering ``GET /.well-known/jwks.json`` with the gateway's public key;
    everything else (lifespan included) goes to the wrapped app."""

    def __init__(self, app: ASGIApp, keys: FileSigningKeys) -> None:
        self.app = app
        self.response = JSONResponse(keys.jwks(), headers={"cache-control": "max-age=300"})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == JWKS_PATH \
                and scope["method"] in ("GET", "HEAD"):
            await self.response(scope, receive, send)
            return
        await self.app(scope, receive, send)


def standalone_app(
    supergraph: Supergraph,
    session: aiohttp.ClientSession,
    *,
    verifier: TokenVerifier | None,
    signing_keys: FileSigningKeys | None = None,
    context_issuer: str = "",
    limits: OperationLimits | None = None,
    app_limits: AppLimits | None = None,
    persisted_db: AsyncDatabase | None = None,
    cors_origins: Sequence[str] = (),
    on_shutdown: OnShutdown | None = None,
    dedup: bool = True,
) -> tuple[Gateway, ASGIApp]:
    """The gateway over ``supergraph``'s HTTP subgraphs and the app serving it.

    With ``signing_keys`` subgraphs get ``Loopgate-Context`` tokens issued as
    ``context_issuer`` (and the app serves the public key); see the module docstring. The
    gateway is returned too, for hot reload (:meth:`Gateway.replace_supergraph` with a
    :func:`subgraph_router` built with the same verifier and :func:`context_signer`).
    Automatic persisted queries are kept in ``persisted_db`` (shared by every process using
    it, with per-app safelists) or, without one, in this process's memory.
    """
    signer = context_signer(signing_keys, context_issuer)
    gateway = Gateway(supergraph, subgraph_router(supergraph, session, verifier, signer,
                                                  dedup=dedup),
                      limits=limits)
    forward_bearer = signer is None
    app: Starlette = create_gateway_app(
        gateway, cors_origins=cors_origins, on_shutdown=on_shutdown,
        context_for=(principal_context(verifier, forward_bearer=forward_bearer)
                     if verifier else None),
        auth_shape_for=auth_shape_for(lambda: gateway.authorization) if verifier else None,
        caller_for=principal_caller if verifier else None, limits=app_limits,
        persisted=PersistedOperations(persisted_db,
                                      schema=lambda: gateway.supergraph.api_schema))
    if signing_keys is None:
        return gateway, app
    return gateway, ServingJwks(app, signing_keys)


def context_signer(signing_keys: FileSigningKeys | None,
                   issuer: str) -> ContextTokenSigner | None:
    """The signer of ``Loopgate-Context`` tokens with the file's key, if there is one."""
    if signing_keys is None:
        return None
    # ContextTokenSigner only asks its key ring for signing_key(), which FileSigningKeys has.
    return ContextTokenSigner(signing_keys, issuer)  # type: ignore[arg-type]
