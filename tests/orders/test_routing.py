"""Routing equals a brute-force reference on generated cities: coverage, stock and splits
over at most two stores (fewest stores, then least total distance)."""

import itertools
import random

import pytest

from schema.orders.routing import Candidate, Unroutable, route


def reference(candidates: list[Candidate], needs: dict[str, int]):
    """Every store set of size 1 then 2, every assignment of lines to its stores."""
    if not candidates:
        return Unroutable.NOT_COVERED
    products = list(needs)
    for size in (1, 2):
        best = None
        for group in itertools.combinations(candidates, size):
            for choice in itertools.product(group, repeat=len(products)):
                if {c.store_id for c in choice} != {c.store_id for c in group}:
                    continue
                pairs = zip(choice, products, strict=True)
                if all(c.available.get(p, 0) >= needs[p] for c, p in pairs):
                    cost = sum(c.distance for c in group)
                    rank = (cost, tuple(sorted((c.distance, c.store_id) for c in group)))
                    if best is None or rank < best[0]:
                        best = (rank, group)
                    break
        if best is not None:
            return best
    return Unroutable.OUT_OF_STOCK


def city(rng: random.Random) -> tuple[list[Candidate], dict[str, int]]:
    products = [f"prd{i}" for i in range(rng.randint(1, 4))]
    needs = {p: rng.randint(1, 3) for p in products}
    stores = []
    for i in range(rng.randint(0, 7)):
        stock = {p: rng.choice((0, 0, 1, 2, 3, 5)) for p in products}
        stores.append(Candidate(f"sto{i}", rng.randint(0, 3000), stock))
    return stores, needs


@pytest.mark.parametrize("seed", range(400))
def test_routing_matches_brute_force(seed: int) -> None:
    rng = random.Random(seed)
    stores, needs = city(rng)
    got = route(stores, needs)
    expected = reference(stores, needs)
    if isinstance(expected, Unroutable):
        assert got == expected
        return
    assert isinstance(got, dict)
    by_id = {c.store_id: c for c in stores}
    used = [by_id[s] for s in sorted(set(got.values()))]
    (cost, _), group = expected
    assert len(used) == len(group)
    assert sum(c.distance for c in used) == cost
    for product, store in got.items():
        assert by_id[store].available.get(product, 0) >= needs[product]
    if len(group) == 1:
        nearest = min((c.distance, c.store_id) for c in stores
                      if all(c.available.get(p, 0) >= q for p, q in needs.items()))
        assert set(got.values()) == {nearest[1]}
    else:
        for product, store in got.items():
            nearer = min(used, key=lambda c: (c.distance, c.store_id))
            if nearer.available.get(product, 0) >= needs[product]:
                assert store == nearer.store_id


def test_no_candidate_is_not_covered_and_nothing_everywhere_is_out_of_stock() -> None:
    assert route([], {"p": 1}) is Unroutable.NOT_COVERED
    assert route([Candidate("a", 10, {"p": 0}), Candidate("b", 5, {})],
                 {"p": 1}) is Unroutable.OUT_OF_STOCK
