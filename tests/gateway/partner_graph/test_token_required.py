"""``require_token``: a partner subgraph's own fields get ``@authenticated``, nothing else."""

from __future__ import annotations

import pytest
from graphql import FieldDefinitionNode, ObjectTypeDefinitionNode, parse

from gateway.compose import SubgraphSource, compose_supergraph
from gateway.federation import Supergraph
from gateway.partner_graph.token_required import TokenGuardError, require_token
from gateway.platform import platform_sources
from tests.gateway.partner_graph.partner import partner_schema

LINK = '@link(url: "https://specs.apollo.dev/federation/{version}", import: [{imports}])'


def sdl(body: str, *, version: str = "v2.5", imports: str = '"@key"') -> str:
    return f"extend schema {LINK.format(version=version, imports=imports)}\n{body}"


def directives(sdl_text: str) -> dict[tuple[str, str], list[str]]:
    """``(type, field)`` → names of the directives on that field."""
    found = {}
    for definition in parse(sdl_text).definitions:
        if isinstance(definition, ObjectTypeDefinitionNode):
            for field in definition.fields or ():
                assert isinstance(field, FieldDefinitionNode)
                found[definition.name.value, field.name.value] = [
                    d.name.value for d in field.directives or ()]
    return found


def compose(partner_sdl: str) -> str:
    result = compose_supergraph([*platform_sources(), SubgraphSource(
        name="reviews", sdl=partner_sdl, url="https://partner.example/graphql")])
    assert result.supergraph_sdl is not None, result.errors
    return result.supergraph_sdl


def test_the_partners_own_fields_need_a_token_and_shared_ones_are_left_alone() -> None:
    guarded = require_token(partner_schema().as_str())
    found = directives(guarded)
    assert found["Store", "partnerRating"] == ["authenticated"]
    assert found["Query", "partnerHello"] == ["authenticated"]
    assert found["Store", "id"] == []                      # a key of a platform entity
    assert found["Query", "_entities"] == found["Query", "_service"] == []
    assert '"@authenticated"' in guarded and '"@key"' in guarded

    supergraph = Supergraph.parse(compose(guarded))
    policy_sdl = supergraph.sdl
    assert "partnerRating: Float @join__field(graph: REVIEWS) @authenticated" in policy_sdl
    assert "partnerHello: String @join__field(graph: REVIEWS) @authenticated" in policy_sdl


def test_keys_externals_guarded_fields_and_platform_value_types_are_not_marked() -> None:
    partner = sdl("""
        type Store @key(fields: "id") {
          id: ID!
          code: String! @external
          local: String @requires(fields: "code")
          secret: String @requiresScopes(scopes: [["stores:read"]])
        }
        type Review @key(fields: "id") { id: ID! stars: Int }
        type Money @shareable { amount: Int! currency: String! }
        type Query { reviews: [Review!]! }
    """, imports='"@key", "@external", "@requires", "@shareable", "@requiresScopes"')
    found = directives(require_token(partner))
    assert found["Store", "code"] == ["external"]
    assert found["Store", "local"] == ["requires", "authenticated"]
    assert found["Store", "secret"] == ["requiresScopes"]
    assert found["Review", "id"] == []
    assert found["Review", "stars"] == ["authenticated"]
    assert found["Money", "amount"] == found["Money", "currency"] == []
    assert found["Query", "reviews"] == ["authenticated"]


def test_an_old_federation_link_is_moved_to_one_with_authenticated() -> None:
    guarded = require_token(sdl("type Query { partnerPing: Int }", version="v2.3"))
    assert "federation/v2.5" in guarded and "federation/v2.3" not in guarded
    assert directives(guarded)["Query", "partnerPing"] == ["authenticated"]
    compose(guarded)


def test_a_directive_of_the_partners_own_named_authenticated_is_left_to_it() -> None:
    """The namespaced federation directive is used instead; it composes."""
    own = require_token(sdl("directive @authenticated(level: Int) on FIELD_DEFINITION\n"
                            "type Query { partnerPing: Int @authenticated(level: 1) }"
                            " type Thing { partnerPong: Int }\n"
                            "extend type Query { thing: Thing }"))
    found = directives(own)
    assert found["Thing", "partnerPong"] == ["federation__authenticated"]
    assert found["Query", "partnerPing"] == ["authenticated", "federation__authenticated"]
    assert "partnerPong: Int @authenticated" in compose(own)


def test_a_renamed_import_is_used_and_composition_has_the_last_word() -> None:
    """Composition wants @authenticated under one name in every subgraph: a partner renaming
    it gets that composition error at registration."""
    renamed = require_token(sdl("type Query { partnerPing: Int }",
                                imports='"@key", {name: "@authenticated", as: "@signedIn"}'))
    assert directives(renamed)["Query", "partnerPing"] == ["signedIn"]
    result = compose_supergraph([*platform_sources(), SubgraphSource(
        name="reviews", sdl=renamed, url="https://partner.example/graphql")])
    assert [error.code for error in result.errors] == ["LINK_IMPORT_NAME_MISMATCH"]


def test_nothing_to_guard_returns_the_sdl_unchanged() -> None:
    partner = sdl('type Store @key(fields: "id") { id: ID! }')
    assert require_token(partner) is partner


@pytest.mark.parametrize(("bad", "says"), [
    ("type Query { partnerPing: Int }", "Federation 2"),
    ('extend schema @link(url: "https://specs.apollo.dev/federation/v1.0") '
     "type Query { a: Int }", "Federation 2"),
    ("type Query {", "does not parse"),
])
def test_sdl_that_cannot_be_guarded_is_refused_with_the_reason(bad: str, says: str) -> None:
    with pytest.raises(TokenGuardError, match=says):
        require_token(bad)
