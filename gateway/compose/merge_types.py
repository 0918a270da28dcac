"""Type references and default values merged across subgraphs (Apollo's subtyping rules).

Outputs take the most general type any subgraph declares (``Int`` over ``Int!``), inputs the
most specific, so every subgraph can answer and every subgraph can accept what clients send.
"""

from collections.abc import Mapping

from graphql import ConstValueNode, Node, TypeNode, print_ast

from gateway.compose import errors
from gateway.compose.report import mismatch
from gateway.compose.state import MergeState
from gateway.compose.types import base_name, is_strict_subtype, type_str


def merge_type_reference(state: MergeState, coordinate: str, sources: Mapping[int, TypeNode],
                         *, input_position: bool, argument: bool) -> tuple[TypeNode, bool]:
    """The merged type and whether every subgraph declared exactly that type."""
    merged: TypeNode | None = None
    subtypes = incompatible = False
    for source in sources.values():
        if merged is None or type_str(merged) == type_str(source):
            merged = source
        elif is_strict_subtype(merged, source, state.is_member):
            subtypes = True
            merged = source if input_position else merged
        elif is_strict_subtype(source, merged, state.is_member):
            subtypes = True
            merged = merged if input_position else source
        else:
            incompatible = True
    assert merged is not None
    if base_name(merged) in state.enum_names:
        state.record_enum_usage(base_name(merged), "Input" if input_position else "Output",
                                coordinate)
    if incompatible:
        code = errors.ARGUMENT_TYPE_MISMATCH if argument else errors.FIELD_TYPE_MISMATCH
        kind = "argument" if argument else "field"
        state.error(code, mismatch(
            f'Type of {kind} "{coordinate}" is incompatible across subgraphs: it has ',
            f'type "{type_str(merged)}"',
            [(state.names[i], f'type "{type_str(t)}"') for i, t in sources.items()]),
            _first(sources), _first_node(sources),
            hint="declare the same type in every subgraph (a non-null output type may narrow a "
            "nullable one)")
        return merged, False
    return merged, not subtypes


def merge_default(state: MergeState, coordinate: str, sources: Mapping[int, ConstValueNode | None],
                  kind: str) -> ConstValueNode | None:
    """A default every subgraph agrees on; none when only some subgraphs declare one."""
    merged: ConstValueNode | None = None
    seen = inconsistent = incompatible = False
    for default in sources.values():
        if merged is None:
            inconsistent = inconsistent or (seen and default is not None)
            merged = default
        elif default is None or print_ast(default) != print_ast(merged):
            inconsistent = True
            incompatible = incompatible or default is not None
        seen = True
    if incompatible:
        code = errors.ARGUMENT_DEFAULT_MISMATCH if kind == "Argument" \
            else errors.INPUT_FIELD_DEFAULT_MISMATCH
        state.error(code, mismatch(
            f'{kind} "{coordinate}" has incompatible default values across subgraphs: it has ',
            _default_text(merged),
            [(state.names[i], _default_text(d)) for i, d in sources.items()]),
            _first(sources), _first_node(sources),
            hint="use the same default value in every subgraph")
    return merged if (not inconsistent or incompatible) else None


def _default_text(default: ConstValueNode | None) -> str:
    return f"default value {print_ast(default)}" if default is not None else "no default value"


def _first(sources: Mapping[int, object]) -> int | None:
    return next(iter(sources), None)


def _first_node(sources: Mapping[int, Node | None]) -> Node | None:
    return next((node for node in sources.values() if node is not None), None)
