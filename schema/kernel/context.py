"""The per-request context every platform subgraph resolver receives as ``info.context``.

It carries the caller's verified :class:`Principal` (or ``None`` for an anonymous call), the
caller's database and the request's DataLoaders (created lazily, so a loader batches only
within one request and never leaks data between callers). The database is the live one or
the sandbox, picked from the principal before ``make_context`` is called
(:meth:`schema.kernel.subgraph.Subgraph.context_factory`), so resolvers cannot pick wrongly.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiodataloader import DataLoader
from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.errors import ErrorCode, graphql_error
from schema.kernel.principal import Principal

L = TypeVar("L", bound=DataLoader)


@dataclass
class SubgraphContext:
    """Database, caller and loaders for one subgraph request."""

    db: AsyncDatabase
    principal: Principal | None
    request: Mapping[str, Any] = field(default_factory=dict)
    _loaders: dict[str, DataLoader] = field(default_factory=dict, repr=False)

    def require(self, scope: str) -> Principal:
        """The caller, who must be authenticated and hold ``scope``.

        Checked here again although the gateway enforces ``@requiresScopes``: a subgraph may
        be reached directly."""
        if self.principal is None:
            raise graphql_error("authentication required", ErrorCode.UNAUTHENTICATED)
        self.principal.require_scope(scope)
        return self.principal

    def loader(self, name: str, build: Callable[[], L]) -> L:
        """The request's loader called ``name``, built on first use."""
        found = self._loaders.get(name)
        if found is None:
            found = self._loaders[name] = build()
        return found  # type: ignore[return-value]


def request_principal(request: Mapping[str, Any]) -> Principal | None:
    """``request["principal"]``, the verified caller (None when anonymous)."""
    principal = request.get("principal")
    if principal is not None and not isinstance(principal, Principal):
        raise TypeError("request context 'principal' must be a Principal or None")
    return principal


def make_context(db: AsyncDatabase, request: Mapping[str, Any]) -> SubgraphContext:
    """The standard context factory: ``db`` is the caller's database (already picked),
    ``request["principal"]`` the verified caller."""
    return SubgraphContext(db=db, principal=request_principal(request), request=request)
