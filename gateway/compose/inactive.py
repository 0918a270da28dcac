"""Federation 1 ``@requires``/``@provides`` cleaned as Apollo's schema upgrader cleans them.

Federation 1 let a field set name fields the subgraph resolves itself; such leaves did
nothing (the router only fetches external fields). The upgrader drops them: a field set that
selects a non-external leaf keeps only its external parts (printed anew, Apollo's layout), and
a directive left with nothing is removed. Federation 2 subgraphs get an error instead
(``*_FIELDS_MISSING_EXTERNAL``).
"""

from graphql import FieldNode, InlineFragmentNode, SelectionSetNode, print_ast

from gateway.compose.fieldset import FieldSetSyntaxError, parse_field_set, selected_fields
from gateway.compose.model import Subgraph
from gateway.compose.types import base_name


def drop_inactive_field_sets(subgraph: Subgraph) -> None:
    for typedef in subgraph.types.values():
        if typedef.kind not in ("object", "interface"):
            continue
        for field in typedef.fields.values():
            if field.requires is not None:
                field.requires = _active(subgraph, typedef.name, field.requires)
            if field.provides is not None:
                field.provides = _active(subgraph, base_name(field.type), field.provides)


def _active(subgraph: Subgraph, parent: str, fields: str) -> str | None:
    try:
        selection_set = parse_field_set(fields)
    except FieldSetSyntaxError:
        return fields
    # A field set naming unknown fields is left for validation to report, as Apollo does.
    if any(s.field is None for s in selected_fields(selection_set, parent, subgraph.types)) \
            or not _selects_local_leaf(subgraph, selection_set, parent):
        return fields
    kept = _external_parts(subgraph, selection_set, parent)
    return " ".join(kept) or None


def _external(subgraph: Subgraph, parent: str, name: str) -> bool:
    """External here, or (on an interface) in one of its implementations."""
    owner = subgraph.types.get(parent)
    field = owner.fields.get(name) if owner else None
    if field is not None and field.external:
        return True
    return owner is not None and owner.kind == "interface" and any(
        parent in t.interfaces and name in t.fields and t.fields[name].external
        for t in subgraph.types.values())


def _selects_local_leaf(subgraph: Subgraph, selection_set: SelectionSetNode, parent: str) -> bool:
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            if _selects_local_leaf(subgraph, selection.selection_set,
                                   condition.name.value if condition else parent):
                return True
        elif isinstance(selection, FieldNode) and _local_leaf_below(subgraph, parent, selection):
            return True
    return False


def _local_leaf_below(subgraph: Subgraph, parent: str, selection: FieldNode) -> bool:
    if _external(subgraph, parent, selection.name.value):
        return False
    return selection.selection_set is None or _selects_local_leaf(
        subgraph, selection.selection_set, _field_type(subgraph, parent, selection))


def _external_parts(subgraph: Subgraph, selection_set: SelectionSetNode, parent: str
                    ) -> list[str]:
    parts = []
    for selection in selection_set.selections:
        if isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition
            inner = _external_parts(subgraph, selection.selection_set,
                                    condition.name.value if condition else parent)
            if inner:
                on = f" on {condition.name.value}" if condition else ""
                parts.append(f"...{on} {{ {' '.join(inner)} }}")
        elif isinstance(selection, FieldNode):
            if _external(subgraph, parent, selection.name.value):
                parts.append(_printed(selection))
            elif selection.selection_set is not None:
                inner = _external_parts(subgraph, selection.selection_set,
                                        _field_type(subgraph, parent, selection))
                if inner:
                    parts.append(f"{_head(selection)} {{ {' '.join(inner)} }}")
    return parts


def _field_type(subgraph: Subgraph, parent: str, selection: FieldNode) -> str:
    owner = subgraph.types.get(parent)
    field = owner.fields.get(selection.name.value) if owner else None
    return base_name(field.type) if field is not None else ""


def _head(selection: FieldNode) -> str:
    arguments = ", ".join(print_ast(a) for a in selection.arguments or ())
    return selection.name.value + (f"({arguments})" if arguments else "")


def _printed(selection: FieldNode | InlineFragmentNode) -> str:
    if isinstance(selection, InlineFragmentNode):
        condition = selection.type_condition
        head = f"... on {condition.name.value}" if condition else "..."
    else:
        head = _head(selection)
    if selection.selection_set is None:
        return head
    inner = [_printed(s) for s in selection.selection_set.selections
             if isinstance(s, FieldNode | InlineFragmentNode)]
    return f"{head} {{ {' '.join(inner)} }}"
