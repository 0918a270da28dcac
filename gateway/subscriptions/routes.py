"""The subscription routes: ``/graphql/stream`` (SSE, POST or GET) and the WebSocket at
``/graphql`` (the same path as queries: a WebSocket route only matches WebSocket requests).

:func:`serve_subscriptions` adds them to a ``loopgate serve`` app (:func:`gateway.app.
create_app`), sharing its graphs (live and sandbox), token verification, sandbox set-up and
per-app limits.
"""

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Route, WebSocketRoute

from gateway.authorization.wiring import principal_context, principal_of
from gateway.demo import sandbox_steps
from gateway.limits.budget import limits_by_database
from gateway.limits.caller import principal_caller
from gateway.platform import preparing_sandbox
from gateway.subscriptions.service import ContextFor, Subscriptions
from gateway.subscriptions.slots import DEFAULT_PER_APP, SubscriptionSlots
from gateway.subscriptions.sse import SseEndpoint
from gateway.subscriptions.ws import WsEndpoint
from schema.kernel.sandbox import SandboxDemo

STREAM_PATH = "/graphql/stream"
WEBSOCKET_PATH = "/graphql"


def subscription_routes(subscriptions: Subscriptions, *, stream_path: str = STREAM_PATH,
                        websocket_path: str = WEBSOCKET_PATH) -> list[BaseRoute]:
    return [Route(stream_path, SseEndpoint(subscriptions).handle, methods=["GET", "POST"]),
            WebSocketRoute(websocket_path, WsEndpoint(subscriptions).handle)]


def serve_subscriptions(app: Starlette, *, context_for: ContextFor | None = None,
                        per_app: int = DEFAULT_PER_APP,
                        recheck_every_s: float = 30.0) -> Subscriptions:
    """Add the subscription routes to ``app`` (built by ``create_app``: its ``state`` holds
    the graphs, the auth service, the databases and the settings) and keep the service as
    ``app.state.subscriptions``. ``context_for``: the app's own (default: the same one built
    again: token verified, sandbox demo prepared)."""
    state = app.state
    graphs, databases = state.graphs, state.databases
    if context_for is None:
        context_for = preparing_sandbox(principal_context(state.auth.verifier),
                                        SandboxDemo(databases.sandbox, sandbox_steps))
    subscriptions = Subscriptions(
        gateway_for=graphs.gateway_for, context_for=context_for,
        auth_shape_for=lambda context: graphs.gateway_for(context).authorization.shape(
            principal_of(context)),
        caller_for=principal_caller,
        limits_for=limits_by_database(state.settings.limits, databases),
        slots=SubscriptionSlots(per_app), max_body_bytes=state.settings.limits.body_bytes,
        recheck_every_s=recheck_every_s)
    app.router.routes.extend(subscription_routes(subscriptions))
    app.state.subscriptions = subscriptions
    return subscriptions
