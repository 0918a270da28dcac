"""Selections the planner adds itself: entity keys, ``@requires`` fields, context values.

Fields with arguments get a stable alias (``lg_<name>_<hash>``) so they never collide with
the client's own selection of the same field with other arguments.
"""

import zlib

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode, print_ast

from .operation import NField, NFragment, NSelection
from .tree import SelectionTree


def internal_selections(selection_set: SelectionSetNode) -> tuple[NSelection, ...]:
    result: list[NSelection] = []
    for node in selection_set.selections:
        if isinstance(node, FieldNode):
            name = node.name.value
            arguments = tuple(node.arguments or ())
            alias = None
            if arguments:
                printed = ",".join(print_ast(argument) for argument in arguments)
                alias = f"lg_{name}_{zlib.crc32(printed.encode()):08x}"
            children = internal_selections(node.selection_set) if node.selection_set else ()
            result.append(NField(alias or name, name, alias, arguments, (), children))
        elif isinstance(node, InlineFragmentNode):
            condition = node.type_condition.name.value if node.type_condition else None
            result.append(NFragment(condition, (), internal_selections(node.selection_set)))
    return tuple(result)


def add_input(tree: SelectionTree, selections: tuple[NSelection, ...]) -> None:
    """Record planner-added selections in a representation (or context value) tree."""
    for selection in selections:
        if isinstance(selection, NFragment):
            add_input(tree.fragment(selection.type_condition), selection.selections)
            continue
        entry = tree.add_field(
            selection.key, selection.name, selection.alias, has_children=bool(selection.selections)
        )
        if entry.sub is not None:
            add_input(entry.sub, selection.selections)
