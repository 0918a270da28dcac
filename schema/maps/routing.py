"""Courier routes over several drops: nearest neighbour, then 2-opt, on great-circle distances.

Both are heuristics (the exact problem is NP-hard); 2-opt removes every crossing, which is
what makes a nearest-neighbour tour look wrong. ETAs are estimates: distance x road factor at
the courier speed (:mod:`schema.maps.delivery`).
"""

from collections.abc import Sequence
from itertools import pairwise

from schema.stores.geo import distance_meters

Point = tuple[float, float]


def _dist(a: Point, b: Point) -> int:
    return distance_meters(a[0], a[1], b[0], b[1])


def nearest_neighbour(start: Point, stops: Sequence[Point]) -> list[int]:
    """Visit order (indexes into ``stops``): always the closest unvisited stop next."""
    order: list[int] = []
    left = set(range(len(stops)))
    here = start
    while left:
        nearest = min(left, key=lambda i: (_dist(here, stops[i]), i))
        order.append(nearest)
        left.remove(nearest)
        here = stops[nearest]
    return order


def path_length(start: Point, stops: Sequence[Point], order: Sequence[int]) -> int:
    points = [start, *(stops[i] for i in order)]
    return sum(_dist(a, b) for a, b in pairwise(points))


def two_opt(start: Point, stops: Sequence[Point], order: list[int]) -> list[int]:
    """Reverse segments while that shortens the open path from ``start``."""
    best, best_length = list(order), path_length(start, stops, order)
    improved = True
    while improved:
        improved = False
        for i in range(len(best) - 1):
            for j in range(i + 1, len(best)):
                candidate = best[:i] + best[i:j + 1][::-1] + best[j + 1:]
                length = path_length(start, stops, candidate)
                if length < best_length:
                    best, best_length, improved = candidate, length, True
    return best


def plan_route(start: Point, stops: Sequence[Point]) -> list[int]:
    return two_opt(start, stops, nearest_neighbour(start, stops))
