"""Merge entity fetches to the same subgraph, at the same path, that run in the same step.

Such siblings appear when fields with and without ``@requires`` jump to one subgraph: they
were kept apart while planning (different dependencies) but end up at the same level, so one
``_entities`` call can carry both without delaying either.
"""

from ..groups import EntityInput, FetchGroup
from ..levels import levels
from ..tree import SelectionTree


def merge_siblings(groups: list[FetchGroup]) -> bool:
    level = levels(groups)
    slots: dict[tuple[int, str, tuple[str, ...], int], FetchGroup] = {}
    for group in groups:
        if not group.is_entity or group.parent is None:
            continue
        slot = (group.parent.id, group.subgraph, group.path, level[group.id])
        kept = slots.setdefault(slot, group)
        if kept is not group and _compatible(kept, group):
            _absorb(kept, group, groups)
            return True
    return False


def _compatible(kept: FetchGroup, other: FetchGroup) -> bool:
    if kept.contexts or other.contexts:  # their variable names and batching stay per fetch
        return False
    for typename, entity_input in other.inputs.items():
        mine = kept.inputs.get(typename)
        if mine is None:
            continue
        if mine.typename != entity_input.typename or _clash(mine.fields, entity_input.fields):
            return False
    return True


def _clash(left: SelectionTree, right: SelectionTree) -> bool:
    """Whether two representation selections take one field from different response keys."""
    names = {entry.name: key for (key, _), entry in left.fields.items()}
    return any(names.get(entry.name, key) != key for (key, _), entry in right.fields.items())


def _absorb(kept: FetchGroup, gone: FetchGroup, groups: list[FetchGroup]) -> None:
    kept.deps |= {dep for dep in gone.deps if dep is not kept}
    merge_trees(kept.tree, gone.tree)
    for typename, entity_input in gone.inputs.items():
        mine = kept.inputs.setdefault(typename, EntityInput(entity_input.typename))
        merge_trees(mine.fields, entity_input.fields)
        mine.key_names |= entity_input.key_names
    groups.remove(gone)
    for group in groups:
        if group.parent is gone:
            group.parent = kept
        if gone in group.deps:
            group.deps.discard(gone)
            if group is not kept:
                group.deps.add(kept)


def merge_trees(into: SelectionTree, source: SelectionTree) -> None:
    for key, entry in source.fields.items():
        mine = into.fields.get(key)
        if mine is None:
            into.fields[key] = entry
        elif mine.sub is not None and entry.sub is not None:
            merge_trees(mine.sub, entry.sub)
    for key, (directives, sub) in source.fragments.items():
        found = into.fragments.get(key)
        if found is None:
            into.fragments[key] = (directives, sub)
        else:
            merge_trees(found[1], sub)
