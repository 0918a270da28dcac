"""A chain opens stores and stock through the gateway; other partners find them, not the stock.

Everything goes over HTTP: OAuth tokens from the platform's own token endpoint, GraphQL through
the composed gateway, the stores, maps, catalog and partners subgraphs in-process behind it.
"""

from typing import Any

import httpx

from tests.e2e.conftest import GraphQL, Platform

UPSERT_STORE = """
mutation($input: UpsertStoreInput!) {
  upsertStore(input: $input) { store { id code name merchant { name } } userErrors { code } }
}"""

UPSERT_PRODUCTS = """
mutation($input: UpsertProductsInput!) {
  upsertProducts(input: $input) { products { id sku } userErrors { code message } }
}"""

SYNC = """
mutation($input: SyncInventoryInput!) {
  syncInventory(input: $input) { applied stale unknownSku invalid conflicts userErrors { code } }
}"""

NEARBY_WITH_STOCK = """
query($near: GeoPointInput!) {
  nearbyStores(near: $near, radiusMeters: 2000) {
    edges { distanceMeters node { id name merchant { name }
            inventory { edges { node { product { sku } onHand available } } } } }
  }
}"""

PEOPLES_SQUARE = {"lat": 31.2304, "lng": 121.4737}


def store_input(code: str) -> dict[str, Any]:
    return {
        "code": code, "name": f"Harbor {code}",
        "address": {"line1": "1 Nanjing Rd", "city": "Shanghai", "country": "CN"},
        "location": {"lat": 31.2310, "lng": 121.4740},
        "openingHours": [{"dayOfWeek": d, "opens": "00:00", "closes": "23:59"}
                         for d in range(1, 8)],
        "services": ["PICKUP", "DELIVERY"], "deliveryRadiusMeters": 3000,
    }


async def test_a_chain_publishes_stores_and_stock_others_see_only_the_catalogue(
        platform: Platform, graphql: GraphQL) -> None:
    owner = await platform.partner("Harbor Mart", "stores:read stores:write catalog:read "
                                   "catalog:write inventory:read inventory:write")
    other = await platform.partner("Rival Mart", "stores:read inventory:read")

    created = await graphql(UPSERT_STORE, {"input": store_input("HB-1")}, token=owner)
    store = created["data"]["upsertStore"]["store"]
    assert store["merchant"] == {"name": "Harbor Mart"}  # entity jump stores → partners
    assert created["data"]["upsertStore"]["userErrors"] == []
    assert await platform.mongo.db["stores"].find_one({"_id": store["id"]}) is not None

    products = await graphql(UPSERT_PRODUCTS, {"input": {"idempotencyKey": "p-1", "items": [
        {"sku": "MILK-1L", "name": "Milk 1 L", "price": {"amount": 1250}}]}}, token=owner)
    assert products["data"]["upsertProducts"]["userErrors"] == []
    synced = await graphql(SYNC, {"input": {"storeId": store["id"], "idempotencyKey": "s-1",
                                            "items": [{"sku": "MILK-1L", "onHand": 12,
                                                       "occurredAt": "2026-11-25T08:00:00Z"}]}},
                           token=owner)
    assert synced["data"]["syncInventory"] == {"applied": 1, "stale": 0, "unknownSku": 0,
                                               "invalid": 0, "conflicts": 0, "userErrors": []}

    mine = await graphql(NEARBY_WITH_STOCK, {"near": PEOPLES_SQUARE}, token=owner)
    [edge] = [e for e in mine["data"]["nearbyStores"]["edges"] if e["node"]["id"] == store["id"]]
    assert 0 < edge["distanceMeters"] < 200
    assert edge["node"]["inventory"]["edges"] == [
        {"node": {"product": {"sku": "MILK-1L"}, "onHand": 12, "available": 12}}]

    theirs = await graphql(NEARBY_WITH_STOCK, {"near": PEOPLES_SQUARE}, token=other)
    [seen] = [e for e in theirs["data"]["nearbyStores"]["edges"]
              if e["node"]["id"] == store["id"]]
    assert seen["node"]["merchant"] == {"name": "Harbor Mart"}  # the open catalogue
    assert seen["node"]["inventory"] is None                    # but never the stock
    assert any(error["path"][-1] == "inventory" for error in theirs["errors"])


async def test_scopes_decide_fields_and_the_rest_still_returns(
        platform: Platform, graphql: GraphQL) -> None:
    reader = await platform.partner("Map App", "stores:read")
    answer = await graphql("""query($near: GeoPointInput!) {
        nearbyStores(near: $near) { edges { node { id } } }
        products(first: 1) { edges { node { id } } } }""", {"near": PEOPLES_SQUARE},
                           token=reader)
    assert isinstance(answer["data"]["nearbyStores"]["edges"], list)
    [error] = answer["errors"]
    assert error["path"] == ["products"]
    assert error["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"


async def test_writes_need_the_write_scope_and_change_nothing(
        platform: Platform, graphql: GraphQL) -> None:
    reader = await platform.partner("Read Only", "stores:read")
    refused = await graphql(UPSERT_STORE, {"input": store_input("RO-1")}, token=reader)
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"
    assert await platform.mongo.db["stores"].count_documents({"code": "RO-1"}) == 0


async def test_bad_tokens_are_401_and_anonymous_callers_see_no_guarded_data(
        graphql: GraphQL) -> None:
    body = await graphql("{ __typename }", status=200)
    assert body["data"] == {"__typename": "Query"}
    anonymous = await graphql("{ stores(first: 1) { edges { node { id } } } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHORIZED_FIELD_OR_TYPE"


async def test_a_tampered_token_is_refused(platform: Platform) -> None:
    token = await platform.partner("Tamper", "stores:read")
    header, payload, signature = token.access_token.split(".")
    forged = f"{header}.{payload}.{signature[:-4]}AAAA"
    async with httpx.AsyncClient(base_url=platform.base_url) as http:
        response = await http.post("/graphql", json={"query": "{ __typename }"},
                                   headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
