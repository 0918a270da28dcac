"""The developer portal: a partner's apps, webhooks, subgraphs, usage, GraphiQL and schema
reference, and the admin's team page. Every page reads and writes through ``/graphql`` as the
signed-in person (:meth:`gateway.console.visit.Visit.graphql`), so it can do exactly what that
person's token may, no more."""
