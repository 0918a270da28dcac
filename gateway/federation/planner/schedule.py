"""Ordering fetches into Sequence/Parallel nodes.

Each fetch runs before the fetches hanging from it (``Sequence``); sibling subtrees run in
``Parallel`` unless one needs data from another (``@requires`` or a key fetched by a
sibling), in which case they run in stages. Dependencies only ever point into the subtree
of the requiring fetch's parent, so this nesting respects all of them.
"""

from ..errors import PlanningError
from ..plan import Parallel, PlanNode, Sequence
from .groups import FetchGroup


def schedule(
    roots: list[FetchGroup], groups: list[FetchGroup], nodes: dict[int, PlanNode]
) -> list[PlanNode]:
    """Plan nodes for ``groups`` (all descending from ``roots``), to run in sequence."""
    return _Tree(groups, nodes).stages(roots)


class _Tree:
    """Fetch groups as a tree by parent, with the plan node of each."""

    def __init__(self, groups: list[FetchGroup], nodes: dict[int, PlanNode]) -> None:
        self.nodes = nodes
        self.by_id = {group.id: group for group in groups}
        self.children: dict[int, list[FetchGroup]] = {}
        for group in groups:
            if group.parent is not None:
                self.children.setdefault(group.parent.id, []).append(group)

    def subtree(self, group: FetchGroup) -> PlanNode:
        below = self.stages(self.children.get(group.id, []))
        return _collapse(Sequence, [self.nodes[group.id], *below])

    def members(self, group: FetchGroup) -> set[int]:
        found = {group.id}
        for child in self.children.get(group.id, []):
            found |= self.members(child)
        return found

    def stages(self, siblings: list[FetchGroup]) -> list[PlanNode]:
        """Sibling subtrees in parallel, staged where one needs another's data."""
        owner = {member: s.id for s in siblings for member in self.members(s)}
        needs: dict[int, set[int]] = {s.id: set() for s in siblings}
        for member, sibling in owner.items():
            for dep in self.by_id[member].all_deps():
                if dep.id in owner and owner[dep.id] != sibling:
                    needs[sibling].add(owner[dep.id])
        # A subtree needing exactly one sibling runs right after it; others wait for a stage.
        attached: dict[int, list[FetchGroup]] = {}
        for sibling in siblings:
            if len(needs[sibling.id]) == 1:
                attached.setdefault(next(iter(needs[sibling.id])), []).append(sibling)
        chained = {member.id for group in attached.values() for member in group}
        pending = [s for s in siblings if s.id not in chained]
        stages: list[PlanNode] = []
        done: set[int] = set()
        while pending:
            ready = [s for s in pending if needs[s.id] <= done]
            if not ready:
                raise PlanningError(f"cyclic dependencies between fetches {sorted(needs)}")
            stages.append(_collapse(Parallel, [self.chain(s, attached, done) for s in ready]))
            pending = [s for s in pending if s.id not in done]
        return stages

    def chain(
        self, group: FetchGroup, attached: dict[int, list[FetchGroup]], done: set[int]
    ) -> PlanNode:
        """``group``'s subtree, then (in parallel) the sibling subtrees waiting only for it."""
        done.add(group.id)
        followers = [self.chain(f, attached, done) for f in attached.get(group.id, [])]
        after = [_collapse(Parallel, followers)] if followers else []
        return _collapse(Sequence, [self.subtree(group), *after])


def _collapse(kind: type[Sequence] | type[Parallel], items: list[PlanNode]) -> PlanNode:
    flat: list[PlanNode] = []
    for item in items:
        flat.extend(item.nodes if isinstance(item, kind) else (item,))
    return flat[0] if len(flat) == 1 else kind(tuple(flat))
