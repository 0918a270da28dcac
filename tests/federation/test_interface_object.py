"""@interfaceObject: fields added to every implementation, and __typename resolution."""

from .harness import Gateway


async def test_interface_object_field_on_concrete_types(media: Gateway) -> None:
    result = await media.run("{ media { title rating } }")
    assert result == {
        "data": {
            "media": [
                {"title": "Dune", "rating": 5},
                {"title": "Alien", "rating": 4},
                {"title": "Emma", "rating": 3},
            ]
        }
    }
    reps = media.subgraphs.called("ratings")[0].variables["representations"]
    assert {rep["__typename"] for rep in reps} == {"Media"}


async def test_typename_from_interface_object_is_resolved_by_the_owner(media: Gateway) -> None:
    query = "{ topRated { __typename rating ... on Movie { minutes } ... on Book { pages } } }"
    result = await media.run(query)
    assert result == {
        "data": {
            "topRated": [
                {"__typename": "Book", "rating": 5, "pages": 412},
                {"__typename": "Movie", "rating": 4, "minutes": 117},
                {"__typename": "Book", "rating": 3, "pages": 300},
            ]
        }
    }
    assert [c.subgraph for c in media.subgraphs.calls] == ["ratings", "catalog"]


async def test_interface_object_fields_without_typename_stay_local(media: Gateway) -> None:
    result = await media.run("{ topRated { id rating } }")
    assert result["data"]["topRated"][0] == {"id": "b1", "rating": 5}
    assert [c.subgraph for c in media.subgraphs.calls] == ["ratings"]
