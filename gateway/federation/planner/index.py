"""Per-supergraph lookups the walk needs, computed once when the planner is built."""

from graphql import (
    FieldNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    InlineFragmentNode,
    SelectionSetNode,
    get_named_type,
)

from ..supergraph import Supergraph

Provided = dict[str, "Provided"]


class SchemaIndex:
    """Field return types, list depths, interfaces, possible types, ``@provides`` trees and
    the subgraphs each type can be jumped into (``keyed``: those with a resolvable key), and
    per ``@context`` the types whose objects set it (abstract ones with their members)."""

    def __init__(self, supergraph: Supergraph) -> None:
        self.supergraph = supergraph
        self.types = supergraph.types
        self.field_types: dict[tuple[str, str], tuple[str, int]] = {}
        self.interfaces: dict[str, tuple[str, ...]] = {}
        self.provided: dict[tuple[str, str, str], Provided] = {}
        self.possible: dict[str, frozenset[str]] = {}
        self.keyed: dict[str, frozenset[str]] = {
            name: frozenset(graph for graph, info in model.graphs.items() if info.resolvable_keys)
            for name, model in self.types.items()
        }
        for name, named in supergraph.schema.type_map.items():
            if name.startswith("__") or name not in self.types:
                continue
            self.possible[name] = supergraph.possible_types(name)
            if isinstance(named, GraphQLObjectType | GraphQLInterfaceType):
                self.interfaces[name] = tuple(i.name for i in named.interfaces)
                for field_name, field in named.fields.items():
                    self.field_types[(name, field_name)] = (
                        get_named_type(field.type).name,
                        _list_depth(field.type),
                    )
        self.context_types = {
            name: frozenset(types).union(*(self.possible.get(t, ()) for t in types))
            for name, types in supergraph.contexts.items()
        }
        for model in self.types.values():
            for field_model in model.fields.values():
                for graph, info in field_model.graphs.items():
                    if info.provides is not None:
                        key = (model.name, field_model.name, graph)
                        self.provided[key] = provided_tree(info.provides)

    def applies(self, type_condition: str | None, type_name: str) -> bool:
        """Whether a fragment on ``type_condition`` applies to objects of ``type_name``."""
        if type_condition is None or type_condition == type_name:
            return True
        possible = self.possible.get(type_condition)
        if possible is None:
            return False
        if type_name in possible:
            return True
        own = self.possible.get(type_name, frozenset())
        return self.types[type_name].kind != "object" and bool(own & possible)

    def is_abstract(self, type_name: str) -> bool:
        return self.types[type_name].kind in ("interface", "union")


def provided_tree(selection_set: SelectionSetNode) -> Provided:
    """``@provides`` fields as nested dicts; fragments are merged (the owner checks the type)."""
    tree: Provided = {}
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            child = provided_tree(node.selection_set) if node.selection_set else {}
            tree.setdefault(node.name.value, {}).update(child)
        elif isinstance(node, InlineFragmentNode):
            for name, child in provided_tree(node.selection_set).items():
                tree.setdefault(name, {}).update(child)
    return tree


def _list_depth(type_: object) -> int:
    depth = 0
    while isinstance(type_, GraphQLNonNull | GraphQLList):
        if isinstance(type_, GraphQLList):
            depth += 1
        type_ = type_.of_type
    return depth
