"""Where the walk is: a fetch group, a spot in its selection tree, and the response path."""

from dataclasses import dataclass, replace
from typing import Any

from graphql import DirectiveNode

from .groups import FetchGroup
from .index import Provided
from .tree import SelectionTree

Conditions = tuple[tuple[tuple[DirectiveNode, ...], str], ...]


@dataclass(frozen=True, slots=True)
class Position:
    """An object position being planned.

    ``path`` is the response path of the object (``@`` marks lists, ``|[T]`` type filters);
    ``provided`` lists ``@provides`` fields usable here; ``conditions`` are the enclosing
    fragments' ``@skip``/``@include`` (re-applied when a field moves to another fetch);
    ``requires_ok`` is true at the top of an entity fetch whose inputs carry the requirements;
    ``candidates`` are the subgraphs the path to this object could have ended in (the current
    one, others resolving a shareable field, and entity jumps), which narrows partial unions;
    ``parent`` is the enclosing object's position (where ``@fromContext`` values are read) and
    ``context_ready`` marks the top of an entity fetch that passes a field's context values.
    """

    group: FetchGroup
    tree: SelectionTree
    type_name: str
    path: tuple[str, ...]
    provided: Provided | None = None
    conditions: Conditions = ()
    type_filter: str | None = None
    requires_ok: bool = False
    candidates: frozenset[str] = frozenset()
    parent: "Position | None" = None
    context_ready: bool = False

    def child_path(self, key: str, list_depth: int) -> tuple[str, ...]:
        filtered = (f"|[{self.type_filter}]",) if self.type_filter else ()
        return (*self.path, *filtered, key, *("@",) * list_depth)

    def at(self, **changes: Any) -> "Position":
        return replace(self, **changes)
