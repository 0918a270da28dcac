"""Each subgraph's SDL matches the contract's names and types for its sections."""

import pytest
from graphql.type import is_input_object_type, is_object_type

from schema.catalog.schema import schema as catalog
from schema.maps.schema import schema as maps
from schema.stores.schema import schema as stores
from tests.contract import contract as _contract
from tests.contract import fields as _fields

SECTIONS = {
    "stores": ["Store", "OpeningHours", "SpecialHours", "StoreConnection", "StoreEdge",
               "StoreFilter", "OpeningHoursInput", "SpecialHoursInput", "UpsertStoreInput",
               "SetStoreStatusInput", "StorePayload"],
    "maps": ["NearbyStoreConnection", "NearbyStoreEdge", "NearbyFilter", "StockRequirement",
             "DeliveryQuote", "RouteStopInput", "CourierRoute", "RouteStop"],
    "catalog": ["Product", "StoreAvailability", "ProductConnection", "ProductEdge",
                "ProductFilter", "InventoryLevel", "InventoryLevelConnection",
                "InventoryLevelEdge", "ProductInput", "UpsertProductsInput", "SyncInventoryInput",
                "InventoryItemInput", "SyncInventoryPayload", "InventoryItemResult",
                "InventoryChangeFeed", "PriceItemInput", "SyncPricesInput", "SyncPricesPayload"],
}
SCHEMAS = {"stores": stores, "maps": maps, "catalog": catalog}
ROOTS = {"stores": ["store", "stores", "upsertStore", "setStoreStatus"],
         "maps": ["nearbyStores", "deliveryQuote", "courierRoute"],
         "catalog": ["product", "products", "inventoryChanges", "upsertProducts",
                     "syncInventory", "syncPrices"]}


@pytest.mark.parametrize("section", list(SECTIONS))
def test_sdl_matches_contract(section):
    contract, ours = _contract(), SCHEMAS[section]._schema
    for name in SECTIONS[section]:
        theirs, mine = contract.type_map[name], ours.type_map[name]
        assert is_object_type(theirs) == is_object_type(mine)
        assert is_input_object_type(theirs) == is_input_object_type(mine)
        mine_fields = _fields(mine)
        expected = _fields(theirs)
        if name == "Store" and section != "stores":
            expected = {k: v for k, v in expected.items() if k in mine_fields}
        assert mine_fields == {k: v for k, v in expected.items() if k in mine_fields}, name
        if section == "stores" or name != "Store":
            assert set(mine_fields) >= set(expected) - {"inventory", "orders",
                                                        "distanceMetersFrom"}, name
    roots = {**contract.query_type.fields, **contract.mutation_type.fields}
    mine_roots = {**ours.query_type.fields,
                  **(ours.mutation_type.fields if ours.mutation_type else {})}
    for field in ROOTS[section]:
        assert str(mine_roots[field].type) == str(roots[field].type), field
        assert {a: str(v.type) for a, v in mine_roots[field].args.items()} == {
            a: str(v.type) for a, v in roots[field].args.items()}, field
