"""Glue between the auth service and the gateway's HTTP endpoint and transports.

* :func:`principal_context` is the endpoint's ``context_for``: it verifies the bearer token
  and puts the :class:`Principal` (None when anonymous) under :data:`PRINCIPAL`; a bad token
  is a 401 with ``UNAUTHENTICATED`` and a ``WWW-Authenticate`` header (RFC 6750).
* :func:`auth_shape_for` is the endpoint's ``auth_shape_for``.
* :func:`context_headers` is the HTTP transport's ``headers_for``: the signed
  ``Loopgate-Context`` header for the subgraph being called.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable, Mapping
from typing import Any

from starlette.requests import Request

from auth.context import ContextTokenSigner
from auth.errors import AuthError
from auth.verify import TokenVerifier
from gateway.authorization.policy import AuthorizationPolicy
from gateway.http.errors import RequestRejected
from gateway.transports.base import SubgraphRequest
from schema.kernel.principal import Principal

PRINCIPAL = "principal"
"""The key of the verified principal in the gateway's per-request context."""


def principal_of(context: Mapping[str, Any]) -> Principal | None:
    principal = context.get(PRINCIPAL)
    return principal if isinstance(principal, Principal) else None


def principal_context(verifier: TokenVerifier, *, require_token: bool = False) \
        -> Callable[[Request], Awaitable[Mapping[str, Any]]]:
    """``context_for``: the request's principal; 401 on a bad (or, if required, no) token."""

    async def context_for(request: Request) -> Mapping[str, Any]:
        header = request.headers.get("authorization")
        try:
            principal = await (verifier.require(header) if require_token
                               else verifier.authenticate(header))
        except AuthError as exc:
            raise RequestRejected(401, exc.reason, exc.code,
                                  {"WWW-Authenticate": exc.www_authenticate()}) from exc
        return {PRINCIPAL: principal}

    return context_for


def auth_shape_for(policy: Callable[[], AuthorizationPolicy]) \
        -> Callable[[Mapping[str, Any]], Hashable]:
    """``auth_shape_for``: the caller's shape under the current supergraph's policy."""
    return lambda context: policy().shape(principal_of(context))


def context_headers(signer: ContextTokenSigner) \
        -> Callable[[SubgraphRequest], Mapping[str, str]]:
    """``headers_for``: the ``Loopgate-Context`` header for the subgraph of ``request``."""
    return lambda request: signer.headers(principal_of(request.context), request.subgraph)
