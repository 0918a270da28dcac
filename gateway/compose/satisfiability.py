"""Stage 3: every field of the API schema can be reached by some chain of subgraph fetches.

A walk over states "type T, being resolved in subgraph S". From a state, a field is
resolvable when S (or a subgraph S can jump to through a resolvable ``@key`` whose fields S
can provide, possibly over several hops) defines it without ``@external``, with its
``@requires`` fields obtainable. A field no state can resolve is a SATISFIABILITY_ERROR,
reported with the query that reaches it, as Apollo reports it.

Simplifications against Apollo's query-graph validation: ``@provides`` is not tracked per
path (provided fields count as unavailable), and ``@requires`` is checked one level deep.
"""

from collections import deque
from dataclasses import dataclass

from gateway.compose import errors
from gateway.compose.errors import CompositionError
from gateway.compose.fieldset import FieldSetSyntaxError, parse_field_set, selected_fields
from gateway.compose.model import Field, Subgraph
from gateway.compose.supergraph import MergedType, Supergraph
from gateway.compose.types import base_name


@dataclass(frozen=True)
class _State:
    type: str
    subgraph: int
    path: tuple[str, ...]


def check_satisfiability(supergraph: Supergraph, subgraphs: list[Subgraph]
                         ) -> list[CompositionError]:
    ordered = sorted(subgraphs, key=lambda s: s.name)
    return _Walk(supergraph, ordered).run()


class _Walk:
    def __init__(self, supergraph: Supergraph, subgraphs: list[Subgraph]) -> None:
        self.supergraph = supergraph
        self.subgraphs = subgraphs
        self.errors: list[CompositionError] = []
        self.reported: set[str] = set()
        self.visited: set[tuple[str, int]] = set()
        self.queue: deque[_State] = deque()

    def run(self) -> list[CompositionError]:
        for operation, root in self.supergraph.roots():
            for index, subgraph in enumerate(self.subgraphs):
                if root in subgraph.types:
                    self._push(_State(root, index, (operation,)))
        while self.queue:
            self._visit(self.queue.popleft())
        return self.errors

    def _push(self, state: _State) -> None:
        if (state.type, state.subgraph) not in self.visited:
            self.visited.add((state.type, state.subgraph))
            self.queue.append(state)

    def _visit(self, state: _State) -> None:
        merged = self.supergraph.types.get(state.type)
        if merged is None or _inaccessible(merged.directives):
            return
        reachable = self._closure(state)
        abstract = merged.kind in ("interface", "union")
        for name, field in merged.fields.items():
            if _inaccessible(field.directives) or _hidden(self.supergraph, field.type):
                continue
            resolving = [i for i in reachable if self._resolves(i, merged, name, reachable)]
            for index in resolving:
                self._push(_State(base_name(field.type), index, (*state.path, name)))
            if not resolving and not abstract:
                self._report(state, merged, name)
        if abstract:
            self._explode(state, merged, reachable)

    def _explode(self, state: _State, merged: MergedType, reachable: list[int]) -> None:
        """From an interface or union, go on with each implementation the subgraph knows."""
        for index in reachable:
            local = self.subgraphs[index].types.get(merged.name)
            if local is None or local.interface_object:
                continue
            for name, typedef in self.subgraphs[index].types.items():
                member = merged.name in typedef.interfaces or name in local.members
                if member and typedef.kind == "object":
                    self._push(_State(name, index, (*state.path, f"... on {name}")))

    def _closure(self, state: _State) -> list[int]:
        """Subgraphs reachable for ``state.type`` from ``state.subgraph`` through keys."""
        if state.type in dict(self.supergraph.roots()).values() and len(state.path) == 1:
            return [i for i, s in enumerate(self.subgraphs) if state.type in s.types]
        reachable = [state.subgraph]
        grew = True
        while grew:
            grew = False
            for index in range(len(self.subgraphs)):
                if index not in reachable and self._can_enter(index, state.type, reachable):
                    reachable.append(index)
                    grew = True
        return reachable

    def _can_enter(self, index: int, type_name: str, reachable: list[int]) -> bool:
        for owner, keys in self._entry_keys(index, type_name):
            for fields in keys:
                if any(self._provides_fields(i, owner if i == index else type_name, fields)
                       or self._provides_fields(i, type_name, fields) for i in reachable):
                    return True
        return False

    def _entry_keys(self, index: int, type_name: str) -> list[tuple[str, list[str]]]:
        """Resolvable keys by which subgraph ``index`` accepts ``type_name`` (or an interface
        object standing for it)."""
        subgraph = self.subgraphs[index]
        entries = []
        names = [type_name, *self._interfaces_of(type_name)]
        for name in names:
            typedef = subgraph.types.get(name)
            if typedef is None or (name != type_name and not typedef.interface_object):
                continue
            entries.append((name, [k.fields for k in typedef.keys if k.resolvable]))
        return entries

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

    def _local_field(self, index: int, merged: MergedType, name: str) -> Field | None:
        subgraph = self.subgraphs[index]
        for type_name in [merged.name, *self._interfaces_of(merged.name)]:
            typedef = subgraph.types.get(type_name)
            if typedef is None or (type_name != merged.name and not typedef.interface_object):
                continue
            if name in typedef.fields and not typedef.fields[name].external:
                return typedef.fields[name]
        return None

    def _resolves(self, index: int, merged: MergedType, name: str, reachable: list[int]) -> bool:
        field = self._local_field(index, merged, name)
        if field is None:
            return False
        if field.requires is None:
            return True
        try:
            selection = parse_field_set(field.requires)
        except FieldSetSyntaxError:
            return False
        required = [s.name for s in selected_fields(selection, merged.name,
                                                    self.subgraphs[index].types)]
        return all(any(self._local_field(i, merged, r) for i in reachable) for r in required)

    def _report(self, state: _State, merged: MergedType, name: str) -> None:
        coordinate = f"{merged.name}.{name}"
        if coordinate in self.reported:
            return
        self.reported.add(coordinate)
        subgraph = self.subgraphs[state.subgraph]
        reasons = [self._local_reason(state.subgraph, merged, name)]
        for index, other in enumerate(self.subgraphs):
            if index != state.subgraph and self._local_field(index, merged, name) is not None:
                reasons += self._move_reasons(other, subgraph, merged.name, coordinate)
        query = _print_path((*state.path, name))
        message = (f"The following supergraph API query:\n{query}\ncannot be satisfied by the "
                   f'subgraphs because:\n- from subgraph "{subgraph.name}":\n'
                   + "\n".join(f"  - {reason}" for reason in reasons))
        self.errors.append(CompositionError(
            errors.SATISFIABILITY_ERROR, message, subgraph.name, subgraph.file, None,
            f'add a @key to "{merged.name}" in the subgraph that resolves "{coordinate}" whose '
            f'fields "{subgraph.name}" can provide, or resolve "{coordinate}" in '
            f'"{subgraph.name}"'))

    def _local_reason(self, index: int, merged: MergedType, name: str) -> str:
        typedef = self.subgraphs[index].types.get(merged.name)
        coordinate = f"{merged.name}.{name}"
        if typedef is not None and name in typedef.fields and typedef.fields[name].external:
            return f'field "{coordinate}" is not resolvable because marked @external.'
        if typedef is not None and name in typedef.fields:
            return f'cannot satisfy @require conditions on field "{coordinate}".'
        return f'cannot find field "{coordinate}".'

    def _move_reasons(self, other: Subgraph, current: Subgraph, type_name: str,
                      coordinate: str) -> list[str]:
        typedef = other.types.get(type_name)
        keys = [k for k in typedef.keys if k.resolvable] if typedef else []
        if not keys:
            return [f'cannot move to subgraph "{other.name}", which has field "{coordinate}", '
                    f'because type "{type_name}" has no @key defined in subgraph "{other.name}".']
        return [f'cannot move to subgraph "{other.name}" using @key(fields: "{k.fields}") of '
                f'"{type_name}", the key field(s) cannot be resolved from subgraph '
                f'"{current.name}".' for k in keys]


def _inaccessible(directives: list) -> bool:
    return any(d.name.value == "inaccessible" for d in directives)


def _hidden(supergraph: Supergraph, type_node: object) -> bool:
    merged = supergraph.types.get(base_name(type_node))  # type: ignore[arg-type]
    return merged is not None and _inaccessible(merged.directives)


def _print_path(path: tuple[str, ...]) -> str:
    operation, steps = path[0], path[1:]
    lines = ["{" if operation == "query" else f"{operation} {{"]
    for depth, step in enumerate(steps, start=1):
        suffix = " {" if depth < len(steps) else ""
        lines.append("  " * depth + step + suffix)
    lines += ["  " * depth + "}" for depth in range(len(steps) - 1, -1, -1)]
    return "\n".join(lines)
