"""A field whose ``@requires`` reads guarded data must itself be guarded at least as much.

Otherwise a caller without the scopes for ``T.secret`` could read it indirectly through a
field computed from it. Checked on the merged graph, as Apollo's MISSING_TRANSITIVE_AUTH_
REQUIREMENTS check does: the requiring field's (and its type's) auth must imply the auth of
every field (and field type) the ``@requires`` selection reaches.
"""

from dataclasses import dataclass, field

from graphql import DirectiveNode, FieldNode, InlineFragmentNode, SelectionSetNode

from gateway.compose import errors
from gateway.compose.applied import dnf
from gateway.compose.fieldset import FieldSetSyntaxError, parse_field_set
from gateway.compose.state import MergeState
from gateway.compose.supergraph import MergedType
from gateway.compose.types import base_name


@dataclass
class _Auth:
    authenticated: bool = False
    scopes: list[list[list[str]]] = field(default_factory=list)
    policies: list[list[list[str]]] = field(default_factory=list)

    def add(self, directives: list[DirectiveNode]) -> "_Auth":
        for directive in directives:
            name = directive.name.value
            if name == "authenticated":
                self.authenticated = True
            elif name == "requiresScopes":
                self.scopes.append(dnf(directive, "scopes"))
            elif name == "policy":
                self.policies.append(dnf(directive, "policies"))
        return self

    def satisfies(self, other: "_Auth") -> bool:
        return (self.authenticated or not other.authenticated) \
            and _implies(_conjunction(self.scopes), _conjunction(other.scopes)) \
            and _implies(_conjunction(self.policies), _conjunction(other.policies))


def check_transitive_auth(state: MergeState) -> None:
    types = state.supergraph.types
    for merged in types.values():
        for merged_field in merged.fields.values():
            own = _Auth().add(merged.directives).add(merged_field.directives)
            for join in merged_field.joins:
                if join.requires is None or join.graph is None:
                    continue
                problem = _first_unsatisfied(types, merged, join.requires, own)
                if problem is None:
                    continue
                index = [g.enum for g in state.supergraph.graphs].index(join.graph)
                coordinate = f"{merged.name}.{merged_field.name}"
                state.error(errors.MISSING_TRANSITIVE_AUTH_REQUIREMENTS,
                            f"[{state.names[index]}] Field \"{coordinate}\" does not specify "
                            "necessary @authenticated, @requiresScopes and/or @policy auth "
                            f"requirements to access the transitive {problem} from @requires "
                            "selection set.", index,
                            state.subgraphs[index].types[merged.name].fields[merged_field.name].node,
                            f'add to "{coordinate}" the @authenticated/@requiresScopes/@policy '
                            "of the fields its @requires reads")


def _first_unsatisfied(types: dict[str, MergedType], parent: MergedType, requires: str,
                       own: _Auth) -> str | None:
    try:
        selection = parse_field_set(requires)
    except FieldSetSyntaxError:
        return None
    return _walk(types, parent, selection, own)


def _walk(types: dict[str, MergedType], parent: MergedType, selection_set: SelectionSetNode,
          own: _Auth) -> str | None:
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            target = types.get(selection.type_condition.name.value) \
                if selection.type_condition else parent
            if target is None:
                continue
            if not own.satisfies(_Auth().add(target.directives)):
                return f'data in inline fragment type condition "{target.name}"'
            found = _walk(types, target, selection.selection_set, own)
        elif isinstance(selection, FieldNode) and selection.name.value in parent.fields:
            selected = parent.fields[selection.name.value]
            returned = types.get(base_name(selected.type))
            if not own.satisfies(_Auth().add(selected.directives)) or (
                    returned is not None and not own.satisfies(_Auth().add(returned.directives))):
                return f'field "{parent.name}.{selected.name}" data'
            found = _walk(types, returned, selection.selection_set, own) \
                if returned is not None and selection.selection_set else None
        else:
            continue
        if found is not None:
            return found
    return None


def _conjunction(disjunctions: list[list[list[str]]]) -> list[list[str]]:
    clauses: list[list[str]] = [[]]
    for disjunction in disjunctions:
        clauses = [sorted({*c, *d}) for c in clauses for d in (disjunction or [[]])]
    return clauses


def _implies(first: list[list[str]], second: list[list[str]]) -> bool:
    """Every way of meeting ``first`` also meets ``second`` (both in disjunctive normal form)."""
    return all(any(set(s) <= set(f) for s in second) for f in first)
