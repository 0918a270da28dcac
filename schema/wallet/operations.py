"""Every way value moves in or out of a member's wallet, each one ledger operation.

Each function states its business rule as a pure change of the wallet state
(:mod:`schema.wallet.model`) and hands it to the wallet ledger, which applies it under one
revision claim, once per operation id, with entries carrying ``balanceAfter``
(:mod:`schema.kernel.ledger`). A refusal raises :class:`WalletRefused` and writes nothing.

Points entries: EARN (+, a new lot), REDEEM (-, ``spent`` from the oldest lots), REVERSE (of
an EARN: -; of a REDEEM or a payment's points: +, ``restored`` to the lots they came from),
EXPIRE (-). Stored-value entries: TOP_UP (+), PAYMENT (-), REFUND (+). Balances never go
below zero.
"""

from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from schema.kernel.errors import UserErrorCode
from schema.kernel.ledger import Applied, Change, Event, Ledger
from schema.kernel.ledger import entry_id as ledger_entry_id
from schema.kernel.time import utcnow
from schema.wallet.model import (
    CURRENCY,
    WalletRefused,
    points_of,
    prune_takes,
    restore,
    spend_fifo,
    take_back_latest,
)

WALLET = Ledger("wallet")
Document = dict[str, Any]
RESOURCE = "Member"


def _positive(value: int, what: str) -> None:
    if value <= 0:
        raise WalletRefused(UserErrorCode.INVALID, f"{what} must be positive")


def _points_entry(kind: str, merchant_id: str | None, points: int, state: Document,
                  reference: str | None, **extra: Any) -> Document:
    return {"ledger": "points", "type": kind, "merchantId": merchant_id, "points": points,
            "balanceAfter": points_of(state), "reference": reference, **extra}


def _value_entry(kind: str, merchant_id: str | None, amount: int, state: Document,
                 reference: str | None) -> Document:
    return {"ledger": "storedValue", "type": kind, "merchantId": merchant_id,
            "amount": amount, "currency": CURRENCY,
            "balanceAfter": state.get("storedValue", 0), "reference": reference}


def _event(topic: str, merchant_id: str, member_id: str, entry: Document) -> Event:
    return Event(topic, merchant_id, RESOURCE, member_id,
                 {"memberId": member_id, "points": entry["points"],
                  "balanceAfter": entry["balanceAfter"], "reference": entry["reference"]})


async def earn(db: AsyncDatabase, member_id: str, operation_id: str, *, merchant_id: str,
               points: int, reference: str | None, expires_at: datetime,
               at: datetime | None = None) -> Applied:
    """Credit ``points`` earned at ``merchant_id`` as a new lot expiring at ``expires_at``
    (``at``: when it was earned, for demo data with a history; now by default)."""
    _positive(points, "points")
    lot_entry = ledger_entry_id(operation_id, 0)

    def decide(state: Document) -> Change:
        now = at or utcnow()
        lot = {"entry": lot_entry, "issuer": merchant_id, "points": points, "earnedAt": now,
               "expiresAt": expires_at}
        after = {**state, "lots": [*state.get("lots", []), lot]}
        entry = _points_entry("EARN", merchant_id, points, after, reference,
                              expiresAt=expires_at)
        return Change(after, [entry], [_event("points.earned", merchant_id, member_id,
                                              entry)])

    return await WALLET.apply(db, member_id, operation_id, decide, at=at)


async def redeem(db: AsyncDatabase, member_id: str, operation_id: str, *, merchant_id: str,
                 points: int, reference: str | None, at: datetime | None = None) -> Applied:
    """Spend ``points`` at ``merchant_id``, oldest unexpired lots first (``at``: as for
    :func:`earn`)."""
    _positive(points, "points")

    def decide(state: Document) -> Change:
        lots, spent = spend_fifo(list(state.get("lots", [])), points, at or utcnow())
        after = {**state, "lots": lots}
        entry = _points_entry("REDEEM", merchant_id, -points, after, reference, spent=spent)
        return Change(after, [entry], [_event("points.redeemed", merchant_id, member_id,
                                              entry)])

    return await WALLET.apply(db, member_id, operation_id, decide, at=at)


async def reverse(db: AsyncDatabase, member_id: str, operation_id: str, *, entry_id: str,
                  merchant_id: str) -> Applied:
    """Reverse one EARN or REDEEM entry of ``merchant_id``'s, once."""
    original = await _entry(db, member_id, entry_id)
    if (original is None or original.get("merchantId") != merchant_id
            or original["type"] not in ("EARN", "REDEEM")):
        raise WalletRefused(UserErrorCode.NOT_FOUND,
                            "no earning or redemption of yours with that id for this member")
    if original.get("payment"):
        raise WalletRefused(UserErrorCode.INVALID,
                            "these points paid a payment: refund the payment instead")

    def decide(state: Document) -> Change:
        if entry_id in state.get("reversed", []):
            raise WalletRefused(UserErrorCode.CONFLICT, "that entry was already reversed")
        reversed_ = [*state.get("reversed", []), entry_id]
        if original["type"] == "EARN":
            lots = list(state.get("lots", []))
            own = [lot for lot in lots if lot["entry"] == entry_id]
            others = [lot for lot in lots if lot["entry"] != entry_id]
            from_lot = sum(lot["points"] for lot in own)
            rest = original["points"] - from_lot
            if rest > points_of({"lots": others}):
                raise WalletRefused(UserErrorCode.INSUFFICIENT_POINTS,
                                    "reversing it would take the balance below zero")
            left = _take_any(others, rest)
            after = {**state, "lots": left, "reversed": reversed_}
            entry = _points_entry("REVERSE", merchant_id, -original["points"], after,
                                  original.get("reference"), reverses=entry_id)
            return Change(after, [entry])
        pieces = original["spent"]
        after = {**state, "lots": restore(list(state.get("lots", [])), pieces),
                 "reversed": reversed_}
        entry = _points_entry("REVERSE", merchant_id, -original["points"], after,
                              original.get("reference"), reverses=entry_id,
                              redeemer=merchant_id, restored=pieces)
        return Change(after, [entry])

    return await WALLET.apply(db, member_id, operation_id, decide)


def _take_any(lots: list[Document], points: int) -> list[Document]:
    """Claw ``points`` back from lots, oldest first, expired or not (an EARN reversal)."""
    left, remaining = [], points
    for lot in sorted(lots, key=lambda lot: (lot["earnedAt"], lot["entry"])):
        used = min(lot["points"], remaining)
        remaining -= used
        if lot["points"] > used:
            left.append({**lot, "points": lot["points"] - used})
    return left


async def expire_due(db: AsyncDatabase, member_id: str, operation_id: str, *,
                     now: datetime) -> Applied:
    """Write an EXPIRE entry for every lot whose points expired by ``now``."""

    def decide(state: Document) -> Change:
        lots = list(state.get("lots", []))
        due = [lot for lot in lots if lot["expiresAt"] <= now and lot["points"] > 0]
        left = [lot for lot in lots if lot not in due]
        entries, running = [], list(lots)
        for lot in due:
            running = [other for other in running if other["entry"] != lot["entry"]]
            entries.append(_points_entry("EXPIRE", lot["issuer"], -lot["points"],
                                         {"lots": running}, None, lot=lot["entry"]))
        return Change({**state, "lots": left}, entries)

    return await WALLET.apply(db, member_id, operation_id, decide)


async def take(db: AsyncDatabase, member_id: str, operation_id: str, *, merchant_id: str,
               points: int, stored_value: int, reference: str) -> Applied:
    """Take a payment's balance portions, both or neither: ``points`` (oldest lots first)
    and ``stored_value``; remembered so a refund or compensation restores exactly them."""
    if points < 0 or stored_value < 0 or points + stored_value == 0:
        raise WalletRefused(UserErrorCode.INVALID, "nothing to take")

    def decide(state: Document) -> Change:
        now = utcnow()
        balance = state.get("storedValue", 0)
        if stored_value > balance:
            raise WalletRefused(UserErrorCode.INSUFFICIENT_BALANCE,
                                "the member's stored-value balance is too low for this")
        lots, spent = spend_fifo(list(state.get("lots", [])), points, now)
        takes = prune_takes(state.get("takes", {}), now)
        takes[operation_id] = {"at": now, "merchant": merchant_id, "reference": reference,
                               "storedValue": stored_value, "spent": spent, "valueBack": 0,
                               "restored": []}
        after = {**state, "lots": lots, "storedValue": balance - stored_value, "takes": takes}
        entries, events = [], []
        if points:
            entry = _points_entry("REDEEM", merchant_id, -points, after, reference,
                                  spent=spent, payment=True)
            entries.append(entry)
            events.append(_event("points.redeemed", merchant_id, member_id, entry))
        if stored_value:
            entries.append(_value_entry("PAYMENT", merchant_id, -stored_value, after,
                                        reference))
        return Change(after, entries, events)

    return await WALLET.apply(db, member_id, operation_id, decide)


async def refund_to_wallet(db: AsyncDatabase, member_id: str, operation_id: str, *,
                           taken_operation_id: str, stored_value: int, points: int,
                           reference: str) -> Applied:
    """Give back part of what a :func:`take` took: ``stored_value`` and ``points`` (to the
    lots most recently taken first); never more than it took minus earlier give-backs."""
    if stored_value < 0 or points < 0 or stored_value + points == 0:
        raise WalletRefused(UserErrorCode.INVALID, "nothing to refund")

    def decide(state: Document) -> Change:
        return _give(state, taken_operation_id, stored_value, points, reference)

    return await WALLET.apply(db, member_id, operation_id, decide)


async def give_back(db: AsyncDatabase, member_id: str, operation_id: str, *,
                    taken_operation_id: str) -> Applied:
    """Compensate a :func:`take` whose payment failed or was canceled: everything it took
    that has not gone back yet (nothing, when the take never happened)."""

    def decide(state: Document) -> Change:
        took = state.get("takes", {}).get(taken_operation_id)
        if took is None:
            return Change(state, [])
        value = took["storedValue"] - took["valueBack"]
        points = (sum(p["points"] for p in took["spent"])
                  - sum(p["points"] for p in took["restored"]))
        if value + points == 0:
            return Change(state, [])
        return _give(state, taken_operation_id, value, points, took.get("reference"))

    return await WALLET.apply(db, member_id, operation_id, decide)


def _give(state: Document, taken_operation_id: str, stored_value: int, points: int,
          reference: str | None) -> Change:
    takes = dict(state.get("takes", {}))
    took = takes.get(taken_operation_id)
    if took is None:
        raise WalletRefused(UserErrorCode.NOT_FOUND, "the wallet has no record of that payment")
    if stored_value > took["storedValue"] - took["valueBack"]:
        raise WalletRefused(UserErrorCode.REFUND_EXCEEDS_PAYMENT,
                            "the refund gives back more stored value than the payment took")
    pieces = take_back_latest(took["spent"], took["restored"], points)
    takes[taken_operation_id] = {**took, "valueBack": took["valueBack"] + stored_value,
                                 "restored": [*took["restored"], *pieces]}
    after = {**state, "lots": restore(list(state.get("lots", [])), pieces),
             "storedValue": state.get("storedValue", 0) + stored_value, "takes": takes}
    entries = []
    if points:
        entries.append(_points_entry("REVERSE", took["merchant"], points, after, reference,
                                     redeemer=took["merchant"], restored=pieces))
    if stored_value:
        entries.append(_value_entry("REFUND", took["merchant"], stored_value, after,
                                    reference))
    return Change(after, entries)


async def credit(db: AsyncDatabase, member_id: str, operation_id: str, *, amount: int,
                 kind: str, reference: str, merchant_id: str | None = None,
                 at: datetime | None = None) -> Applied:
    """Add ``amount`` to the stored value: a TOP_UP that succeeded, or a REFUND (``at``: as
    for :func:`earn`)."""
    _positive(amount, "amount")
    if kind not in ("TOP_UP", "REFUND"):
        raise ValueError(f"unknown stored-value credit {kind!r}")

    def decide(state: Document) -> Change:
        after = {**state, "storedValue": state.get("storedValue", 0) + amount}
        return Change(after, [_value_entry(kind, merchant_id, amount, after, reference)])

    return await WALLET.apply(db, member_id, operation_id, decide, at=at)


async def _entry(db: AsyncDatabase, member_id: str, entry_id: str) -> Document | None:
    found = await db[WALLET.entries].find_one({"_id": entry_id})
    if found is not None:
        return found if found["account"] == member_id else None
    account = await db[WALLET.accounts].find_one({"_id": member_id}, {"unposted": 1})
    return next((e for e in (account or {}).get("unposted", []) if e["_id"] == entry_id),
                None)
