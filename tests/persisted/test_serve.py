"""The ERP connector of DESIGN.md §1 on the whole platform (``create_app`` under uvicorn, real
tokens): its operations pushed with ``loopgate persisted push --safelist-only`` run by id or
by text; anything else is 403 OPERATION_NOT_SAFELISTED and changes nothing; another partner's
app uses automatic persisted queries meanwhile."""

import asyncio
from pathlib import Path

import httpx
import orjson

from gateway.cli import main
from gateway.persisted.extension import sha256_hex
from gateway.persisted.manifest import read_manifest
from tests.e2e.conftest import Platform, platform  # noqa: F401 (the session's platform)

ERP_OPERATIONS = """
mutation UpsertProducts($input: UpsertProductsInput!) {
  upsertProducts(input: $input) { products { sku } userErrors { code } }
}
"""
PRODUCTS = "query Products { products(first: 5) { edges { node { sku } } } }"


def _input(sku: str) -> dict:
    return {"input": {"idempotencyKey": f"k-{sku}", "items": [
        {"sku": sku, "name": "Tea", "price": {"amount": 350, "currency": "CNY"}}]}}


def _code(response: httpx.Response) -> str:
    return str(response.json()["errors"][0]["extensions"]["code"])


async def test_an_erp_connector_runs_its_safelist_only(platform: Platform,  # noqa: F811
                                                       tmp_path: Path) -> None:
    erp = await platform.partner("ERP", "catalog:read catalog:write")
    manifest = tmp_path / "erp.graphql"
    manifest.write_text(ERP_OPERATIONS)
    flags = ["--mongodb-uri", platform.mongo.uri, "--db", platform.mongo.db.name]
    assert await asyncio.to_thread(main, ["persisted", "push", str(manifest), "--client",
                                          erp.client_id, "--safelist-only", *flags]) == 0
    [upsert] = read_manifest(ERP_OPERATIONS)
    products = platform.mongo.db["products"]

    async with httpx.AsyncClient(base_url=platform.base_url, headers=erp.headers,
                                 timeout=30) as http:
        by_id = await http.post("/graphql", json={
            "variables": _input("ERP-1"),
            "extensions": {"persistedQuery": {"version": 1, "sha256Hash": upsert.id}}})
        assert by_id.status_code == 200, by_id.text
        assert by_id.json()["data"]["upsertProducts"]["products"] == [{"sku": "ERP-1"}]
        by_text = await http.post("/graphql", json={"query": ERP_OPERATIONS,
                                                    "variables": _input("ERP-2")})
        assert by_text.json()["data"]["upsertProducts"]["userErrors"] == []

        refused = await http.post("/graphql", json={"query": PRODUCTS})
        assert (refused.status_code, _code(refused)) == (403, "OPERATION_NOT_SAFELISTED")
        sneaky = await http.post("/graphql", json={
            "query": ERP_OPERATIONS + " query Other { __typename }",
            "operationName": "Other"})
        assert (sneaky.status_code, _code(sneaky)) == (403, "OPERATION_NOT_SAFELISTED")
    assert await products.count_documents({"partnerId": erp.partner_id}) == 2


async def test_another_app_uses_automatic_persisted_queries(
        platform: Platform) -> None:  # noqa: F811
    app = await platform.partner("Web shop", "catalog:read")
    extensions = orjson.dumps({"persistedQuery": {"version": 1,
                                                  "sha256Hash": sha256_hex(PRODUCTS)}}).decode()
    async with httpx.AsyncClient(base_url=platform.base_url, headers=app.headers,
                                 timeout=30) as http:
        missing = await http.get("/graphql", params={"extensions": extensions})
        assert (missing.status_code, _code(missing)) == (404, "PERSISTED_QUERY_NOT_FOUND")
        registered = await http.post("/graphql", json={
            "query": PRODUCTS, "extensions": orjson.loads(extensions)})
        assert registered.status_code == 200, registered.text
        by_hash = await http.get("/graphql", params={"extensions": extensions})
        assert by_hash.status_code == 200
        assert by_hash.json()["data"] == registered.json()["data"]
