"""Payment outcomes, for the subgraphs that act on them (marketing issues vouchers when a
DEAL payment succeeds; orders mark an order paid when an ORDER payment does).

A subgraph registers a handler for a payment purpose at import time
(``on_payment_outcome("DEAL", issue_vouchers)``); the payments subgraph calls
:func:`announce` once a payment reaches a final status (SUCCEEDED, FAILED or CANCELED), in the
payment's own database (live or sandbox). Delivery is **at least once**: a payment stays on
the payments work list until every handler returned, and a handler that raised is called
again on the next round, so handlers must be idempotent (key their writes by
``payment_id``). Partners hear of the same outcomes through the ``payment.succeeded`` event.

The registry lives in the kernel so that payments never imports the domains that react to
it (DESIGN.md §3: domains depend on the kernel only).
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from pymongo.asynchronous.database import AsyncDatabase

FINAL_STATUSES = frozenset(("SUCCEEDED", "FAILED", "CANCELED"))


@dataclass(frozen=True, slots=True)
class PaymentOutcome:
    """How a payment ended: what it paid for (``purpose`` and ``order_id``), who paid whom
    and how much (minor units), and when."""

    payment_id: str
    purpose: str
    status: str
    merchant_id: str
    member_id: str | None
    order_id: str | None
    amount: int
    currency: str
    occurred_at: datetime


Handler = Callable[[AsyncDatabase, PaymentOutcome], Awaitable[None]]

_handlers: dict[str, list[Handler]] = {}


def on_payment_outcome(purpose: str, handler: Handler) -> None:
    """Call ``handler`` for every final outcome of payments made for ``purpose``."""
    registered = _handlers.setdefault(purpose, [])
    if handler not in registered:
        registered.append(handler)


def remove_payment_outcome_handler(purpose: str, handler: Handler) -> None:
    """Stop calling ``handler`` (tests register handlers for one test)."""
    if handler in _handlers.get(purpose, []):
        _handlers[purpose].remove(handler)


async def announce(db: AsyncDatabase, outcome: PaymentOutcome) -> None:
    """Run the handlers of the outcome's purpose, in registration order; an exception stops
    the round and reaches the caller, which announces again later."""
    if outcome.status not in FINAL_STATUSES:
        raise ValueError(f"{outcome.status} is not a final payment status")
    for handler in list(_handlers.get(outcome.purpose, [])):
        await handler(db, outcome)
