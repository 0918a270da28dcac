"""Federation 1 subgraphs read as Apollo's schema upgrader reads them.

Federation 1 had no ``@shareable``: any field could be resolved by several subgraphs, so
every field is shareable (except on Subscription). Unused ``@external`` fields are dropped.
Type extensions become plain definitions (``extend type`` was the federation 1 idiom for
"an entity owned elsewhere", not a real extension); ``@requires``/``@provides`` lose the
leaves the subgraph resolves itself (``inactive``); interfaces lose their keys and their
fields' ``@requires``/``@provides`` (federation 1 gave them no meaning); a type marked
``@extends`` keeps its keys' ``extension: true``, as Apollo's upgrader leaves the directive
in place.
"""

from dataclasses import replace

from gateway.compose import errors
from gateway.compose.errors import CompositionError, line_of
from gateway.compose.inactive import drop_inactive_field_sets
from gateway.compose.model import Subgraph
from gateway.compose.report import subgraph_names
from gateway.compose.shareable import used_fields

_ROOTS = ("Query", "Mutation", "Subscription")


def upgrade_federation1(subgraph: Subgraph) -> None:
    drop_inactive_field_sets(subgraph)
    for typedef in subgraph.types.values():
        for field in typedef.fields.values():
            if typedef.kind == "object" and typedef.name != "Subscription":
                field.shareable = True
    for typedef in subgraph.types.values():
        if typedef.kind == "interface" and typedef.keys:
            subgraph.federation1_interface_keys.append(typedef.name)
        typedef.keys = [] if typedef.kind == "interface" else \
            [replace(key, extension=typedef.extends) for key in typedef.keys]
        if typedef.kind == "interface":
            for field in typedef.fields.values():
                field.requires = field.provides = None
        typedef.written_definition = typedef.has_definition
        typedef.federation1_extension = typedef.kind in ("object", "interface") \
            and typedef.name not in _ROOTS and (typedef.extends or not typedef.has_definition)
        typedef.has_definition = True
    used = used_fields(subgraph)
    for typedef in subgraph.types.values():
        for name in [n for n, f in typedef.fields.items()
                     if f.external and f"{typedef.name}.{n}" not in used]:
            del typedef.fields[name]


def upgrade_problems(subgraphs: list[Subgraph]) -> list[CompositionError]:
    """What Apollo's upgrader refuses across subgraphs: federation 1 extensions without a base
    type anywhere, and a federation 2 @interfaceObject for an interface whose only @key is in
    federation 1 subgraphs (where it does not resolve __typename)."""
    refused = extensions_without_base(subgraphs)
    upgraded = [s for s in subgraphs if s.name not in {p.subgraph for p in refused}]
    return refused + _interface_objects_on_federation1_keys(upgraded)


def _interface_objects_on_federation1_keys(subgraphs: list[Subgraph]) -> list[CompositionError]:
    found = []
    names = sorted({t.name for s in subgraphs if s.fed2 for t in s.types.values()
                    if t.interface_object})
    for name in names:
        keyed = [s.name for s in subgraphs if name in s.federation1_interface_keys]
        users = [s for s in subgraphs if s.fed2 and name in s.types
                 and s.types[name].interface_object]
        if not keyed:
            continue
        found.append(CompositionError(
            errors.INTERFACE_OBJECT_USAGE_ERROR,
            f'The @interfaceObject directive is used on type "{name}" in '
            f"{subgraph_names([s.name for s in users])}, which requires other subgraphs to "
            "resolve its type name via an interface @key. However, @key on an interface in a "
            "federation 1 subgraph does not mean it can fulfill the __typename-resolution "
            "requirement that @interfaceObject depends on. For "
            f"{subgraph_names(keyed)}, either upgrade them to federation 2 subgraphs or remove "
            "@key from the type.", users[0].name, users[0].file,
            line_of(users[0].types[name].node),
            f"upgrade {subgraph_names(keyed)} to federation 2 (@link the federation v2 spec)"))
    return found


def extensions_without_base(subgraphs: list[Subgraph]) -> list[CompositionError]:
    """A federation 1 ``extend type`` (or ``@extends``) needs some other subgraph to define the
    type, as Apollo's upgrader checks before it turns extensions into definitions."""
    found = []
    for subgraph in subgraphs:
        for typedef in subgraph.types.values():
            if typedef.federation1_extension and not any(
                    _defines(other, typedef.name) for other in subgraphs if other is not subgraph):
                found.append(CompositionError(
                    errors.EXTENSION_WITH_NO_BASE,
                    f'[{subgraph.name}] Type "{typedef.name}" is an extension type, but there is '
                    f'no type definition for "{typedef.name}" in any subgraph.', subgraph.name,
                    subgraph.file, line_of(typedef.node),
                    f'define "{typedef.name}" with `type {typedef.name}` (not `extend type`) in '
                    "the subgraph that owns it"))
    return found


def _defines(subgraph: Subgraph, name: str) -> bool:
    typedef = subgraph.types.get(name)
    if typedef is None:
        return False
    return typedef.written_definition if not subgraph.fed2 else typedef.has_definition
