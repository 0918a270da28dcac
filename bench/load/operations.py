"""The operation mix of the load benchmark: the contract's everyday partner reads.

A store chain's app as the README shows it: its stores page by page, stores near a point,
the catalogue with prices, one store's stock, a product's availability nearby, and who it is.
All run on the demo data (QuickMart's stores around Shanghai and Hangzhou, its 500 products)
with a QuickMart token, so every one returns data rather than an error. Variables vary per
request (points, pages, store numbers) so the caches see more than one input.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from schema.stores.seed import demo_store_id

SCOPES = "stores:read catalog:read inventory:read orders:read"
"""What the load's app may do: the reads of the mix."""

STOCKED_STORES = 20
"""Demo stores number 0 to this (excluded) have stock in the data the benchmark seeds."""


@dataclass(frozen=True)
class Operation:
    name: str
    query: str
    variables: Callable[[random.Random], dict[str, Any]]


def _near_shanghai(rng: random.Random) -> dict[str, float]:
    return {"lat": round(31.2304 + rng.uniform(-0.1, 0.1), 5),
            "lng": round(121.4737 + rng.uniform(-0.1, 0.1), 5)}


MIX: tuple[Operation, ...] = (
    Operation("stores", """query Stores($first: Int) {
  stores(first: $first) { totalCount edges { node { id code name openNow
    address { line1 city } location { lat lng } } } pageInfo { hasNextPage endCursor } } }""",
              lambda rng: {"first": rng.choice((10, 20, 50))}),
    Operation("nearbyStores", """query Nearby($near: GeoPointInput!) {
  nearbyStores(near: $near, radiusMeters: 2000, first: 10) {
    edges { distanceMeters node { id name openNow services } } } }""",
              lambda rng: {"near": _near_shanghai(rng)}),
    Operation("products", """query Products($first: Int) {
  products(first: $first) { edges { node { id sku name category price { amount currency } } }
    pageInfo { hasNextPage } } }""",
              lambda rng: {"first": rng.choice((10, 20))}),
    Operation("storeInventory", """query Stock($id: ID!) {
  store(id: $id) { id name inventory(first: 20) { edges { node {
    product { sku name } onHand available } } } } }""",
              lambda rng: {"id": demo_store_id(rng.randrange(STOCKED_STORES))}),
    Operation("viewer", "query Me { viewer { clientId scopes sandbox partner { id name } } }",
              lambda _rng: {}),
)
