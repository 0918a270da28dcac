"""Typed failures of token verification, mapped to ``UNAUTHENTICATED`` at the boundary."""

from graphql import GraphQLError

from schema.kernel.errors import ErrorCode, graphql_error


class AuthError(Exception):
    """A bearer or context token was refused; ``reason`` is safe to show the caller."""

    code: ErrorCode = ErrorCode.UNAUTHENTICATED

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason

    def to_graphql_error(self) -> GraphQLError:
        return graphql_error(self.reason, self.code)

    def www_authenticate(self) -> str:
        """The RFC 6750 ``WWW-Authenticate`` header value for a 401 response."""
        description = self.reason.replace('"', "'").encode("ascii", "replace").decode()
        return f'Bearer error="invalid_token", error_description="{description}"'


class MissingToken(AuthError):
    """No credentials where they are required."""


class InvalidToken(AuthError):
    """Malformed, badly signed, expired, for another audience, or revoked."""
