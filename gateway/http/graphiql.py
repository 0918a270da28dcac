"""The GraphiQL page served on ``GET /graphql`` to browsers (``Accept: text/html``).

The page loads GraphiQL from a CDN, so nothing is bundled here; it posts to the endpoint
it was served from.
"""

import json
from functools import cache
from importlib.resources import files


@cache
def graphiql_page(endpoint: str) -> str:
    """The HTML page, with ``endpoint`` (a URL path) as the fetcher's URL."""
    template = files(__package__).joinpath("graphiql.html").read_text(encoding="utf-8")
    return template.replace("__ENDPOINT__", json.dumps(endpoint).replace("</", "<\\/"))
