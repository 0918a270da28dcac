"""A small in-process Strawberry subgraph, for ``module:`` entries in compose configs."""

import strawberry


@strawberry.federation.type(keys=["id"], description="A physical store")
class Store:
    id: strawberry.ID
    name: str = strawberry.federation.field(shareable=True)


@strawberry.type
class Query:
    @strawberry.field(description="One store by id")
    def store(self, id: strawberry.ID) -> Store | None:
        return Store(id=id, name="Lawson")


schema = strawberry.federation.Schema(query=Query)
