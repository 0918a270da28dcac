"""A one-subgraph supergraph with guarded fields, for authorization through the gateway.

``supergraph_guarded.graphql`` beside this file is its composition (by @apollo/composition).
"""

import strawberry
from strawberry.federation import Schema


@strawberry.type
class Account:
    id: strawberry.ID
    name: str
    email: str | None = strawberry.federation.field(requires_scopes=[["members:read"]])


@strawberry.type
class Query:
    @strawberry.field
    def account(self) -> Account:
        return Account(id=strawberry.ID("acc_1"), name="Ada", email="ada@example.com")

    @strawberry.federation.field(authenticated=True)
    def secret(self) -> str | None:
        return "hush"


SCHEMA = Schema(query=Query)
