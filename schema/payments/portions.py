"""What a payment request asks for, checked before anything moves: its amount, and the
portions that pay it (STORED_VALUE and POINTS from the member's wallet, EXTERNAL through a
provider).

Pure rules, no database: the caller looks up what they need (the merchant's point value).
A POINTS portion is worth ``points x pointValue`` of the merchant where the member pays
(its amount may be given, and must then equal that); the portions add up to the amount
exactly, in the payment's currency; stored value is CNY only; each method at most once.
"""

from dataclasses import dataclass
from typing import Any

from schema.kernel.errors import UserError, UserErrorCode
from schema.kernel.money import Money
from schema.wallet import CURRENCY as WALLET_CURRENCY

Document = dict[str, Any]
METHODS = ("STORED_VALUE", "POINTS", "EXTERNAL")
BALANCE_METHODS = frozenset(("STORED_VALUE", "POINTS"))
Field = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PortionRequest:
    """One ``PaymentPortionInput``: a method, an amount (optional for POINTS), points."""

    method: str
    amount: Money | None
    points: int | None


@dataclass(frozen=True, slots=True)
class Plan:
    """A valid payment: amount, currency and its portions as stored
    (``{"method", "amount", "points"}``)."""

    amount: int
    currency: str
    portions: list[Document]

    def total(self, method: str) -> int:
        return sum(p["amount"] for p in self.portions if p["method"] == method)

    @property
    def points(self) -> int:
        return sum(p["points"] or 0 for p in self.portions if p["method"] == "POINTS")

    @property
    def stored_value(self) -> int:
        return self.total("STORED_VALUE")

    @property
    def external(self) -> int:
        return self.total("EXTERNAL")

    @property
    def takes_balance(self) -> bool:
        return any(p["method"] in BALANCE_METHODS for p in self.portions)


def _portion_field(index: int, *rest: str) -> Field:
    return ("input", "portions", str(index), *rest)


def _invalid(message: str, field: Field) -> UserError:
    return UserError(UserErrorCode.INVALID, message, field)


def _mismatch(currency: str, expected: str, field: Field) -> UserError:
    return UserError(UserErrorCode.CURRENCY_MISMATCH,
                     f"{currency} does not match the payment's currency {expected}", field)


def _portion(index: int, request: PortionRequest, currency: str,
             point_value: Money | None) -> tuple[Document | None, list[UserError]]:
    """One portion as stored, or why it is refused."""
    amount = request.amount
    if amount is not None and amount.currency != currency:
        return None, [_mismatch(amount.currency, currency, _portion_field(index, "amount",
                                                                          "currency"))]
    if request.method == "POINTS":
        if request.points is None or request.points <= 0:
            return None, [_invalid("a POINTS portion needs a positive number of points",
                                   _portion_field(index, "points"))]
        if point_value is None:
            return None, [UserError(UserErrorCode.FORBIDDEN,
                                    "points are accepted only by merchants in the points "
                                    "programme (with an earn rule); set one first",
                                    _portion_field(index, "method"))]
        if point_value.currency != currency:
            return None, [_mismatch(point_value.currency, currency,
                                    _portion_field(index, "amount", "currency"))]
        worth = point_value.amount * request.points
        if amount is not None and amount.amount != worth:
            return None, [_invalid(f"{request.points} points are worth {worth} here, not "
                                   f"{amount.amount}", _portion_field(index, "amount"))]
        return {"method": "POINTS", "amount": worth, "points": request.points}, []
    if request.points is not None:
        return None, [_invalid(f"a {request.method} portion has no points",
                               _portion_field(index, "points"))]
    if amount is None or amount.amount <= 0:
        return None, [_invalid(f"a {request.method} portion needs a positive amount",
                               _portion_field(index, "amount"))]
    if request.method == "STORED_VALUE" and currency != WALLET_CURRENCY:
        return None, [_mismatch(currency, WALLET_CURRENCY, _portion_field(index, "method"))]
    return {"method": request.method, "amount": amount.amount, "points": None}, []


def plan_payment(amount: Money | None, requests: list[PortionRequest], *,
                 point_value: Money | None, has_member: bool) -> tuple[Plan | None,
                                                                      list[UserError]]:
    """The payment ``requests`` describe, or every reason it is refused."""
    if amount is None:
        return None, [_invalid("amount is required", ("input", "amount"))]
    if amount.amount <= 0:
        return None, [_invalid("amount must be positive", ("input", "amount", "amount"))]
    if not requests:
        return None, [_invalid("at least one portion is required", ("input", "portions"))]
    errors: list[UserError] = []
    seen: set[str] = set()
    portions: list[Document] = []
    for index, request in enumerate(requests):
        if request.method in seen:
            errors.append(_invalid(f"{request.method} appears twice; give one portion per "
                                   "method", _portion_field(index, "method")))
            continue
        seen.add(request.method)
        if request.method in BALANCE_METHODS and not has_member:
            errors.append(_invalid(f"a {request.method} portion needs memberId",
                                   ("input", "memberId")))
            continue
        portion, problems = _portion(index, request, amount.currency, point_value)
        errors += problems
        if portion is not None:
            portions.append(portion)
    if errors:
        return None, errors
    total = sum(p["amount"] for p in portions)
    if total != amount.amount:
        return None, [_invalid(f"the portions add up to {total}, not the amount "
                               f"{amount.amount}", ("input", "portions"))]
    return Plan(amount.amount, amount.currency, portions), []
