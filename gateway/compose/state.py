"""What the merge stage shares between its steps: the subgraphs, their join names, errors."""

import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql import Node

from gateway.compose.applied import MergeRules
from gateway.compose.errors import CompositionError, line_of
from gateway.compose.model import Subgraph
from gateway.compose.shareable import provided_fields, used_fields
from gateway.compose.supergraph import Graph, Supergraph


@dataclass
class EnumUsage:
    """Where an enum is used; ``examples`` holds one coordinate per position for messages."""

    positions: set[str] = field(default_factory=set)
    examples: dict[str, str] = field(default_factory=dict)


@dataclass
class MergeState:
    subgraphs: list[Subgraph]
    supergraph: Supergraph
    errors: list[CompositionError] = field(default_factory=list)
    enum_usage: dict[str, EnumUsage] = field(default_factory=dict)
    used: list[set[str]] = field(default_factory=list)
    provided: list[set[str]] = field(default_factory=list)
    implementations: dict[str, set[str]] = field(default_factory=dict)
    union_members: dict[str, set[str]] = field(default_factory=dict)
    enum_names: set[str] = field(default_factory=set)
    rules: MergeRules = field(default_factory=MergeRules)

    def __post_init__(self) -> None:
        self.used = [used_fields(s) for s in self.subgraphs]
        self.provided = [provided_fields(s) for s in self.subgraphs]

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.subgraphs]

    def graph(self, index: int) -> str:
        return self.supergraph.graphs[index].enum

    def error(self, code: str, message: str, index: int | None = None,
              node: Node | None = None, hint: str | None = None) -> None:
        subgraph = self.subgraphs[index] if index is not None else None
        self.errors.append(CompositionError(
            code, message, subgraph.name if subgraph else None,
            subgraph.file if subgraph else None, line_of(node), hint))

    def locate(self, type_name: str, field: str | None = None, argument: str | None = None
               ) -> tuple[int | None, Node | None]:
        """The first subgraph defining an element, and the element's node there."""
        for index, subgraph in enumerate(self.subgraphs):
            typedef = subgraph.types.get(type_name)
            if typedef is None:
                continue
            if field is None:
                return index, typedef.node
            found = typedef.fields.get(field)
            if found is None:
                continue
            if argument is None:
                return index, found.node
            if argument in found.args:
                return index, found.args[argument].node
        return None, None

    def is_member(self, general: str, specific: str) -> bool:
        """``specific`` implements interface ``general`` or belongs to union ``general``."""
        return specific in self.implementations.get(general, set()) or \
            specific in self.union_members.get(general, set())

    def record_enum_usage(self, enum: str, position: str, coordinate: str) -> None:
        usage = self.enum_usage.setdefault(enum, EnumUsage())
        usage.positions.add(position)
        usage.examples.setdefault(position, coordinate)


def graph_enums(subgraphs: list[Subgraph]) -> list[Graph]:
    """``join__Graph`` values: upper-cased names, non-word characters replaced, made unique."""
    bases = [_enum_name(s.name) for s in subgraphs]
    counts: Counter[str] = Counter(bases)
    seen: Counter[str] = Counter()
    graphs = []
    for subgraph, base in zip(subgraphs, bases, strict=True):
        seen[base] += 1
        enum = f"{base}_{seen[base]}" if counts[base] > 1 else base
        graphs.append(Graph(enum, subgraph.name, subgraph.url))
    return graphs


def _enum_name(name: str) -> str:
    upper = re.sub(r"\W", "_", name).upper()
    return f"_{upper}" if upper[:1].isdigit() else upper


def most_common_description(descriptions: Mapping[int, str | None]) -> str | None:
    """Apollo keeps the description most subgraphs agree on (a lone non-empty one wins)."""
    present = [d for d in descriptions.values() if d is not None]
    non_empty = [d for d in present if d != ""]
    if not present:
        return None
    if len(set(present)) == 1:
        return present[0]
    if len(set(non_empty)) == 1:
        return non_empty[0]
    return Counter(non_empty).most_common(1)[0][0]
