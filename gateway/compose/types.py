"""Type references (``[Store!]!``) as graphql-core nodes: names, printing, subtyping."""

from collections.abc import Callable

from graphql import ListTypeNode, NamedTypeNode, NonNullTypeNode, TypeNode, print_ast

BUILTIN_SCALARS = frozenset({"String", "Int", "Float", "Boolean", "ID"})


def base_name(type_node: TypeNode) -> str:
    while not isinstance(type_node, NamedTypeNode):
        type_node = type_node.type  # type: ignore[attr-defined]
    return type_node.name.value


def type_str(type_node: TypeNode) -> str:
    return print_ast(type_node)


def is_non_null(type_node: TypeNode) -> bool:
    return isinstance(type_node, NonNullTypeNode)


def is_strict_subtype(
    general: TypeNode, specific: TypeNode, is_member: Callable[[str, str], bool]
) -> bool:
    """``specific`` is a strictly narrower output type than ``general``.

    Apollo's default subtyping rules: non-null narrows nullable, lists are covariant, and an
    object narrows an interface it implements or a union it belongs to (``is_member``).
    """
    if type_str(general) == type_str(specific):
        return False
    return _subtype(general, specific, is_member)


def _subtype(general: TypeNode, specific: TypeNode, is_member: Callable[[str, str], bool]) -> bool:
    if isinstance(specific, NonNullTypeNode):
        inner = general.type if isinstance(general, NonNullTypeNode) else general
        return _subtype(inner, specific.type, is_member)
    if isinstance(general, NonNullTypeNode):
        return False
    if isinstance(general, ListTypeNode) and isinstance(specific, ListTypeNode):
        return _subtype(general.type, specific.type, is_member)
    if isinstance(general, NamedTypeNode) and isinstance(specific, NamedTypeNode):
        if general.name.value == specific.name.value:
            return True
        return is_member(general.name.value, specific.name.value)
    return False
