"""The benchmark's three subgraphs (Strawberry, federation v2), each served by its own uvicorn.

products owns ``Product @key(upc)``; reviews adds ``Product.reviews`` and returns ``User``
references; users owns ``User @key(id)``. ``topProducts → reviews → author`` spans all three,
so a gateway runs three dependent fetches per request. Data is generated deterministically.

Run one: ``python -m bench.gateway.subgraphs NAME PORT``.
"""

import sys

import strawberry
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.federation import Schema

PRODUCT_COUNT = 10
REVIEWS_PER_PRODUCT = 3
USER_COUNT = 7

PRODUCTS = {f"p{i}": (f"Product {i}", 100 * i + 99) for i in range(1, PRODUCT_COUNT + 1)}
USERS = {f"u{i}": f"user{i}" for i in range(1, USER_COUNT + 1)}
REVIEWS = {upc: [(f"r{upc}-{n}", f"u{(int(upc[1:]) + n) % USER_COUNT + 1}",
                  f"Review {n} of {upc}") for n in range(REVIEWS_PER_PRODUCT)]
           for upc in PRODUCTS}


@strawberry.federation.type(keys=["upc"])
class Product:
    upc: str
    name: str
    price: int

    @classmethod
    def resolve_reference(cls, upc: str) -> "Product":
        name, price = PRODUCTS[upc]
        return Product(upc=upc, name=name, price=price)


@strawberry.type
class ProductsQuery:
    @strawberry.field
    def top_products(self, first: int = 5) -> list[Product]:
        return [Product(upc=upc, name=name, price=price)
                for upc, (name, price) in list(PRODUCTS.items())[:first]]


@strawberry.federation.type(keys=["id"], name="User")
class Author:
    id: strawberry.ID


@strawberry.type
class Review:
    id: strawberry.ID
    body: str
    author: Author


@strawberry.federation.type(keys=["upc"], name="Product")
class ReviewedProduct:
    upc: str

    @strawberry.field
    def reviews(self) -> list[Review]:
        return [Review(id=strawberry.ID(rid), body=body, author=Author(id=strawberry.ID(uid)))
                for rid, uid, body in REVIEWS.get(self.upc, [])]

    @classmethod
    def resolve_reference(cls, upc: str) -> "ReviewedProduct":
        return ReviewedProduct(upc=upc)


@strawberry.type
class ReviewsQuery:
    @strawberry.field
    def review_count(self) -> int:
        return sum(len(reviews) for reviews in REVIEWS.values())


@strawberry.federation.type(keys=["id"])
class User:
    id: strawberry.ID
    username: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> "User":
        return User(id=id, username=USERS[id])


@strawberry.type
class UsersQuery:
    @strawberry.field
    def user(self, id: strawberry.ID) -> User | None:
        return User(id=id, username=USERS[id]) if id in USERS else None


SCHEMAS = {
    "products": Schema(query=ProductsQuery, types=[Product]),
    "reviews": Schema(query=ReviewsQuery, types=[ReviewedProduct, Review, Author]),
    "users": Schema(query=UsersQuery, types=[User]),
}


def app(name: str) -> Starlette:
    graphql = GraphQL(SCHEMAS[name], graphql_ide=None)
    return Starlette(routes=[Route("/graphql", graphql, methods=["GET", "POST"])])


if __name__ == "__main__":
    subgraph, port = sys.argv[1], int(sys.argv[2])
    uvicorn.run(app(subgraph), host="127.0.0.1", port=port, log_level="warning",
                access_log=False)
