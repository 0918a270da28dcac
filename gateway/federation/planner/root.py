"""Placing root fields: each into a root fetch of a subgraph that resolves it.

Queries share one root fetch per subgraph (fetches run in parallel). Mutation fields keep
their order: consecutive fields of one subgraph share a fetch, any change starts a new step.
Shared (shareable) root fields go where most of their selection resolves without a jump.
"""

from collections.abc import Mapping

from ..errors import PlanningError
from .groups import FetchGroup, GroupRegistry
from .operation import NField, NFragment, NSelection
from .position import Conditions, Position
from .scoring import score
from .walk import Walker

INTROSPECTION = frozenset(("__schema", "__type", "__typename"))


def plan_root(
    walker: Walker,
    registry: GroupRegistry,
    root_type: str,
    selections: tuple[NSelection, ...],
    mutation: bool,
) -> None:
    roots = walker.roots
    walker.mutation = mutation
    last: FetchGroup | None = None
    for field, conditions in _root_fields(walker, root_type, selections, ()):
        if field.name in INTROSPECTION:
            continue
        model = walker.supergraph.field(root_type, field.name)
        if model is None or not model.resolvers:
            raise PlanningError("no subgraph resolves this root field", root_type, field.name)
        resolvers = model.resolvers
        if mutation:
            if last is None or last.subgraph not in resolvers:
                last = registry.root(
                    _best(walker, root_type, field, resolvers), len(registry.groups)
                )
            group = last
        else:
            graph = _best(walker, root_type, field, resolvers, roots)
            group = walker.root_group(graph, 0)
        tree = group.tree
        for directives, key in conditions:
            tree = tree.fragment(None, directives, key)
        position = Position(
            group, tree, root_type, (), conditions=conditions, candidates=frozenset(resolvers)
        )
        walker.walk_field(position, field)


def _best(
    walker: Walker,
    root_type: str,
    field: NField,
    resolvers: tuple[str, ...],
    existing: Mapping[str, FetchGroup] | None = None,
) -> str:
    """The resolver answering most of the field's selection; ties go to an existing fetch."""
    ranked = sorted(
        enumerate(resolvers),
        key=lambda item: (
            -score(walker.index, item[1], root_type, (field,)),
            not existing or item[1] not in existing,
            item[0],
        ),
    )
    return ranked[0][1]


def _root_fields(
    walker: Walker, root_type: str, selections: tuple[NSelection, ...], conditions: Conditions
) -> list[tuple[NField, Conditions]]:
    found: list[tuple[NField, Conditions]] = []
    for selection in selections:
        if isinstance(selection, NFragment):
            if walker.index.applies(selection.type_condition, root_type):
                inner = conditions
                if selection.directives:
                    inner = (*conditions, (selection.directives, selection.directives_key))
                found.extend(_root_fields(walker, root_type, selection.selections, inner))
        else:
            found.append((selection, conditions))
    return found
