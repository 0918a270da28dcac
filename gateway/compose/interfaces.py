"""Checks on interfaces that need the whole supergraph: entity interfaces and interface objects.

An interface with a resolvable ``@key`` must know every implementation (it may be asked to
resolve any of them); a subgraph using ``@interfaceObject`` must know none of them.
"""

from gateway.compose import errors
from gateway.compose.model import Key
from gateway.compose.report import join_strings, subgraph_names
from gateway.compose.state import MergeState


def check_interfaces(state: MergeState) -> None:
    for name, merged in state.supergraph.types.items():
        if merged.kind != "interface":
            continue
        _check_implementations_have_fields(state, name)
        implementations = sorted(
            t.name for t in state.supergraph.types.values()
            if t.kind == "object" and name in t.interfaces)
        for index, subgraph in enumerate(state.subgraphs):
            typedef = subgraph.types.get(name)
            if typedef is None:
                continue
            defined = [i for i in implementations if i in subgraph.types]
            if typedef.interface_object and defined:
                state.error(errors.INTERFACE_OBJECT_USAGE_ERROR,
                            f'[{subgraph.name}] Interface type "{name}" is defined as an '
                            f'@interfaceObject in subgraph "{subgraph.name}" so that subgraph '
                            f'should not define any of the implementation types of "{name}", '
                            f"but it defines {_types(defined)}", index, typedef.node,
                            f"remove {_types(defined)} from this subgraph, or make "
                            f'"{name}" a real interface here')
            key = next((k for k in typedef.keys if k.resolvable), None)
            if typedef.kind == "interface" and key is not None:
                _check_entity_interface(state, index, name, key, implementations)


def _check_implementations_have_fields(state: MergeState, interface: str) -> None:
    """Every field of an interface must exist on every object implementing it."""
    types = state.supergraph.types
    for implementation in [t for t in types.values() if interface in t.interfaces]:
        for field in types[interface].fields:
            if field in implementation.fields:
                continue
            declaring = [s.name for s in state.subgraphs
                         if (t := s.types.get(interface)) is not None and t.kind == "interface"
                         and field in t.fields]
            implementing = [s.name for s in state.subgraphs
                            if (t := s.types.get(implementation.name)) is not None
                            and interface in t.interfaces]
            index = state.names.index(implementing[0]) if implementing else None
            node = state.subgraphs[index].types[implementation.name].node \
                if index is not None else None
            state.error(errors.INTERFACE_FIELD_NO_IMPLEM,
                        f'Interface field "{interface}.{field}" is declared in '
                        f'{subgraph_names(declaring)} but type "{implementation.name}", which '
                        f'implements "{interface}" only in {subgraph_names(implementing)} does '
                        f'not have field "{field}".', index, node,
                        f'add "{field}" to "{implementation.name}" in '
                        f"{subgraph_names(implementing)}")


def _check_entity_interface(state: MergeState, index: int, name: str, key: Key,
                            implementations: list[str]) -> None:
    subgraph = state.subgraphs[index]
    known = {n for n, t in subgraph.types.items() if name in t.interfaces}
    missing = [i for i in implementations if i not in known]
    if not missing:
        return
    pronoun = "them" if len(missing) > 1 else "it"
    state.error(errors.INTERFACE_KEY_MISSING_IMPLEMENTATION_TYPE,
                f'[{subgraph.name}] Interface type "{name}" has a resolvable key '
                f'(@key(fields: "{key.fields}")) in subgraph "{subgraph.name}" but that subgraph '
                f'is missing some of the supergraph implementation types of "{name}". Subgraph '
                f'"{subgraph.name}" should define {_types(missing)} (and have {pronoun} '
                f'implement "{name}").', index, key.node,
                f"define {_types(missing)} in this subgraph, or make the interface key "
                "`resolvable: false`")


def _types(names: list[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    return ("types " if len(quoted) > 1 else "type ") + join_strings(quoted)
