"""Glue between the auth service and the gateway's HTTP endpoint and transports.

* :func:`principal_context` is the endpoint's ``context_for``: it verifies the bearer token
  and puts the :class:`Principal` (None when anonymous) under :data:`PRINCIPAL`; a bad token
  is a 401 with ``UNAUTHENTICATED`` and a ``WWW-Authenticate`` header (RFC 6750).
* :func:`auth_shape_for` is the endpoint's ``auth_shape_for``.
* :func:`context_headers` is the HTTP transport's ``headers_for``: the signed
  ``Loopgate-Context`` header for the subgraph being called (``loopgate serve``, which holds
  the signing keys).
* :func:`bearer_headers` is the ``headers_for`` of the standalone ``loopgate gateway --jwks``,
  which has no signing key: the caller's own ``Authorization`` header, once verified, so a
  subgraph can verify it again with the issuer's JWKS.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any

from starlette.requests import Request

from auth.context import ContextTokenSigner
from auth.errors import AuthError
from auth.verify import TokenVerifier, bearer_token
from gateway.authorization.policy import AuthorizationPolicy
from gateway.http.errors import RequestRejected
from gateway.transports.base import SubgraphRequest
from schema.kernel.principal import Principal

PRINCIPAL = "principal"
"""The key of the verified principal in the gateway's per-request context."""

BEARER = "bearer"
"""The key of the caller's verified ``Authorization`` value, when it is to be forwarded."""


def principal_of(context: Mapping[str, Any]) -> Principal | None:
    principal = context.get(PRINCIPAL)
    return principal if isinstance(principal, Principal) else None


def principal_context(verifier: TokenVerifier, *, require_token: bool = False,
                      forward_bearer: bool = False) \
        -> Callable[[Request], Awaitable[Mapping[str, Any]]]:
    """``context_for``: the request's principal; 401 on a bad (or, if required, no) token.

    With ``forward_bearer`` the verified token is kept under :data:`BEARER` too, for
    :func:`bearer_headers`; off by default, so in-process subgraphs never see it.
    """

    async def context_for(request: Request) -> Mapping[str, Any]:
        header = request.headers.get("authorization")
        try:
            principal = await (verifier.require(header) if require_token
                               else verifier.authenticate(header))
            token = bearer_token(header) if forward_bearer and principal is not None else None
        except AuthError as exc:
            raise RequestRejected(401, exc.reason, exc.code,
                                  {"WWW-Authenticate": exc.www_authenticate()}) from exc
        if token is None:
            return {PRINCIPAL: principal}
        return {PRINCIPAL: principal, BEARER: f"Bearer {token}"}

    return context_for


def auth_shape_for(policy: Callable[[], AuthorizationPolicy]) \
        -> Callable[[Mapping[str, Any]], Hashable]:
    """``auth_shape_for``: the caller's shape under the current supergraph's policy."""
    return lambda context: policy().shape(principal_of(context))


def context_headers(signer: ContextTokenSigner) \
        -> Callable[[SubgraphRequest], Mapping[str, str]]:
    """``headers_for``: the ``Loopgate-Context`` header for the subgraph of ``request``."""
    return lambda request: signer.headers(principal_of(request.context), request.subgraph)


def bearer_headers(request: SubgraphRequest) -> Mapping[str, str]:
    """``headers_for``: the caller's verified ``Authorization`` header, if there is one.

    Only :func:`principal_context` with ``forward_bearer`` puts it in the context, after the
    token verified, so an anonymous or refused caller's header never reaches a subgraph.
    """
    bearer = request.context.get(BEARER)
    return {"authorization": bearer} if isinstance(bearer, str) else {}
