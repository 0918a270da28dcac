"""Failures the HTTP layer answers itself, before the gateway sees a GraphQL request."""

from schema.kernel.errors import ErrorCode


class RequestRejected(Exception):
    """A request refused with an HTTP status and a GraphQL error carrying ``code``.

    Raised while decoding a request, and by context factories (e.g. authentication, 401).
    """

    def __init__(self, status: int, message: str, code: str = ErrorCode.BAD_USER_INPUT,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = str(code)
        self.headers = headers or {}
