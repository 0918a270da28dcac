"""Checking a subgraph's SDL against the partner contract (../shared/contract/api.graphql):
the types, enums and root fields of a section, and that everything carries a description."""

import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from graphql import GraphQLNamedType, GraphQLSchema, build_schema
from graphql.type import is_enum_type, is_input_object_type, is_object_type

_REPO = Path(__file__).resolve().parents[1]
_CANDIDATES = (_REPO.parent / "shared" / "contract" / "api.graphql",
               Path("/work/shared/contract/api.graphql"))
CONTRACT = next((path for path in _CANDIDATES if path.exists()), _CANDIDATES[0])
"""The partner contract lives in shared/, beside the clone (as CI lays it out)."""


@cache
def contract() -> GraphQLSchema:
    return build_schema(re.sub(r"#[^\n]*", "", CONTRACT.read_text()))


def fields(t: GraphQLNamedType) -> dict[str, str]:
    """Each field of an object or input type as ``type(arg:type,…)``."""
    result = {}
    for name, f in t.fields.items():
        args = ",".join(f"{a}:{arg.type}" for a, arg in getattr(f, "args", {}).items())
        result[name] = f"{f.type}({args})"
    return result


def section_mismatches(ours: GraphQLSchema, types: Sequence[str], enums: Sequence[str],
                       roots: Sequence[str],
                       elsewhere: frozenset[tuple[str, str]] = frozenset()) -> list[str]:
    """Where ``ours`` differs from the contract in a section's types (kind and fields),
    enums (values) and root fields (type, arguments, a description); empty when it matches.
    ``elsewhere``: (type, field) pairs another subgraph contributes, not expected here."""
    theirs, found = contract(), []
    for name in types:
        expected, mine = theirs.type_map[name], ours.type_map[name]
        if (is_object_type(expected), is_input_object_type(expected)) != (
                is_object_type(mine), is_input_object_type(mine)):
            found.append(f"{name}: another kind of type")
        else:
            wanted = {k: v for k, v in fields(expected).items() if (name, k) not in elsewhere}
            if fields(mine) != wanted:
                found.append(f"{name}: {fields(mine)} != {wanted}")
    for name in enums:
        mine = ours.type_map[name]
        if not is_enum_type(mine) or set(mine.values) != set(theirs.type_map[name].values):
            found.append(f"{name}: other values")
    expected_roots = {**theirs.query_type.fields, **theirs.mutation_type.fields}
    mine_roots = {**ours.query_type.fields,
                  **(ours.mutation_type.fields if ours.mutation_type else {})}
    for field in roots:
        mine, expected = mine_roots[field], expected_roots[field]
        if (str(mine.type) != str(expected.type)
                or {a: str(v.type) for a, v in mine.args.items()}
                != {a: str(v.type) for a, v in expected.args.items()}):
            found.append(f"{field}: another type or arguments")
        if not mine.description:
            found.append(f"{field}: no description")
    return found


def undescribed(ours: GraphQLSchema, names: Sequence[str]) -> list[str]:
    """The types among ``names`` without a description, and their fields without one."""
    missing = []
    for name in names:
        t = ours.type_map[name]
        missing += [] if t.description else [name]
        if is_object_type(t) or is_input_object_type(t):
            missing += [f"{name}.{n}" for n, f in t.fields.items() if not f.description]
    return missing


def extension_mismatches(ours: GraphQLSchema,
                         extended: Sequence[tuple[str, str]]) -> list[str]:
    """Fields a subgraph adds to another's type (``("Member", "vouchers")``) that differ
    from the contract's in type or arguments."""
    theirs = contract()
    return [f"{owner}.{field}" for owner, field in extended
            if fields(ours.type_map[owner]).get(field)
            != fields(theirs.type_map[owner])[field]]
