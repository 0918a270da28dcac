"""Stage 3: every field of the API schema can be reached by some chain of subgraph fetches.

A walk over states "type T, being resolved in subgraph S". From a state, a field is
resolvable when S, or a subgraph S can jump to through a resolvable ``@key`` whose fields can
be fetched from S (``reach``: nested selections, further jumps, ``@provides``-d fields),
defines it without ``@external`` and with its ``@requires`` field set fetchable the same way.
A field no state can resolve is a SATISFIABILITY_ERROR; a shared field whose abstract type has
no common runtime type across the subgraphs resolving it is
SHAREABLE_HAS_MISMATCHED_RUNTIME_TYPES. Both come with a witness query, as Apollo's do.

Progressive ``@override`` labels are validated in both worlds (``satisfiability_override``),
``@fromContext`` arguments need their context on the path (``satisfiability_context``). Like
Apollo, a field is reported once per distinct set of subgraphs a query can be in when it asks
for it (a visit whose subgraphs include an earlier visit's is skipped).
"""

from dataclasses import dataclass, replace

from gateway.compose import errors
from gateway.compose.errors import CompositionError
from gateway.compose.fieldset import field_coordinates
from gateway.compose.model import Subgraph
from gateway.compose.reach import Reach
from gateway.compose.report import join_strings
from gateway.compose.satisfiability_context import UNSET, ContextRules, PathContexts
from gateway.compose.satisfiability_override import World, blocked, worlds
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
    contexts: PathContexts = frozenset()
    context_keys: PathContexts = frozenset()
    world: World = frozenset()


def check_satisfiability(supergraph: Supergraph, subgraphs: list[Subgraph]
                         ) -> list[CompositionError]:
    ordered = sorted(subgraphs, key=lambda s: s.name)
    return _Walk(supergraph, ordered).run()


class _Walk:
    def __init__(self, supergraph: Supergraph, subgraphs: list[Subgraph]) -> None:
        self.supergraph = supergraph
        self.subgraphs = subgraphs
        self.errors: list[CompositionError] = []
        # Per (type, provided, contexts): the subgraph sets already validated there.
        self.visited: dict[tuple[str, frozenset[tuple[int, str]], PathContexts, World],
                           list[set[int]]] = {}
        self.stack: list[_State] = []
        self.reach = Reach(supergraph, subgraphs)
        self.contexts = ContextRules(supergraph, self.reach)

    def run(self) -> list[CompositionError]:
        for operation, root in self.supergraph.roots():
            options = tuple(i for i, s in enumerate(self.subgraphs) if root in s.types)
            self._push(_State(root, options, operation, ()))
        while self.stack:  # depth first, last transition first: Apollo's order of discovery
            state = self.stack.pop()
            key = (state.type, state.provided, state.context_keys, state.world)
            seen = self.visited.setdefault(key, [])
            # As Apollo: a visit whose subgraphs include an earlier visit's adds nothing.
            if not any(set(state.options) >= earlier for earlier in seen):
                seen.append(set(state.options))
                self._visit(state)
        return self.errors

    def _push(self, state: _State) -> None:
        self.stack.append(state)

    def _visit(self, state: _State) -> None:
        merged = self.supergraph.types[state.type]
        closures = {option: self._closure(state, option) for option in state.options}
        reachable = list(dict.fromkeys(i for c in closures.values() for i in c))
        abstract = merged.kind in ("interface", "union")
        for field in merged.fields.values():
            if _inaccessible(field.directives) or self._hidden(field):
                continue
            for world in worlds(state.world, field):
                self._visit_field(replace(state, world=world), merged, field, reachable,
                                  closures)
        if abstract:
            self._explode(state, merged, reachable)

    def _visit_field(self, state: _State, merged: MergedType, field: MergedField,
                     reachable: list[int], closures: dict[int, list[int]]) -> None:
        name = field.name
        resolving = [i for i in reachable
                     if self.reach.resolves(i, merged.name, name, state.provided)
                     and self.contexts.failure(state.contexts, i, merged.name, name) is None
                     and blocked(self.supergraph, i, merged.name, field, state.world) is None]
        if not resolving:
            if merged.kind not in ("interface", "union"):
                self._report_unsatisfiable(state, merged, field, closures)
            return
        if len(resolving) > 1 and not self._runtime_types_intersect(field, resolving):
            self._report_runtime_types(state, merged, field, resolving)
            return
        target = self.supergraph.types.get(base_name(field.type))
        if target is not None and target.kind in _COMPOSITE:
            provided = self._provided_below(merged.name, name, target.name, resolving,
                                            state.provided)
            contexts = self.contexts.entered(state.contexts, merged.name, tuple(resolving))
            keys = self.contexts.entered_keys(state.context_keys, merged.name, state.options)
            self._push(_State(target.name, tuple(resolving), state.operation,
                              (*state.steps, field_step(self.supergraph, field)), provided,
                              contexts, keys, state.world))

    def _explode(self, state: _State, merged: MergedType, reachable: list[int]) -> None:
        """From an interface or union, go on with each implementation the subgraph knows."""
        by_type: dict[str, list[int]] = {}
        for index in reachable:
            for name in self._runtime_types(index, merged.name):
                by_type.setdefault(name, []).append(index)
        prefix = f"{merged.name}."
        for name, options in by_type.items():
            # What @provides gave on the abstract type's fields it gives on each runtime type's.
            inherited = {(i, f"{name}.{c.removeprefix(prefix)}") for i, c in state.provided
                         if c.startswith(prefix)}
            self._push(_State(name, tuple(options), state.operation,
                              (*state.steps, f"... on {name}"), state.provided | inherited,
                              state.contexts, state.context_keys, state.world))

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
        if not state.steps:
            return [option]
        return self.reach.reachable_from(state.type, option, state.provided)

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
                unset = self.contexts.failure(state.contexts, index, merged.name,
                                              field.name) == UNSET
                reasons = [blocked(self.supergraph, index, merged.name, field, state.world)
                           or (f'could not find a match for required context for field '
                               f'"{merged.name}.{field.name}".' if unset else
                               resolution_reason(self.subgraphs[index], merged.name, field.name,
                                                 self.reach.overridden(index, merged.name,
                                                                       field.name)))]
                if index == option:
                    reasons += move_reasons(self.reach, index, merged.name, field.name, reachable)
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
