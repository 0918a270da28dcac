"""A member's wallet as plain values: points lots, stored value, and what payments took.

The wallet state is what :class:`schema.kernel.ledger.Ledger` keeps in the account
document: ``lots`` (one per earning: issuer, points left, when earned and when they expire),
``storedValue`` (minor units, CNY), ``reversed`` (entry ids already reversed) and ``takes``
(per payment operation, what its balance portions took and how much has gone back since, so
refunds and compensations restore exactly those lots). Functions here are pure: the rules
of the coalition programme, testable without a database.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from schema.kernel.errors import UserErrorCode

Document = dict[str, Any]
CURRENCY = "CNY"
TAKE_RETENTION = timedelta(days=400)
"""How long a wallet remembers what a payment took, so it can be refunded to the same lots:
longer than any refund window a merchant could offer (a year, plus slack)."""


class WalletRefused(Exception):
    """A wallet change the rules refuse; nothing was written."""

    def __init__(self, code: UserErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True, slots=True)
class Lot:
    """Points earned in one EARN entry and not yet spent or expired."""

    entry_id: str
    issuer: str
    points: int
    earned_at: datetime
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Wallet:
    """A member's balances: ``points`` is the ledger balance (lots not yet swept as expired
    included), :meth:`spendable` what can be redeemed now."""

    points: int
    stored_value: int
    currency: str
    lots: tuple[Lot, ...]

    def spendable(self, now: datetime) -> int:
        return sum(lot.points for lot in self.lots if lot.expires_at > now)

    @classmethod
    def from_state(cls, state: Document) -> "Wallet":
        lots = tuple(Lot(entry_id=lot["entry"], issuer=lot["issuer"], points=lot["points"],
                         earned_at=lot["earnedAt"], expires_at=lot["expiresAt"])
                     for lot in state.get("lots", []))
        return cls(points=sum(lot.points for lot in lots),
                   stored_value=state.get("storedValue", 0), currency=CURRENCY, lots=lots)


def points_of(state: Document) -> int:
    return sum(lot["points"] for lot in state.get("lots", []))


def spend_fifo(lots: list[Document], points: int, now: datetime) -> tuple[list[Document],
                                                                          list[Document]]:
    """Take ``points`` from the oldest unexpired lots first; the lots after, and what was
    taken from each (``issuer``, ``lot``, ``points``, and the lot's dates to restore it).
    Refused with INSUFFICIENT_POINTS when the unexpired lots hold fewer (the message names no
    balance: the caller may be a merchant, which is not shown the member's balances)."""
    available = sum(lot["points"] for lot in lots if lot["expiresAt"] > now)
    if points > available:
        raise WalletRefused(UserErrorCode.INSUFFICIENT_POINTS,
                            "the member has too few points to spend for this")
    left, spent, remaining = [], [], points
    for lot in sorted(lots, key=lambda lot: (lot["earnedAt"], lot["entry"])):
        if remaining and lot["expiresAt"] > now:
            used = min(lot["points"], remaining)
            remaining -= used
            spent.append({"issuer": lot["issuer"], "lot": lot["entry"], "points": used,
                          "earnedAt": lot["earnedAt"], "expiresAt": lot["expiresAt"]})
            if lot["points"] > used:
                left.append({**lot, "points": lot["points"] - used})
        else:
            left.append(lot)
    return left, spent


def restore(lots: list[Document], pieces: list[Document]) -> list[Document]:
    """Put spent points back into the lots they came from (re-creating a lot used up)."""
    by_entry = {lot["entry"]: dict(lot) for lot in lots}
    for piece in pieces:
        lot = by_entry.get(piece["lot"])
        if lot is None:
            by_entry[piece["lot"]] = {"entry": piece["lot"], "issuer": piece["issuer"],
                                      "points": piece["points"], "earnedAt": piece["earnedAt"],
                                      "expiresAt": piece["expiresAt"]}
        else:
            lot["points"] += piece["points"]
    return sorted(by_entry.values(), key=lambda lot: (lot["earnedAt"], lot["entry"]))


def take_back_latest(spent: list[Document], restored: list[Document],
                     points: int) -> list[Document]:
    """Which of a payment's ``spent`` pieces ``points`` more of a refund restores: the most
    recently taken first, never what ``restored`` (earlier refunds) already gave back (a
    payment spends each lot at most once, so pieces are told apart by lot)."""
    already: dict[str, int] = {}
    for piece in restored:
        already[piece["lot"]] = already.get(piece["lot"], 0) + piece["points"]
    pieces, remaining = [], points
    for piece in reversed(spent):
        open_points = piece["points"] - already.get(piece["lot"], 0)
        if remaining and open_points > 0:
            used = min(open_points, remaining)
            remaining -= used
            pieces.append({**piece, "points": used})
    if remaining:
        raise WalletRefused(UserErrorCode.REFUND_EXCEEDS_PAYMENT,
                            "the refund gives back more points than the payment took")
    return pieces


def prune_takes(takes: Document, now: datetime) -> Document:
    return {op: take for op, take in takes.items() if take["at"] > now - TAKE_RETENTION}
