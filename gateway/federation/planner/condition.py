"""Fetch conditions: a fetch whose every selection sits under the same ``@skip``/``@include``
is not sent at all when the variables exclude it."""

from graphql import DirectiveNode, VariableNode

from .tree import SelectionTree

Condition = tuple[str, bool]


def fetch_condition(tree: SelectionTree) -> tuple[Condition, ...]:
    """Conditions shared by every top-level selection (``()`` when one is unconditional)."""
    found = _shared(tree)
    return tuple(sorted(found)) if found else ()


def _shared(tree: SelectionTree) -> frozenset[Condition] | None:
    shared: frozenset[Condition] | None = None
    items: list[frozenset[Condition]] = []
    for entry in tree.fields.values():
        items.append(_conditions(entry.directives))
    for (type_condition, _), (directives, sub) in tree.fragments.items():
        if sub.is_empty():
            continue
        own = _conditions(directives)
        inner = _shared(sub) if type_condition is not None or not own else frozenset()
        items.append(own | (inner or frozenset()))
    for item in items:
        shared = item if shared is None else shared & item
        if not shared:
            return frozenset()
    return shared


def _conditions(directives: tuple[DirectiveNode, ...]) -> frozenset[Condition]:
    found = set()
    for directive in directives:
        argument = next((a.value for a in directive.arguments or () if a.name.value == "if"), None)
        if isinstance(argument, VariableNode):
            found.add((argument.name.value, directive.name.value == "include"))
    return frozenset(found)
