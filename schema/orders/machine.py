"""The order status machine (issue 14, point 5): which moves are legal, and who may make them.

CREATED → PAID → ACCEPTED → PREPARING → READY (pickup, dine-in) or OUT_FOR_DELIVERY
(delivery) → COMPLETED; CANCELED before preparation; REFUNDED after a canceled paid order's
refund, or a completed order refunded by its merchant. A pure table, so the tests can walk
every (status, target, actor) triple.
"""

from enum import StrEnum


class Actor(StrEnum):
    CUSTOMER = "CUSTOMER"
    STORE_STAFF = "STORE_STAFF"
    COURIER = "COURIER"
    PARTNER = "PARTNER"
    SYSTEM = "SYSTEM"


STATUSES = ("CREATED", "PAID", "ACCEPTED", "PREPARING", "READY", "OUT_FOR_DELIVERY",
            "COMPLETED", "CANCELED", "REFUNDED")
CANCELABLE = frozenset(("CREATED", "PAID", "ACCEPTED"))
_CANCELERS = frozenset((Actor.CUSTOMER, Actor.STORE_STAFF, Actor.PARTNER, Actor.SYSTEM))
_STAFF = frozenset((Actor.STORE_STAFF,))

_MOVES: dict[tuple[str, str], frozenset[Actor]] = {
    ("CREATED", "PAID"): frozenset((Actor.SYSTEM, Actor.STORE_STAFF)),
    ("PAID", "ACCEPTED"): _STAFF,
    ("ACCEPTED", "PREPARING"): _STAFF,
    ("PREPARING", "READY"): _STAFF,
    ("PREPARING", "OUT_FOR_DELIVERY"): frozenset((Actor.STORE_STAFF, Actor.COURIER)),
    ("READY", "COMPLETED"): _STAFF,
    ("OUT_FOR_DELIVERY", "COMPLETED"): frozenset((Actor.COURIER,)),
    ("CANCELED", "REFUNDED"): frozenset((Actor.SYSTEM,)),
    ("COMPLETED", "REFUNDED"): _STAFF,
    **{(status, "CANCELED"): _CANCELERS for status in CANCELABLE},
}
_ONLY_FOR: dict[str, frozenset[str]] = {
    "READY": frozenset(("PICKUP", "DINE_IN")),
    "OUT_FOR_DELIVERY": frozenset(("DELIVERY",)),
}


def allowed(current: str, target: str, fulfillment: str) -> frozenset[Actor]:
    """The actors who may move an order of this fulfilment from ``current`` to ``target``
    (empty: an illegal move for anyone)."""
    if fulfillment not in _ONLY_FOR.get(target, frozenset((fulfillment,))):
        return frozenset()
    return _MOVES.get((current, target), frozenset())


def acting(current: str, target: str, fulfillment: str,
           roles: frozenset[Actor]) -> Actor | None:
    """Which of the caller's ``roles`` makes the move, in a fixed preference (the most
    specific role first); None when none may."""
    permitted = allowed(current, target, fulfillment) & roles
    for actor in (Actor.COURIER, Actor.STORE_STAFF, Actor.CUSTOMER, Actor.PARTNER,
                  Actor.SYSTEM):
        if actor in permitted:
            return actor
    return None
