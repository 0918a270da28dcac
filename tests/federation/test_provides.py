"""@provides: a subgraph answers an external field itself on the provided path only."""

from .harness import Gateway


async def test_provided_field_needs_no_entity_fetch(shop: Gateway) -> None:
    result = await shop.run("{ latestReviews { author { username } } }")
    names = [r["author"] and r["author"]["username"] for r in result["data"]["latestReviews"]]
    assert names == ["u1-via-reviews", "u2-via-reviews", "u1-via-reviews", None, "u404-via-reviews"]
    assert [c.subgraph for c in shop.subgraphs.calls] == ["reviews"]


async def test_unprovided_path_jumps_to_the_owner(shop: Gateway) -> None:
    """User.reviews → Review.author has no @provides on the entity path through accounts."""
    result = await shop.run("{ me { reviews { author { username } } } }")
    authors = [r["author"]["username"] for r in result["data"]["me"]["reviews"]]
    assert authors == ["u1-via-reviews", "u1-via-reviews"]
    plan = shop.plan("{ users { username } }")
    assert "reviews" not in plan.to_text()
