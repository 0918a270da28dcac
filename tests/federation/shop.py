"""The ``shop`` fixture's subgraphs: products, inventory, shipping, reviews, accounts, loyalty.

Values are deliberately distinguishable: reviews' copy of a username (served through
``@provides``) differs from accounts' own, and inventory fails loudly when a representation
lacks a ``@requires`` field, so tests see which path the plan took.
"""

from typing import Any

from graphql import GraphQLError

from .harness import Subgraphs, build_subgraph

PRODUCTS = {
    "p1": {
        "id": "p1",
        "name": "Table",
        "price": 100,
        "weight": 10,
        "h": 2,
        "w": 3,
        "category": "FOOD",
    },
    "p2": {
        "id": "p2",
        "name": "Chair",
        "price": 50,
        "weight": 5,
        "h": 1,
        "w": 1,
        "category": "DRINK",
    },
    "p3": {
        "id": "p3",
        "name": "Lamp",
        "price": 30,
        "weight": 2,
        "h": 4,
        "w": 5,
        "category": "INTERNAL",
    },
}
USERS = {
    "u1": {"id": "u1", "email": "ada@example.com", "username": "ada", "name": "Ada"},
    "u2": {"id": "u2", "email": "bob@example.com", "username": "bob", "name": None},
}
POINTS = {"ada@example.com": 120, "bob@example.com": 7}
REVIEWS = [
    {"id": "r1", "product": "p1", "author": "u1", "body": "Great", "rating": 5},
    {"id": "r2", "product": "p1", "author": "u2", "body": "Meh", "rating": 3},
    {"id": "r3", "product": "p2", "author": "u1", "body": None, "rating": 4},
    {"id": "r4", "product": "p2", "author": None, "body": "Anonymous", "rating": 2},
    {"id": "r5", "product": "p3", "author": "u404", "body": "Ghost", "rating": 1},
]


def _product(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "__typename": "Product",
        "id": item["id"],
        "name": item["name"],
        "price": item["price"],
        "weight": item["weight"],
        "priceIn": lambda _info, currency: item["price"] * (2 if currency == "USD" else 1),
        "dimensions": {"height": item["h"], "width": item["w"]},
        "category": item["category"],
        "stockLabel": "from-products",
        "supplierCode": "secret",
        "margin": 7,
    }


def _products() -> tuple[Any, ...]:
    return build_subgraph(
        "shop",
        "products",
        {
            "topProducts": lambda _info, first=5: [_product(p) for p in PRODUCTS.values()][:first],
            "product": lambda _info, id: _product(PRODUCTS[id]) if id in PRODUCTS else None,
        },
        {"Product": lambda rep: _product(PRODUCTS[rep["id"]]) if rep["id"] in PRODUCTS else None},
    )


def _inventory_product(rep: dict[str, Any]) -> dict[str, Any]:
    def shipping(_info: Any) -> int:
        if "price" not in rep or "weight" not in rep:
            raise GraphQLError("shippingEstimate needs price and weight")
        return rep["price"] * rep["weight"] // 10

    def insurance(_info: Any) -> int:
        return rep["priceIn"] // 10

    def volume(_info: Any) -> int:
        return rep["dimensions"]["height"] * rep["dimensions"]["width"]

    return {
        "__typename": "Product",
        "id": rep["id"],
        "inStock": rep["id"] != "p3",
        "shippingEstimate": shipping,
        "insurance": insurance,
        "volume": volume,
        "stockLabel": "from-inventory",
    }


def _inventory() -> tuple[Any, ...]:
    return build_subgraph("shop", "inventory", {}, {"Product": _inventory_product})


def _shipping() -> tuple[Any, ...]:
    def product(rep: dict[str, Any]) -> dict[str, Any]:
        def label(_info: Any) -> str:
            return f"ships for {rep['shippingEstimate']}"

        def gift_note(_info: Any) -> str:
            return f"{rep['reviewCount']} reviews"

        return {
            "__typename": "Product",
            "id": rep["id"],
            "deliveryLabel": label,
            "giftNote": gift_note,
        }

    return build_subgraph("shop", "shipping", {}, {"Product": product})


def _review(item: dict[str, Any]) -> dict[str, Any]:
    def body(_info: Any) -> str:
        if item["body"] is None:
            raise GraphQLError(f"review {item['id']} body is unavailable")
        return item["body"]

    author = item["author"]
    return {
        "__typename": "Review",
        "id": item["id"],
        "body": body,
        "rating": item["rating"],
        "product": {"__typename": "Product", "id": item["product"]},
        "author": {
            "__typename": "User",
            "id": author,
            "username": f"{author}-via-reviews",
            "reviews": lambda _info: [_review(r) for r in REVIEWS if r["author"] == author],
        }
        if author
        else None,
    }


def _reviews(added: list[dict[str, Any]]) -> tuple[Any, ...]:
    def add_review(_info: Any, productId: str, body: str) -> dict[str, Any]:
        item = {"id": f"r{len(REVIEWS) + len(added) + 1}", "product": productId, "author": "u1"}
        item.update(body=body, rating=5)
        added.append(item)
        return _review(item)

    def product(rep: dict[str, Any]) -> dict[str, Any]:
        mine = [r for r in REVIEWS + added if r["product"] == rep["id"]]
        reviews = [_review(r) for r in mine]
        return {
            "__typename": "Product",
            "id": rep["id"],
            "reviews": reviews,
            "reviewCount": len(mine),
        }

    def user(rep: dict[str, Any]) -> dict[str, Any]:
        mine = [_review(r) for r in REVIEWS + added if r["author"] == rep["id"]]
        return {"__typename": "User", "id": rep["id"], "reviews": mine}

    def entity_review(rep: dict[str, Any]) -> dict[str, Any] | None:
        found = [r for r in REVIEWS + added if r["id"] == rep["id"]]
        return _review(found[0]) if found else None

    return build_subgraph(
        "shop",
        "reviews",
        {
            "latestReviews": lambda _info: [_review(r) for r in REVIEWS + added],
            "addReview": add_review,
        },
        {"Product": product, "User": user, "Review": entity_review},
    )


def _accounts(renames: list[str]) -> tuple[Any, ...]:
    def user_by(rep: dict[str, Any]) -> dict[str, Any] | None:
        for user in USERS.values():
            if rep.get("id") == user["id"] or rep.get("email") == user["email"]:
                return {"__typename": "User", **user}
        return None

    def rename(_info: Any, id: str, name: str) -> dict[str, Any]:
        renames.append(name)
        return {"__typename": "User", **USERS[id], "name": name}

    root = {
        "me": lambda _info: {"__typename": "User", **USERS["u1"]},
        "users": lambda _info: [{"__typename": "User", **u} for u in USERS.values()],
        "rename": rename,
    }
    return build_subgraph("shop", "accounts", root, {"User": user_by})


def _loyalty() -> tuple[Any, ...]:
    def user(rep: dict[str, Any]) -> dict[str, Any]:
        return {"__typename": "User", "email": rep["email"], "points": POINTS[rep["email"]]}

    return build_subgraph("shop", "loyalty", {}, {"User": user})


def shop_subgraphs() -> Subgraphs:
    """Fresh subgraphs (and fresh mutation state) for one test."""
    subgraphs = Subgraphs(
        {
            "products": _products(),
            "inventory": _inventory(),
            "shipping": _shipping(),
            "reviews": _reviews([]),
            "accounts": _accounts([]),
            "loyalty": _loyalty(),
        }
    )
    return subgraphs
