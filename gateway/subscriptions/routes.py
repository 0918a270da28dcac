"""The subscription routes: ``/graphql/stream`` (SSE, POST or GET) and the WebSocket at
``/graphql`` (the same path as queries: a WebSocket route only matches WebSocket requests).

``loopgate serve`` mounts them (:func:`gateway.app.create_app`) with a :class:`Subscriptions`
sharing its graphs (live and sandbox), token verification, sandbox set-up and per-app limits.
"""

from starlette.routing import BaseRoute, Route, WebSocketRoute

from gateway.subscriptions.service import Subscriptions
from gateway.subscriptions.sse import SseEndpoint
from gateway.subscriptions.ws import WsEndpoint

STREAM_PATH = "/graphql/stream"
WEBSOCKET_PATH = "/graphql"


def subscription_routes(subscriptions: Subscriptions, *, stream_path: str = STREAM_PATH,
                        websocket_path: str = WEBSOCKET_PATH) -> list[BaseRoute]:
    return [Route(stream_path, SseEndpoint(subscriptions).handle, methods=["GET", "POST"]),
            WebSocketRoute(websocket_path, WsEndpoint(subscriptions).handle)]
