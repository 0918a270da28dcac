"""Three small federation-v2 subgraphs (Strawberry) the gateway tests run against.

products owns ``Product @key(upc)``; reviews adds ``Product.reviews`` and owns ``Review``,
pointing at ``User`` by key; users owns ``User @key(id)``. A nested query therefore spans all
three. ``Query.slow`` and ``User.failing`` give the tests a slow fetch and a field error.
``supergraph.graphql`` beside this file is their composition (by @apollo/composition).
"""

import asyncio
from dataclasses import dataclass

import strawberry
from strawberry.federation import Schema

PRODUCTS = {"p1": ("Table", 899), "p2": ("Couch", 1299), "p3": ("Chair", 54)}
USERS = {"u1": "ada", "u2": "alan"}
REVIEWS = [("r1", "p1", "u1", "Love it"), ("r2", "p1", "u2", "Too big"),
           ("r3", "p3", "u1", "Comfy")]


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    name: str
    price: int

    @classmethod
    def resolve_reference(cls, upc: str) -> "Product | None":
        found = PRODUCTS.get(upc)
        return Product(upc=upc, name=found[0], price=found[1]) if found else None


@strawberry.type
class ProductsQuery:
    @strawberry.field
    def top_products(self, first: int = 5) -> list[Product]:
        return [Product(upc=upc, name=name, price=price)
                for upc, (name, price) in list(PRODUCTS.items())[:first]]

    @strawberry.field
    async def slow(self, seconds: float) -> str | None:
        await asyncio.sleep(seconds)
        return "done"


@strawberry.type
class ProductsMutation:
    @strawberry.mutation
    def touch(self, upc: str) -> Product | None:
        """A mutation without side effects, so tests can send one."""
        return Product.resolve_reference(upc)


@strawberry.federation.type(keys=["id"], name="User")
class ReviewUser:
    id: strawberry.ID


@strawberry.type
class Review:
    id: strawberry.ID
    body: str
    author: ReviewUser


@strawberry.federation.type(keys=["upc"], name="Product")
class ReviewedProduct:
    upc: str

    @strawberry.field
    def reviews(self) -> list[Review]:
        return [Review(id=strawberry.ID(rid), body=body, author=ReviewUser(id=strawberry.ID(uid)))
                for rid, upc, uid, body in REVIEWS if upc == self.upc]

    @classmethod
    def resolve_reference(cls, upc: str) -> "ReviewedProduct":
        return ReviewedProduct(upc=upc)


@strawberry.type
class ReviewsQuery:
    @strawberry.field
    def review_count(self) -> int:
        return len(REVIEWS)


@dataclass
class Viewer:
    """What the users subgraph reads from the gateway's per-request context."""

    name: str | None


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    username: str

    @strawberry.field
    def failing(self) -> str | None:
        raise ValueError(f"failing field of {self.id}")

    @strawberry.field
    def viewer(self, info: strawberry.Info) -> str | None:
        return getattr(info.context, "name", None)

    @classmethod
    async def resolve_reference(cls, id: strawberry.ID) -> "User | None":
        name = USERS.get(id)
        return User(id=id, username=name) if name else None


@strawberry.type
class UsersQuery:
    @strawberry.field
    def user(self, id: strawberry.ID) -> User | None:
        name = USERS.get(id)
        return User(id=id, username=name) if name else None


SCHEMAS = {
    "products": Schema(query=ProductsQuery, mutation=ProductsMutation, types=[Product]),
    "reviews": Schema(query=ReviewsQuery, types=[ReviewedProduct, Review, ReviewUser]),
    "users": Schema(query=UsersQuery, types=[User]),
}


def viewer_context(context: dict) -> Viewer:
    """The users subgraph's context: the viewer named in the gateway context, if any."""
    return Viewer(name=context.get("viewer"))
