"""Federation 1 subgraphs read as Apollo's schema upgrader reads them.

Federation 1 had no ``@shareable``: any field could be resolved by several subgraphs, so
every field is shareable (except on Subscription). Key fields that a type extension marks
``@external`` were never really external, and other unused ``@external`` fields are dropped.
Type extensions become plain definitions (``extend type`` was the federation 1 idiom for
"an entity owned elsewhere", not a real extension).
"""

from dataclasses import replace

from gateway.compose.fieldset import field_coordinates
from gateway.compose.model import Subgraph
from gateway.compose.shareable import used_fields


def upgrade_federation1(subgraph: Subgraph) -> None:
    for typedef in subgraph.types.values():
        key_fields = set()
        for key in typedef.keys:
            key_fields |= field_coordinates(key.fields, typedef.name, subgraph.types)
        for field in typedef.fields.values():
            if typedef.kind == "object" and typedef.name != "Subscription":
                field.shareable = True
            if field.external and (typedef.has_extension or typedef.extends) and \
                    f"{typedef.name}.{field.name}" in key_fields:
                field.external = False
    for typedef in subgraph.types.values():
        typedef.keys = [replace(key, extension=False) for key in typedef.keys]
        typedef.has_definition = True
    used = used_fields(subgraph)
    for typedef in subgraph.types.values():
        for name in [n for n, f in typedef.fields.items()
                     if f.external and f"{typedef.name}.{n}" not in used]:
            del typedef.fields[name]
