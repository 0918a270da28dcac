"""Progressive ``@override(label:)`` in satisfiability: the two worlds Apollo validates.

While a label is rolled out, a field moves between subgraphs: with the label on, only the
overriding subgraph resolves it; with it off, only the overridden one. A query path fixes a
label's value the first time it meets one of its fields, and both values are validated, so
each world must be able to answer every field on its own.
"""

from gateway.compose.supergraph import MergedField, Supergraph
from gateway.compose.types import base_name

World = frozenset[tuple[str, bool]]


def worlds(world: World, field: MergedField) -> list[World]:
    """The label values to validate ``field`` under: the path's, extended both ways for each
    label the path has not fixed yet."""
    fixed = dict(world)
    found = [world]
    for label in sorted({j.override_label for j in field.joins if j.override_label}):
        if label not in fixed:
            found = [w | {(label, value)} for w in found for value in (True, False)]
    return found


def blocked(supergraph: Supergraph, index: int, type_name: str, field: MergedField,
            world: World) -> str | None:
    """Why subgraph ``index`` may not resolve the field in this world (Apollo's words), or
    None when it may."""
    graph = supergraph.graphs[index].enum
    fixed = dict(world)
    for join in field.joins:
        if join.graph != graph or not join.override_label \
                or join.override_label not in fixed:
            continue
        needs = join.override is not None
        value = fixed[join.override_label]
        if needs != value:
            name = supergraph.graphs[index].name
            return (f"Unable to take edge {type_name}({name}) -> {base_name(field.type)}({name}) "
                    f"({join.override_label} = {str(needs).lower()} ⊢ {field.name}) because "
                    f'override condition "{join.override_label}" is {str(value).lower()}.')
    return None
