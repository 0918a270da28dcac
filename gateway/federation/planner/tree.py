"""Mutable selection trees that fetch groups accumulate while the walk places fields.

Fields merge by response key and directives; fragments by type condition and directives.
Each tree prints once into a ``SelectionSetNode`` when the plan is built.
"""

from graphql import (
    ArgumentNode,
    DirectiveNode,
    FieldNode,
    InlineFragmentNode,
    NamedTypeNode,
    NameNode,
    SelectionSetNode,
)


class FieldEntry:
    """One field of a fetch's selection; ``sub`` is its child tree (``None`` for leaves)."""

    __slots__ = ("alias", "arguments", "directives", "name", "sub")

    def __init__(
        self,
        name: str,
        alias: str | None,
        arguments: tuple[ArgumentNode, ...],
        directives: tuple[DirectiveNode, ...],
        has_children: bool,
    ) -> None:
        self.name = name
        self.alias = alias
        self.arguments = arguments
        self.directives = directives
        self.sub = SelectionTree() if has_children else None


class SelectionTree:
    """The selection of one object position inside one fetch."""

    __slots__ = ("fields", "fragments")

    def __init__(self) -> None:
        self.fields: dict[tuple[str, str], FieldEntry] = {}
        self.fragments: dict[
            tuple[str | None, str], tuple[tuple[DirectiveNode, ...], SelectionTree]
        ] = {}

    def add_field(
        self,
        key: str,
        name: str,
        alias: str | None = None,
        arguments: tuple[ArgumentNode, ...] = (),
        directives: tuple[DirectiveNode, ...] = (),
        directives_key: str = "",
        has_children: bool = False,
    ) -> FieldEntry:
        entry = self.fields.get((key, directives_key))
        if entry is None:
            entry = FieldEntry(name, alias, arguments, directives, has_children)
            self.fields[(key, directives_key)] = entry
        return entry

    def add_typename(self) -> None:
        self.add_field("__typename", "__typename")

    def fragment(
        self,
        type_condition: str | None,
        directives: tuple[DirectiveNode, ...] = (),
        directives_key: str = "",
    ) -> "SelectionTree":
        found = self.fragments.get((type_condition, directives_key))
        if found is None:
            found = (directives, SelectionTree())
            self.fragments[(type_condition, directives_key)] = found
        return found[1]

    def is_empty(self) -> bool:
        return not self.fields and all(sub.is_empty() for _, sub in self.fragments.values())

    def to_ast(self) -> SelectionSetNode:
        selections: list[FieldNode | InlineFragmentNode] = []
        for entry in self.fields.values():
            if entry.sub is not None and entry.sub.is_empty():
                entry.sub.add_typename()
            selections.append(
                FieldNode(
                    alias=NameNode(value=entry.alias) if entry.alias else None,
                    name=NameNode(value=entry.name),
                    arguments=entry.arguments,
                    directives=entry.directives,
                    selection_set=entry.sub.to_ast() if entry.sub is not None else None,
                )
            )
        for (condition, _), (directives, sub) in self.fragments.items():
            if sub.is_empty():
                continue
            selections.append(
                InlineFragmentNode(
                    type_condition=NamedTypeNode(name=NameNode(value=condition))
                    if condition
                    else None,
                    directives=directives,
                    selection_set=sub.to_ast(),
                )
            )
        return SelectionSetNode(selections=tuple(selections))
