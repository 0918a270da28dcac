"""Execution levels of fetch groups: one past the latest of a group's parent and dependencies."""

from .groups import FetchGroup


def levels(groups: list[FetchGroup]) -> dict[int, int]:
    found: dict[int, int] = {}

    def of(group: FetchGroup) -> int:
        if group.id not in found:
            found[group.id] = 1 + max((of(dep) for dep in group.all_deps()), default=-1)
        return found[group.id]

    for group in groups:
        of(group)
    return found
