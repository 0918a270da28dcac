"""Partner subgraphs served over real HTTP on 127.0.0.1 for the registration tests.

``/rating/graphql`` is a real Strawberry federation subgraph adding ``Store.partnerRating``.
``/sdl/<key>`` answers ``{ _service { sdl } }`` with the SDL a test put in :data:`SDLS`
(to register variants: a breaking change, a platform field overridden …); ``/garbage``,
``/error`` and ``/slow`` misbehave as their names say.
"""

import asyncio

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from strawberry.asgi import GraphQL

SLOW_S = 3.0
SDLS: dict[str, str] = {}


@strawberry.federation.type(keys=["id"], extend=True)
class Store:
    id: strawberry.ID = strawberry.federation.field(external=True)
    partner_rating: float | None

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "Store":
        return cls(id=id, partner_rating=4.5)


@strawberry.type
class Query:
    @strawberry.field
    def rating_scale(self) -> int:
        return 5


RATING_SCHEMA = strawberry.federation.Schema(query=Query, types=[Store])
RATING_SDL = RATING_SCHEMA.execute_sync("{ _service { sdl } }").data["_service"]["sdl"]


def sdl_of(*type_definitions: str) -> str:
    """A federation 2 subgraph SDL with the given definitions."""
    return ('extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", '
            'import: ["@key", "@external", "@override", "@shareable", "@requires"])\n'
            + "\n".join(type_definitions))


async def scripted(request: Request) -> Response:
    sdl = SDLS.get(request.path_params["key"])
    if sdl is None:
        return JSONResponse({"errors": [{"message": "no such subgraph"}]}, status_code=404)
    return JSONResponse({"data": {"_service": {"sdl": sdl}}})


async def garbage(_request: Request) -> Response:
    return PlainTextResponse("<html>hello</html>")


async def error(_request: Request) -> Response:
    return JSONResponse({"errors": [{"message": "boom"}]}, status_code=500)


async def slow(_request: Request) -> Response:
    await asyncio.sleep(SLOW_S)
    return JSONResponse({"data": {"_service": {"sdl": RATING_SDL}}})


APP = Starlette(routes=[
    Route("/sdl/{key}", scripted, methods=["POST"]),
    Route("/garbage", garbage, methods=["POST"]),
    Route("/error", error, methods=["POST"]),
    Route("/slow", slow, methods=["POST"]),
    Mount("/rating", GraphQL(RATING_SCHEMA)),
])
