"""Interfaces and unions: fragments on abstract types, __typename, types spread over subgraphs."""

from .harness import Gateway


async def test_interface_fragments_and_typename(media: Gateway) -> None:
    query = "{ media { __typename title ... on Book { pages } ... on Movie { minutes } } }"
    result = await media.run(query)
    assert result == {
        "data": {
            "media": [
                {"__typename": "Book", "title": "Dune", "pages": 412},
                {"__typename": "Movie", "title": "Alien", "minutes": 117},
                {"__typename": "Book", "title": "Emma", "pages": 300},
            ]
        }
    }


async def test_abstract_selection_jumps_per_concrete_type(media: Gateway) -> None:
    """Book.author lives in people; only the books among the results jump there."""
    query = '{ search(term: "e") { ... on Book { title author { name } } ... on Movie { title } } }'
    result = await media.run(query)
    assert result == {
        "data": {
            "search": [
                {"title": "Dune", "author": {"name": "Herbert"}},
                {"title": "Alien"},
                {"title": "Emma", "author": None},
            ]
        }
    }
    reps = media.subgraphs.called("people")[0].variables["representations"]
    assert reps == [{"__typename": "Book", "id": "b1"}, {"__typename": "Book", "id": "b2"}]


async def test_union_of_entities_with_named_fragments(media: Gateway) -> None:
    query = """
      query People { people { __typename ...Named ... on Critic { favourite { title pages } } } }
      fragment Named on Person { ... on Author { name } ... on Critic { name } }
    """
    result = await media.run(query)
    assert result == {
        "data": {
            "people": [
                {"__typename": "Author", "name": "Herbert"},
                {
                    "__typename": "Critic",
                    "name": "Roger",
                    "favourite": {"title": "Dune", "pages": 412},
                },
            ]
        }
    }


async def test_typename_only_selection_needs_no_jump(media: Gateway) -> None:
    result = await media.run("{ people { __typename } }")
    assert result == {"data": {"people": [{"__typename": "Author"}, {"__typename": "Critic"}]}}
    assert len(media.subgraphs.calls) == 1
