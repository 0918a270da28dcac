"""GraphQL over HTTP for the gateway: the endpoint, GraphiQL, and the standalone app."""

from gateway.http.app import cors_middleware, create_gateway_app, graphql_route, subgraphs_ready
from gateway.http.endpoint import GraphQLEndpoint
from gateway.http.errors import RequestRejected

__all__ = [
    "GraphQLEndpoint",
    "RequestRejected",
    "cors_middleware",
    "create_gateway_app",
    "graphql_route",
    "subgraphs_ready",
]
