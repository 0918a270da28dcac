"""Fetch groups: the fetches a plan will make, built up while the walk places fields.

A group is one request to one subgraph: a root fetch, or an ``_entities`` fetch for the
objects found at ``path`` once its parent (and any ``@requires`` dependencies) have run.
"""

from dataclasses import dataclass, field

from .tree import SelectionTree


@dataclass(eq=False)
class EntityInput:
    """How to build representations for objects of one typename found at the group's path.

    ``typename`` is what the target subgraph calls the type (the interface name when the
    target sees it as an ``@interfaceObject``); ``fields`` selects key and required fields.
    """

    typename: str
    fields: SelectionTree = field(default_factory=SelectionTree)
    key_names: set[str] = field(default_factory=set)


@dataclass(eq=False)
class ContextInput:
    """A ``@fromContext`` value an entity fetch sends as variable ``variable`` (GraphQL type
    ``type``): ``fields`` read from the object ``levels`` objects above each entity."""

    variable: str
    type: str
    levels: int
    fields: SelectionTree
    signature: str


@dataclass(eq=False)
class FetchGroup:
    id: int
    subgraph: str
    path: tuple[str, ...]
    parent: "FetchGroup | None"
    is_entity: bool
    deps: set["FetchGroup"] = field(default_factory=set)
    tree: SelectionTree = field(default_factory=SelectionTree)
    inputs: dict[str, EntityInput] = field(default_factory=dict)
    contexts: list[ContextInput] = field(default_factory=list)
    children: dict[tuple[str, tuple[str, ...], frozenset[int], int], "FetchGroup"] = field(
        default_factory=dict
    )
    root_index: int = 0

    def __hash__(self) -> int:
        return self.id

    def all_deps(self) -> set["FetchGroup"]:
        return self.deps | ({self.parent} if self.parent else set())


class GroupRegistry:
    """Creates groups and reuses an entity group for the same subgraph, path and dependencies."""

    def __init__(self) -> None:
        self.groups: list[FetchGroup] = []

    def root(self, subgraph: str, root_index: int) -> FetchGroup:
        group = FetchGroup(len(self.groups), subgraph, (), None, False, root_index=root_index)
        self.groups.append(group)
        return group

    def entity_child(
        self,
        parent: FetchGroup,
        subgraph: str,
        path: tuple[str, ...],
        deps: set[FetchGroup],
        variant: int = 0,
    ) -> FetchGroup:
        """The entity fetch below ``parent``; ``variant`` separates fetches whose
        representations would need the same field with different arguments."""
        deps = {dep for dep in deps if dep is not parent}
        key = (subgraph, path, frozenset(dep.id for dep in deps), variant)
        group = parent.children.get(key)
        if group is None:
            group = FetchGroup(
                len(self.groups), subgraph, path, parent, True, deps, root_index=parent.root_index
            )
            parent.children[key] = group
            self.groups.append(group)
        return group
