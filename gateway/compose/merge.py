"""Stage 2: normalised subgraphs merged into one ``Supergraph`` (Apollo's merge rules).

Types merge one by one (enums last: their merge depends on where they are used); then passes
over the whole graph run in order, then checks that only make sense on a clean merge.
"""

from collections.abc import Callable

from gateway.compose import errors
from gateway.compose.access_control import propagate_access_control
from gateway.compose.api_schema import check_api_schema
from gateway.compose.applied import REPEATABLE, MergeRules, merge_applied
from gateway.compose.directives import AUTH_DIRECTIVES
from gateway.compose.executable import merge_executable_directives
from gateway.compose.interfaces import check_interfaces
from gateway.compose.merge_fields import merge_composite_fields, validate_interface_object_sharing
from gateway.compose.merge_leaves import merge_enum, merge_input, merge_union
from gateway.compose.model import Subgraph, TypeDef
from gateway.compose.report import mismatch
from gateway.compose.state import MergeState, graph_enums, most_common_description
from gateway.compose.supergraph import JoinField, JoinType, MergedField, MergedType, Supergraph
from gateway.compose.transitive_auth import check_transitive_auth

_KIND_NAMES = {"object": "Object Type", "interface": "Interface Type", "union": "Union Type",
               "enum": "Enum Type", "input": "Input Object Type", "scalar": "Scalar Type"}
_FEATURES = ("tag", "inaccessible", "authenticated", "requiresScopes", "policy", "context",
             "cost", "listSize")


def merge_subgraphs(state: MergeState) -> None:
    """Fill ``state.supergraph`` from ``state.subgraphs``, collecting errors in ``state``."""
    if not _import_names_agree(state):
        return
    by_name = _sources_by_type(state)
    kinds = {name: _kind(state, name, sources) for name, sources in by_name.items()}
    if any(kind is None for kind in kinds.values()):
        return
    state.enum_names = {name for name, kind in kinds.items() if kind == "enum"}
    _collect_subtyping(state, by_name)
    ordered = sorted(by_name, key=lambda name: kinds[name] == "enum")
    for name in ordered:
        state.supergraph.types[name] = MergedType(kinds[name] or "", name)
    for name in ordered:
        _merge_type(state, by_name[name], state.supergraph.types[name])
    for merge_pass in _WHOLE_GRAPH_PASSES:
        merge_pass(state)
    for check in _CHECKS_ON_A_CLEAN_MERGE:
        if not state.errors:
            check(state)
    _finish(state)


def _finish(state: MergeState) -> None:
    """What the printer needs besides the types: directives, specs to link, in Apollo's order."""
    supergraph = state.supergraph
    supergraph.executable_directives = merge_executable_directives(state.subgraphs)
    supergraph.description = most_common_description(
        {i: s.description for i, s in enumerate(state.subgraphs)})
    if "Query" not in supergraph.types:
        state.error(errors.NO_QUERIES, "No queries found in any subgraph: a supergraph must "
                    "have a query root type.", hint="add a Query type with at least one field")
    supergraph.features = _features(supergraph)
    supergraph.feature_order = [
        name for name in _link_order(state.subgraphs)
        if name in supergraph.features or (name == "cost" and "listSize" in supergraph.features)]


def _import_names_agree(state: MergeState) -> bool:
    """A directive the supergraph carries must be imported under one name everywhere."""
    latest = max(s.version for s in state.subgraphs)
    url = f"https://specs.apollo.dev/federation/v{latest[0]}.{latest[1]}"
    for name in _FEATURES:
        imports = [(i, s.imported_names[name]) for i, s in enumerate(state.subgraphs)
                   if name in s.imported_names and name in s.features_used]
        different = next((local for _, local in imports if local != imports[0][1]), None)
        if different is None:
            continue
        state.error(errors.LINK_IMPORT_NAME_MISMATCH, mismatch(
            f'The "@{name}" directive (from {url}) is imported with mismatched name between '
            "subgraphs: it is imported as ", f'"@{different}"',
            [(state.names[i], f'"@{local}"') for i, local in imports]),
            imports[0][0], None, f'import "@{name}" under the same name in every subgraph')
        return False
    return True


def new_state(subgraphs: list[Subgraph]) -> MergeState:
    """Subgraphs in Apollo's order (by name), their graph enum values, the merge rules."""
    ordered = sorted(subgraphs, key=lambda s: s.name)
    supergraph = Supergraph(graph_enums(ordered), join_version=_join_version(ordered))
    repeatable = set(REPEATABLE)
    for subgraph in ordered:
        for name, composed in subgraph.composed.items():
            supergraph.composed.setdefault(name, composed)
            if composed.definition.repeatable:
                repeatable.add(name)
    state = MergeState(ordered, supergraph)
    auth = [name for name in _link_order(ordered) if name in AUTH_DIRECTIVES]
    state.rules = MergeRules(frozenset(repeatable), tuple(auth))
    return state


def _join_version(subgraphs: list[Subgraph]) -> str:
    """The join spec version Apollo picks for the newest federation version linked."""
    latest = max((s.version for s in subgraphs if s.fed2), default=(2, 0))
    return "0.5" if latest >= (2, 8) else "0.4" if latest >= (2, 7) else "0.3"


def _sources_by_type(state: MergeState) -> dict[str, dict[int, TypeDef]]:
    by_name: dict[str, dict[int, TypeDef]] = {}
    for index, subgraph in enumerate(state.subgraphs):
        for name, typedef in subgraph.types.items():
            by_name.setdefault(name, {})[index] = typedef
    return by_name


def _kind(state: MergeState, name: str, sources: dict[int, TypeDef]) -> str | None:
    kinds = {i: "interface" if t.interface_object else t.kind for i, t in sources.items()}
    first = next(iter(kinds.values()))
    if len(set(kinds.values())) == 1:
        return first
    state.error(errors.TYPE_KIND_MISMATCH, mismatch(
        f'Type "{name}" has mismatched kind: it is defined as ', _KIND_NAMES[first],
        [(state.names[i], _KIND_NAMES[k]) for i, k in kinds.items()]),
        next(iter(sources)), next(iter(sources.values())).node,
        f'define "{name}" as the same kind of type in every subgraph')
    return None


def _collect_subtyping(state: MergeState, by_name: dict[str, dict[int, TypeDef]]) -> None:
    for name, sources in by_name.items():
        for typedef in sources.values():
            for interface in typedef.interfaces:
                state.implementations.setdefault(interface, set()).add(name)
            for member in typedef.members:
                state.union_members.setdefault(name, set()).add(member)


def _merge_type(state: MergeState, sources: dict[int, TypeDef], dest: MergedType) -> None:
    _check_extension_has_base(state, sources, dest)
    dest.description = most_common_description({i: t.description for i, t in sources.items()})
    dest.directives = merge_applied((t.directives for t in sources.values()), state.rules)
    dest.joins = [join for i, t in sources.items() for join in _join_types(state, i, t)]
    for index, typedef in sources.items():
        dest.interfaces += [i for i in typedef.interfaces if i not in dest.interfaces]
        dest.implements += [(state.graph(index), i) for i in typedef.interfaces]
    if dest.kind in ("object", "interface"):
        merge_composite_fields(state, sources, dest)
    elif dest.kind == "union":
        merge_union(state, sources, dest)
    elif dest.kind == "enum":
        merge_enum(state, sources, dest)
    elif dest.kind == "input":
        merge_input(state, sources, dest)


def _join_types(state: MergeState, index: int, typedef: TypeDef) -> list[JoinType]:
    graph = state.graph(index)
    if not typedef.keys:
        return [JoinType(graph, interface_object=typedef.interface_object)]
    return [JoinType(graph, key.fields, key.extension,
                     key.resolvable if key.resolvable_given else None, typedef.interface_object)
            for key in typedef.keys]


def _check_extension_has_base(state: MergeState, sources: dict[int, TypeDef],
                              dest: MergedType) -> None:
    if dest.name in ("Query", "Mutation", "Subscription"):
        return
    fed2 = {i: t for i, t in sources.items() if state.subgraphs[i].fed2}
    if not fed2 or len(fed2) < len(sources) or any(t.has_definition for t in fed2.values()):
        return
    for index, typedef in fed2.items():
        state.error(errors.EXTENSION_WITH_NO_BASE,
                    f'[{state.names[index]}] Type "{dest.name}" is an extension type, but there '
                    f'is no type definition for "{dest.name}" in any subgraph.', index,
                    typedef.node, f'define "{dest.name}" with `type {dest.name}` (not `extend '
                    'type`) in the subgraph that owns it')


def _add_interface_object_fields(state: MergeState) -> None:
    """Fields an @interfaceObject adds to an interface appear on all its implementations."""
    types = state.supergraph.types
    for dest in [t for t in types.values() if t.kind == "object"]:
        for interface in dest.interfaces:
            for name, field in types[interface].fields.items():
                if name not in dest.fields and _provided_by_interface_object(state, interface,
                                                                              name):
                    dest.fields[name] = MergedField(
                        name, field.type, field.description, dict(field.args),
                        directives=list(field.directives), joins=[JoinField(None)])
                    validate_interface_object_sharing(state, dest, dest.fields[name])


def _provided_by_interface_object(state: MergeState, interface: str, field: str) -> bool:
    for subgraph in state.subgraphs:
        typedef = subgraph.types.get(interface)
        if typedef is not None and typedef.interface_object and field in typedef.fields \
                and not typedef.fields[field].external:
            return True
    return False


def _link_order(subgraphs: list[Subgraph]) -> list[str]:
    """Apollo links the specs subgraph by subgraph, each in the federation spec's order."""
    order: list[str] = []
    for subgraph in subgraphs:
        for name in _FEATURES:
            spec = "cost" if name == "listSize" else name
            if name in subgraph.features_used and spec not in order:
                order.append(spec)
    return order


_WHOLE_GRAPH_PASSES: tuple[Callable[[MergeState], None], ...] = (
    _add_interface_object_fields, check_interfaces, propagate_access_control)
_CHECKS_ON_A_CLEAN_MERGE: tuple[Callable[[MergeState], None], ...] = (
    check_transitive_auth, check_api_schema)


def _features(supergraph: Supergraph) -> set[str]:
    used = set()
    for merged in supergraph.types.values():
        directives = list(merged.directives)
        for field in merged.fields.values():
            directives += field.directives
            for argument in field.args.values():
                directives += argument.directives
        for value in merged.values.values():
            directives += value.directives
        used |= {d.name.value for d in directives}
    return used & set(_FEATURES)

