"""The order board's shape: its columns, the moves staff make from each, and one order's card.

The board shows the orders a store is working on (paid, accepted, preparing, ready); an order
moving anywhere else (completed, out for delivery, canceled) leaves it. The columns and moves
are also handed to the board's script (``data-`` attributes) so both draw the same cards.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from gateway.console.layout import esc
from gateway.console.merchant.format import clock, money, short_id

COLUMNS: tuple[tuple[str, str], ...] = (("PAID", "New"), ("ACCEPTED", "Accepted"),
                                        ("PREPARING", "Preparing"), ("READY", "Ready"))
BOARD_STATUSES = tuple(status for status, _ in COLUMNS)


@dataclass(frozen=True, slots=True)
class Move:
    """A button on a card: from ``status`` to ``to`` (``only``: for these fulfilments)."""

    status: str
    to: str
    label: str
    only: tuple[str, ...] = ()

    def fits(self, order: dict[str, Any]) -> bool:
        return order["status"] == self.status and (
            not self.only or order["fulfillment"]["type"] in self.only)

    def as_json(self) -> dict[str, Any]:
        return {"status": self.status, "to": self.to, "label": self.label,
                "only": list(self.only)}


MOVES: tuple[Move, ...] = (
    Move("PAID", "ACCEPTED", "Accept"),
    Move("ACCEPTED", "PREPARING", "Start preparing"),
    Move("PREPARING", "READY", "Mark ready", ("PICKUP", "DINE_IN")),
    Move("PREPARING", "OUT_FOR_DELIVERY", "Hand to courier", ("DELIVERY",)),
    Move("READY", "COMPLETED", "Handed over"),
)
TARGETS = frozenset(move.to for move in MOVES)
STATUS_NAMES = {**dict(COLUMNS), "OUT_FOR_DELIVERY": "Out for delivery",
                "COMPLETED": "Completed", "CANCELED": "Canceled", "REFUNDED": "Refunded",
                "CREATED": "Awaiting payment"}

ORDER_FIELDS = """id status channel externalId createdAt updatedAt
  fulfillment { type } total { amount currency }
  lines { quantity product { name } } history { status }"""


def new_key() -> str:
    """An idempotency key for one rendered button: sending the same form twice moves the
    order once."""
    return "console-" + secrets.token_urlsafe(16)


def board_data(store_id: str) -> dict[str, str]:
    """The board element's ``data-`` attributes for its script."""
    return {"store": store_id,
            "columns": json.dumps([{"status": s, "label": label} for s, label in COLUMNS]),
            "moves": json.dumps([move.as_json() for move in MOVES]),
            "names": json.dumps(STATUS_NAMES), "fields": ORDER_FIELDS}


def lines_text(order: dict[str, Any]) -> str:
    return ", ".join(f'{line["quantity"]} x {(line.get("product") or {}).get("name", "?")}'
                     for line in order["lines"])


def card(order: dict[str, Any], action: str, csrf: str) -> str:
    """One order's card with the moves staff may make from its status."""
    number = short_id(order["id"])
    buttons = "".join(
        f'<form method="post" action="{esc(action)}" class="move">'
        f'<input type="hidden" name="csrf" value="{esc(csrf)}">'
        f'<input type="hidden" name="order" value="{esc(order["id"])}">'
        f'<input type="hidden" name="to" value="{esc(move.to)}">'
        f'<input type="hidden" name="key" value="{esc(new_key())}">'
        f'<button type="submit">{esc(move.label)}<span class="vh"> order {esc(number)}'
        f'</span></button></form>'
        for move in MOVES if move.fits(order))
    external = f' · ref {esc(order["externalId"])}' if order.get("externalId") else ""
    return (f'<li class="order-card" id="order-{esc(order["id"])}" '
            f'data-order="{esc(order["id"])}" data-changes="{len(order["history"])}" '
            f'data-created="{esc(order["createdAt"])}">'
            f'<h3>Order {esc(number)} <span class="badge">{esc(order["fulfillment"]["type"])}'
            f'</span></h3><p>{esc(lines_text(order))}</p>'
            f'<p class="muted">{esc(order["channel"])} · {esc(money(order["total"]))} · '
            f'<time datetime="{esc(order["createdAt"])}">{esc(clock(order["createdAt"]))}</time>'
            f'{external}</p><div class="moves">{buttons}</div></li>')
