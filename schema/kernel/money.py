"""Money in integer minor units (fen for CNY), never floats (DESIGN.md §5).

Every operation checks currencies and keeps integers; splitting uses the largest-remainder
method so that shares always add up to the whole (commission and refunds must reconcile).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

DEFAULT_CURRENCY = "CNY"
_CURRENCY = re.compile(r"^[A-Z]{3}$")


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were combined."""


@dataclass(frozen=True, slots=True)
class Money:
    """An amount of money: ``amount`` minor units of ``currency`` (ISO 4217)."""

    amount: int
    currency: str = DEFAULT_CURRENCY

    def __post_init__(self) -> None:
        if isinstance(self.amount, bool) or not isinstance(self.amount, int):
            raise TypeError(f"Money.amount must be an int of minor units, got {self.amount!r}")
        if not isinstance(self.currency, str) or not _CURRENCY.match(self.currency):
            raise ValueError(f"currency must be a 3-letter ISO 4217 code, got {self.currency!r}")

    @classmethod
    def zero(cls, currency: str = DEFAULT_CURRENCY) -> Money:
        return cls(0, currency)

    def _same_currency(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot combine {self.currency} and {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same_currency(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._same_currency(other)
        return self.amount <= other.amount

    def times(self, quantity: int) -> Money:
        """The price of ``quantity`` items at this unit price."""
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            raise TypeError("quantity must be an int")
        return Money(self.amount * quantity, self.currency)

    def percent(self, basis_points: int) -> Money:
        """``basis_points``/10,000 of this amount, rounded half up (e.g. a commission rate)."""
        share = Fraction(self.amount * basis_points, 10_000)
        return Money(int(share + Fraction(1, 2)) if share >= 0 else -int(-share + Fraction(1, 2)),
                     self.currency)

    def allocate(self, weights: list[int]) -> list[Money]:
        """Split into parts proportional to ``weights``; the parts always sum to the whole."""
        if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
            raise ValueError("weights must be non-negative with a positive sum")
        total = sum(weights)
        exact = [Fraction(self.amount * w, total) for w in weights]
        parts = [int(e) for e in exact]
        remainder = self.amount - sum(parts)
        step = 1 if remainder >= 0 else -1
        order = sorted(range(len(weights)), key=lambda i: abs(exact[i] - parts[i]), reverse=True)
        for i in order[: abs(remainder)]:
            parts[i] += step
        return [Money(p, self.currency) for p in parts]

    def to_document(self) -> dict[str, object]:
        """The MongoDB / GraphQL shape ``{amount, currency}``."""
        return {"amount": self.amount, "currency": self.currency}

    @classmethod
    def from_document(cls, document: dict[str, object]) -> Money:
        amount, currency = document["amount"], document.get("currency", DEFAULT_CURRENCY)
        return cls(amount, currency)  # type: ignore[arg-type]
