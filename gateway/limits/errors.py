"""Why an operation is refused before it runs; the service turns these into GraphQL errors."""

from typing import Any

from schema.kernel.errors import ErrorCode


class LimitExceeded(Exception):
    """An operation over one of its limits: ``QUERY_TOO_COMPLEX`` with which, how much, the cap.

    ``limit`` is the name clients see in ``extensions.limit``: ``documentBytes``, ``tokens``,
    ``depth``, ``aliases``, ``rootFields``, ``fragmentNesting``, ``cost`` or
    ``slicingArguments``.
    """

    def __init__(self, limit: str, value: int, maximum: int, message: str) -> None:
        super().__init__(message)
        self.limit = limit
        self.value = value
        self.maximum = maximum
        self.message = message

    @property
    def extensions(self) -> dict[str, Any]:
        return {"code": str(ErrorCode.QUERY_TOO_COMPLEX), "limit": self.limit,
                "value": self.value, "maximum": self.maximum}


def over(limit: str, value: int, maximum: int, what: str) -> LimitExceeded:
    """The usual refusal: ``what`` is the measured thing in words (\"a depth of 31\")."""
    return LimitExceeded(limit, value, maximum,
                         f"the operation is too complex: {what} is over the limit of "
                         f"{maximum} ({limit})")
