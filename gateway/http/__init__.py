"""GraphQL over HTTP for the gateway.

``endpoint`` (the ``/graphql`` endpoint), ``app`` (the standalone gateway app, CORS and
readiness), ``request`` and ``media`` (decoding and content negotiation), ``graphiql``.
"""
