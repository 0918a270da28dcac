"""Drop fetches left with nothing to select (a target abandoned after a failed attempt)."""

from ..groups import FetchGroup


def drop_empty(groups: list[FetchGroup]) -> bool:
    parents = {group.parent.id for group in groups if group.parent is not None}
    for group in groups:
        if group.tree.is_empty() and group.id not in parents:
            groups.remove(group)
            for other in groups:
                other.deps.discard(group)
            return True
    return False
