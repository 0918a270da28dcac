"""The Python API the app uses at start-up: in-process Strawberry schemas composed directly."""

from gateway.compose import CompositionResult, SubgraphSource, compose_supergraph
from gateway.compose.fetch import source_from_schema
from gateway.federation import Supergraph
from tests.compose.strawberry_subgraph import schema

REVIEWS = """
extend schema @link(url: "https://specs.apollo.dev/federation/v2.11", import: ["@key"])
type Store @key(fields: "id") { id: ID! "Average rating" rating: Float }
"""


def test_compose_an_in_process_strawberry_schema_with_a_partner_sdl() -> None:
    result = compose_supergraph([
        source_from_schema("stores", schema, "http://stores/graphql"),
        SubgraphSource("reviews", REVIEWS, "https://partner.example/graphql"),
    ])
    assert isinstance(result, CompositionResult)
    assert result.ok and result.errors == []
    assert result.supergraph_sdl is not None
    assert 'REVIEWS @join__graph(name: "reviews", url: "https://partner.example/graphql")' in \
        result.supergraph_sdl
    supergraph = Supergraph.parse(result.supergraph_sdl)
    assert supergraph is not None
    assert '"""Average rating"""\n  rating: Float @join__field(graph: REVIEWS)' in \
        result.supergraph_sdl


def test_a_partner_subgraph_that_clashes_is_rejected_with_a_hint() -> None:
    clash = REVIEWS.replace('"Average rating" rating: Float', "name: String!")
    result = compose_supergraph([
        source_from_schema("stores", schema), SubgraphSource("reviews", clash, "", "reviews.sdl"),
    ])
    assert not result.ok
    [error] = result.errors
    assert error.code == "INVALID_FIELD_SHARING"
    assert error.subgraph == "reviews" and error.file == "reviews.sdl" and error.line == 3
    assert error.hint is not None and "@shareable" in error.hint


def test_no_subgraphs() -> None:
    result = compose_supergraph([])
    assert not result.ok and [e.code for e in result.errors] == ["NO_QUERIES"]


def test_many_partner_subgraphs_extending_one_entity_compose() -> None:
    """Twelve partner subgraphs each adding a field to Store compose, every field in the
    supergraph. (Satisfiability once recursed through every other subgraph of the entity for
    each entry key: four such subgraphs took 13 s, twelve would not have ended.)"""
    partners = [SubgraphSource(f"partner{n}", REVIEWS.replace(
        '"Average rating" rating: Float', f"score{n}: Int"), f"https://p{n}.example/graphql")
        for n in range(12)]
    result = compose_supergraph([source_from_schema("stores", schema, "http://stores/graphql"),
                                 *partners])
    assert result.ok, result.errors
    assert result.supergraph_sdl is not None
    assert all(f"score{n}: Int @join__field(graph: PARTNER{n})" in result.supergraph_sdl
               for n in range(12))
