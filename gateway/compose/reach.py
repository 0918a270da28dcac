"""Where a query can get a field or a whole field set from, as Apollo's query graph answers it.

A query at "type T in subgraph S" can use S's own fields (not ``@external``, or ``@provides``-d
on the way there) and jump to another subgraph through one of its resolvable keys (or
an ``@interfaceObject``'s), provided the key's fields can themselves be fetched from S. Key and
``@requires`` conditions are field sets resolved the same way, recursively: nested selections
(``products { id pid }``), jumps to a third subgraph for a key field, ``@requires`` of the
fields they use. A guard stops conditions that depend on themselves.
"""

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode

from gateway.compose.fieldset import FieldSetSyntaxError, parse_field_set
from gateway.compose.model import Field, Subgraph
from gateway.compose.supergraph import Supergraph
from gateway.compose.types import base_name

Provided = frozenset[tuple[int, str]]
Guard = frozenset[tuple[str, str, int]]
_NONE: Provided = frozenset()
_NO_GUARD: Guard = frozenset()


class Reach:
    def __init__(self, supergraph: Supergraph, subgraphs: list[Subgraph]) -> None:
        self.supergraph = supergraph
        self.subgraphs = subgraphs
        self._closures: dict[tuple[str, int], list[int]] = {}

    def interfaces_of(self, type_name: str) -> list[str]:
        merged = self.supergraph.types.get(type_name)
        return list(merged.interfaces) if merged else []

    def knows(self, index: int, type_name: str) -> bool:
        """Subgraph ``index`` can return ``type_name`` (itself, or one of its interface objects)."""
        types = self.subgraphs[index].types
        return type_name in types or any(name in types and types[name].interface_object
                                         for name in self.interfaces_of(type_name))

    def entry_keys(self, index: int, type_name: str) -> list[str]:
        """Resolvable keys by which subgraph ``index`` accepts ``type_name`` (directly, or
        through an ``@interfaceObject`` standing for one of its interfaces)."""
        subgraph = self.subgraphs[index]
        keys = []
        for name in [type_name, *self.interfaces_of(type_name)]:
            typedef = subgraph.types.get(name)
            if typedef is not None and (name == type_name or typedef.interface_object):
                keys += [k.fields for k in typedef.keys if k.resolvable]
        return keys

    def local_field(self, index: int, type_name: str, name: str) -> Field | None:
        """The field as subgraph ``index`` resolves it (maybe through an interface object)."""
        subgraph = self.subgraphs[index]
        for owner in [type_name, *self.interfaces_of(type_name)]:
            typedef = subgraph.types.get(owner)
            if typedef is None or (owner != type_name and not typedef.interface_object):
                continue
            if name in typedef.fields and not typedef.fields[name].external \
                    and not (owner == type_name and self.overridden(index, owner, name)):
                return typedef.fields[name]
        return None

    def overridden(self, index: int, type_name: str, name: str) -> bool:
        """``@override`` took the field away from this subgraph (progressive: not yet)."""
        merged = self.supergraph.types[type_name].fields.get(name)
        graph = self.supergraph.graphs[index].enum
        if merged is None or not any(j.graph for j in merged.joins):
            return False
        mine = [j for j in merged.joins if j.graph == graph]
        return not mine or all(j.used_overridden and j.override_label is None for j in mine)

    def reachable_from(self, type_name: str, start: int, provided: Provided = _NONE,
                       guard: Guard = _NO_GUARD) -> list[int]:
        """Subgraphs a query at ``type_name`` in ``start`` can jump to (``start`` first)."""
        cacheable = not guard and not any(index == start for index, _ in provided)
        if cacheable and (type_name, start) in self._closures:
            return self._closures[(type_name, start)]
        reachable = [start]
        grew = True
        while grew:
            grew = False
            for index in range(len(self.subgraphs)):
                if index in reachable or ("enter", type_name, index) in guard:
                    continue
                inner = guard | {("enter", type_name, index)}
                if any(self.fetches(type_name, source, key,
                                    provided if source == start else _NONE, inner)
                       for key in self.entry_keys(index, type_name) for source in reachable):
                    reachable.append(index)
                    grew = True
        if cacheable:
            self._closures[(type_name, start)] = reachable
        return reachable

    def resolves(self, index: int, type_name: str, name: str, provided: Provided = _NONE,
                 guard: Guard = _NO_GUARD) -> bool:
        """Subgraph ``index`` answers ``type_name.name`` itself, its ``@requires`` included
        (fetched from ``index``, which is where the router sends them)."""
        if (index, f"{type_name}.{name}") in provided:
            return True
        field = self.local_field(index, type_name, name)
        if field is None or field.requires is None:
            return field is not None
        mark = ("requires", f"{type_name}.{name}", index)
        return mark not in guard and self.fetches(type_name, index, field.requires, _NONE,
                                                  guard | {mark})

    def fetches(self, type_name: str, index: int, fields: str, provided: Provided = _NONE,
                guard: Guard = _NO_GUARD) -> bool:
        """A query at ``type_name`` in ``index`` can get every field of the field set."""
        try:
            selection = parse_field_set(fields)
        except FieldSetSyntaxError:
            return False
        return self._fetches(type_name, index, selection, provided, guard)

    def _fetches(self, type_name: str, index: int, selection_set: SelectionSetNode,
                 provided: Provided, guard: Guard) -> bool:
        for selection in selection_set.selections:
            if isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = condition.name.value if condition else type_name
                # A type the subgraph cannot return never reaches the fragment.
                if (inner == type_name or self.knows(index, inner)) and not self._fetches(
                        inner, index, selection.selection_set, provided, guard):
                    return False
            elif isinstance(selection, FieldNode) and selection.name.value != "__typename" \
                    and not self._fetches_field(type_name, index, selection, provided, guard):
                return False
        return True

    def _fetches_field(self, type_name: str, index: int, node: FieldNode, provided: Provided,
                       guard: Guard) -> bool:
        name = node.name.value
        merged = self.supergraph.types.get(type_name)
        field = merged.fields.get(name) if merged else None
        if field is None:
            return False
        field_type = base_name(field.type)

        def from_source(source: int) -> bool:
            given = provided if source == index else _NONE
            if not self.resolves(source, type_name, name, given, guard):
                return False
            return node.selection_set is None or self._fetches(
                field_type, source, node.selection_set, given, guard)

        # The start comes first in reachable_from's answer: try it before working that
        # answer out. A key field every subgraph of an entity has needs no jump, and
        # computing the jumps first made each entry-key check recurse through every other
        # subgraph of the entity (exponential: 4 partner subgraphs on Store took 13 s).
        if from_source(index):
            return True
        return any(from_source(source)
                   for source in self.reachable_from(type_name, index, provided, guard)[1:])
