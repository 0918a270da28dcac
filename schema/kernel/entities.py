"""References to entities other subgraphs own, as every subgraph declares them.

A subgraph that returns a partner declares ``Partner @key(id, resolvable: false)`` with only
its id; the partners subgraph resolves the rest. The stub is the same in every subgraph, so
it is declared here once (each Strawberry schema builds its own GraphQL type from it).
"""

import strawberry
from strawberry.federation.schema_directives import Key


@strawberry.federation.type(keys=[Key(fields="id", resolvable=False)],
                            description="A partner: merchant, chain, ERP vendor or app maker.")
class Partner:
    id: strawberry.ID
