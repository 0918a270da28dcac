"""How much of a selection a subgraph resolves by itself: the tie-breaker between subgraphs."""

from .index import SchemaIndex
from .operation import NField, NSelection

_MAX_DEPTH = 4


def score(
    index: SchemaIndex,
    graph: str,
    type_name: str,
    selections: tuple[NSelection, ...],
    depth: int = 0,
) -> int:
    """Count the fields of ``selections`` (on ``type_name``) that ``graph`` resolves directly."""
    if depth > _MAX_DEPTH or type_name not in index.types:
        return 0
    total = 0
    for selection in selections:
        if not isinstance(selection, NField):
            inner = selection.type_condition or type_name
            total += score(index, graph, inner, selection.selections, depth)
            continue
        if selection.name == "__typename":
            continue
        model = index.supergraph.field(type_name, selection.name)
        if model is None or not model.resolvable_in(graph):
            continue
        total += 1
        if selection.selections:
            child_type, _ = index.field_types[(type_name, selection.name)]
            total += score(index, graph, child_type, selection.selections, depth + 1)
    return total
