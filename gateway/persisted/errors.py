"""The one error persisted-operation resolution raises, and the statuses it carries.

Statuses follow Apollo (Apollo Server 4 and the Router): an unknown hash is 404 with the
message ``PersistedQueryNotFound`` (Apollo Client matches the message or the code, in a 4xx
body as in a 200 one, and retries with the query text), sent with ``Cache-Control: private,
no-cache, must-revalidate`` so a CDN in front of hash-only GETs never caches the miss; a
malformed extension or a hash that does not match its query is 400; an operation a
safelist-only app may not run is 403; a query too large to register is 413
(PAYLOAD_TOO_LARGE, as for an oversized body).
"""

from collections.abc import Mapping

from schema.kernel.errors import ErrorCode

NOT_FOUND_MESSAGE = "PersistedQueryNotFound"
"""The exact message Apollo clients look for before resending with the query text."""

_NO_STORE = {"Cache-Control": "private, no-cache, must-revalidate"}


class PersistedOperationError(Exception):
    """A request the persisted-operation rules refuse: ``code``, ``message``, HTTP ``status``.

    ``headers`` are extra response headers the HTTP layer should send (the not-found case
    forbids shared caching). Nothing was stored and no subgraph was called.
    """

    def __init__(self, code: ErrorCode, message: str, status: int,
                 headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.headers: Mapping[str, str] = headers or {}

    def as_response(self) -> dict[str, object]:
        """The GraphQL response body for this refusal."""
        return {"errors": [{"message": self.message, "extensions": {"code": str(self.code)}}]}


def not_found() -> PersistedOperationError:
    return PersistedOperationError(ErrorCode.PERSISTED_QUERY_NOT_FOUND, NOT_FOUND_MESSAGE,
                                   404, _NO_STORE)


def not_supported(message: str) -> PersistedOperationError:
    return PersistedOperationError(ErrorCode.PERSISTED_QUERY_NOT_SUPPORTED, message, 400)


def hash_mismatch(message: str) -> PersistedOperationError:
    return PersistedOperationError(ErrorCode.PERSISTED_QUERY_HASH_MISMATCH, message, 400)


def too_large(size: int, limit: int) -> PersistedOperationError:
    return PersistedOperationError(
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"a query of {size} bytes is larger than the {limit} bytes an automatic persisted "
        "query may hold: send it without the persistedQuery extension", 413)


def not_safelisted(message: str) -> PersistedOperationError:
    return PersistedOperationError(ErrorCode.OPERATION_NOT_SAFELISTED, message, 403)
