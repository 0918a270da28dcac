"""Assembly of the all-in-one ASGI app that ``loopgate serve`` runs."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from gateway.config import Settings
from gateway.health import health_routes
from schema.kernel.mongo import Mongo


async def _placeholder_graphql(request: Request) -> JSONResponse:
    """Answers ``{ __typename }`` until the federation gateway is mounted here."""
    return JSONResponse({"data": {"__typename": "Query"}})


def create_app(settings: Settings, mongo: Mongo) -> Starlette:
    """The app for one process: health endpoints and GraphQL over the given database."""
    routes = [
        *health_routes({"database": mongo.ping}),
        Route("/graphql", _placeholder_graphql, methods=["GET", "POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.settings = settings
    app.state.mongo = mongo
    return app
