"""The ``media`` fixture's subgraphs: catalog (interface + union), ratings (an
``@interfaceObject``) and people (a union of entities, and an extension of ``Book``)."""

from typing import Any

from .harness import Subgraphs, build_subgraph

MEDIA = {
    "b1": {"__typename": "Book", "id": "b1", "title": "Dune", "pages": 412},
    "m1": {"__typename": "Movie", "id": "m1", "title": "Alien", "minutes": 117},
    "b2": {"__typename": "Book", "id": "b2", "title": "Emma", "pages": 300},
}
RATINGS = {"b1": 5, "m1": 4, "b2": 3}
AUTHORS = {"b1": "a1"}
PEOPLE = {
    "a1": {"__typename": "Author", "id": "a1", "name": "Herbert"},
    "c1": {"__typename": "Critic", "id": "c1", "name": "Roger", "favourite": {"id": "b1"}},
}


def _catalog() -> tuple[Any, ...]:
    def entity(rep: dict[str, Any]) -> dict[str, Any] | None:
        return MEDIA.get(rep["id"])

    root = {
        "media": lambda _info: list(MEDIA.values()),
        "search": lambda _info, term: [
            m for m in MEDIA.values() if term.lower() in m["title"].lower()
        ],
    }
    return build_subgraph(
        "media", "catalog", root, {"Media": entity, "Book": entity, "Movie": entity}
    )


def _ratings() -> tuple[Any, ...]:
    def media(rep: dict[str, Any]) -> dict[str, Any]:
        return {"__typename": "Media", "id": rep["id"], "rating": RATINGS[rep["id"]]}

    root = {
        "topRated": lambda _info: [
            media({"id": i}) for i in sorted(RATINGS, key=RATINGS.get, reverse=True)
        ]
    }
    return build_subgraph("media", "ratings", root, {"Media": media})


def _people() -> tuple[Any, ...]:
    def book(rep: dict[str, Any]) -> dict[str, Any]:
        author = AUTHORS.get(rep["id"])
        return {"__typename": "Book", "id": rep["id"], "author": PEOPLE[author] if author else None}

    def favourite(person: dict[str, Any]) -> dict[str, Any]:
        if "favourite" not in person:
            return person
        return {**person, "favourite": {"__typename": "Book", **person["favourite"]}}

    root = {"people": lambda _info: [favourite(p) for p in PEOPLE.values()]}
    by_id = {
        "Author": lambda rep: PEOPLE.get(rep["id"]),
        "Critic": lambda rep: PEOPLE.get(rep["id"]),
    }
    return build_subgraph("media", "people", root, {"Book": book, **by_id})


def media_subgraphs() -> Subgraphs:
    return Subgraphs({"catalog": _catalog(), "ratings": _ratings(), "people": _people()})
