"""Merging the directives the supergraph keeps (``@tag``, ``@inaccessible``, auth, composed).

Repeatable directives keep every distinct application; ``@requiresScopes`` and ``@policy``
applied in several subgraphs must all hold, so their requirement lists are combined as a
conjunction (Apollo's rule); demand control (``@cost``, ``@listSize``) keeps the most
expensive estimate; other non-repeatable directives keep their first application.
"""

from collections.abc import Iterable, Sequence
from itertools import product

from graphql import ArgumentNode, DirectiveNode, ListValueNode, NameNode, StringValueNode, print_ast

from gateway.compose.cost import merge_cost

REPEATABLE = frozenset({"tag"})
_AUTH_ORDER = ("authenticated", "requiresScopes", "policy")
_DNF_ARGUMENTS = {"requiresScopes": "scopes", "policy": "policies"}


def merge_applied(sources: Iterable[Sequence[DirectiveNode]],
                  repeatable: frozenset[str]) -> list[DirectiveNode]:
    by_name: dict[str, list[DirectiveNode]] = {}
    for directives in sources:
        for directive in directives:
            by_name.setdefault(directive.name.value, []).append(directive)
    merged: list[DirectiveNode] = []
    for name, applications in sorted(by_name.items(), key=_auth_first):
        if name in _DNF_ARGUMENTS:
            merged.append(_conjunction(name, applications))
        elif name in ("cost", "listSize"):
            merged.append(merge_cost(name, applications))
        elif name in repeatable:
            merged += _distinct(applications)
        else:
            merged.append(applications[0])
    return merged


def _auth_first(item: tuple[str, list[DirectiveNode]]) -> int:
    """Auth directives print first, in Apollo's order; the rest keep their order."""
    return _AUTH_ORDER.index(item[0]) if item[0] in _AUTH_ORDER else len(_AUTH_ORDER)


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
