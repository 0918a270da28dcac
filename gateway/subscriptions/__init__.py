"""Federated subscriptions (issue #17 point 1): GraphQL over SSE (graphql-sse, distinct
connections mode) and WebSocket (graphql-transport-ws), each event's root field streamed by
the subgraph that owns it (:mod:`schema.kernel.subscriptions`: fed by the event store) and
the rest of its selection resolved through the query plan, as Apollo Router does it.

Modules: :mod:`.prepare` (checks and plan), :mod:`.stream` (the root stream and each event's
response), :mod:`.session` (caller and token expiry), :mod:`.pump` (expiry timer and
keep-alive), :mod:`.slots` (open subscriptions per app), :mod:`.service` (both transports'
shared entry), :mod:`.sse`, :mod:`.ws`, :mod:`.routes`.
"""

from gateway.subscriptions.routes import subscription_routes
from gateway.subscriptions.service import Subscriptions

__all__ = ["Subscriptions", "subscription_routes"]
