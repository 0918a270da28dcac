"""Whether a caller may introspect the graph (``__schema``, ``__type``).

On by default for authenticated callers, so a partner's GraphiQL and code generators work
with their token, while an anonymous caller cannot map the graph. ``__typename`` is always
allowed: clients need it for abstract types.
"""

from typing import Any

from gateway.limits.settings import Introspection
from schema.kernel.errors import ErrorCode


class IntrospectionRefused(Exception):
    def __init__(self, message: str, code: ErrorCode) -> None:
        super().__init__(message)
        self.message = message
        self.code = code

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": str(self.code)}


def check_introspection(mode: Introspection, authenticated: bool) -> None:
    """Raise :class:`IntrospectionRefused` unless ``mode`` lets this caller introspect."""
    if mode is Introspection.OFF:
        raise IntrospectionRefused("introspection is disabled on this gateway",
                                   ErrorCode.FORBIDDEN)
    if mode is Introspection.AUTHENTICATED and not authenticated:
        raise IntrospectionRefused("introspection needs an access token: send "
                                   "'Authorization: Bearer <token>'", ErrorCode.UNAUTHENTICATED)
