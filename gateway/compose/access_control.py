"""Auth requirements flow from implementations up to their interfaces (Apollo's rule).

A client selecting ``I.field`` may get any implementation's ``field``, so the interface field
carries every implementation's ``@authenticated``/``@requiresScopes``/``@policy`` (all must
hold); an ``@interfaceObject`` field's requirements flow down to the implementations it
stands for.
"""

from graphql import DirectiveNode

from gateway.compose.applied import merge_applied
from gateway.compose.directives import AUTH_DIRECTIVES
from gateway.compose.state import MergeState
from gateway.compose.supergraph import MergedField, MergedType


def propagate_access_control(state: MergeState) -> None:
    types = state.supergraph.types
    implementations = {
        name: [t.name for t in types.values() if t.kind == "object" and name in t.interfaces]
        for name, merged in types.items() if merged.kind == "interface"
    }
    extra: dict[str, list[list[DirectiveNode]]] = {}
    for subgraph in state.subgraphs:
        for typedef in subgraph.types.values():
            if typedef.kind != "object":
                continue
            parents = _interfaces_of(types, typedef.name)
            for interface in parents:
                extra.setdefault(interface, []).append(_auth(typedef.directives))
            for field in typedef.fields.values():
                if field.external:
                    continue
                targets = [f"{i}.{field.name}" for i in parents]
                if typedef.interface_object:
                    below = implementations.get(typedef.name, [])
                    targets = [f"{t}.{field.name}" for t in below] + [
                        f"{i}.{field.name}" for t in below for i in _interfaces_of(types, t)
                        if i != typedef.name]
                for target in targets:
                    extra.setdefault(target, []).append(_auth(field.directives))
    for coordinate, sources in extra.items():
        element = _element(types, coordinate)
        if element is not None and any(sources):
            others = [d for d in element.directives if d.name.value not in AUTH_DIRECTIVES]
            element.directives = others + merge_applied(
                [_auth(element.directives), *sources], state.rules)


def _interfaces_of(types: dict[str, MergedType], name: str) -> list[str]:
    merged = types.get(name)
    return list(merged.interfaces) if merged else []


def _auth(directives: list[DirectiveNode]) -> list[DirectiveNode]:
    return [d for d in directives if d.name.value in AUTH_DIRECTIVES]


def _element(types: dict[str, MergedType], coordinate: str) -> MergedType | MergedField | None:
    type_name, _, field_name = coordinate.partition(".")
    merged = types.get(type_name)
    if merged is None or not field_name:
        return merged
    return merged.fields.get(field_name)
