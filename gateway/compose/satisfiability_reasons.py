"""Why a field cannot be reached from a subgraph, in Apollo's words."""

from typing import Protocol

from gateway.compose.model import Field, Subgraph


class _Walk(Protocol):
    subgraphs: list[Subgraph]

    def entry_keys(self, index: int, type_name: str) -> list[str]: ...

    def local_field(self, index: int, type_name: str, name: str) -> Field | None: ...


def resolution_reason(subgraph: Subgraph, type_name: str, name: str, overridden: bool) -> str:
    """Why ``subgraph`` itself does not resolve ``type_name.name`` (an overridden field is as
    good as absent)."""
    coordinate = f"{type_name}.{name}"
    typedef = subgraph.types.get(type_name)
    found = typedef.fields.get(name) if typedef else None
    if found is None or overridden:
        return f'cannot find field "{coordinate}".'
    if found.external:
        return f'field "{coordinate}" is not resolvable because marked @external.'
    return f'cannot satisfy @require conditions on field "{coordinate}".'


def move_reasons(walk: _Walk, index: int, type_name: str, name: str,
                 reachable: list[int]) -> list[str]:
    """Why no subgraph reached from ``index`` answers the field, in Apollo's order: every key
    jump whose fields cannot be fetched (whether or not its subgraph has the field), then the
    subgraphs that have the field but no key to jump to."""
    coordinate = f"{type_name}.{name}"
    current = walk.subgraphs[index].name
    reasons = []
    for other, subgraph in enumerate(walk.subgraphs):
        if other not in reachable:
            reasons += [f'cannot move to subgraph "{subgraph.name}" using @key(fields: "{key}") '
                        f'of "{type_name}", the key field(s) cannot be resolved from subgraph '
                        f'"{current}".' for key in walk.entry_keys(other, type_name)]
    for other, subgraph in enumerate(walk.subgraphs):
        typedef = subgraph.types.get(type_name)
        if other in reachable or walk.entry_keys(other, type_name) or typedef is None \
                or name not in typedef.fields:
            continue
        if not typedef.keys:
            reasons.append(f'cannot move to subgraph "{subgraph.name}", which has field '
                           f'"{coordinate}", because type "{type_name}" has no @key defined in '
                           f'subgraph "{subgraph.name}".')
        else:
            reasons.append(f'cannot move to subgraph "{subgraph.name}", which has field '
                           f'"{coordinate}", because none of the @key defined on type '
                           f'"{type_name}" in subgraph "{subgraph.name}" are resolvable (they '
                           'are all declared with their "resolvable" argument set to false).')
    return reasons
