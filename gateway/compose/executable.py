"""Executable directives (``on FIELD | QUERY ...``) a client may send through the gateway.

A directive reaches the supergraph only when every subgraph defines it (any subgraph may be
sent the operation), with the locations all subgraphs accept, as Apollo merges them.
"""

from graphql import DirectiveDefinitionNode, NameNode, StringValueNode

from gateway.compose.directives import EXECUTABLE_LOCATIONS
from gateway.compose.model import Subgraph
from gateway.compose.printer import executable_definition
from gateway.compose.state import most_common_description


def merge_executable_directives(subgraphs: list[Subgraph]) -> list[str]:
    if not subgraphs:
        return []
    merged = []
    for name, first in subgraphs[0].executable_directives.items():
        definitions = [s.executable_directives.get(name) for s in subgraphs]
        if any(d is None for d in definitions):
            continue
        present = [d for d in definitions if d is not None]
        locations = set.intersection(*({loc.value for loc in d.locations} for d in present))
        executable = sorted(loc for loc in locations if loc in EXECUTABLE_LOCATIONS)
        if not executable:
            continue
        description = most_common_description(
            {i: d.description.value if d.description else None for i, d in enumerate(present)})
        merged.append(executable_definition(DirectiveDefinitionNode(
            name=first.name, arguments=first.arguments,
            repeatable=all(d.repeatable for d in present),
            locations=tuple(NameNode(value=loc) for loc in executable),
            description=StringValueNode(value=description) if description else None)))
    return merged
