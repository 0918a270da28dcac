"""Where a DELIVERY order is served from (issue 14, point 2): a pure function, so a brute-force
reference on generated cities can check it without a database.

The nearest candidate store that has every line available serves the whole order. When none
has, the best split over two stores: each line goes wholly to one of them (a line is never
divided), the pair with the least total distance wins (ties by store ids), and each line goes
to the nearer of the two that has it. Candidates are the stores already known to be open, to
offer delivery and to cover the address; no candidate at all is NOT_COVERED, no way to serve
every line OUT_OF_STOCK.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from itertools import combinations


@dataclass(frozen=True, slots=True)
class Candidate:
    """A store that could deliver to the address: its distance to it and what it has
    available of each product the order asks for (missing: none)."""

    store_id: str
    distance: int
    available: Mapping[str, int]

    def has(self, product_id: str, quantity: int) -> bool:
        return self.available.get(product_id, 0) >= quantity


class Unroutable(StrEnum):
    NOT_COVERED = "NOT_COVERED"
    OUT_OF_STOCK = "OUT_OF_STOCK"


Routed = dict[str, str]
"""productId → the store serving that line."""


def route(candidates: Sequence[Candidate], needs: Mapping[str, int]) -> Routed | Unroutable:
    """The stores serving ``needs`` (productId → quantity, one line per product)."""
    if not candidates:
        return Unroutable.NOT_COVERED
    ranked = sorted(candidates, key=lambda c: (c.distance, c.store_id))
    for store in ranked:
        if all(store.has(p, q) for p, q in needs.items()):
            return {p: store.store_id for p in needs}
    best: tuple[int, tuple[str, str]] | None = None
    chosen: Routed | None = None
    for near, far in combinations(ranked, 2):
        rank = (near.distance + far.distance, (near.store_id, far.store_id))
        if best is not None and rank >= best:
            continue
        split = _split(near, far, needs)
        if split is not None:
            best, chosen = rank, split
    return chosen if chosen is not None else Unroutable.OUT_OF_STOCK


def _split(near: Candidate, far: Candidate, needs: Mapping[str, int]) -> Routed | None:
    routed: Routed = {}
    for product_id, quantity in needs.items():
        if near.has(product_id, quantity):
            routed[product_id] = near.store_id
        elif far.has(product_id, quantity):
            routed[product_id] = far.store_id
        else:
            return None
    return routed
