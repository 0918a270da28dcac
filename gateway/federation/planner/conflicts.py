"""Field conflicts inside one fetch: the same response key with different subgraph types.

Subgraphs may declare a shared field with different nullability (``id: ID`` on one type,
``id: ID!`` on another); selecting both under sibling fragments is invalid GraphQL for that
subgraph. The later one gets an alias, and the fetch records a rename the executor applies to
the subgraph's answer before merging it.
"""

from graphql import print_ast

from ..plan import Rename
from ..supergraph import Supergraph
from .tree import FieldEntry, SelectionTree


def resolve_conflicts(
    tree: SelectionTree, graph: str, supergraph: Supergraph
) -> tuple[Rename, ...]:
    renames: list[Rename] = []
    _resolve(tree, graph, supergraph, (), renames)
    renames.sort(key=lambda rename: -len(rename.path))
    return tuple(renames)


def _resolve(
    tree: SelectionTree,
    graph: str,
    supergraph: Supergraph,
    path: tuple[str, ...],
    out: list[Rename],
) -> None:
    seen: dict[str, tuple[str, str, str]] = {}
    for (type_name, _), (_, sub) in tree.fragments.items():
        if type_name is None:
            continue
        for (key, _), entry in sub.fields.items():
            signature = (
                entry.name,
                _arguments(entry),
                _type_of(supergraph, graph, type_name, entry.name),
            )
            if seen.setdefault(key, signature) != signature:
                entry.alias = f"{key}__lg_{type_name}"
                out.append(Rename(path, type_name, entry.alias, key))
    for (key, _), entry in tree.fields.items():
        if entry.sub is not None:
            _resolve(entry.sub, graph, supergraph, (*path, entry.alias or key), out)
    for (type_name, _), (_, sub) in tree.fragments.items():
        for (key, _), entry in sub.fields.items():
            if entry.sub is not None:
                _resolve(entry.sub, graph, supergraph, (*path, entry.alias or key), out)
        if type_name is None:
            _resolve(sub, graph, supergraph, path, out)


def _arguments(entry: FieldEntry) -> str:
    return ",".join(print_ast(argument) for argument in entry.arguments)


def _type_of(supergraph: Supergraph, graph: str, type_name: str, field_name: str) -> str:
    if field_name == "__typename":
        return "String!"
    model = supergraph.field(type_name, field_name)
    info = model.graphs.get(graph) if model else None
    if info is not None and info.type:
        return info.type
    named = supergraph.schema.type_map.get(type_name)
    field = getattr(named, "fields", {}).get(field_name)
    return str(field.type) if field is not None else ""
