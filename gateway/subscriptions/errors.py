"""A subscription refused before its stream starts: the GraphQL errors and the HTTP status an
SSE response carries (a WebSocket sends the errors in an ``error`` message)."""

from collections.abc import Mapping
from typing import Any

from schema.kernel.errors import ErrorCode

_STATUS = {ErrorCode.UNAUTHENTICATED: 401, ErrorCode.FORBIDDEN: 403,
           ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE: 403, ErrorCode.RATE_LIMITED: 429,
           ErrorCode.INTERNAL_SERVER_ERROR: 500, ErrorCode.SERVICE_UNAVAILABLE: 503}


class Refused(Exception):
    """Refused with ``errors`` (formatted GraphQL errors, each with ``extensions.code``)."""

    def __init__(self, errors: list[dict[str, Any]], retry_after: int | None = None) -> None:
        super().__init__(errors[0]["message"] if errors else "refused")
        self.errors = errors
        self.retry_after = retry_after

    @classmethod
    def of(cls, message: str, code: str, retry_after: int | None = None,
           **extensions: Any) -> "Refused":
        return cls([error(message, code, **extensions)], retry_after)

    @property
    def code(self) -> str:
        return str((self.errors[0].get("extensions") or {}).get("code", ErrorCode.BAD_USER_INPUT))

    @property
    def status(self) -> int:
        """401 and 403 for auth, 429 over a limit, 500/503 for the server's own failures,
        else 400 (a request the client must fix)."""
        return _STATUS.get(ErrorCode(self.code) if self.code in ErrorCode.__members__ else
                           ErrorCode.BAD_USER_INPUT, 400)

    def headers(self) -> Mapping[str, str]:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else {}


def error(message: str, code: str, **extensions: Any) -> dict[str, Any]:
    """A formatted GraphQL error with ``extensions.code``."""
    return {"message": message, "extensions": {"code": str(code), **extensions}}


UNAUTHENTICATED_EXPIRED = "the access token expired: subscribe again with a fresh token"
