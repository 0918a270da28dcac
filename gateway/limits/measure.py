"""The shape of an operation from its syntax alone: depth, aliases, root fields, introspection.

It needs no schema, so it runs before validation: a document too deep or too wide is refused
before graphql-core's validation (whose overlapping-fields rule is quadratic in the fields it
compares) spends time on it. Fragments are measured once each and their figures reused at
every spread, so a fragment spread many times over (a "fragment bomb") is counted in full
without being walked in full. A fragment cycle counts as nothing here: validation refuses it.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from gateway.limits.errors import LimitExceeded, over

INTROSPECTION_ROOTS = frozenset({"__schema", "__type"})
MAX_FRAGMENT_NESTING = 100
"""Fragments spreading fragments deeper than this are refused (``fragmentNesting``) before
the walk, which recurses once per level like graphql-core's validation, can exhaust Python's
stack: a chain of ~600 fragments fits in the token limit and crashed the walk."""


@dataclass(frozen=True, slots=True)
class Shape:
    """What one operation asks for, by its text."""

    depth: int
    aliases: int
    root_fields: int
    introspection: bool


@dataclass(frozen=True, slots=True)
class _Extent:
    depth: int
    aliases: int


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions
            if isinstance(d, FragmentDefinitionNode)}


def measure(operation: OperationDefinitionNode,
            fragments: Mapping[str, FragmentDefinitionNode]) -> Shape:
    walk = _Walk(fragments)
    extent = walk.extent(operation.selection_set)
    roots = list(walk.root_fields(operation.selection_set, set()))
    return Shape(depth=extent.depth, aliases=extent.aliases,
                 root_fields=sum(1 for name in roots if name != "__typename"),
                 introspection=any(name in INTROSPECTION_ROOTS for name in roots))


class _Walk:
    def __init__(self, fragments: Mapping[str, FragmentDefinitionNode]) -> None:
        self._fragments = fragments
        self._measured: dict[str, _Extent] = {}
        self._visiting: set[str] = set()

    def extent(self, selection_set: SelectionSetNode | None) -> _Extent:
        depth = aliases = 0
        for selection in selection_set.selections if selection_set else ():
            if isinstance(selection, FieldNode):
                inner = self.extent(selection.selection_set)
                depth = max(depth, inner.depth + 1)
                aliases += inner.aliases + (selection.alias is not None)
                continue
            if isinstance(selection, InlineFragmentNode):
                inner = self.extent(selection.selection_set)
            else:
                assert isinstance(selection, FragmentSpreadNode)
                inner = self.fragment(selection.name.value)
            depth = max(depth, inner.depth)
            aliases += inner.aliases
        return _Extent(depth, aliases)

    def fragment(self, name: str) -> _Extent:
        measured = self._measured.get(name)
        if measured is not None:
            return measured
        definition = self._fragments.get(name)
        if definition is None or name in self._visiting:
            return _Extent(0, 0)
        if len(self._visiting) >= MAX_FRAGMENT_NESTING:
            raise _too_nested(len(self._visiting) + 1)
        self._visiting.add(name)
        measured = self.extent(definition.selection_set)
        self._visiting.discard(name)
        self._measured[name] = measured
        return measured

    def root_fields(self, selection_set: SelectionSetNode, seen: set[str],
                    nesting: int = 0) -> list[str]:
        """Root field names, through fragments; each named fragment is expanded once."""
        names: list[str] = []
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                names.append(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                names += self.root_fields(selection.selection_set, seen, nesting)
            elif isinstance(selection, FragmentSpreadNode):
                definition = self._fragments.get(selection.name.value)
                if definition is not None and definition.name.value not in seen:
                    if nesting >= MAX_FRAGMENT_NESTING:
                        raise _too_nested(nesting + 1)
                    seen.add(definition.name.value)
                    names += self.root_fields(definition.selection_set, seen, nesting + 1)
        return names


def _too_nested(nesting: int) -> LimitExceeded:
    return over("fragmentNesting", nesting, MAX_FRAGMENT_NESTING,
                f"fragments nested {nesting} deep")
