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

from gateway.compose.inactive import drop_inactive_field_sets
from gateway.compose.model import Subgraph
from gateway.compose.shareable import used_fields


def upgrade_federation1(subgraph: Subgraph) -> None:
    drop_inactive_field_sets(subgraph)
    for typedef in subgraph.types.values():
        for field in typedef.fields.values():
            if typedef.kind == "object" and typedef.name != "Subscription":
                field.shareable = True
    for typedef in subgraph.types.values():
        typedef.keys = [] if typedef.kind == "interface" else \
            [replace(key, extension=typedef.extends) for key in typedef.keys]
        if typedef.kind == "interface":
            for field in typedef.fields.values():
                field.requires = field.provides = None
        typedef.has_definition = True
    used = used_fields(subgraph)
    for typedef in subgraph.types.values():
        for name in [n for n, f in typedef.fields.items()
                     if f.external and f"{typedef.name}.{n}" not in used]:
            del typedef.fields[name]
