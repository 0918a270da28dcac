"""Choosing the response media type from the Accept header."""

import pytest

from gateway.http.media import MediaType, accepted

GRAPHQL = (MediaType.GRAPHQL_RESPONSE_JSON, MediaType.JSON)
GET = (*GRAPHQL, MediaType.HTML)


@pytest.mark.parametrize(
    ("accept", "offered", "expected"),
    [
        (None, GRAPHQL, MediaType.GRAPHQL_RESPONSE_JSON),
        ("", GRAPHQL, MediaType.GRAPHQL_RESPONSE_JSON),
        ("*/*", GRAPHQL, MediaType.GRAPHQL_RESPONSE_JSON),
        ("application/json", GRAPHQL, MediaType.JSON),
        ("application/graphql-response+json, application/json;q=0.9", GRAPHQL,
         MediaType.GRAPHQL_RESPONSE_JSON),
        ("application/graphql-response+json;q=0.5, application/json", GRAPHQL, MediaType.JSON),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", GET,
         MediaType.HTML),
        ("text/html", GRAPHQL, None),
        ("application/xml", GRAPHQL, None),
        ("application/json;q=0", GRAPHQL, None),
    ],
)
def test_accepted(accept: str | None, offered: tuple[MediaType, ...],
                  expected: MediaType | None) -> None:
    assert accepted(accept, offered) is expected
