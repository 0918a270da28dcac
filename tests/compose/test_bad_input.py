"""Subgraphs that cannot be loaded: each error names the subgraph, the file and the line."""

from gateway.compose import SubgraphSource, compose_supergraph
from gateway.compose.errors import CompositionError

LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key"])\n'


def compose(*subgraphs: tuple[str, str]) -> list[CompositionError]:
    result = compose_supergraph([
        SubgraphSource(name, sdl, f"http://{name}/graphql", f"{name}.graphql")
        for name, sdl in subgraphs
    ])
    assert result.supergraph_sdl is None
    return result.errors


def test_sdl_that_does_not_parse() -> None:
    [error] = compose(("stores", LINK + "type Query {\n  store: Store\n  oops(\n}\n"))
    assert error.code == "INVALID_GRAPHQL"
    assert error.message.startswith("[stores] Syntax Error:")
    assert (error.subgraph, error.file, error.line) == ("stores", "stores.graphql", 5)
    assert str(error).startswith("stores.graphql:5: INVALID_GRAPHQL: [stores] Syntax Error")


def test_unknown_directive() -> None:
    [error] = compose(("stores", LINK + "type Query {\n  store: Int @cached(ttl: 5)\n}\n"))
    assert error.code == "INVALID_GRAPHQL"
    assert error.message == '[stores] Unknown directive "@cached".'
    assert (error.file, error.line) == ("stores.graphql", 3)
    assert error.hint is not None and "directive @cached" in error.hint


def test_federation_directive_used_without_import() -> None:
    [error] = compose(("stores", LINK + "type Query { a: Int @shareable }"))
    assert error.code == "INVALID_GRAPHQL"
    assert '"@federation__shareable"' in error.message
    assert error.hint is not None and "import" in error.hint


def test_duplicate_subgraph_names() -> None:
    sdl = LINK + "type Query { a: Int }"
    [error] = compose(("stores", sdl), ("stores", sdl))
    assert error.code == "INVALID_SUBGRAPH_NAME"
    assert error.message == "A subgraph named stores already exists (with url 'http://stores/graphql')"
    assert error.subgraph == "stores"


def test_reserved_subgraph_name() -> None:
    [error] = compose(("_", LINK + "type Query { a: Int }"))
    assert (error.code, error.message) == (
        "INVALID_SUBGRAPH_NAME", "Invalid name _ for a subgraph: this name is reserved")


def test_unknown_type() -> None:
    [error] = compose(("stores", LINK + "type Query {\n  store: Shop\n}\n"))
    assert (error.code, error.message, error.line) == (
        "INVALID_GRAPHQL", '[stores] Unknown type "Shop".', 3)


def test_import_of_a_directive_newer_than_the_linked_version() -> None:
    sdl = ('extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
           'import: ["@key", "@policy"])\ntype Query { a: Int }')
    [error] = compose(("stores", sdl))
    assert (error.code, error.message) == (
        "INVALID_LINK_DIRECTIVE_USAGE", '[stores] Cannot import unknown element "@policy".')
    assert error.line == 1
    assert error.hint is not None and "v2.6" in error.hint


def test_compose_directive_needs_a_definition_and_a_link() -> None:
    sdl = ('extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", '
           'import: ["@composeDirective"]) @composeDirective(name: "@cached")\n'
           "type Query { a: Int }")
    [error] = compose(("stores", sdl))
    assert error.code == "DIRECTIVE_COMPOSITION_ERROR"
    assert '"@cached"' in error.message and '"stores"' in error.message


def test_errors_in_several_subgraphs_are_all_reported() -> None:
    errors = compose(("a", "type Query {"), ("b", LINK + "type Query { b: Int @nope }"))
    assert sorted(e.subgraph or "" for e in errors) == ["a", "b"]


def test_a_type_defined_twice() -> None:
    [error] = compose(("stores", LINK + "type Query { a: Int }\ntype Query { b: Int }\n"))
    assert (error.code, error.message, error.line) == (
        "INVALID_GRAPHQL", '[stores] There can be only one type named "Query"', 3)
    assert error.hint is not None and "extend type Query" in error.hint
