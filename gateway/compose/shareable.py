"""Which fields a subgraph may resolve alongside other subgraphs (Apollo's ``@shareable`` rules).

A field is shareable when it, or its type definition, carries ``@shareable``, when it is part
of a ``@key`` (keys are how subgraphs meet), or when it is external yet ``@provides``-ed.
"""

from gateway.compose.context_checks import parse_context
from gateway.compose.fieldset import field_coordinates
from gateway.compose.model import Subgraph
from gateway.compose.types import base_name


def unmark_fake_externals(subgraph: Subgraph) -> None:
    """Key fields an ``extend type`` (or ``@extends``) marks ``@external`` are resolvable:
    the old idiom for "this entity is owned elsewhere", not a real external field."""
    for typedef in subgraph.types.values():
        for key in typedef.keys:
            if not key.extension:
                continue
            for coordinate in field_coordinates(key.fields, typedef.name, subgraph.types):
                owner, _, name = coordinate.partition(".")
                if owner == typedef.name and name in typedef.fields:
                    fake = typedef.fields[name]
                    fake.fake_external = fake.fake_external or fake.external
                    fake.external = False


def mark_shareable(subgraph: Subgraph) -> None:
    shared = set()
    for typedef in subgraph.types.values():
        for key in typedef.keys:
            shared |= field_coordinates(key.fields, typedef.name, subgraph.types)
    provided = provided_fields(subgraph)
    for typedef in subgraph.types.values():
        for field in typedef.fields.values():
            coordinate = f"{typedef.name}.{field.name}"
            # A @provides shares only the external fields it names, not the path to them.
            if coordinate in shared or (field.external and coordinate in provided):
                field.shareable = True


def provided_fields(subgraph: Subgraph) -> set[str]:
    """Coordinates of the external fields some ``@provides`` in this subgraph selects."""
    provided = set()
    for typedef in subgraph.types.values():
        for field in typedef.fields.values():
            if field.provides is not None:
                provided |= field_coordinates(field.provides, base_name(field.type), subgraph.types)
    return provided


def used_fields(subgraph: Subgraph) -> set[str]:
    """Coordinates Apollo counts as used: named by a ``@key``, ``@requires`` or ``@provides``
    of the subgraph or a ``@fromContext`` selection (an interface's field with its
    implementations' copies), and every field
    implementing an interface field (an overridden one stays in its subgraph's plan then)."""
    used = provided_fields(subgraph)
    for typedef in subgraph.types.values():
        for key in typedef.keys:
            used |= field_coordinates(key.fields, typedef.name, subgraph.types)
        for field in typedef.fields.values():
            if field.requires is not None:
                used |= field_coordinates(field.requires, typedef.name, subgraph.types)
    used |= _context_selections(subgraph)
    interfaces = {n for n, t in subgraph.types.items() if t.kind == "interface"}
    for typedef in subgraph.types.values():
        for interface in set(typedef.interfaces) & interfaces:
            fields = subgraph.types[interface].fields
            used |= {f"{typedef.name}.{name}" for name in typedef.fields if name in fields}
    return used


def _context_selections(subgraph: Subgraph) -> set[str]:
    """Fields a ``@fromContext`` selection reads on the types setting its context."""
    used: set[str] = set()
    for typedef in subgraph.types.values():
        for field in typedef.fields.values():
            for argument in field.args.values():
                context, selection = parse_context(argument.from_context or "")
                if not context or not selection:
                    continue
                selection = selection.strip()
                if selection.startswith("{"):
                    selection = selection[1:-1]
                for setter in subgraph.types.values():
                    if context in setter.contexts:
                        used |= field_coordinates(selection, setter.name, subgraph.types)
    return used
