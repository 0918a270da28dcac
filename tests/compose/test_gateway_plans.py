"""The gateway plans the same fetches on our supergraph as on Apollo's, for every fixture.

Also that ``gateway.federation.Supergraph.parse`` (the engine) loads what we print, and that
the gateway's own test subgraphs compose to the supergraph its tests run on.
"""

from pathlib import Path

import pytest
from graphql import (
    DocumentNode,
    EnumTypeDefinitionNode,
    InputObjectTypeDefinitionNode,
    ObjectTypeDefinitionNode,
    ScalarTypeDefinitionNode,
    TypeDefinitionNode,
    UnionTypeDefinitionNode,
    parse,
)

from gateway.compose import compose_supergraph
from gateway.compose.fetch import source_from_schema
from gateway.federation import QueryPlanner, Supergraph
from gateway.federation.printing import plan_to_text
from tests.compose.normalize import facts
from tests.compose.test_conformance import SUPERGRAPH_CASES, sources

MAX_DEPTH = 3
GATEWAY_TESTS = Path(__file__).parents[1] / "gateway"


def test_gateway_test_subgraphs_compose_to_their_apollo_supergraph() -> None:
    from tests.gateway.subgraphs import SCHEMAS

    result = compose_supergraph([
        source_from_schema(name, schema, f"http://127.0.0.1:4101/{name}")
        for name, schema in SCHEMAS.items()
    ])
    assert result.supergraph_sdl is not None, result.errors
    expected = (GATEWAY_TESTS / "supergraph.graphql").read_text()
    assert facts(result.supergraph_sdl) == facts(expected)


@pytest.mark.parametrize("case", SUPERGRAPH_CASES, ids=lambda p: p.name)
def test_engine_loads_our_supergraph(case: Path) -> None:
    sdl = compose_supergraph(sources(case)).supergraph_sdl
    assert sdl is not None
    loaded = Supergraph.parse(sdl)
    assert loaded is not None


@pytest.mark.parametrize("case", SUPERGRAPH_CASES, ids=lambda p: p.name)
def test_same_query_plans_as_apollo_supergraph(case: Path) -> None:
    ours = compose_supergraph(sources(case)).supergraph_sdl
    assert ours is not None
    apollo = (case / "supergraph.graphql").read_text()
    operations = list(_operations(apollo))
    assert operations, "the fixture has no plannable query"
    ours_planner = QueryPlanner(Supergraph.parse(ours))
    apollo_planner = QueryPlanner(Supergraph.parse(apollo))
    for operation in operations:
        document = parse(operation)
        assert _plan(ours_planner, document) == _plan(apollo_planner, document), operation


def _plan(planner: QueryPlanner, document: DocumentNode) -> str:
    try:
        return plan_to_text(planner.plan(document))
    except Exception as exc:  # the engine may not support a case: it must fail alike on both
        return f"{type(exc).__name__}: {exc}"


def _operations(sdl: str) -> list[str]:
    """One operation per root field without required arguments, selecting what it reaches."""
    types = {d.name.value: d for d in parse(sdl).definitions if isinstance(d, TypeDefinitionNode)}
    operations = []
    for keyword, root in (("query", "Query"), ("mutation", "Mutation")):
        node = types.get(root)
        if not isinstance(node, ObjectTypeDefinitionNode):
            continue
        for field in node.fields or ():
            arguments = _arguments(types, field)
            if _visible(field) and arguments is not None:
                selection = _select(types, field, 1)
                operations.append(f"{keyword} {{ {field.name.value}{arguments}{selection} }}")
    return operations


def _select(types: dict[str, TypeDefinitionNode], field: object, depth: int) -> str:
    target = types.get(_base(field.type))  # type: ignore[attr-defined]
    if target is None or isinstance(target, ScalarTypeDefinitionNode | EnumTypeDefinitionNode
                                    | InputObjectTypeDefinitionNode):
        return ""
    if depth >= MAX_DEPTH:
        return " { __typename }"
    if isinstance(target, UnionTypeDefinitionNode):
        members = [types[m.name.value] for m in target.types or ()]
        inner = " ".join(f"... on {m.name.value}{_fields(types, m, depth + 1)}" for m in members)
        return f" {{ __typename {inner} }}"
    return _fields(types, target, depth + 1)


def _fields(types: dict[str, TypeDefinitionNode], node: TypeDefinitionNode, depth: int) -> str:
    parts = ["__typename"] + [
        f.name.value + _select(types, f, depth) for f in getattr(node, "fields", None) or ()
        if _visible(f) and not _required_args(f)
    ]
    return " { " + " ".join(parts) + " }"


def _visible(node: object) -> bool:
    return not any(d.name.value == "inaccessible" for d in node.directives or ())  # type: ignore[attr-defined]


_LITERALS = {"ID": '"1"', "String": '"x"', "Int": "1", "Float": "1.5", "Boolean": "true"}


def _arguments(types: dict[str, TypeDefinitionNode], field: object) -> str | None:
    """Literal values for the required arguments; None when one cannot be made up."""
    values = []
    for argument in getattr(field, "arguments", None) or ():
        if argument.type.kind != "non_null_type" or argument.default_value is not None:
            continue
        name = _base(argument.type)
        enum = types.get(name)
        if name in _LITERALS and argument.type.type.kind == "named_type":
            values.append(f"{argument.name.value}: {_LITERALS[name]}")
        elif isinstance(enum, EnumTypeDefinitionNode) and enum.values:
            values.append(f"{argument.name.value}: {enum.values[0].name.value}")
        else:
            return None
    return f"({', '.join(values)})" if values else ""


def _required_args(field: object) -> bool:
    return any(a.type.kind == "non_null_type" and a.default_value is None
               for a in getattr(field, "arguments", None) or ())


def _base(type_node: object) -> str:
    while hasattr(type_node, "type"):
        type_node = type_node.type  # type: ignore[attr-defined]
    return type_node.name.value  # type: ignore[attr-defined]
