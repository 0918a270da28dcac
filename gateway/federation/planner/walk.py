"""The walk: places every selected field into a fetch group, jumping between subgraphs.

A field stays in the current fetch when its subgraph resolves it (or ``@provides`` it);
otherwise :mod:`.jump` moves it into an ``_entities`` fetch of a subgraph that can, after
placing the entity key and any ``@requires`` fields. Abstract positions are expanded into
the object types the current subgraph can return, so each type can jump on its own.
"""

from ..errors import PlanningError
from ..supergraph import FieldModel
from .groups import FetchGroup, GroupRegistry
from .index import SchemaIndex
from .operation import NField, NFragment, NSelection
from .position import Position

TYPENAME = NField("__typename", "__typename", None, (), (), ())


class Walker:
    """Plans one operation's selections into fetch groups."""

    def __init__(self, index: SchemaIndex, registry: GroupRegistry) -> None:
        self.index = index
        self.supergraph = index.supergraph
        self.registry = registry
        self._touched: list[set[FetchGroup]] = []
        self.in_progress: set[tuple[str, str, str]] = set()

    def walk(self, pos: Position, selections: tuple[NSelection, ...]) -> None:
        model = self.index.types[pos.type_name]
        if model.kind != "object":
            if model.is_interface_object_in(pos.group.subgraph):
                self._walk_interface_object(pos, selections)
            else:
                self._walk_abstract(pos, selections)
            return
        for selection in selections:
            if isinstance(selection, NFragment):
                if self.index.applies(selection.type_condition, pos.type_name):
                    self.walk(_enter(pos, selection), selection.selections)
            else:
                self.walk_field(pos, selection)

    def walk_field(self, pos: Position, field: NField) -> None:
        if field.name == "__typename":
            self.mark(pos.group)
            pos.tree.add_field(
                field.key, field.name, field.alias, (), field.directives, field.directives_key
            )
            return
        model = self.supergraph.field(pos.type_name, field.name)
        if model is None:
            raise PlanningError("no such field in the supergraph", pos.type_name, field.name)
        if self.is_local(pos, model):
            self._place_local(pos, field, model)
            return
        from .jump import jump

        jump(self, pos, field, model)

    def is_local(self, pos: Position, model: FieldModel) -> bool:
        info = model.graphs.get(pos.group.subgraph)
        if info is None or (info.requires is not None and not pos.requires_ok):
            return False
        return info.resolvable or (pos.provided is not None and model.name in pos.provided)

    def mark(self, group: FetchGroup) -> None:
        for touched in self._touched:
            touched.add(group)

    def place_tracked(self, pos: Position, selections: tuple[NSelection, ...]) -> set[FetchGroup]:
        """Place planner-added selections; return every group they landed in."""
        touched: set[FetchGroup] = set()
        self._touched.append(touched)
        try:
            self.walk(pos, selections)
        finally:
            self._touched.pop()
        for outer in self._touched:
            outer |= touched
        return touched

    def _place_local(self, pos: Position, field: NField, model: FieldModel) -> None:
        self.mark(pos.group)
        entry = pos.tree.add_field(
            field.key,
            field.name,
            field.alias,
            field.arguments,
            field.directives,
            field.directives_key,
            bool(field.selections),
        )
        if not field.selections or entry.sub is None:
            return
        child_type, depth = self.index.field_types[(pos.type_name, field.name)]
        own = self.index.provided.get((pos.type_name, field.name, pos.group.subgraph))
        inherited = pos.provided.get(field.name) if pos.provided else None
        child = Position(
            pos.group, entry.sub, child_type, pos.child_path(field.key, depth), own or inherited
        )
        self.walk(child, field.selections)

    def _walk_abstract(self, pos: Position, selections: tuple[NSelection, ...]) -> None:
        self.mark(pos.group)
        pos.tree.add_typename()
        possible = self.supergraph.possible_in_graph.get((pos.type_name, pos.group.subgraph), ())
        for type_name in sorted(possible):
            if _selects_fields(self.index, selections, type_name):
                sub = pos.tree.fragment(type_name)
                self.walk(pos.at(tree=sub, type_name=type_name, type_filter=type_name), selections)

    def _walk_interface_object(self, pos: Position, selections: tuple[NSelection, ...]) -> None:
        """``pos.type_name`` is an interface the current subgraph only sees as an object.

        What needs the real type (``__typename``, fragments on implementations) moves to a
        subgraph that knows the interface as an interface.
        """
        remote: list[NSelection] = []
        for selection in selections:
            if isinstance(selection, NFragment):
                plain = not selection.directives and selection.type_condition in (
                    None,
                    pos.type_name,
                )
                if plain:
                    self._walk_interface_object(pos, selection.selections)
                else:
                    remote.append(selection)
                continue
            if selection.name == "__typename":
                remote.append(selection)
                continue
            self.walk_field(pos, selection)
        if remote:
            from .jump import jump_to_interface

            jump_to_interface(self, pos, (TYPENAME, *remote))


def _enter(pos: Position, fragment: NFragment) -> Position:
    if not fragment.directives:
        return pos
    tree = pos.tree.fragment(None, fragment.directives, fragment.directives_key)
    conditions = (*pos.conditions, (fragment.directives, fragment.directives_key))
    return pos.at(tree=tree, conditions=conditions)


def _selects_fields(index: SchemaIndex, selections: tuple[NSelection, ...], type_name: str) -> bool:
    for selection in selections:
        if isinstance(selection, NField):
            if selection.name != "__typename":
                return True
        elif index.applies(selection.type_condition, type_name) and _selects_fields(
            index, selection.selections, type_name
        ):
            return True
    return False
