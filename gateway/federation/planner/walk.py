"""The walk: places every selected field into a fetch group, jumping between subgraphs.

A field stays in the current fetch when its subgraph resolves it (or ``@provides`` it);
otherwise :mod:`.jump` moves it into an ``_entities`` fetch of a subgraph that can, after
placing the entity key and any ``@requires`` fields. Abstract positions are expanded into
the object types the current subgraph can return, so each type can jump on its own.
"""

import time
from dataclasses import replace

from ..errors import PlanningError
from ..supergraph import FieldModel
from .groups import FetchGroup, GroupRegistry
from .index import Provided, SchemaIndex
from .jump import jump, jump_to_interface, targets_for
from .operation import NField, NFragment, NSelection
from .position import Position
from .scoring import score

TYPENAME = NField("__typename", "__typename", None, (), (), ())


class Walker:
    """Plans one operation's selections into fetch groups."""

    def __init__(
        self, index: SchemaIndex, registry: GroupRegistry, deadline: float | None = None
    ) -> None:
        self.index = index
        self.deadline = deadline
        self.supergraph = index.supergraph
        self.registry = registry
        self._touched: list[set[FetchGroup]] = []
        self.in_progress: set[tuple[str, str, str]] = set()
        self.roots: dict[str, FetchGroup] = {}
        self.mutation = False

    def root_group(self, subgraph: str, root_index: int) -> FetchGroup:
        """The query's root fetch for ``subgraph`` (queries share one per subgraph)."""
        group = self.roots.get(subgraph)
        if group is None:
            group = self.registry.root(subgraph, root_index)
            self.roots[subgraph] = group
        return group

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
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise PlanningError("planning exceeded its deadline", pos.type_name, field.name)
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
        jump(self, pos, field, model)

    def is_local(self, pos: Position, model: FieldModel) -> bool:
        info = model.graphs.get(pos.group.subgraph)
        if info is None or (info.requires is not None and not pos.requires_ok):
            return False
        if info.context_arguments and not pos.context_ready:
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
        if field.selections:
            field = self._split(pos, field, model)
            if field is None:
                return
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
        local_type = self._local_type(pos.group.subgraph, model)
        if local_type is not None and local_type != child_type:
            entry.sub.add_typename()
            child_type = local_type
        provided = self._provided(pos, field.name)
        child = Position(
            pos.group,
            entry.sub,
            child_type,
            pos.child_path(field.key, depth),
            provided,
            candidates=self._reach(pos, model),
            parent=pos,
        )
        self.walk(child, field.selections)

    def _reach(self, pos: Position, model: FieldModel) -> frozenset[str]:
        """Subgraphs the path through this field could end in: resolvers of the field that
        are already candidates for the parent, or that the parent entity can jump into."""
        here = pos.group.subgraph
        keyed = self.index.keyed[pos.type_name]
        return frozenset(
            graph
            for graph in model.resolvers
            if graph == here or graph in pos.candidates or graph in keyed
        )

    def _local_type(self, graph: str, model: FieldModel) -> str | None:
        """The object type a subgraph declares where the supergraph has an abstract one."""
        info = model.graphs.get(graph)
        if info is None or not info.type:
            return None
        named = info.type.strip("[]!")
        found = self.index.types.get(named)
        return named if found is not None and found.kind == "object" else None

    def _provided(self, pos: Position, name: str) -> Provided | None:
        own = self.index.provided.get((pos.type_name, name, pos.group.subgraph))
        inherited = pos.provided.get(name) if pos.provided else None
        return own or inherited

    def _split(self, pos: Position, field: NField, model: FieldModel) -> NField | None:
        """Move the part of a local field's selection this subgraph can't reach elsewhere.

        A child the current subgraph neither resolves nor can jump from (a value type, or an
        entity without a key here) is fetched by selecting the same field in another subgraph
        (another root fetch, or an entity jump from the parent). Returns what stays here.
        """
        child_type, _ = self.index.field_types[(pos.type_name, field.name)]
        if self.index.is_abstract(child_type):
            return field
        provided = self._provided(pos, field.name)
        graph = pos.group.subgraph
        keep = tuple(s for s in field.selections if self._feasible(graph, child_type, s, provided))
        if len(keep) == len(field.selections):
            return field
        moved = tuple(s for s in field.selections if s not in keep)
        self._relocate(pos, replace(field, selections=moved), model)
        return replace(field, selections=keep) if keep else None

    def _feasible(
        self, graph: str, type_name: str, selection: NSelection, provided: Provided | None
    ) -> bool:
        if isinstance(selection, NFragment):
            if not self.index.applies(selection.type_condition, type_name):
                return True
            return all(self._feasible(graph, type_name, s, provided) for s in selection.selections)
        if selection.name == "__typename":
            return True
        model = self.supergraph.field(type_name, selection.name)
        if model is None:
            return True
        info = model.graphs.get(graph)
        provided_here = provided is not None and selection.name in provided
        if (
            info is not None
            and info.requires is None
            and not info.context_arguments
            and (info.resolvable or provided_here)
        ):
            return True
        return bool(targets_for(self, type_name, graph, model))

    def _relocate(self, pos: Position, field: NField, model: FieldModel) -> None:
        if pos.group.is_entity or pos.path:
            jump(self, pos, field, model)
            return
        here = pos.group.subgraph
        others = [graph for graph in model.resolvers if graph != here]
        if not others or self.mutation:
            raise PlanningError(
                "no other subgraph resolves the rest of its selection", pos.type_name, field.name
            )
        graph = max(others, key=lambda g: score(self.index, g, pos.type_name, (field,)))
        guard = (pos.type_name, field.name, graph)
        if guard in self.in_progress:
            raise PlanningError("cyclic field split", pos.type_name, field.name)
        self.in_progress.add(guard)
        try:
            group = self.root_group(graph, 0)
            tree = group.tree
            for directives, key in pos.conditions:
                tree = tree.fragment(None, directives, key)
            root = Position(
                group, tree, pos.type_name, (), conditions=pos.conditions, candidates=pos.candidates
            )
            self.walk_field(root, field)
        finally:
            self.in_progress.discard(guard)

    def _walk_abstract(self, pos: Position, selections: tuple[NSelection, ...]) -> None:
        self.mark(pos.group)
        pos.tree.add_typename()
        possible = self.supergraph.possible_in_graph.get((pos.type_name, pos.group.subgraph), ())
        if len(pos.candidates) > 1 and self.index.types[pos.type_name].kind == "union":
            possible = self._shared_members(pos, possible)
        if not possible or self._uniform(pos, possible, selections):
            self._walk_interface_fields(pos, selections)
            return
        for type_name in sorted(possible):
            if _selects_fields(self.index, selections, type_name):
                sub = pos.tree.fragment(type_name)
                self.walk(pos.at(tree=sub, type_name=type_name, type_filter=type_name), selections)

    def _shared_members(self, pos: Position, possible: frozenset[str]) -> frozenset[str]:
        """A partial union (members differ per subgraph) reached on a path several subgraphs
        could serve keeps only the members all of them know, as Apollo Router and Hive Router
        do: the answer must not depend on which subgraph the plan happens to pick. Fragments
        on the other members are not fetched, so their fields answer null."""
        for graph in pos.candidates:
            members = self.supergraph.possible_in_graph.get((pos.type_name, graph))
            if members:
                possible = possible & members
        return possible

    def _uniform(
        self, pos: Position, possible: frozenset[str], selections: tuple[NSelection, ...]
    ) -> bool:
        """Whether the selection can stay on the abstract type: only interface fields that this
        subgraph resolves for every implementation it can return (no per-type jump needed)."""
        graph = pos.group.subgraph
        for selection in selections:
            if isinstance(selection, NFragment):
                if selection.type_condition not in (None, pos.type_name):
                    return False
                if not self._uniform(pos, possible, selection.selections):
                    return False
                continue
            if selection.name == "__typename":
                continue
            provided = pos.provided is not None and selection.name in pos.provided
            for type_name in (pos.type_name, *possible):
                model = self.supergraph.field(type_name, selection.name)
                info = model.graphs.get(graph) if model else None
                if (
                    info is None
                    or info.requires is not None
                    or info.context_arguments
                    or not (info.resolvable or provided)
                ):
                    return False
        return True

    def _walk_interface_fields(self, pos: Position, selections: tuple[NSelection, ...]) -> None:
        """No implementation is known here: interface fields are planned on the interface."""
        for selection in selections:
            if isinstance(selection, NField):
                self.walk_field(pos, selection)
            elif selection.type_condition in (None, pos.type_name):
                self._walk_interface_fields(_enter(pos, selection), selection.selections)

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
