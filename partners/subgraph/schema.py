"""The partners subgraph: the registry (``Partner``, ``viewer``) and the partner's
self-service (apps, webhook endpoints and their deliveries, events, partner subgraphs).

Each concern is its own module with its own ``Query``/``Mutation`` parts, merged here:
:data:`QUERIES` and :data:`MUTATIONS` list them. The subgraph follows the caller's database
(sandbox apps' endpoints, deliveries, events and subgraphs live in the sandbox); the registry
is read from the live database (:mod:`partners.subgraph.context`).
"""

import strawberry
from strawberry.tools import merge_types

from partners.subgraph.apps import AppsMutation, AppsQuery
from partners.subgraph.context import make_partners_context
from partners.subgraph.events import EventsQuery
from partners.subgraph.subgraphs import SubgraphsMutation, SubgraphsQuery
from partners.subgraph.viewer import Partner, ViewerQuery
from partners.subgraph.webhooks import WebhooksMutation, WebhooksQuery
from schema.kernel.graphql_types import schema_config
from schema.kernel.subgraph import Subgraph

QUERIES: tuple[type, ...] = (ViewerQuery, AppsQuery, WebhooksQuery, EventsQuery, SubgraphsQuery)
MUTATIONS: tuple[type, ...] = (AppsMutation, WebhooksMutation, SubgraphsMutation)

Query = merge_types("Query", QUERIES)
Mutation = merge_types("Mutation", MUTATIONS) if MUTATIONS else None

schema = strawberry.federation.Schema(query=Query, mutation=Mutation, types=[Partner],
                                      config=schema_config())

SUBGRAPH = Subgraph(name="partners", schema=schema, indexes=(),
                    make_context=make_partners_context)
