"""The baseline: the three subgraph calls a gateway makes for the query, made by the client.

A hand-written "plan" with nothing to plan: fetch the products, then their reviews through
``_entities``, then the authors through ``_entities``, and stitch the answer together. The
stitched answer is also what both gateways must return.
"""

from typing import Any

import aiohttp
import orjson

PRODUCTS = "query($first: Int!) { topProducts(first: $first) { __typename upc name price } }"
REVIEWS = """query($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on Product { reviews { id body author { __typename id } } } } }"""
USERS = """query($representations: [_Any!]!) { _entities(representations: $representations) {
  ... on User { username } } }"""


class DirectClient:
    """Calls the subgraphs at ``urls`` (name → URL) the way a gateway plan would."""

    def __init__(self, session: aiohttp.ClientSession, urls: dict[str, str], first: int) -> None:
        self._session = session
        self._urls = urls
        self._first = first

    async def _call(self, subgraph: str, query: str, variables: dict[str, Any]) -> Any:
        body = orjson.dumps({"query": query, "variables": variables})
        async with self._session.post(self._urls[subgraph], data=body,
                                      headers={"content-type": "application/json"}) as reply:
            reply.raise_for_status()
            return orjson.loads(await reply.read())["data"]

    async def query(self) -> dict[str, Any]:
        products = (await self._call("products", PRODUCTS, {"first": self._first}))["topProducts"]
        product_refs = [{"__typename": "Product", "upc": p["upc"]} for p in products]
        reviewed = (await self._call("reviews", REVIEWS,
                                     {"representations": product_refs}))["_entities"]
        author_ids = sorted({review["author"]["id"] for entity in reviewed
                             for review in entity["reviews"]})
        users = (await self._call("users", USERS, {"representations": [
            {"__typename": "User", "id": uid} for uid in author_ids]}))["_entities"]
        names = {uid: user["username"] for uid, user in zip(author_ids, users, strict=True)}
        return {"data": {"topProducts": [
            {"upc": p["upc"], "name": p["name"], "price": p["price"], "reviews": [
                {"id": r["id"], "body": r["body"],
                 "author": {"id": r["author"]["id"], "username": names[r["author"]["id"]]}}
                for r in entity["reviews"]]}
            for p, entity in zip(products, reviewed, strict=True)]}}
