"""The two kinds of failure a partner sees (DESIGN.md §5).

Business failures are :class:`UserError` values in a mutation payload; malformed requests,
auth failures and limits are GraphQL errors carrying ``extensions.code`` (:class:`ErrorCode`).
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from graphql import GraphQLError

from schema.kernel.ids import InvalidId, parse_id


class UserErrorCode(StrEnum):
    """Documented ``UserError.code`` values; clients must also accept codes added later."""

    INVALID = "INVALID"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
    STORE_CLOSED = "STORE_CLOSED"
    NOT_COVERED = "NOT_COVERED"
    OUT_OF_STOCK = "OUT_OF_STOCK"
    INSUFFICIENT_POINTS = "INSUFFICIENT_POINTS"
    INSUFFICIENT_BALANCE = "INSUFFICIENT_BALANCE"
    CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
    REFUND_EXCEEDS_PAYMENT = "REFUND_EXCEEDS_PAYMENT"
    VOUCHER_ALREADY_REDEEMED = "VOUCHER_ALREADY_REDEEMED"
    VOUCHER_EXPIRED = "VOUCHER_EXPIRED"
    VOUCHER_NOT_VALID_AT_STORE = "VOUCHER_NOT_VALID_AT_STORE"
    VOUCHER_NOT_YET_VALID = "VOUCHER_NOT_YET_VALID"
    VOUCHER_REFUNDED = "VOUCHER_REFUNDED"
    DEAL_SOLD_OUT = "DEAL_SOLD_OUT"
    ILLEGAL_TRANSITION = "ILLEGAL_TRANSITION"
    DUPLICATE_EXTERNAL_ID = "DUPLICATE_EXTERNAL_ID"
    CARD_CODE_INVALID = "CARD_CODE_INVALID"


class ErrorCode(StrEnum):
    """``extensions.code`` of GraphQL errors (request-level failures)."""

    UNAUTHENTICATED = "UNAUTHENTICATED"
    FORBIDDEN = "FORBIDDEN"
    UNAUTHORIZED_FIELD_OR_TYPE = "UNAUTHORIZED_FIELD_OR_TYPE"
    BAD_USER_INPUT = "BAD_USER_INPUT"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    RATE_LIMITED = "RATE_LIMITED"
    QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
    PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
    SUBREQUEST_HTTP_ERROR = "SUBREQUEST_HTTP_ERROR"
    GATEWAY_TIMEOUT = "GATEWAY_TIMEOUT"
    INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    """An automatic persisted query's hash the gateway does not know: send the query too."""
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    """The query sent does not hash to the sha256Hash it came with (a poisoned hash)."""
    PERSISTED_QUERY_NOT_SUPPORTED = "PERSISTED_QUERY_NOT_SUPPORTED"
    """The persisted-query extension is malformed or names an unsupported version."""
    OPERATION_NOT_SAFELISTED = "OPERATION_NOT_SAFELISTED"
    """A safelist-only app sent an operation that is not on its safelist."""
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    """The process is shutting down: retry on another (an open circuit is SUBGRAPH_UNAVAILABLE)."""
    CARD_CODE_INVALID = "CARD_CODE_INVALID"


@dataclass(frozen=True, slots=True)
class UserError:
    """A business failure returned in a mutation payload, never raised."""

    code: UserErrorCode
    message: str
    field: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"code": str(self.code), "field": list(self.field) if self.field else None,
                "message": self.message}


def graphql_error(message: str, code: ErrorCode, **extensions: Any) -> GraphQLError:
    """A GraphQL error with ``extensions.code`` set, for resolvers to raise."""
    return GraphQLError(message, extensions={"code": str(code), **extensions})


def bad_user_input(message: str, **extensions: Any) -> GraphQLError:
    """The common case: an argument the caller must fix."""
    return graphql_error(message, ErrorCode.BAD_USER_INPUT, **extensions)


def id_argument(value: object, prefix: str, argument: str) -> str:
    """An id argument of the given kind, or a BAD_USER_INPUT error naming the argument."""
    try:
        return parse_id(value, prefix)
    except InvalidId as exc:
        raise bad_user_input(str(exc), argument=argument) from exc
