"""An ``@external`` field checked against the field as the subgraphs resolving it declare it.

Its type must match (or, when the types differ, be a supertype of the merged type), and each
argument of the merged field must be there, with a compatible type and the same default:
the router passes the arguments it selected to the subgraph that declared it external.
Codes and wording are Apollo's (EXTERNAL_TYPE_MISMATCH, EXTERNAL_ARGUMENT_MISSING,
EXTERNAL_ARGUMENT_TYPE_MISMATCH, EXTERNAL_ARGUMENT_DEFAULT_MISMATCH).
"""

from graphql import ConstValueNode, print_ast

from gateway.compose import errors
from gateway.compose.model import Field
from gateway.compose.report import mismatch, subgraph_names
from gateway.compose.state import MergeState
from gateway.compose.supergraph import MergedField
from gateway.compose.types import is_strict_subtype, type_str


def validate_external(state: MergeState, coordinate: str, present: dict[int, Field],
                      merged: MergedField, all_equal: bool) -> None:
    externals = {i: f for i, f in present.items() if f.external}
    for index, field in externals.items():
        same = type_str(field.type) == type_str(merged.type)
        if not (same or (not all_equal and is_strict_subtype(merged.type, field.type,
                                                              state.is_member))):
            state.error(errors.EXTERNAL_TYPE_MISMATCH, mismatch(
                f'Type of field "{coordinate}" is incompatible across subgraphs (where marked '
                f'@external): it has ', f'type "{type_str(merged.type)}"',
                [(state.names[i], f'type "{type_str(f.type)}"') for i, f in present.items()]),
                index, field.node,
                "declare the @external field with the type of the subgraph that resolves it")
            break
    missing: dict[str, int] = {}
    bad_types: dict[str, int] = {}
    bad_defaults: dict[str, int] = {}
    for index, field in externals.items():
        for name, expected in merged.args.items():
            argument = field.args.get(name)
            if argument is None:
                missing.setdefault(name, index)
                continue
            if type_str(argument.type) != type_str(expected.type) and not is_strict_subtype(
                    argument.type, expected.type, state.is_member):
                bad_types.setdefault(name, index)
            if _printed(argument.default) != _printed(expected.default):
                bad_defaults.setdefault(name, index)
    for name, index in missing.items():
        _missing_argument(state, coordinate, name, present, index)
    for name, index in bad_types.items():
        state.error(errors.EXTERNAL_ARGUMENT_TYPE_MISMATCH, mismatch(
            f'Type of argument "{coordinate}({name}:)" is incompatible across subgraphs (where '
            f'"{coordinate}" is marked @external): it has ',
            f'type "{type_str(merged.args[name].type)}"',
            [(state.names[i], f'type "{type_str(f.args[name].type)}"')
             for i, f in present.items() if name in f.args]),
            index, externals[index].args[name].node,
            "declare the argument with the type the resolving subgraph gives it")
    for name, index in bad_defaults.items():
        state.error(errors.EXTERNAL_ARGUMENT_DEFAULT_MISMATCH, mismatch(
            f'Argument "{coordinate}({name}:)" has incompatible defaults across subgraphs '
            f'(where "{coordinate}" is marked @external): it has ',
            _default_text(merged.args[name].default),
            [(state.names[i], _default_text(f.args[name].default))
             for i, f in present.items() if name in f.args]),
            index, externals[index].args[name].node,
            "give the argument the default the resolving subgraph gives it")


def _missing_argument(state: MergeState, coordinate: str, name: str, present: dict[int, Field],
                      index: int) -> None:
    """Apollo lists every subgraph without the argument, those without the field included."""
    argument = f'argument "{coordinate}({name}:)"'
    having = [state.names[i] for i, f in present.items() if name in f.args]
    lacking = [n for i, n in enumerate(state.names)
               if i not in present or name not in present[i].args]
    state.error(errors.EXTERNAL_ARGUMENT_MISSING,
                f'Field "{coordinate}" is missing argument "{coordinate}({name}:)" in some '
                f"subgraphs where it is marked @external: {argument} is declared in "
                f"{subgraph_names(having)} but not in {subgraph_names(lacking)} (where "
                f'"{coordinate}" is @external).', index, present[index].node,
                f'declare "{name}" on the @external field too')


def _printed(value: ConstValueNode | None) -> str | None:
    return print_ast(value) if value is not None else None


def _default_text(default: ConstValueNode | None) -> str:
    return f"default value {print_ast(default)}" if default is not None else "no default value"

