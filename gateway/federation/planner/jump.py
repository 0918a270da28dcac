"""Entity jumps: moving a field into an ``_entities`` fetch of another subgraph.

A target is a subgraph resolving the field with a resolvable key for the type (or for an
interface the type implements, when that subgraph sees it as an ``@interfaceObject``).
Targets whose key the current fetch already holds win; otherwise the key fields are placed
first (a chain of jumps). ``@requires`` fields are placed at the same position before the
jump, and the new fetch depends on every fetch they landed in. A field with ``@fromContext``
arguments always jumps (into its own subgraph too): the values are read from an enclosing
object, so they exist only once an earlier fetch has answered (see :mod:`.context`).
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from ..errors import PlanningError
from ..supergraph import EntityKey, FieldModel
from .context import PlacedContext, bind_contexts, place_contexts
from .groups import EntityInput, FetchGroup
from .index import Provided
from .internal import add_input, internal_selections
from .operation import NField, NSelection
from .position import Position
from .scoring import score
from .tree import SelectionTree

if TYPE_CHECKING:
    from .walk import Walker


@dataclass(frozen=True, slots=True)
class _Target:
    subgraph: str
    key: EntityKey
    type_name: str
    field: FieldModel


def jump(walker: "Walker", pos: Position, field: NField, model: FieldModel) -> None:
    targets = targets_for(walker, pos.type_name, pos.group.subgraph, model)
    if not targets:
        raise PlanningError(
            f"no subgraph can resolve it from subgraph '{pos.group.subgraph}'",
            pos.type_name,
            field.name,
        )
    ranked = sorted(
        enumerate(targets),
        key=lambda item: (
            not _key_local(walker, pos, item[1].key.selection),
            item[1].field.graphs[item[1].subgraph].requires is not None,
            -score(walker.index, item[1].subgraph, pos.type_name, field.selections),
            item[0],
        ),
    )
    failure: PlanningError | None = None
    for _, target in ranked:
        guard = (pos.type_name, field.name, target.subgraph)
        if guard in walker.in_progress:
            continue
        walker.in_progress.add(guard)
        try:
            _jump_to(walker, pos, field, target)
            return
        except PlanningError as error:
            failure = error
        finally:
            walker.in_progress.discard(guard)
    raise failure or PlanningError("cyclic entity requirements", pos.type_name, field.name)


def jump_to_interface(walker: "Walker", pos: Position, selections: tuple[NSelection, ...]) -> None:
    """From an ``@interfaceObject`` to a subgraph that knows the interface's implementations."""
    name = pos.type_name
    model = walker.index.types[name]
    options = [
        (graph, key)
        for graph, info in model.graphs.items()
        if not info.interface_object
        for key in info.resolvable_keys
    ]
    options.sort(key=lambda option: not _key_local(walker, pos, option[1].selection))
    if not options:
        raise PlanningError("no subgraph resolves the interface's implementations", name)
    graph, key = options[0]
    child = _prepare(walker, pos, graph, key, name, None)
    sub = _conditioned(child.tree.fragment(name), pos)
    entered = Position(child, sub, name, pos.path, candidates=pos.candidates, parent=pos.parent)
    walker.walk(entered, selections)


def _jump_to(walker: "Walker", pos: Position, field: NField, target: _Target) -> None:
    info = target.field.graphs[target.subgraph]
    contexts: list[PlacedContext] = []
    context_deps: set[FetchGroup] = set()
    if info.context_arguments:
        contexts, context_deps = place_contexts(walker, pos, field.name, info.context_arguments)
    child = _prepare(
        walker, pos, target.subgraph, target.key, target.type_name, info.requires, context_deps
    )
    if contexts:
        field = bind_contexts(child, field, contexts)
    sub = _conditioned(child.tree.fragment(target.type_name), pos)
    entered = Position(
        child,
        sub,
        target.type_name,
        pos.path,
        requires_ok=True,
        candidates=pos.candidates,
        parent=pos.parent,
        context_ready=bool(contexts),
    )
    walker.walk_field(entered, field)


def _prepare(
    walker: "Walker",
    pos: Position,
    subgraph: str,
    key: EntityKey,
    target_type: str,
    requires: SelectionSetNode | None,
    context_deps: set[FetchGroup] | None = None,
) -> FetchGroup:
    """Place key (and required) fields at ``pos`` and return the entity fetch to jump into;
    it also waits for ``context_deps`` (the fetches reading its ``@fromContext`` values)."""
    plain = pos.at(conditions=(), requires_ok=False, context_ready=False)
    key_selections = internal_selections(key.selection)
    deps = set(context_deps or ())
    if not _in_inputs(pos, key.selection):
        deps |= walker.place_tracked(plain, key_selections)
    walker.mark(pos.group)
    pos.tree.add_typename()
    required = internal_selections(requires) if requires is not None else ()
    if required:
        deps |= walker.place_tracked(plain, required)
    variant = 0
    while True:
        child = walker.registry.entity_child(pos.group, subgraph, pos.path, deps, variant)
        existing = child.inputs.get(pos.type_name)
        if existing is None or not _conflicts(existing.fields, required):
            break
        variant += 1
    entity_input = child.inputs.setdefault(pos.type_name, EntityInput(target_type))
    add_input(entity_input.fields, key_selections)
    add_input(entity_input.fields, required)
    entity_input.key_names.update(_top_names(key.selection))
    return child


def _conflicts(tree: SelectionTree, selections: tuple[NSelection, ...]) -> bool:
    """Whether a representation already takes one of these fields from another response key."""
    taken = {entry.name: key for (key, _), entry in tree.fields.items()}
    return any(isinstance(s, NField) and taken.get(s.name, s.key) != s.key for s in selections)


def _conditioned(tree: SelectionTree, pos: Position) -> SelectionTree:
    for directives, key in pos.conditions:
        tree = tree.fragment(None, directives, key)
    return tree


def _top_names(selection_set: SelectionSetNode) -> list[str]:
    return [n.name.value for n in selection_set.selections if isinstance(n, FieldNode)]


def targets_for(walker: "Walker", type_name: str, here: str, model: FieldModel) -> list[_Target]:
    """Subgraphs (with key and target type) an entity fetch for ``model`` could go to."""
    types = walker.index.types
    found: list[_Target] = []
    for graph, info in model.graphs.items():
        stays = info.requires is None and not info.context_arguments
        if not info.resolvable or (graph == here and stays):
            continue
        type_info = types[type_name].graphs.get(graph)
        for key in type_info.resolvable_keys if type_info else ():
            found.append(_Target(graph, key, type_name, model))
    for interface in walker.index.interfaces.get(type_name, ()):
        interface_field = walker.supergraph.field(interface, model.name)
        if interface_field is None:
            continue
        for graph, info in interface_field.graphs.items():
            type_info = types[interface].graphs.get(graph)
            if info.resolvable and type_info and type_info.interface_object:
                for key in type_info.resolvable_keys:
                    found.append(_Target(graph, key, interface, interface_field))
    return found


def _key_local(walker: "Walker", pos: Position, selection_set: SelectionSetNode) -> bool:
    """Whether the current fetch can select these key fields itself, without a jump."""
    return _in_inputs(pos, selection_set) or _local(
        walker, pos.group.subgraph, pos.type_name, selection_set, pos.provided
    )


def _in_inputs(pos: Position, selection_set: SelectionSetNode) -> bool:
    """At the top of an entity fetch, fields sent in the representation are already in the
    response tree (the parent fetched them), even where this subgraph marks them external."""
    if not pos.requires_ok or not pos.group.is_entity:
        return False
    entity_input = pos.group.inputs.get(pos.type_name)
    if entity_input is None:
        return False
    present = {
        entry.name for (key, _), entry in entity_input.fields.fields.items() if key == entry.name
    }
    return all(name in present for name in _top_names(selection_set))


def _local(
    walker: "Walker",
    graph: str,
    type_name: str,
    selection_set: SelectionSetNode,
    provided: Provided | None,
) -> bool:
    for node in selection_set.selections:
        if isinstance(node, InlineFragmentNode):
            if not _local(walker, graph, type_name, node.selection_set, provided):
                return False
            continue
        if not isinstance(node, FieldNode) or node.name.value == "__typename":
            continue
        model = walker.supergraph.field(type_name, node.name.value)
        if model is None:
            return False
        info = model.graphs.get(graph)
        provided_here = provided is not None and node.name.value in provided
        if (
            info is None
            or info.requires is not None
            or info.context_arguments
            or not (info.resolvable or provided_here)
        ):
            return False
        if node.selection_set is not None:
            child_type, _ = walker.index.field_types[(type_name, node.name.value)]
            child_provided = provided.get(node.name.value) if provided else None
            if not _local(walker, graph, child_type, node.selection_set, child_provided):
                return False
    return True
