"""Optimisation passes over the fetch groups, run in order until none changes anything."""

from collections.abc import Callable

from ..groups import FetchGroup
from .drop_empty import drop_empty
from .merge_siblings import merge_siblings

Pass = Callable[[list[FetchGroup]], bool]
PASSES: tuple[Pass, ...] = (drop_empty, merge_siblings)


def optimise(groups: list[FetchGroup]) -> list[FetchGroup]:
    """Apply every pass repeatedly; each returns whether it changed the groups (in place)."""
    while any([step(groups) for step in PASSES]):
        pass
    return groups
