"""A live token never sees sandbox data, and a sandbox token never sees or changes live data,
even for the same partner; partners themselves are live for both."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from auth.context import ContextTokenSigner, ContextTokenVerifier
from gateway.platform import PLATFORM_SUBGRAPHS
from schema.catalog.seed import SANDBOX_PRODUCT_COUNT
from schema.kernel.principal import Principal
from schema.kernel.sandbox import Databases
from schema.stores.seed import SANDBOX_STORE_COUNT, sandbox_store_id
from tests.sandbox.conftest import GraphQL, Platform

PEOPLES_SQUARE = {"lat": 31.2304, "lng": 121.4737}

UPSERT_STORE = """mutation($input: UpsertStoreInput!) { upsertStore(input: $input) {
  store { id merchant { name } } userErrors { code } } }"""
SET_STATUS = """mutation($input: SetStoreStatusInput!) { setStoreStatus(input: $input) {
  store { id } userErrors { code field } } }"""
NEARBY = """query($near: GeoPointInput!) { nearbyStores(near: $near, first: 100) {
  edges { node { id } } } }"""
STORES = """query($merchant: ID!) { stores(filter: {merchantId: $merchant}, first: 100) {
  edges { node { id } } } }"""
STORE = "query($id: ID!) { store(id: $id) { id } }"
PRODUCTS = """query($merchant: ID!) { products(filter: {merchantId: $merchant}, first: 100) {
  edges { node { sku } } } }"""


def store_input(code: str) -> dict[str, Any]:
    return {"code": code, "name": code, "location": {"lat": 31.2306, "lng": 121.4739},
            "address": {"line1": "1 People's Square", "city": "Shanghai", "country": "CN"},
            "openingHours": [{"dayOfWeek": d, "opens": "00:00", "closes": "23:59"}
                             for d in range(1, 8)], "services": ["PICKUP"]}


def ids(answer: dict[str, Any], field: str) -> set[str]:
    assert "errors" not in answer, answer
    return {edge["node"]["id"] for edge in answer["data"][field]["edges"]}


async def only_in(db: AsyncDatabase, store_ids: set[str]) -> bool:
    """Whether every one of ``store_ids`` is a store of ``db``."""
    found = await db["stores"].count_documents({"_id": {"$in": sorted(store_ids)}})
    return found == len(store_ids)


async def test_stores_and_products_of_one_mode_are_invisible_in_the_other(
        platform: Platform, graphql: GraphQL) -> None:
    partner = await platform.partner("Twin Mart")
    live = await platform.token(partner, sandbox=False)
    sandbox = await platform.token(partner, sandbox=True)
    bystander = await platform.token(await platform.partner("Rival Mart"), sandbox=False)

    made_live = await graphql(UPSERT_STORE, {"input": store_input("SAME-CODE")}, token=live)
    made_sandbox = await graphql(UPSERT_STORE, {"input": store_input("SAME-CODE")},
                                 token=sandbox)
    live_store = made_live["data"]["upsertStore"]["store"]
    sandbox_store = made_sandbox["data"]["upsertStore"]["store"]
    assert live_store["id"] != sandbox_store["id"]
    assert sandbox_store["merchant"] == {"name": "Twin Mart"}   # the registry is live
    demo = {sandbox_store_id(partner, n) for n in range(SANDBOX_STORE_COUNT)}
    sandbox_ids = demo | {sandbox_store["id"]}

    near = {"near": PEOPLES_SQUARE}
    for viewer in (live, bystander):
        seen = ids(await graphql(NEARBY, near, token=viewer), "nearbyStores")
        assert live_store["id"] in seen and not seen & sandbox_ids
        assert await only_in(platform.live, seen)
        assert ids(await graphql(STORES, {"merchant": partner}, token=viewer),
                   "stores") == {live_store["id"]}
        assert (await graphql(STORE, {"id": sandbox_store["id"]}, token=viewer)
                )["data"]["store"] is None
    seen = ids(await graphql(NEARBY, near, token=sandbox), "nearbyStores")
    assert sandbox_ids <= seen and live_store["id"] not in seen
    assert await only_in(platform.sandbox, seen)
    assert ids(await graphql(STORES, {"merchant": partner}, token=sandbox),
               "stores") == sandbox_ids
    assert (await graphql(STORE, {"id": live_store["id"]}, token=sandbox))["data"]["store"] is None

    live_skus = await graphql(PRODUCTS, {"merchant": partner}, token=live)
    sandbox_skus = await graphql(PRODUCTS, {"merchant": partner}, token=sandbox)
    assert live_skus["data"]["products"]["edges"] == []
    assert len(sandbox_skus["data"]["products"]["edges"]) == SANDBOX_PRODUCT_COUNT


async def test_a_sandbox_token_cannot_change_a_live_store_by_its_id(
        platform: Platform, graphql: GraphQL) -> None:
    partner = await platform.partner()
    live = await platform.token(partner, sandbox=False)
    sandbox = await platform.token(partner, sandbox=True)
    made = await graphql(UPSERT_STORE, {"input": store_input("LIVE-ONLY")}, token=live)
    live_id = made["data"]["upsertStore"]["store"]["id"]
    await graphql("{ viewer { sandbox } }", token=sandbox)
    before = await platform.live["stores"].find_one({"_id": live_id})

    answer = await graphql(SET_STATUS, {"input": {"storeId": live_id, "status": "CLOSED"}},
                           token=sandbox)

    assert answer["data"]["setStoreStatus"]["store"] is None
    assert [e["code"] for e in answer["data"]["setStoreStatus"]["userErrors"]] == ["NOT_FOUND"]
    after = await platform.live["stores"].find_one({"_id": live_id})
    # the live relay may empty the outbox meanwhile; the store itself is unchanged
    assert (after["status"], after["updatedAt"]) == (before["status"], before["updatedAt"])
    assert after["status"] == "OPEN"


async def test_the_context_token_path_picks_the_database_as_the_in_process_one_does(
        platform: Platform) -> None:
    """A subgraph served over HTTP gets its principal from the ``Loopgate-Context`` token;
    the same ``context_factory`` then picks the database from it."""
    service = platform.auth.service
    signer = ContextTokenSigner(service.keyring, service.issuer)
    databases = Databases.beside(platform.live)
    for sandbox in (False, True):
        sent = Principal(client_id="app_1", scopes=frozenset({"stores:read"}),
                         partner_id="ptn_1", sandbox=sandbox)
        for subgraph in PLATFORM_SUBGRAPHS:
            verifier = ContextTokenVerifier(service.keyring, service.issuer, subgraph.name)
            received = await verifier.verify(signer.sign(sent, subgraph.name))
            context = subgraph.context_factory(databases)({"principal": received})
            expected = databases.sandbox if sandbox else databases.live
            assert context.db is expected, subgraph.name
            assert context.principal == sent
