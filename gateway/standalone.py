"""The standalone gateway (``loopgate gateway``) assembled from a supergraph file.

Every subgraph is reached over HTTP at its ``join__Graph`` URL. With a
:class:`~auth.verify.TokenVerifier` (``--jwks``) the gateway enforces OAuth as ``loopgate
serve`` does, with the same pieces (:mod:`gateway.authorization.wiring`): a bad bearer token
is a 401 with ``WWW-Authenticate``, ``@authenticated``/``@requiresScopes`` fields the caller
may not see are pruned with an error at their path, and the caller's authorization shape is
part of the plan-cache key. The keys are fetched again when a token names a new one (a
rotation needs no restart) and every few minutes (a withdrawn key stops verifying).

What subgraphs receive differs from ``serve``: that server signs a ``Loopgate-Context`` header
with its own keys, while this gateway only holds the issuer's public keys. It forwards the
caller's verified ``Authorization`` header instead, so a (partner) subgraph can verify the
token with the same JWKS. Any subgraph behind it can therefore replay the tokens it receives
against the others until they expire: put only subgraphs you trust with callers' tokens
behind one gateway. The revocation list lives in the issuer's database, out of reach here, so
a revoked token is accepted until it expires (access tokens live at most 15 minutes).

Without a verifier every caller is trusted and nothing is guarded (the CLI warns).
"""

from collections.abc import Sequence

import aiohttp
from starlette.applications import Starlette

from auth.jwks import RemoteJwks
from auth.tokens import AUDIENCE
from auth.verify import TokenVerifier
from gateway.authorization.wiring import auth_shape_for, bearer_headers, principal_context
from gateway.federation import Supergraph
from gateway.http.app import OnShutdown, create_gateway_app
from gateway.limits import OperationLimits
from gateway.limits.caller import principal_caller
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


def subgraph_router(supergraph: Supergraph, session: aiohttp.ClientSession,
                    verifier: TokenVerifier | None) -> TransportRouter:
    """HTTP transports for every subgraph; they forward verified bearer tokens when
    ``verifier`` is set (and nothing of the caller's otherwise)."""
    return TransportRouter.over_http(supergraph.subgraphs.values(), session,
                                     headers_for=bearer_headers if verifier else None)


def standalone_app(
    supergraph: Supergraph,
    session: aiohttp.ClientSession,
    *,
    verifier: TokenVerifier | None,
    limits: OperationLimits | None = None,
    cors_origins: Sequence[str] = (),
    on_shutdown: OnShutdown | None = None,
) -> tuple[Gateway, Starlette]:
    """The gateway over ``supergraph``'s HTTP subgraphs and the app serving it.

    The gateway is returned too, for hot reload (:meth:`Gateway.replace_supergraph` with a
    :func:`subgraph_router` built with the same ``verifier``).
    """
    gateway = Gateway(supergraph, subgraph_router(supergraph, session, verifier), limits=limits)
    app = create_gateway_app(
        gateway, cors_origins=cors_origins, on_shutdown=on_shutdown,
        context_for=principal_context(verifier, forward_bearer=True) if verifier else None,
        auth_shape_for=auth_shape_for(lambda: gateway.authorization) if verifier else None,
        caller_for=principal_caller if verifier else None)
    return gateway, app
