"""Stage 3: every field of the API schema can be reached by some chain of subgraph fetches.

A walk over states "type T, being resolved in subgraph S". From a state, a field is
resolvable when S, or a subgraph S can jump to through a resolvable ``@key`` whose fields S
can provide (possibly over several hops), defines it without ``@external`` and with its
``@requires`` fields obtainable. A field no state can resolve is a SATISFIABILITY_ERROR; a
shared field whose abstract type has no common runtime type across the subgraphs resolving it
is SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES. Both come with a witness query, as Apollo's do.

Simplifications against Apollo's query-graph validation: ``@requires`` selections are checked
on their top-level fields, ``@provides``-d fields are not used to satisfy key or requires
conditions, and progressive ``@override`` labels are not split into their two worlds. Like
Apollo, a field is reported once per distinct set of subgraphs a query can be in when it
asks for it.
"""

from dataclasses import dataclass

from gateway.compose import errors
from gateway.compose.errors import CompositionError
from gateway.compose.fieldset import (
    FieldSetSyntaxError,
    field_coordinates,
    parse_field_set,
    selected_fields,
)
from gateway.compose.model import Field, Subgraph
from gateway.compose.report import join_strings
from gateway.compose.satisfiability_reasons import move_reasons, resolution_reason
from gateway.compose.supergraph import MergedField, MergedType, Supergraph
from gateway.compose.types import base_name
from gateway.compose.witness import field_step, print_witness

_COMPOSITE = ("object", "interface", "union")


@dataclass(frozen=True)
class _State:
    """A query path: the type reached and every subgraph the path may be in (its options)."""

    type: str
    options: tuple[int, ...]
    operation: str
    steps: tuple[str, ...]
    provided: frozenset[tuple[int, str]] = frozenset()


def check_satisfiability(supergraph: Supergraph, subgraphs: list[Subgraph]
                         ) -> list[CompositionError]:
    ordered = sorted(subgraphs, key=lambda s: s.name)
    return _Walk(supergraph, ordered).run()


class _Walk:
    def __init__(self, supergraph: Supergraph, subgraphs: list[Subgraph]) -> None:
        self.supergraph = supergraph
        self.subgraphs = subgraphs
        self.errors: list[CompositionError] = []
        self.visited: set[tuple[str, tuple[int, ...], frozenset[tuple[int, str]]]] = set()
        self.stack: list[_State] = []

    def run(self) -> list[CompositionError]:
        for operation, root in self.supergraph.roots():
            options = tuple(i for i, s in enumerate(self.subgraphs) if root in s.types)
            self._push(_State(root, options, operation, ()))
        while self.stack:  # depth first, last transition first: Apollo's order of discovery
            state = self.stack.pop()
            key = (state.type, state.options, state.provided)
            if key not in self.visited:
                self.visited.add(key)
                self._visit(state)
        return self.errors

    def _push(self, state: _State) -> None:
        self.stack.append(state)

    def _visit(self, state: _State) -> None:
        merged = self.supergraph.types[state.type]
        closures = {option: self._closure(state, option) for option in state.options}
        reachable = list(dict.fromkeys(i for c in closures.values() for i in c))
        abstract = merged.kind in ("interface", "union")
        for name, field in merged.fields.items():
            if _inaccessible(field.directives) or self._hidden(field):
                continue
            resolving = [i for i in reachable if self._resolves(i, merged, name, state.provided)]
            step = field_step(self.supergraph, field)
            if not resolving:
                if not abstract:
                    self._report_unsatisfiable(state, merged, field, closures)
                continue
            if len(resolving) > 1 and not self._runtime_types_intersect(field, resolving):
                self._report_runtime_types(state, merged, field, resolving)
                continue
            target = self.supergraph.types.get(base_name(field.type))
            if target is not None and target.kind in _COMPOSITE:
                provided = self._provided_below(merged.name, name, target.name, resolving,
                                                state.provided)
                self._push(_State(target.name, tuple(resolving), state.operation,
                                  (*state.steps, step), provided))
        if abstract:
            self._explode(state, merged, reachable)

    def _explode(self, state: _State, merged: MergedType, reachable: list[int]) -> None:
        """From an interface or union, go on with each implementation the subgraph knows."""
        by_type: dict[str, list[int]] = {}
        for index in reachable:
            for name in self._runtime_types(index, merged.name):
                by_type.setdefault(name, []).append(index)
        for name, options in by_type.items():
            self._push(_State(name, tuple(options), state.operation,
                              (*state.steps, f"... on {name}")))

    def _runtime_types(self, index: int, abstract: str) -> list[str]:
        """Objects subgraph ``index`` may return for ``abstract`` (sorted)."""
        subgraph = self.subgraphs[index]
        local = subgraph.types.get(abstract)
        if local is None or local.interface_object:
            return []
        return sorted(name for name, typedef in subgraph.types.items() if typedef.kind == "object"
                      and (abstract in typedef.interfaces or name in local.members))

    def _runtime_types_intersect(self, field: MergedField, resolving: list[int]) -> bool:
        target = self.supergraph.types.get(base_name(field.type))
        if target is None or target.kind not in ("interface", "union"):
            return True
        per_subgraph = [set(self._runtime_types(i, target.name)) for i in resolving]
        if not any(per_subgraph):
            return True
        return bool(set.intersection(*per_subgraph))

    def _closure(self, state: _State, option: int) -> list[int]:
        """Subgraphs reachable for ``state.type`` from subgraph ``option`` through keys."""
        return self._reachable_from(state.type, option) if state.steps else [option]

    def _reachable_from(self, type_name: str, start: int) -> list[int]:
        reachable = [start]
        grew = True
        while grew:
            grew = False
            for index in range(len(self.subgraphs)):
                if index not in reachable and self._can_enter(index, type_name, reachable):
                    reachable.append(index)
                    grew = True
        return reachable

    def _can_enter(self, index: int, type_name: str, reachable: list[int]) -> bool:
        return any(self._provides_fields(source, type_name, key)
                   for key in self.entry_keys(index, type_name) for source in reachable)

    def entry_keys(self, index: int, type_name: str) -> list[str]:
        """Resolvable keys by which subgraph ``index`` accepts ``type_name`` (directly, or
        through an ``@interfaceObject`` standing for one of its interfaces)."""
        subgraph = self.subgraphs[index]
        keys = []
        for name in [type_name, *self._interfaces_of(type_name)]:
            typedef = subgraph.types.get(name)
            if typedef is not None and (name == type_name or typedef.interface_object):
                keys += [k.fields for k in typedef.keys if k.resolvable]
        return keys

    def _interfaces_of(self, type_name: str) -> list[str]:
        merged = self.supergraph.types.get(type_name)
        return list(merged.interfaces) if merged else []

    def _provides_fields(self, index: int, type_name: str, fields: str) -> bool:
        subgraph = self.subgraphs[index]
        if type_name not in subgraph.types:
            return False
        try:
            selection = parse_field_set(fields)
        except FieldSetSyntaxError:
            return False
        selected = list(selected_fields(selection, type_name, subgraph.types))
        return all(s.field is not None and not s.field.external for s in selected)

    def local_field(self, index: int, type_name: str, name: str) -> Field | None:
        """The field as subgraph ``index`` resolves it (maybe through an interface object)."""
        subgraph = self.subgraphs[index]
        for owner in [type_name, *self._interfaces_of(type_name)]:
            typedef = subgraph.types.get(owner)
            if typedef is None or (owner != type_name and not typedef.interface_object):
                continue
            if name in typedef.fields and not typedef.fields[name].external \
                    and not (owner == type_name and self._overridden(index, owner, name)):
                return typedef.fields[name]
        return None

    def _overridden(self, index: int, type_name: str, name: str) -> bool:
        """``@override`` took the field away from this subgraph (progressive: not yet)."""
        merged = self.supergraph.types[type_name].fields.get(name)
        graph = self.supergraph.graphs[index].enum
        if merged is None or not any(j.graph for j in merged.joins):
            return False
        mine = [j for j in merged.joins if j.graph == graph]
        return not mine or all(j.used_overridden and j.override_label is None for j in mine)

    def _provided_below(self, parent: str, name: str, target: str, resolving: list[int],
                        provided: frozenset[tuple[int, str]]) -> frozenset[tuple[int, str]]:
        """What ``@provides`` makes available under ``parent.name``, per subgraph: the field's
        own ``@provides``, or the rest of an enclosing one while still inside it."""
        below: set[tuple[int, str]] = set()
        for index in resolving:
            subgraph = self.subgraphs[index]
            field = subgraph.types[parent].fields.get(name) if parent in subgraph.types else None
            if field is not None and field.provides is not None:
                below |= {(index, c) for c in field_coordinates(field.provides, target,
                                                                 subgraph.types)}
            elif (index, f"{parent}.{name}") in provided:
                below |= {p for p in provided if p[0] == index}
        return frozenset(below)

    def _resolves(self, index: int, merged: MergedType, name: str,
                  provided: frozenset[tuple[int, str]]) -> bool:
        if (index, f"{merged.name}.{name}") in provided:
            return True
        field = self.local_field(index, merged.name, name)
        if field is None or field.requires is None:
            return field is not None
        try:
            selection = parse_field_set(field.requires)
        except FieldSetSyntaxError:
            return False
        required = [s.name for s in selected_fields(selection, merged.name,
                                                    self.subgraphs[index].types)
                    if s.parent == merged.name]
        # The requirement is fetched for the subgraph owning the field, so from there.
        sources = self._reachable_from(merged.name, index)
        return all(any(self.local_field(i, merged.name, r) for i in sources) for r in required)

    def _hidden(self, field: MergedField) -> bool:
        target = self.supergraph.types.get(base_name(field.type))
        return target is not None and _inaccessible(target.directives)

    def _witness(self, state: _State, field: MergedField) -> str:
        target = self.supergraph.types.get(base_name(field.type))
        composite = target is not None and target.kind in _COMPOSITE
        return print_witness(state.operation,
                             [*state.steps, field_step(self.supergraph, field)], composite)

    def _report_unsatisfiable(self, state: _State, merged: MergedType, field: MergedField,
                              closures: dict[int, list[int]]) -> None:
        coordinate = f"{merged.name}.{field.name}"
        blocks: dict[int, str] = {}
        for option, reachable in closures.items():
            for index in reachable:
                reasons = [resolution_reason(self.subgraphs[index], merged.name, field.name,
                                             self._overridden(index, merged.name, field.name))]
                if index == option:
                    reasons += move_reasons(self, index, merged.name, field.name, reachable)
                blocks.setdefault(index, _block(self.subgraphs[index].name, reasons))
        entry = self.subgraphs[state.options[0]]
        self.errors.append(CompositionError(
            errors.SATISFIABILITY_ERROR,
            f"The following supergraph API query:\n{self._witness(state, field)}\ncannot be "
            "satisfied by the subgraphs because:\n" + "\n".join(blocks.values()),
            entry.name, entry.file, None,
            f'resolve "{coordinate}" in a subgraph the query can reach: add a resolvable @key '
            f'on "{merged.name}" there with fields "{entry.name}" can provide, or define the '
            f'field in "{entry.name}"'))

    def _report_runtime_types(self, state: _State, merged: MergedType, field: MergedField,
                              resolving: list[int]) -> None:
        coordinate = f"{merged.name}.{field.name}"
        target = base_name(field.type)
        lines = []
        for index in resolving:
            names = self._runtime_types(index, target)
            described = (("types " if len(names) > 1 else "type ")
                         + join_strings([f'"{n}"' for n in names])) if names \
                else "no runtime type is defined"
            lines.append(f' - in subgraph "{self.subgraphs[index].name}", {described}')
        entry = self.subgraphs[state.options[0]]
        self.errors.append(CompositionError(
            errors.SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES,
            f"For the following supergraph API query:\n{self._witness(state, field)}\nShared "
            f'field "{coordinate}" return type "{target}" has a non-intersecting set of possible '
            "runtime types across subgraphs. Runtime types in subgraphs are:\n"
            + ";\n".join(lines) + ".\nThis is not allowed as shared fields must resolve the same "
            "way in all subgraphs, and that implies at least some common runtime types between "
            "the subgraphs.", entry.name, entry.file, None,
            f'make the subgraphs resolving "{coordinate}" share at least one implementation of '
            f'"{target}", or stop sharing the field'))


def _block(subgraph: str, reasons: list[str]) -> str:
    if len(reasons) == 1:
        return f'- from subgraph "{subgraph}": {reasons[0]}'
    return f'- from subgraph "{subgraph}":\n' + "\n".join(f"  - {r}" for r in reasons)


def _inaccessible(directives: list) -> bool:
    return any(d.name.value == "inaccessible" for d in directives)
