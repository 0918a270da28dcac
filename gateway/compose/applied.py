"""Merging the directives the supergraph keeps (``@tag``, ``@inaccessible``, auth, composed).

Repeatable directives keep every distinct application; ``@requiresScopes`` and ``@policy``
applied in several subgraphs must all hold, so their requirement lists are combined as a
conjunction (Apollo's rule); demand control (``@cost``, ``@listSize``) keeps the most
expensive estimate; other non-repeatable directives keep their first application.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import product

from graphql import ArgumentNode, DirectiveNode, ListValueNode, NameNode, StringValueNode, print_ast

from gateway.compose.cost import merge_cost

REPEATABLE = frozenset({"tag", "context"})
_DNF_ARGUMENTS = {"requiresScopes": "scopes", "policy": "policies"}


@dataclass(frozen=True)
class MergeRules:
    """Per supergraph: which directives repeat, and the order auth directives print in (the
    order their specs were linked)."""

    repeatable: frozenset[str] = REPEATABLE
    auth_order: tuple[str, ...] = ("authenticated", "requiresScopes", "policy")


def merge_applied(sources: Iterable[Sequence[DirectiveNode]],
                  rules: MergeRules) -> list[DirectiveNode]:
    by_name: dict[str, list[DirectiveNode]] = {}
    for directives in sources:
        for directive in directives:
            by_name.setdefault(directive.name.value, []).append(directive)
    merged: list[DirectiveNode] = []
    auth_first = sorted(by_name.items(), key=lambda item: _auth_rank(item[0], rules.auth_order))
    for name, applications in auth_first:
        if name in _DNF_ARGUMENTS:
            merged.append(_conjunction(name, applications))
        elif name in ("cost", "listSize"):
            merged.append(merge_cost(name, applications))
        elif name in rules.repeatable:
            merged += _distinct(applications)
        else:
            merged.append(applications[0])
    return merged


def _auth_rank(name: str, auth_order: tuple[str, ...]) -> int:
    """Auth directives print first, in link order; the rest keep their order."""
    return auth_order.index(name) if name in auth_order else len(auth_order)


def _distinct(applications: list[DirectiveNode]) -> list[DirectiveNode]:
    seen: dict[str, DirectiveNode] = {}
    for application in applications:
        seen.setdefault(print_ast(application), application)
    return list(seen.values())


def _conjunction(name: str, applications: list[DirectiveNode]) -> DirectiveNode:
    argument = _DNF_ARGUMENTS[name]
    disjunctions = [dnf(application, argument) for application in _distinct(applications)]
    combined: list[list[str]] = []
    for choice in product(*disjunctions):
        clause = sorted({item for part in choice for item in part})
        if clause not in combined:
            combined.append(clause)
    minimal = [c for c in combined if not any(set(o) < set(c) for o in combined)]
    value = ListValueNode(values=tuple(
        ListValueNode(values=tuple(StringValueNode(value=s) for s in clause)) for clause in minimal
    ))
    return DirectiveNode(name=NameNode(value=name),
                         arguments=(ArgumentNode(name=NameNode(value=argument), value=value),))


def dnf(directive: DirectiveNode, argument: str) -> list[list[str]]:
    for node in directive.arguments or ():
        if node.name.value == argument and isinstance(node.value, ListValueNode):
            return [
                [s.value for s in clause.values if isinstance(s, StringValueNode)]
                for clause in node.value.values if isinstance(clause, ListValueNode)
            ]
    return []
